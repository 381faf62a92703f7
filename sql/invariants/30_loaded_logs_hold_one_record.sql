-- invariant: loaded_logs_hold_one_record
-- holds: every loaded training log holds exactly one run, every loaded evaluation log one evaluation
-- Loaded means status ok or partial; a skipped copy or an unreadable file holds none. An evaluation
-- log of appended runs holds one more evaluation per run before its last (source_path
-- <path>#line=<n>); the one counted here is its last run's, whose source_path is the file's path.

with run_counts as (
    select
        file_id,
        count(*) as n_runs
    from runs
    group by file_id
),

eval_runs as (
    select
        e.file_id,
        e.source_path = f.path as is_last_run,
        f.kind in ('eval', 'corruption')
        and regexp_extract(e.source_path, '#line=[0-9]+$') <> ''
        and e.source_path = f.path || regexp_extract(e.source_path, '#line=[0-9]+$') as is_earlier_run
    from evals as e
    inner join files as f on e.file_id = f.file_id
),

eval_counts as (
    select
        file_id,
        count(*) as n_evals,
        count(*) filter (where is_last_run) as n_last_runs,
        count(*) filter (where not is_last_run and not is_earlier_run) as n_strays
    from eval_runs
    group by file_id
),

logs as (
    select
        f.path,
        f.kind,
        f.status in ('ok', 'partial') as is_loaded,
        coalesce(r.n_runs, 0) as n_runs,
        coalesce(e.n_evals, 0) as n_evals,
        coalesce(e.n_last_runs, 0) as n_last_runs,
        coalesce(e.n_strays, 0) as n_strays
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
    select
        'evals: evaluation log ' || path || ' holds ' || n_last_runs
        || ' evaluations with its path as source_path (one expected: its last run)' as problem
    from logs
    where kind in ('eval', 'corruption') and is_loaded and n_last_runs <> 1
    union all
    select
        'evals: evaluation log ' || path || ' holds ' || n_strays
        || ' evaluations whose source_path is neither its path nor <path>#line=<n> (a run before its last)'
            as problem
    from logs
    where kind in ('eval', 'corruption') and n_strays > 0
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
