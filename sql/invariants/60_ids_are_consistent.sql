-- invariant: ids_are_consistent
-- holds: ids are unique and consistent
-- run_id and eval_id are unique; the run of a training log and the evaluation of an evaluation log
-- carry the id of their file (a release file's records have ids of their own).

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
        || f.path
        || ' does not carry its file_id '
        || f.file_id as problem
    from evals as e
    inner join files as f on e.file_id = f.file_id
    where f.kind in ('eval', 'corruption') and e.eval_id <> f.file_id
)

select * from final
order by problem
