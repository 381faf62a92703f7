-- migration 015: comments only (training parser version 4). runs.stop_reason says every way a log
-- shows the training code's NaN exit (on a step line, or on the next epoch's marker after an epoch of
-- NaN losses) and that logs of code older than the exit never show it; run_settings.source says that
-- the config file's top-level keys (epochs, grad_clip) are config, not arguments.

comment on column runs.stop_reason is 'finished (Running Cost logged), nan_exit (stopped by the training code''s NaN exit, from 2023-01-02: the log ends on a step line with loss_avg=nan, or on the next epoch''s marker after an epoch whose last step line or Eval Loss is NaN; never for a log started before that day or without the data_path argument, code older than the exit) or unfinished (killed or still running).';
comment on column run_settings.source is 'argument (a line of the header''s argument block: a CLI argument), config (a line of the run''s config file: a top-level key such as epochs or grad_clip, or a Config([...]) entry as <config>.<key>) or environment.';
