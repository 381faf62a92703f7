-- report: duplicate_pairs
-- grain: one row per arch trained at two sites, per pair of those sites and metric
-- reads: check_duplicate_archs, run_summary
-- question: For each arch trained at two sites, what test accuracy did each site's model reach, on
--   which GPU and when was it trained? The points of dup_test_acc, dup_test_fgsm, dup_test_pgd and
--   dup_test_cw (pairs with both values only).
-- columns:
--   arch_id: architecture id
--   metric: clean, fgsm, pgd20 or cw40 (Linf Base test accuracies)
--   site_a: alphabetically first site of the pair
--   value_a: site_a's test accuracy (%)
--   site_b: the other site
--   value_b: site_b's test accuracy (%)
--   delta: value_b - value_a, in points
--   gpu_a: site_a run's primary GPU (cpu when none)
--   gpu_b: site_b run's primary GPU
--   started_a: start of site_a's run
--   started_b: start of site_b's run
--   best_epoch_a: site_a run's best epoch
--   best_epoch_b: site_b run's best epoch

with final as (
    select
        d.arch_id,
        d.metric,
        d.site_a,
        d.value_a,
        d.site_b,
        d.value_b,
        d.delta,
        coalesce(a.gpu, 'cpu') as gpu_a,
        coalesce(b.gpu, 'cpu') as gpu_b,
        a.started_at as started_a,
        b.started_at as started_b,
        a.best_epoch as best_epoch_a,
        b.best_epoch as best_epoch_b
    from check_duplicate_archs as d
    inner join run_summary as a on d.run_id_a = a.run_id
    inner join run_summary as b on d.run_id_b = b.run_id
    where
        d.value_a is not null
        and d.value_b is not null
)

select * from final
order by metric, site_a, site_b, arch_id
