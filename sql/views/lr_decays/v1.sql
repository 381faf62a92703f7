-- view: lr_decays
-- version: 1 (first version)
-- grain: one row per training run and epoch at which its learning rate dropped
-- reads: lr_drops, runs
-- question: At which epochs did each run's learning rate actually drop, as its step lines show?
--   The benchmark's code decays x0.1 at the first epochs >= 0.75 x E and >= 0.9 x E (75 and 90 of
--   100); a run whose code or config differs shows other epochs here. The drops (an epoch whose lr
--   is below the previous logged epoch's) are derived from epochs by every ingest into the table
--   lr_drops (sql/steps/20_lr_drops.sql); this view adds each run's facts.
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   finished: true when the run's log ends with Running Cost (only then are all its decays logged)
--   epoch: first epoch (0-based) logged with the lower learning rate
--   lr_before: learning rate of the previous logged epoch
--   lr_after: learning rate of this epoch
--   epochs_planned: epochs the run's config asks for
--   epoch_fraction: epoch / epochs_planned (0.75 and 0.9 in the benchmark)

with final as (
    select
        d.run_id,
        r.arch_id,
        r.site,
        r.finished,
        d.epoch,
        d.lr_before,
        d.lr_after,
        r.epochs_planned,
        d.epoch / nullif(r.epochs_planned, 0) as epoch_fraction
    from lr_drops as d
    inner join runs as r on d.run_id = r.run_id
)

select * from final
order by run_id, epoch
