-- migration 007: every historical log format, step-line figures, and the parser version per file.
-- Evaluations written before 2024-04-18 have no test loss and no CW LIP (NULL) and printed the
-- natural accuracy as CW Stable; before 2024-01-07 their Correct Count was truncated. Training logs
-- give step-line figures per epoch and per run. A file whose rows an older parser produced is read
-- again by the next ingest (files.parser_version).

alter table files add column parser_version varchar;
comment on column files.parser_version is 'Version of the parser that produced this file''s rows (<kind>:<n>); an ingest reads a file again when its parser has a newer version, even if the file did not change.';

alter table runs add column stop_reason varchar;
alter table runs add column step_lines bigint;
alter table runs add column grad_norm_nonfinite bigint;
alter table runs add column grad_norm_median double;
alter table runs add column steps_per_second double;
alter table runs add column argument_names varchar[];
comment on column runs.stop_reason is 'finished (Running Cost logged), nan_exit (the log ends on a step line with loss_avg=nan: the training code''s NaN exit, from 2023-01-02) or unfinished (killed or still running).';
comment on column runs.step_lines is 'Training step lines (epoch=..., acc_avg=..., |gn|=...) of the epochs kept.';
comment on column runs.grad_norm_nonfinite is 'Step lines whose |gn| is inf or nan; NULL without step lines.';
comment on column runs.grad_norm_median is 'Median of the finite |gn| values of all step lines of the run (gradient norm before clipping; about 65,536 x the true norm on the native-AMP path that never unscales); NULL without step lines.';
comment on column runs.steps_per_second is 'Median step throughput (time=X it/s) of the run''s step lines.';
comment on column runs.argument_names is 'Names of the argument lines of the first header, in logged order: the training code''s argparse options (dest form) and what it set after parsing; they identify the code version.';
comment on column runs.best_epoch is 'First epoch whose CW-40 validation accuracy equals the run''s maximum: the _best.pth checkpoint evaluations load. Only epochs with a CW-40 value count (early code versions validated PGD only, or only from the middle epoch); NULL when no epoch has one.';
comment on column runs.has_nan is 'True when any epoch metric in the log (a loss, an accuracy, a LIP or stable value, the lr) is NaN, or the run stopped by the NaN exit.';

alter table epochs add column step_lines integer;
alter table epochs add column grad_norm_nonfinite integer;
alter table epochs add column grad_norm_median double;
alter table epochs add column grad_norm_max double;
alter table epochs add column steps_per_second double;
comment on column epochs.step_lines is 'Training step lines of the epoch (one every log_frequency steps).';
comment on column epochs.grad_norm_nonfinite is 'Step lines of the epoch whose |gn| is inf or nan; NULL without step lines.';
comment on column epochs.grad_norm_median is 'Median of the epoch''s finite |gn| values (gradient norm before clipping).';
comment on column epochs.grad_norm_max is 'Largest finite |gn| of the epoch.';
comment on column epochs.steps_per_second is 'Median time=X it/s of the epoch''s step lines.';
comment on column epochs.pgd20_acc is 'PGD-20 validation accuracy (%); NULL for an epoch validated on clean data only (before the PGD start of early code versions).';
comment on column epochs.cw40_acc is 'CW-40 (PGD with CW loss, 40 steps) validation accuracy (%): decides the best checkpoint. NULL for an epoch without CW-40 validation.';

alter table evals add column cw40_stable_logged double;
alter table evals add column counts_truncated boolean;
alter table evals add column cw40_stable_is_natural boolean;
alter table evals add column argument_names varchar[];
comment on column evals.test_loss is 'Clean test loss; NULL for evaluation code before 2024-04-18, whose natural line has no Test Loss.';
comment on column evals.cw40_stable is 'CW-40 stable accuracy (%); NULL when the CW line printed the natural accuracy instead (cw40_stable_is_natural).';
comment on column evals.cw40_lip is 'CW-40 LIP; NULL for evaluation code before 2024-04-18, whose CW line has no LIP.';
comment on column evals.clean_correct is 'Correctly classified clean test images, as the Correct Count line prints it (one too few when counts_truncated).';
comment on column evals.cw40_stable_logged is 'The number the CW line printed after Stable:, also when it is the natural accuracy (cw40_stable_is_natural).';
comment on column evals.counts_truncated is 'True when some Correct Count a/b is below round(Acc x b / 100): the evaluation code before 2024-01-07 printed int() of a float sum (its Acc values are right); false when every count agrees; NULL without count lines.';
comment on column evals.cw40_stable_is_natural is 'True when the CW line''s Stable equals the natural accuracy in a CW line without LIP: the evaluation code before 2024-04-18 printed the natural accuracy there; false when the line is of the fixed format or differs; NULL without a CW line.';
comment on column evals.argument_names is 'Names of the argument lines, in logged order: the evaluation code''s argparse options (dest form) and what it set after parsing.';
comment on column evals.running_cost_days is 'Running Cost in days (a log that prints hours is converted).';
