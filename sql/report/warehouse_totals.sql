-- report: warehouse_totals
-- grain: one row
-- reads: runs, evals, files, ingests
-- question: How much does the warehouse hold, and when was it last ingested? The report's
--   opening numbers.
-- columns:
--   n_runs: training runs
--   n_finished: finished training runs
--   n_archs: distinct architectures with a training run
--   n_evals: evaluations (all kinds; a log of appended runs holds one per run)
--   n_base_evals: finished Linf Base evaluations
--   n_files: files seen by the ingests
--   n_sites: sites with a training run (unknown included)
--   trained_from: earliest start of a training run
--   trained_to: latest start of a training run
--   last_ingest_at: when the last ingest committed (UTC)

with run_totals as (
    select
        count(*) as n_runs,
        count(*) filter (where finished) as n_finished,
        count(distinct arch_id) as n_archs,
        count(distinct site) as n_sites,
        min(started_at) as trained_from,
        max(started_at) as trained_to
    from runs
),

eval_totals as (
    select
        count(*) as n_evals,
        count(*) filter (where attack = 'Base' and norm = 'Linf' and finished) as n_base_evals
    from evals
),

final as (
    select
        r.n_runs,
        r.n_finished,
        r.n_archs,
        e.n_evals,
        e.n_base_evals,
        (select count(*) from files) as n_files,
        r.n_sites,
        r.trained_from,
        r.trained_to,
        (select max(finished_at) from ingests) as last_ingest_at
    from run_totals as r
    cross join eval_totals as e
)

select * from final
