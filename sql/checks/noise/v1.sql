-- check: noise
-- version: 1 (first version)
-- grain: one row per pair of known sites and metric
-- reads: check_best_epoch_v2, epochs, evals, params_v1, run_summary_v1, runs
-- requires: runs.site
-- question: Is a difference between two sites larger than the noise of a single training run, and
--   could the data have shown one at all? For each metric of finished runs (validation: best CW-40
--   and clean accuracy at the best epoch; test: clean and CW-40 of the Linf Base evaluation; the
--   robust overfitting gap; the share of early best epochs, in points) the noise floor is the largest
--   of: the binomial error of one accuracy at the validation or test set size, the spread of CW-40 or
--   clean validation accuracy over a run's last 5 evaluated epochs, and the per-run spread of the
--   archs trained at both sites (sd of their differences / sqrt 2). The difference of the site means
--   comes with its standard error, 95% and 90% intervals and the minimum detectable effect (80% power,
--   5% two-sided). Verdict: equivalent when the 90% interval lies within the margin (the larger of
--   noise.equivalence_margin and the noise floor: the two one-sided tests, TOST); different when the
--   95% interval excludes 0 and the difference exceeds the margin; inconclusive otherwise.
-- columns:
--   metric: val_cw40, val_clean, test_clean, test_cw40, overfit_gap or early_share
--   site_a: the first site (by name)
--   site_b: the second site
--   n_a: its runs with the metric
--   n_b: the other's
--   mean_a: mean at site_a (points)
--   mean_b: mean at site_b
--   difference: mean_b - mean_a
--   standard_error: of the difference
--   ci95_low: 95% interval of the difference, low end
--   ci95_high: its high end
--   binomial_error: error of one accuracy at the set size (points; NULL for gaps and shares)
--   late_epoch_spread: spread over a run's last epochs (points; validation metrics only)
--   duplicate_spread: per-run spread of archs trained at both sites (points; NULL with fewer than 3)
--   noise_floor: the largest of the three (NULL when none is known)
--   min_detectable_effect: smallest difference this comparison could detect (points)
--   margin: the equivalence margin used (points)
--   verdict: different, equivalent or inconclusive

with params as (
    select noise_equivalence_margin as margin
    from params_v1
),

finished as (
    select
        s.run_id,
        s.arch_id,
        s.site,
        r.val_images,
        e.n_test,
        s.best_cw40_acc,
        s.best_val_acc,
        s.test_clean_acc,
        s.test_cw40_acc,
        s.overfit_gap
    from run_summary_v1 as s
    inner join runs as r on s.run_id = r.run_id
    left join evals as e on s.base_eval_id = e.eval_id
    where s.finished and s.site <> 'unknown'
),

run_metrics as (
    select
        run_id,
        arch_id,
        site,
        val_images,
        n_test,
        'val_cw40' as metric,
        best_cw40_acc as value
    from finished
    where best_cw40_acc is not null
    union all
    select
        run_id,
        arch_id,
        site,
        val_images,
        n_test,
        'val_clean' as metric,
        best_val_acc as value
    from finished
    where best_val_acc is not null
    union all
    select
        run_id,
        arch_id,
        site,
        val_images,
        n_test,
        'test_clean' as metric,
        test_clean_acc as value
    from finished
    where test_clean_acc is not null
    union all
    select
        run_id,
        arch_id,
        site,
        val_images,
        n_test,
        'test_cw40' as metric,
        test_cw40_acc as value
    from finished
    where test_cw40_acc is not null
    union all
    select
        run_id,
        arch_id,
        site,
        val_images,
        n_test,
        'overfit_gap' as metric,
        overfit_gap as value
    from finished
    where overfit_gap is not null
    union all
    select
        run_id,
        arch_id,
        site,
        null as val_images,
        null as n_test,
        'early_share' as metric,
        case when early then 100.0 else 0.0 end as value
    from check_best_epoch_v2
    where site <> 'unknown'
),

site_stats as (
    select
        metric,
        site,
        count(*) as n,
        avg(value) as mean,
        var_samp(value) as variance,
        median(val_images) as val_images,
        median(n_test) as n_test
    from run_metrics
    group by metric, site
),

late_epochs as (
    select
        run_id,
        cw40_acc,
        val_acc,
        row_number() over (partition by run_id order by epoch desc) as from_last
    from epochs
    where cw40_acc is not null
),

