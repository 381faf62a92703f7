-- check: duplicate_paired
-- version: 1 (first version)
-- grain: one row per pair of sites and metric, over the archs trained at both with both values
-- reads: check_duplicate_archs_v1, params_v1
-- requires: runs.site
-- question: Over all archs trained at two sites, is one site's model systematically better?
--   A paired comparison of the per-arch deltas of check_duplicate_archs (value_b - value_a; archs
--   with a missing value are left out): an exact two-sided sign test (ties dropped) and a bootstrap
--   percentile interval of the mean delta, with duplicate_paired.bootstrap_samples resamples at
--   duplicate_paired.confidence (check_params). Resampling draws with DuckDB's hash() seeded by
--   duplicate_paired.seed, so the same seed gives the same interval.
-- columns:
--   metric: clean, fgsm, pgd20 or cw40 (Linf Base test accuracies)
--   site_a: alphabetically first site of the pair
--   site_b: the other site
--   n_archs: archs with a value at both sites
--   n_b_higher: archs whose site_b value is higher
--   n_a_higher: archs whose site_a value is higher
--   n_ties: archs with equal values
--   mean_delta: mean of value_b - value_a, in points
--   median_delta: median of value_b - value_a, in points
--   ci_low: lower end of the bootstrap interval of mean_delta
--   ci_high: upper end of the bootstrap interval of mean_delta
--   sign_p_value: exact two-sided sign test, 2 x P(X <= min(n_a_higher, n_b_higher)) with
--     X ~ Binomial(n_a_higher + n_b_higher, 1/2), at most 1
--   significant: sign_p_value < 1 - duplicate_paired.confidence

with params as (
    select
        duplicate_paired_bootstrap_samples as bootstrap_samples,
        duplicate_paired_confidence as confidence,
        duplicate_paired_seed as seed
    from params_v1
),

deltas as (
    select
        metric,
        site_a,
        site_b,
        arch_id,
        delta,
        row_number() over (partition by metric, site_a, site_b order by arch_id) - 1 as draw_no,
        count(*) over (partition by metric, site_a, site_b) as n_archs
    from check_duplicate_archs_v1
    where
        delta is not null
        and not isnan(delta)
),

counts as (
    select
        metric,
        site_a,
        site_b,
        count(*) as n_archs,
        count(*) filter (where delta > 0) as n_b_higher,
        count(*) filter (where delta < 0) as n_a_higher,
        count(*) filter (where delta = 0) as n_ties,
        avg(delta) as mean_delta,
        median(delta) as median_delta
    from deltas
    group by metric, site_a, site_b
),

sign_terms as (
    select
        metric,
        site_a,
        site_b,
        n_a_higher + n_b_higher as n_untied,
        unnest(range(0, least(n_a_higher, n_b_higher) + 1)) as k
    from counts
),

sign_tests as (
    select
        metric,
        site_a,
        site_b,
        least(
            1.0,
            2 * sum(exp(lgamma(n_untied + 1) - lgamma(k + 1) - lgamma(n_untied - k + 1) - n_untied * ln(2)))
        ) as sign_p_value
    from sign_terms
    group by metric, site_a, site_b
),

draws as (
    select
        d.metric,
        d.site_a,
        d.site_b,
        d.draw_no,
        d.n_archs,
        unnest(range(0, cast(p.bootstrap_samples as bigint))) as sample_no
    from deltas as d
    cross join params as p
),

picks as (
    select
        w.metric,
        w.site_a,
        w.site_b,
        w.sample_no,
        hash(cast(p.seed as bigint), w.sample_no, w.draw_no) % w.n_archs as picked_no
    from draws as w
    cross join params as p
),

sample_means as (
    select
        k.metric,
        k.site_a,
        k.site_b,
        k.sample_no,
        avg(d.delta) as mean_delta
    from picks as k
    inner join deltas as d
        on
            k.metric = d.metric
            and k.site_a = d.site_a
            and k.site_b = d.site_b
            and k.picked_no = d.draw_no
    group by k.metric, k.site_a, k.site_b, k.sample_no
),

ranked as (
    select
        metric,
        site_a,
        site_b,
        mean_delta,
        row_number() over (partition by metric, site_a, site_b order by mean_delta) as sample_rank,
        count(*) over (partition by metric, site_a, site_b) as n_samples
    from sample_means
),

intervals as (
    select
        r.metric,
        r.site_a,
        r.site_b,
        min(r.mean_delta) filter (
            where r.sample_rank >= greatest(1, floor(r.n_samples * (1 - p.confidence) / 2))
        ) as ci_low,
        max(r.mean_delta) filter (
            where r.sample_rank <= ceil(r.n_samples * (1 - (1 - p.confidence) / 2))
        ) as ci_high
    from ranked as r
    cross join params as p
    group by r.metric, r.site_a, r.site_b
),

final as (
    select
        c.metric,
        c.site_a,
        c.site_b,
        c.n_archs,
        c.n_b_higher,
        c.n_a_higher,
        c.n_ties,
        c.mean_delta,
        c.median_delta,
        i.ci_low,
        i.ci_high,
        s.sign_p_value,
        s.sign_p_value < 1 - p.confidence as significant
    from counts as c
    inner join sign_tests as s
        on
            c.metric = s.metric
            and c.site_a = s.site_a
            and c.site_b = s.site_b
    left join intervals as i
        on
            c.metric = i.metric
            and c.site_a = i.site_a
            and c.site_b = i.site_b
    cross join params as p
    order by c.site_a, c.site_b, list_position(['clean', 'fgsm', 'pgd20', 'cw40'], c.metric)
)

select * from final
