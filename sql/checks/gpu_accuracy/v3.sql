-- check: gpu_accuracy
-- version: 3 (v2 flagged a site and GPU on its share of low runs alone: with few runs, one low run
--   more crosses gpu_accuracy.max_low_share by chance, and a site with many GPUs tries many. v3
--   keeps v2's rows and flags and says for each how often chance alone gives a GPU as many low
--   runs among all the GPUs tried, chance; only a flagged GPU beyond chance is a finding)
-- grain: one row per site and primary GPU of finished runs
-- reads: check_gpu_accuracy_v2, params_v1
-- question: Does one GPU of one site give worse models (a faulty card or machine), beyond what
--   chance gives? The rows of check_gpu_accuracy_v2 (accuracies, low runs, flagged). Chance: if the
--   site's low runs fell on its runs at random, how likely would this GPU's runs hold at least
--   n_low of them (Fisher's exact test, one-sided: the hypergeometric tail), times the site/GPU
--   groups with at least gpu_accuracy.min_runs runs (Bonferroni): the groups that could have been
--   flagged.
-- columns:
--   site: site that trained the runs
--   gpu: primary GPU (first of the GPU List), cpu for runs without one
--   n_runs: finished runs
--   n_with_eval: of them, runs with a Linf Base test evaluation
--   mean_clean_acc: mean clean accuracy (%), test where evaluated else validation
--   mean_cw40_acc: mean CW-40 accuracy (%), test where evaluated else validation
--   acc_source: test (all runs evaluated), validation (none) or mixed
--   cw40_vs_site: mean_cw40_acc minus the mean over all finished runs of the site, in points
--   n_low: runs far below their neighbours (run_neighbours.is_low)
--   low_share: n_low / n_runs
--   flagged: low_share > gpu_accuracy.max_low_share and n_runs >= gpu_accuracy.min_runs
--   chance: the one-sided Fisher p-value of n_low low runs among the GPU's runs, given the site's
--     runs and low runs, times the groups tried (at most 1)
--   beyond_chance: flagged and chance is at most gpu_accuracy.max_chance: the GPU is a finding

with params as (
    select
        gpu_accuracy_min_runs as min_runs,
        gpu_accuracy_max_chance as max_chance
    from params_v1
),

groups as (
    select
        g.site,
        g.gpu,
        g.n_runs as n,
        g.n_low,
        cast(sum(g.n_runs) over (partition by g.site) as bigint) as site_runs,
        cast(sum(g.n_low) over (partition by g.site) as bigint) as site_low
    from check_gpu_accuracy_v2 as g
),

tried as (
    select count(*) as n_groups
    from groups
    cross join params as p
    where n >= p.min_runs
),

-- every count x of the site's low runs that the GPU's n runs could hold
splits as (
    select
        site,
        gpu,
        n,
        n_low,
        site_runs,
        site_low,
        unnest(range(greatest(0, site_low - (site_runs - n)), least(n, site_low) + 1)) as x
    from groups
),

-- the log of each count's probability up to a constant, from the first count on: the probability
-- of x over that of x - 1 is (site_low - x + 1) (n - x + 1) / (x (site_runs - site_low - n + x)),
-- hypergeometric
split_weights as (
    select
        site,
        gpu,
        n_low,
        x,
        sum(
            case
                when x = greatest(0, site_low - (site_runs - n)) then 0
                else ln((site_low - x + 1) * (n - x + 1)) - ln(x * (site_runs - site_low - n + x))
            end
        ) over (partition by site, gpu order by x rows between unbounded preceding and current row) as weight
    from splits
),

split_probabilities as (
    select
        site,
        gpu,
        n_low,
        x,
        exp(weight - max(weight) over (partition by site, gpu)) as likelihood
    from split_weights
),

fisher as (
    select
        site,
        gpu,
        sum(likelihood) filter (where x >= n_low) / sum(likelihood) as p_value
    from split_probabilities
    group by site, gpu
),

final as (
    select
        g.site,
        g.gpu,
        g.n_runs,
        g.n_with_eval,
        g.mean_clean_acc,
        g.mean_cw40_acc,
        g.acc_source,
        g.cw40_vs_site,
        g.n_low,
        g.low_share,
        g.flagged,
        least(1, f.p_value * t.n_groups) as chance,
        g.flagged and least(1, f.p_value * t.n_groups) <= p.max_chance as beyond_chance
    from check_gpu_accuracy_v2 as g
    inner join fisher as f on g.site is not distinct from f.site and g.gpu = f.gpu
    cross join tried as t
    cross join params as p
)

select * from final
order by site, gpu
