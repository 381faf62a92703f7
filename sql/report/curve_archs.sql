-- report: curve_archs
-- grain: one row per arch trained at two sites (with test values at both)
-- reads: check_duplicate_archs
-- question: Which archs trained at two sites differ most between the sites? Ranked by the largest
--   absolute test-accuracy delta over the four metrics; the first few get a
--   panel in training_curves.png, the first a dup_Arch<id>_training_curves detail figure.
-- columns:
--   arch_id: architecture id
--   rank: 1 = largest difference
--   max_abs_delta: largest |value_b - value_a| over clean, fgsm, pgd20 and cw40, in points
--   metric: the metric of that largest difference
--   site_a: alphabetically first site of the pair
--   site_b: the other site
--   delta: value_b - value_a of that metric

with ranked_metrics as (
    select
        arch_id,
        metric,
        site_a,
        site_b,
        delta,
        abs(delta) as abs_delta
    from check_duplicate_archs
    where
        delta is not null
        and not isnan(delta)
    qualify row_number() over (partition by arch_id order by abs(delta) desc, metric) = 1
),

final as (
    select
        arch_id,
        row_number() over (order by abs_delta desc, arch_id) as rank,
        abs_delta as max_abs_delta,
        metric,
        site_a,
        site_b,
        delta
    from ranked_metrics
)

select * from final
order by rank
