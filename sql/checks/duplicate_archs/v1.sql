-- check: duplicate_archs
-- version: 1 (first version)
-- grain: one row per arch with finished runs at two or more sites, per pair of those sites and metric
-- reads: run_summary_v1
-- requires: runs.site
-- question: For an architecture trained at two sites, how do the test accuracies of the two best
--   checkpoints compare? Values are from the finished Linf Base evaluation linked to each site's
--   finished run (clean, fgsm, pgd20, cw40); site_a is the alphabetically first site of the pair and
--   delta = value_b - value_a (positive: site_b's model is better). Runs of site unknown are left
--   out. A site with several finished runs of the arch takes the one with an evaluation that
--   finished last. A value is NULL when that site's run has no evaluation.
-- columns:
--   arch_id: architecture id
--   metric: clean, fgsm, pgd20 or cw40 (Linf Base test accuracies)
--   site_a: alphabetically first site of the pair
--   value_a: site_a's test accuracy (%)
--   site_b: the other site
--   value_b: site_b's test accuracy (%)
--   delta: value_b - value_a, in points
--   run_id_a: site_a's run (runs.run_id)
--   run_id_b: site_b's run

with site_runs as (
    select
        arch_id,
        site,
        run_id,
        test_clean_acc,
        test_fgsm_acc,
        test_pgd20_acc,
        test_cw40_acc
    from run_summary_v1
    where
        finished
        and site <> 'unknown'
    qualify row_number() over (
        partition by arch_id, site
        order by base_eval_id is not null desc, finished_at desc nulls last, run_id
    ) = 1
),

pairs as (
    select
        a.arch_id,
        a.site as site_a,
        b.site as site_b,
        a.run_id as run_id_a,
        b.run_id as run_id_b,
        [a.test_clean_acc, a.test_fgsm_acc, a.test_pgd20_acc, a.test_cw40_acc] as values_a,
        [b.test_clean_acc, b.test_fgsm_acc, b.test_pgd20_acc, b.test_cw40_acc] as values_b
    from site_runs as a
    inner join site_runs as b
        on
            a.arch_id = b.arch_id
            and a.site < b.site
),

long as (
    select
        arch_id,
        site_a,
        site_b,
        run_id_a,
        run_id_b,
        unnest([1, 2, 3, 4]) as metric_no,
        unnest(['clean', 'fgsm', 'pgd20', 'cw40']) as metric,
        unnest(values_a) as value_a,
        unnest(values_b) as value_b
    from pairs
),

final as (
    select
        arch_id,
        metric,
        site_a,
        value_a,
        site_b,
        value_b,
        value_b - value_a as delta,
        run_id_a,
        run_id_b
    from long
    order by arch_id, site_a, site_b, metric_no
)

select * from final
