-- view: run_outcomes
-- version: 1 (first version)
-- grain: one row per training run and outcome the run's checks decide
-- reads: check_best_epoch_v2, check_robust_overfitting_v1, run_neighbours_v2
-- question: Did the run go wrong, in each of the ways check_explain explains? low_accuracy: far
--   below the archs around it (run_neighbours.is_low); early_best_epoch: best CW-40 before the first
--   learning-rate decay (check_best_epoch.early); robust_overfitting: final CW-40 well below the best
--   (check_robust_overfitting.overfits). The runs where an outcome holds are its outliers.
-- columns:
--   run_id: the run (runs.run_id)
--   outcome: low_accuracy, early_best_epoch or robust_overfitting
--   is_outlier: whether the outcome holds for the run (NULL when its check cannot tell)

with low_and_early as (
    -- two unions of two, not one of three: DuckDB 2.0 stores a union of three as A UNION ALL (B UNION
    -- ALL C), and DuckDB 1.1.3 (an older release the tests open the file with) reads that view without C
    select
        run_id,
        'low_accuracy' as outcome,
        is_low as is_outlier
    from run_neighbours_v2
    union all
    select
        run_id,
        'early_best_epoch' as outcome,
        early as is_outlier
    from check_best_epoch_v2
),

final as (
    select * from low_and_early
    union all
    select
        run_id,
        'robust_overfitting' as outcome,
        overfits as is_outlier
    from check_robust_overfitting_v1
)

select * from final
