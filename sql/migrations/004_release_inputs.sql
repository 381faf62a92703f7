-- migration 004: release files and the inputs each view needs.
-- A release file (cifar10.jsonl) loads into the same tables as the logs but has no lr, no settings
-- and no site: view_versions.requires lists the columns a view cannot answer without, and
-- `cli.py check` says which checks cannot run on the data at hand.

alter table view_versions add column requires varchar[];
comment on column view_versions.requires is 'Columns (table.column) the view cannot answer without, from its header''s requires line; a column counts as present when some row holds a value (for site: a site other than unknown).';

comment on column files.kind is 'train, eval (Base/AutoAttack), corruption, config (arch_<id>.yaml), release (a release .jsonl file: one run and its evaluations per line) or other (not a benchmark file name).';
comment on column runs.source_path is 'Absolute path of the training log; for a run read from a release file, <file>#arch_id=<id>.';
comment on column evals.source_path is 'Absolute path of the evaluation log; for an evaluation read from a release file, <file>#arch_id=<id>.';
comment on column runs.run_id is 'Id of the run (= files.file_id of its log; for a release file, a hash of <file>#arch_id=<id>#train).';
comment on column evals.eval_id is 'Id of the evaluation (= files.file_id of its log; for a release file, a hash of <file>#arch_id=<id>#eval_<norm>_<attack>).';
