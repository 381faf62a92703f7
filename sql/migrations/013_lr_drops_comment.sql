-- migration 013: comments only. Two table comments named files of the tool in folders they are not
-- in: lr_drops its derivation step (sql/steps/20_lr_drops.sql), migrations the migration files
-- (sql/migrations/).

comment on table lr_drops is 'One row per training run and logged epoch whose learning rate is below the previous logged epoch''s: derived from epochs by every ingest (sql/steps/20_lr_drops.sql); read through the view lr_decays.';
comment on table migrations is 'One row per schema migration applied to this file, in order (sql/migrations/NNN_name.sql).';
