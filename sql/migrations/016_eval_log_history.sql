-- migration 016: comments only (evaluation parser version 5, corruption parser version 4).
-- An evaluation log of appended runs (before 2e6cd80 the standard and the compact AutoAttack of an
-- arch and norm both wrote _AA.log) holds one evaluation per run: the last one carries the file's
-- id and path, each one before it the id xor(file_id, line) and the source_path <path>#line=<line>
-- of the line it starts on. Corruption logs named _eval_cifar10c.log are read: the level script
-- wrote that name until dc7b847, and the all-levels script (eval_corruption.py) always writes it;
-- its evaluations have attack cifar10c-all-levels and corruption rows without a level. The
-- re-evaluation script's _eval_test-loss.log is read too (attack test-loss). The code versions of
-- these two scripts' logs are matched against eval_test_loss.py and eval_corruption.py.

comment on table evals is 'One row per evaluation of a best checkpoint on the test set: Base (clean/FGSM/PGD-20/CW-40), AutoAttack, or corruptions. An evaluation log holds one; a log the evaluation code appended several runs to holds one per run.';
comment on column evals.eval_id is 'Id of the evaluation: files.file_id of its log; for a run before the last of an evaluation log of appended runs, xor(file_id, line) with the line it starts on (source_path <path>#line=<line>); for a release file, a hash of <file>#arch_id=<id>#eval_<norm>_<attack>.';
comment on column evals.source_path is 'Absolute path of the evaluation log; for a run before the last of a log of appended runs, <path>#line=<line> (the line the run starts on); for an evaluation read from a release file, <file>#arch_id=<id>.';
comment on column files.file_id is 'Stable id of the path (hash of path); run_id / eval_id of the run or evaluation it holds (the last run of an evaluation log of appended runs; each run before it has eval_id xor(file_id, line)).';
comment on column evals.attack is 'Base, AA (standard AutoAttack), AA-Compact, test-loss (the re-evaluation script eval_test_loss.py, log _eval_test-loss.log: the test loss alone, from 776ae25 also clean accuracy and CW-40 with a right CW Stable), cifar10c (corruptions, per severity level) or cifar10c-all-levels (corruptions, each over its five severities together: the all-levels script eval_corruption.py, log _eval_cifar10c.log).';
comment on column corruptions.level is 'Severity 1..5; NULL for an evaluation of attack cifar10c-all-levels (the corruption''s five severities together).';
comment on table corruptions is 'One row per corruption evaluation, corruption and severity level (CIFAR-10-C, 19 corruptions x 5 levels); for an all-levels evaluation (attack cifar10c-all-levels), one row per corruption with level NULL.';
comment on column code_versions.kind is 'training (main.py), evaluation (eval.py: Base and AutoAttack), re-evaluation (eval_test_loss.py: _eval_test-loss.log), corruption (eval_corruption_level.py) or corruption-all-levels (eval_corruption.py).';
comment on column code_scripts.kind is 'training, evaluation, re-evaluation, corruption or corruption-all-levels: the logs the script writes.';
