-- check: best_epoch
-- version: 2 (v1 counted unfinished runs, whose best epoch is not final, and always put the first
--   decay at early_fraction x epochs_planned; v2 can take it from the run's own lr, and says which)
-- grain: one row per finished training run with a best epoch
-- reads: params_v1, run_summary_v1
-- question: Did the run reach its best CW-40 checkpoint before the first learning-rate decay?
--   The first decay is at best_epoch.early_fraction x epochs_planned (check_params; 0.75: epoch 75
--   of 100), or, when best_epoch.use_observed_decay is 1, at the first epoch whose logged lr dropped
--   (falling back to the fraction when the run logged no drop). Adversarial training normally peaks
--   right after the decay; an early best epoch means the run degraded before it.
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   best_epoch: first epoch with the run's highest CW-40 validation accuracy
--   epochs_planned: epochs the config asks for
--   first_decay_epoch: epoch of the first learning-rate decay the check compares with
--   decay_source: planned (early_fraction x epochs_planned) or observed (the run's lr drop)
--   early: best_epoch < first_decay_epoch

with params as (
    select
        best_epoch_early_fraction as early_fraction,
        best_epoch_use_observed_decay as use_observed_decay
    from params_v1
),

decays as (
    select
        s.run_id,
        s.arch_id,
        s.site,
        s.best_epoch,
        s.epochs_planned,
        case
            when p.use_observed_decay = 1 and s.first_decay_epoch is not null then s.first_decay_epoch
            else cast(ceil(p.early_fraction * s.epochs_planned) as integer)
        end as first_decay_epoch,
        case
            when p.use_observed_decay = 1 and s.first_decay_epoch is not null then 'observed'
            else 'planned'
        end as decay_source
    from run_summary_v1 as s
    cross join params as p
    where
        s.finished
        and s.best_epoch is not null
),

final as (
    select
        run_id,
        arch_id,
        site,
        best_epoch,
        epochs_planned,
        first_decay_epoch,
        decay_source,
        best_epoch < first_decay_epoch as early
    from decays
)

select * from final
order by arch_id, site, run_id
