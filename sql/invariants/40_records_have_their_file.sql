-- invariant: records_have_their_file
-- holds: every run and evaluation comes from a loaded file of its kind
-- A run whose file row is gone (or not loaded) would never be replaced or removed by an ingest.

with runs_checked as (
    select
        r.run_id,
        f.path,
        f.kind,
        f.status
    from runs as r
    left join files as f on r.file_id = f.file_id
),

evals_checked as (
    select
        e.eval_id,
        f.path,
        f.kind,
        f.status
    from evals as e
    left join files as f on e.file_id = f.file_id
),

final as (
    select 'runs: run ' || run_id || ' has no files row' as problem
    from runs_checked
    where path is null
    union all
    select
        'runs: run '
        || run_id
        || ' comes from '
        || path
        || ' ('
        || kind
        || ', '
        || status
        || '): not a loaded training log or release file' as problem
    from runs_checked
    where path is not null and (kind not in ('train', 'release') or status not in ('ok', 'partial'))
    union all
    select 'evals: evaluation ' || eval_id || ' has no files row' as problem
    from evals_checked
    where path is null
    union all
    select
        'evals: evaluation '
        || eval_id
        || ' comes from '
        || path
        || ' ('
        || kind
        || ', '
        || status
        || '): not a loaded evaluation log or release file' as problem
    from evals_checked
    where path is not null and (kind not in ('eval', 'corruption', 'release') or status not in ('ok', 'partial'))
)

select * from final
order by problem
