-- report: gpu_accuracy_spread
-- grain: one row per site, primary GPU and metric (clean, CW-40) of finished runs
-- reads: run_summary, run_neighbours, check_gpu_accuracy
-- question: How are the accuracies of each site's runs spread on each GPU? Quartiles and range of
--   the accuracies check_gpu_accuracy averages (test where evaluated, else validation at the best
--   epoch), with its low-run share, flag and chance. The boxes of <site>_gpu_issue.png.
-- columns:
--   site: site that trained the runs
--   gpu: primary GPU (cpu for runs without one)
--   metric: clean or CW-40
--   n_runs: finished runs on the GPU with an accuracy of this metric (the box)
--   min_acc: lowest accuracy (%)
--   q1_acc: first quartile (%)
--   median_acc: median (%)
--   q3_acc: third quartile (%)
--   max_acc: highest accuracy (%)
--   mean_acc: mean (%)
--   n_checked: finished runs on the GPU as check_gpu_accuracy counts them (check_gpu_accuracy.n_runs),
--     with or without an accuracy of this metric
--   n_low: of those, runs far below archs of similar size (check_gpu_accuracy.n_low)
--   low_share_pct: n_low / n_checked, in percent
--   flagged: check_gpu_accuracy.flagged
--   chance: check_gpu_accuracy.chance (how often chance gives a GPU as many low runs)
--   beyond_chance: check_gpu_accuracy.beyond_chance (flagged, and beyond chance: a finding)
--   trained_from: earliest start of these runs
--   trained_to: latest start of these runs

with run_accuracies as (
    select
        s.site,
        coalesce(s.gpu, 'cpu') as gpu,
        s.started_at,
        unnest(['clean', 'CW-40']) as metric,
        unnest([
            coalesce(s.test_clean_acc, s.best_val_acc),
            coalesce(s.test_cw40_acc, s.best_cw40_acc)
        ]) as acc
    from run_summary as s
    where s.finished
),

spread as (
    select
        site,
        gpu,
        metric,
        count(*) as n_runs,
        min(acc) as min_acc,
        quantile_cont(acc, 0.25) as q1_acc,
        median(acc) as median_acc,
        quantile_cont(acc, 0.75) as q3_acc,
        max(acc) as max_acc,
        avg(acc) as mean_acc,
        min(started_at) as trained_from,
        max(started_at) as trained_to
    from run_accuracies
    where
        acc is not null
        and not isnan(acc)
    group by site, gpu, metric
),

final as (
    select
        s.site,
        s.gpu,
        s.metric,
        s.n_runs,
        s.min_acc,
        s.q1_acc,
        s.median_acc,
        s.q3_acc,
        s.max_acc,
        s.mean_acc,
        g.n_runs as n_checked,
        g.n_low,
        100.0 * g.low_share as low_share_pct,
        g.flagged,
        g.chance,
        g.beyond_chance,
        s.trained_from,
        s.trained_to
    from spread as s
    left join check_gpu_accuracy as g
        on
            s.site = g.site
            and s.gpu = g.gpu
)

select * from final
order by site, gpu, metric
