-- check: precision_path
-- version: 1 (first version)
-- grain: one row per site, month the run started and precision path
-- reads: params_v1, run_neighbours_v2, runs
-- requires: runs.grad_norm_median
-- question: Which precision path did each site's runs take, month by month, and how many of them are
--   low? runs.precision_path is native_amp_unscaled when the median |gn| of the run's step lines is at
--   least precision_path.min_scaled_grad_norm (check_params): the training code's native-AMP path
--   clips the scaled gradients and never unscales them (SPEC section 8), which happens whenever apex
--   cannot be imported on the machine (from 2023-01-02) or always (code of 2022-12-20 to 2023-01-02).
--   Low: the finished run's best CW-40 is low_arch.min_drop points below its neighbours
--   (run_neighbours).
-- columns:
--   site: site that trained the runs
--   month: month the runs started (first day)
--   precision_path: native_amp_unscaled, fp32_or_apex, or unknown (no finite |gn| on any step line)
--   n_runs: runs of the site, month and path
--   n_finished: of them finished with a best CW-40 (the ones run_neighbours can call low)
--   n_low: of them low
--   low_share: n_low / n_finished (NULL without finished runs)
--   median_grad_norm: median of the runs' grad_norm_median
--   median_steps_per_second: median of the runs' steps_per_second (it/s)
--   threshold: precision_path.min_scaled_grad_norm in force

with params as (
    select precision_path_min_scaled_grad_norm as threshold
    from params_v1
),

runs_by_path as (
    select
        r.run_id,
        r.site,
        cast(date_trunc('month', r.started_at) as date) as month,
        coalesce(r.precision_path, 'unknown') as precision_path,
        r.grad_norm_median,
        r.steps_per_second,
        n.is_low
    from runs as r
    left join run_neighbours_v2 as n on r.run_id = n.run_id
),

final as (
    select
        b.site,
        b.month,
        b.precision_path,
        count(*) as n_runs,
        count(b.is_low) as n_finished,
        count(*) filter (where b.is_low) as n_low,
        case when count(b.is_low) > 0 then round(count(*) filter (where b.is_low) / count(b.is_low), 4) end
            as low_share,
        median(b.grad_norm_median) as median_grad_norm,
        median(b.steps_per_second) as median_steps_per_second,
        any_value(p.threshold) as threshold
    from runs_by_path as b
    cross join params as p
    group by b.site, b.month, b.precision_path
)

select * from final
order by site, month nulls last, precision_path
