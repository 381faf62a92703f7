-- migration 011: the learning-rate drops of every run as a table, derived from epochs by the ingest
-- (warehouse/steps/20_lr_drops.sql): lr_decays and the views over it (run_summary, config_drift,
-- best_epoch, ...) read these rows instead of ordering every epoch of every run at each query.
-- An upgrade runs the derivation steps, so an older warehouse gets its rows without a re-ingest.

create table lr_drops (
    run_id bigint,
    epoch integer,
    lr_before double,
    lr_after double
);

comment on table lr_drops is 'One row per training run and logged epoch whose learning rate is below the previous logged epoch''s: derived from epochs by every ingest (warehouse/steps/20_lr_drops.sql); read through the view lr_decays.';
comment on column lr_drops.run_id is 'The run (runs.run_id).';
comment on column lr_drops.epoch is 'First epoch (0-based) logged with the lower learning rate.';
comment on column lr_drops.lr_before is 'Learning rate of the run''s previous logged epoch (epochs without an lr are skipped).';
comment on column lr_drops.lr_after is 'Learning rate of this epoch.';
