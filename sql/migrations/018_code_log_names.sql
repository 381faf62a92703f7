-- migration 018: the name of the log file an entry script writes narrows which commits wrote a log.
-- An evaluation script names its log after its options: before 2e6cd80 eval.py wrote
-- <model>_eval_<norm>_<attack_choice>.log with attack_choice one of Base or AA, so no commit before
-- it wrote an _AA-Compact.log; the level corruption script wrote _eval_cifar10c.log until dc7b847
-- and _eval_cifar10c_level.log from then on. A log's code_commits now leaves out the commits whose
-- script could not have written a file of its name. A code repository read before this version
-- has no log names (code_repos.facts_version NULL): the next ingest that names it reads it again.

alter table code_scripts add column log_names varchar[];
alter table code_repos add column facts_version integer;
alter table code_versions add column commit_log_names struct(sha varchar, patterns varchar[])[];

comment on column code_scripts.log_names is 'Templates of the name of the log file the script writes (%s any text, %% a percent sign), one per value of the options with choices the name is made of (eval.py before 2e6cd80: %s_eval_Linf_Base.log, %s_eval_Linf_AA.log, ...); NULL when the script does not name it plainly (a name built another way than an f-string or a constant, or more than one logger), and then any name is possible.';
comment on column code_repos.facts_version is 'Version of what the tool reads from the entry scripts (ingest/code_history.py FACTS_VERSION) when it last read the repository; one read by an older version is read again when an ingest names it.';
comment on column code_versions.commit_log_names is 'For each commit of commits whose script names its log file plainly: the SQL LIKE patterns (escape \) of the names it can write (code_scripts.log_names). A log''s code_commits leaves out the commits none of whose patterns its file name matches.';
comment on column runs.code_commits is 'Full shas of every commit of the training code (ingest --code-repo) that could have written the log: its argparse option names (dest form, in order) equal the log''s, its logging calls'' line templates match the log''s result lines, its author date (wall-clock) is not after the log''s first line, and its script could have written a log file of this name (code_versions.commit_log_names). NULL without a code repository.';
comment on column evals.code_commits is 'Full shas of every commit of the evaluation code (ingest --code-repo) that could have written the log: same argument names in order, result-line templates matching, author date (wall-clock) not after the log''s first line, and a script that could have written a log file of this name (before 2e6cd80 no _AA-Compact.log; the level corruption script''s _eval_cifar10c.log before dc7b847, _eval_cifar10c_level.log from then on). NULL without a code repository.';
