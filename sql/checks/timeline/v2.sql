-- check: timeline
-- version: 2 (v1 called every change of timeline.min_change between two months a finding: with
--   few runs a month, one or two low runs more make one by chance, and a site with many months
--   tries many pairs. v2 keeps v1's rows and says for each how often chance alone gives a change
--   as large among all the pairs tried, chance; only a change beyond chance is a finding)
-- grain: one row per site and month at which its share of low runs changed
-- reads: check_timeline_v1, params_v1, run_neighbours_v2, runs
-- requires: runs.site
-- question: When did a site's share of low runs change beyond what chance gives, and did its code
--   change then? The change points of check_timeline_v1 (two consecutive months of a site with at
--   least timeline.min_runs finished runs each, shares of low runs at least timeline.min_change
--   apart). Each is tested with Fisher's exact test (two-sided: the sum of the probabilities of
--   every split of the two months' low runs no more likely than the one observed, given the
--   months' runs and their low runs in all), and the p-value is multiplied by the pairs of
--   consecutive months with enough runs over all sites (Bonferroni): the pairs that could have
--   been a change point.
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
--   chance: Fisher's exact p-value of the change times the pairs of months tried (at most 1)
--   beyond_chance: chance is at most timeline.max_chance: the change is a finding

with params as (
    select
        timeline_min_runs as min_runs,
        timeline_max_chance as max_chance
    from params_v1
),

site_months as (
    select
        n.site,
        date_trunc('month', n.started_at) as month,
        count(*) as n_runs
    from run_neighbours_v2 as n
    inner join runs as r on n.run_id = r.run_id
    where n.started_at is not null
    group by n.site, date_trunc('month', n.started_at)
),

consecutive as (
    select
        n_runs,
        lag(n_runs) over (partition by site order by month) as previous_runs
    from site_months
),

tried as (
    select count(*) as n_pairs
    from consecutive
    cross join params as p
    where previous_runs >= p.min_runs and n_runs >= p.min_runs
),

counts as (
    select
        site,
        changed_at,
        runs_before as n1,
        runs_after as n2,
        cast(round(low_share_before * runs_before) as integer) as a,
        cast(round(low_share_before * runs_before) + round(low_share_after * runs_after) as integer) as k
    from check_timeline_v1
),

-- every split of the k low runs between the months: x in the previous month, k - x in this one
splits as (
    select
        site,
        changed_at,
        n1,
        n2,
        a,
        k,
        unnest(range(greatest(0, k - n2), least(n1, k) + 1)) as x
    from counts
),

-- the log of each split's probability up to a constant, from the first split on: the probability
-- of x over that of x - 1 is (n1 - x + 1) (k - x + 1) / (x (n2 - k + x)), hypergeometric
split_weights as (
    select
        site,
        changed_at,
        a,
        x,
        sum(
            case
                when x = greatest(0, k - n2) then 0
                else ln((n1 - x + 1) * (k - x + 1)) - ln(x * (n2 - k + x))
            end
        ) over (partition by site, changed_at order by x rows between unbounded preceding and current row) as weight
    from splits
),

split_probabilities as (
    select
        site,
        changed_at,
        a,
        x,
        exp(weight - max(weight) over (partition by site, changed_at)) as likelihood
    from split_weights
),

fisher as (
    select
        s.site,
        s.changed_at,
        sum(s.likelihood) filter (where s.likelihood <= o.likelihood * (1 + 1e-7)) / sum(s.likelihood) as p_value
    from split_probabilities as s
    inner join split_probabilities as o
        on s.site is not distinct from o.site and s.changed_at = o.changed_at and o.x = o.a
    group by s.site, s.changed_at
),

final as (
    select
        v.site,
        v.changed_at,
        v.previous_month,
        v.runs_before,
        v.runs_after,
        v.low_share_before,
        v.low_share_after,
        v.change,
        v.native_share_before,
        v.native_share_after,
        v.code_versions_started,
        v.code_versions_ended,
        least(1, f.p_value * t.n_pairs) as chance,
        least(1, f.p_value * t.n_pairs) <= p.max_chance as beyond_chance
    from check_timeline_v1 as v
    inner join fisher as f on v.site is not distinct from f.site and v.changed_at = f.changed_at
    cross join tried as t
    cross join params as p
)

select * from final
order by site, changed_at
