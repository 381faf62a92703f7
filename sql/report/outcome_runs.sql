-- report: outcome_runs
-- grain: one row per outcome check_explain explains
-- reads: check_best_epoch, check_robust_overfitting, run_neighbours
-- question: How many runs has each outcome that check_explain explains? Whether the root-cause
--   section has anything to explain (no low run: nothing to test).
-- columns:
--   outcome: low_accuracy, early_best_epoch or robust_overfitting
--   n_runs: runs the outcome is known for
--   n_outliers: runs where it holds

with final as (
    select
        'low_accuracy' as outcome,
        count(*) as n_runs,
        count(*) filter (where is_low) as n_outliers
    from run_neighbours
    union all
    select
        'early_best_epoch' as outcome,
        count(*) filter (where early is not null) as n_runs,
        count(*) filter (where early) as n_outliers
    from check_best_epoch
    union all
    select
        'robust_overfitting' as outcome,
        count(*) filter (where overfits is not null) as n_runs,
        count(*) filter (where overfits) as n_outliers
    from check_robust_overfitting
)

select * from final
