-- check: best_epoch
-- version: 1 (first version)
-- grain: one row per training run with a best epoch
-- reads: params_v1, runs
-- question: Did the run reach its best CW-40 checkpoint before the first learning-rate decay?
--   The decay is taken at best_epoch.early_fraction x epochs_planned (check_params; 0.75: epoch 75
--   of 100). Adversarial training normally peaks right after the decay; an early best epoch means
--   the run degraded (or never profited from the decay).
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   best_epoch: first epoch with the run's highest CW-40 validation accuracy
--   epochs_planned: epochs the config asks for
--   early: best_epoch < best_epoch.early_fraction x epochs_planned

with params as (
    select best_epoch_early_fraction as early_fraction
    from params_v1
),

final as (
    select
        r.run_id,
        r.arch_id,
        r.site,
        r.best_epoch,
        r.epochs_planned,
        r.best_epoch < p.early_fraction * r.epochs_planned as early
    from runs as r
    cross join params as p
    where r.best_epoch is not null
)

select * from final
order by arch_id, site, run_id
