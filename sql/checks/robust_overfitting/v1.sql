-- check: robust_overfitting
-- version: 1 (first version)
-- grain: one row per finished training run without NaN and with CW-40 results
-- reads: params_v1, run_summary_v1
-- question: How much CW-40 validation accuracy did the run lose between its best epoch and its
--   last one (robust overfitting)? A run overfits when the gap is at least
--   robust_overfitting.min_gap points (check_params). Runs that went NaN are left to
--   check_incomplete_runs: their last epochs say nothing about overfitting.
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   best_epoch: first epoch with the run's highest CW-40 validation accuracy
--   best_cw40_acc: CW-40 validation accuracy (%) at best_epoch
--   final_cw40_acc: CW-40 validation accuracy (%) of the last epoch
--   gap: best_cw40_acc - final_cw40_acc, in points (0 when the last epoch is the best)
--   overfits: gap >= robust_overfitting.min_gap

with params as (
    select robust_overfitting_min_gap as min_gap
    from params_v1
),

final as (
    select
        s.run_id,
        s.arch_id,
        s.site,
        s.best_epoch,
        s.best_cw40_acc,
        s.final_cw40_acc,
        s.overfit_gap as gap,
        s.overfit_gap >= p.min_gap as overfits
    from run_summary_v1 as s
    cross join params as p
    where
        s.finished
        and not s.has_nan
        and s.best_cw40_acc is not null
        and s.final_cw40_acc is not null
)

select * from final
order by arch_id, site, run_id