late_spread as (
    select
        'val_cw40' as metric,
        sqrt(avg(v_cw)) as spread
    from (
        select
            run_id,
            var_samp(cw40_acc) as v_cw
        from late_epochs
        where from_last <= 5
        group by run_id
        having count(*) = 5
    ) as v
    union all
    select
        'val_clean' as metric,
        sqrt(avg(v_clean)) as spread
    from (
        select
            run_id,
            var_samp(val_acc) as v_clean
        from late_epochs
        where from_last <= 5
        group by run_id
        having count(*) = 5
    ) as v
),

pairs as (
    select
        a.metric,
        a.site as site_a,
        b.site as site_b,
        a.n as n_a,
        b.n as n_b,
        a.mean as mean_a,
        b.mean as mean_b,
        b.mean - a.mean as difference,
        sqrt(coalesce(a.variance, 0) / a.n + coalesce(b.variance, 0) / b.n) as standard_error,
        case
            when a.metric in ('val_cw40', 'val_clean') then greatest(a.val_images, b.val_images)
            when a.metric in ('test_clean', 'test_cw40') then greatest(a.n_test, b.n_test)
        end as set_size,
        (a.mean * a.n + b.mean * b.n) / (a.n + b.n) as pooled_mean
    from site_stats as a
    inner join site_stats as b on a.metric = b.metric and a.site < b.site
    where a.n >= 2 and b.n >= 2
),

b as (
    select
        metric,
        site,
        arch_id,
        avg(value) as value
    from run_metrics
    group by metric, site, arch_id
),

duplicates as (
    select
        a.metric,
        a.site as site_a,
        b.site as site_b,
        count(*) as n_archs,
        stddev_samp(b.value - a.value) / sqrt(2) as spread
    from (select
        metric,
        site,
        arch_id,
        avg(value) as value
    from run_metrics
    group by metric, site, arch_id) as a
    inner join b
        on a.metric = b.metric and a.arch_id = b.arch_id and a.site < b.site
    group by a.metric, a.site, b.site
),

floors as (
    select
        p.*,
        case
            when p.set_size > 0 then 100 * sqrt((p.pooled_mean / 100) * (1 - p.pooled_mean / 100) / p.set_size)
        end as binomial_error,
        l.spread as late_epoch_spread,
        case when d.n_archs >= 3 then d.spread end as duplicate_spread
    from pairs as p
    left join late_spread as l on p.metric = l.metric
    left join duplicates as d on p.metric = d.metric and p.site_a = d.site_a and p.site_b = d.site_b
),

final as (
    select
        f.metric,
        f.site_a,
        f.site_b,
        f.n_a,
        f.n_b,
        round(f.mean_a, 4) as mean_a,
        round(f.mean_b, 4) as mean_b,
        round(f.difference, 4) as difference,
        round(f.standard_error, 4) as standard_error,
        round(f.difference - 1.96 * f.standard_error, 4) as ci95_low,
        round(f.difference + 1.96 * f.standard_error, 4) as ci95_high,
        round(f.binomial_error, 4) as binomial_error,
        round(f.late_epoch_spread, 4) as late_epoch_spread,
        round(f.duplicate_spread, 4) as duplicate_spread,
        round(greatest(f.binomial_error, f.late_epoch_spread, f.duplicate_spread), 4) as noise_floor,
        round(2.8 * f.standard_error, 4) as min_detectable_effect,
        round(greatest(p.margin, coalesce(greatest(f.binomial_error, f.late_epoch_spread, f.duplicate_spread), 0)), 4)
            as margin,
        case
            when
                abs(f.difference) + 1.645 * f.standard_error
                < greatest(p.margin, coalesce(greatest(f.binomial_error, f.late_epoch_spread, f.duplicate_spread), 0))
                then 'equivalent'
            when
                (f.difference - 1.96 * f.standard_error > 0 or f.difference + 1.96 * f.standard_error < 0)
                and abs(f.difference)
                > greatest(p.margin, coalesce(greatest(f.binomial_error, f.late_epoch_spread, f.duplicate_spread), 0))
                then 'different'
            else 'inconclusive'
        end as verdict
    from floors as f
    cross join params as p
)

select * from final
order by metric, site_a, site_b
