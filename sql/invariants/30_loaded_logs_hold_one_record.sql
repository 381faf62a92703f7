-- invariant: loaded_logs_hold_one_record
-- holds: every loaded training log holds exactly one run, every loaded evaluation log one evaluation
-- Loaded means status ok or partial; a skipped copy or an unreadable file holds none.

with run_counts as (
    select
        file_id,
        count(*) as n_runs
    from runs
    group by file_id
),

eval_counts as (
    select
        file_id,
        count(*) as n_evals
    from evals
    group by file_id
),

logs as (
    select
        f.path,
        f.kind,
        f.status in ('ok', 'partial') as is_loaded,
        coalesce(r.n_runs, 0) as n_runs,
        coalesce(e.n_evals, 0) as n_evals
    from files as f
    left join run_counts as r on f.file_id = r.file_id
    left join eval_counts as e on f.file_id = e.file_id
    where f.kind in ('train', 'eval', 'corruption')
),

final as (
    select 'runs: training log ' || path || ' holds ' || n_runs || ' runs (one expected)' as problem
    from logs
    where kind = 'train' and is_loaded and n_runs <> 1
    union all
    select 'evals: evaluation log ' || path || ' holds ' || n_evals || ' evaluations (one expected)' as problem
    from logs
    where kind in ('eval', 'corruption') and is_loaded and n_evals <> 1
    union all
    select
        'files: ' || path || ' (' || kind || ', not loaded) holds ' || n_runs || ' runs and ' || n_evals
        || ' evaluations (none expected)' as problem
    from logs
    where not is_loaded and n_runs + n_evals > 0
    union all
    select 'evals: training log ' || path || ' holds ' || n_evals || ' evaluations (none expected)' as problem
    from logs
    where kind = 'train' and n_evals > 0
    union all
    select 'runs: evaluation log ' || path || ' holds ' || n_runs || ' runs (none expected)' as problem
    from logs
    where kind in ('eval', 'corruption') and n_runs > 0
)

select * from final
order by problem
