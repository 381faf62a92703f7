-- check: timeline
-- version: 1 (first version)
-- grain: one row per site and month at which its share of low runs changed
-- reads: params_v1, run_neighbours_v2, runs
-- requires: runs.site
-- question: When did a site's share of low runs change, and did its code change then? The finished
--   runs of each site are grouped by the month they started; a change point is a month whose share
--   of low runs (run_neighbours.is_low) differs from the site's previous month with runs by at least
--   timeline.min_change, both months having at least timeline.min_runs finished runs (check_params).
--   Beside each: the training code versions (code fingerprints) the site used for the first time
--   that month or for the last time the month before, and its share of runs on the native-AMP path
--   (runs.precision_path) in both months.
-- columns:
--   site: site that trained the runs
--   changed_at: first day of the month the share changed in
--   previous_month: first day of the site's previous month with runs
--   runs_before: finished runs of the previous month
--   runs_after: finished runs of this month
--   low_share_before: share of low runs in the previous month
--   low_share_after: share of low runs in this month
--   change: low_share_after - low_share_before
--   native_share_before: share of native-AMP runs in the previous month
--   native_share_after: share of native-AMP runs in this month
--   code_versions_started: code fingerprints the site used for the first time this month
--   code_versions_ended: code fingerprints the site used for the last time in the previous month

with params as (
    select
        timeline_min_runs as min_runs,
        timeline_min_change as min_change
    from params_v1
),

site_runs as (
    select
        n.site,
        cast(date_trunc('month', n.started_at) as date) as month,
        n.is_low,
        r.precision_path,
        r.code_fingerprint
    from run_neighbours_v2 as n
    inner join runs as r on n.run_id = r.run_id
    where n.started_at is not null
),

months as (
    select
        site,
        month,
        count(*) as n_runs,
        count(*) filter (where is_low) / count(*) as low_share,
        count(*) filter (where precision_path = 'native_amp_unscaled') / count(*) as native_share
    from site_runs
    group by site, month
),

versions as (
    select
        site,
        code_fingerprint,
        min(month) as first_month,
        max(month) as last_month
    from site_runs
    where code_fingerprint is not null
    group by site, code_fingerprint
),

consecutive as (
    select
        site,
        month,
        n_runs,
        low_share,
        native_share,
        lag(month) over (partition by site order by month) as previous_month,
        lag(n_runs) over (partition by site order by month) as previous_runs,
        lag(low_share) over (partition by site order by month) as previous_low_share,
        lag(native_share) over (partition by site order by month) as previous_native_share
    from months
),

final as (
    select
        c.site,
        c.month as changed_at,
        c.previous_month,
        c.previous_runs as runs_before,
        c.n_runs as runs_after,
        round(c.previous_low_share, 4) as low_share_before,
        round(c.low_share, 4) as low_share_after,
        round(c.low_share - c.previous_low_share, 4) as change,
        round(c.previous_native_share, 4) as native_share_before,
        round(c.native_share, 4) as native_share_after,
        coalesce(
            (
                select list_sort(list(v.code_fingerprint)) from versions as v
                where v.site = c.site and v.first_month = c.month
            ),
            []
        ) as code_versions_started,
        coalesce(
            (
                select list_sort(list(v.code_fingerprint)) from versions as v
                where v.site = c.site and v.last_month = c.previous_month
            ),
            []
        ) as code_versions_ended
    from consecutive as c
    cross join params as p
    where
        c.previous_month is not null
        and c.n_runs >= p.min_runs
        and c.previous_runs >= p.min_runs
        and abs(c.low_share - c.previous_low_share) >= p.min_change
)

select * from final
order by site, changed_at
