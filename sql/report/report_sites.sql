-- report: report_sites
-- grain: one row per site with a training run
-- reads: run_summary
-- question: Which sites trained runs, and how many finished? The per-site figures
--   (best_epoch_<site>, <site>_gpu_issue, <site>_missing_eval) are drawn for these sites.
-- columns:
--   site: site that trained the runs
--   n_runs: training runs (logs)
--   n_finished: finished runs (Running Cost line)
--   n_archs: distinct architectures
--   trained_from: earliest start of a run
--   trained_to: latest start of a run

with final as (
    select
        site,
        count(*) as n_runs,
        count(*) filter (where finished) as n_finished,
        count(distinct arch_id) as n_archs,
        min(started_at) as trained_from,
        max(started_at) as trained_to
    from run_summary
    group by site
)

select * from final
order by site = 'unknown', n_runs desc, site
