-- invariant: ids_are_consistent
-- holds: ids are unique and consistent
-- run_id and eval_id are unique; the run of a training log and the evaluation of an evaluation log
-- carry the id of their file (a release file's records have ids of their own); a run before the
-- last of an appended evaluation log (source_path <path>#line=<line>) carries xor(file_id, line).

with run_ids as (
    select
        run_id,
        count(*) as n_rows
    from runs
    group by run_id
    having count(*) > 1
),

eval_ids as (
    select
        eval_id,
        count(*) as n_rows
    from evals
    group by eval_id
    having count(*) > 1
),

final as (
    select 'runs: ' || n_rows || ' rows with run_id ' || run_id || ' (one expected)' as problem
    from run_ids
    union all
    select 'evals: ' || n_rows || ' rows with eval_id ' || eval_id || ' (one expected)' as problem
    from eval_ids
    union all
    select
        'runs: run '
        || r.run_id
        || ' of training log '
        || f.path
        || ' does not carry its file_id '
        || f.file_id as problem
    from runs as r
    inner join files as f on r.file_id = f.file_id
    where f.kind = 'train' and r.run_id <> f.file_id
    union all
    select
        'evals: evaluation '
        || e.eval_id
        || ' of '
        || e.source_path
        || ' does not carry '
        || case when e.source_path = f.path then 'its file_id ' else 'xor(file_id, line) of its file_id ' end
        || f.file_id as problem
    from evals as e
    inner join files as f on e.file_id = f.file_id
    where
        f.kind in ('eval', 'corruption')
        and e.eval_id <> case
            when e.source_path = f.path then f.file_id
            -- a run before the last of an appended evaluation log: <path>#line=<line>
            else xor(f.file_id, try_cast(regexp_extract(e.source_path, '#line=([0-9]+)$', 1) as bigint))
        end
)

select * from final
order by problem
