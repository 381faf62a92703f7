-- migration 008: which code ran. The code fingerprint of every log, the precision path of every run,
-- the history of the benchmark's code repositories and the commits that could have written each log.

alter table runs add column code_fingerprint varchar;
alter table runs add column code_commits varchar[];
alter table runs add column precision_path varchar;
comment on column runs.code_fingerprint is 'Short hash of the ordered argument names and the line formats that differ between versions of the training code (code_versions.fingerprint): logs written by the same code version share it.';
comment on column runs.code_commits is 'Full shas of every commit of the training code (ingest --code-repo) that could have written the log: its argparse option names (dest form, in order) equal the log''s, its logging calls'' line templates match the log''s result lines, and its author date (wall-clock) is not after the log''s first line. NULL without a code repository.';
comment on column runs.precision_path is 'native_amp_unscaled when grad_norm_median is at least precision_path.min_scaled_grad_norm (check_params): the native-AMP path whose scaled gradients are never unscaled (|gn| about 65,536 x the true norm); fp32_or_apex when below (true norms, about 0.5 to 10); NULL without finite |gn| values. Recomputed by every ingest from the threshold in force.';

alter table evals add column code_fingerprint varchar;
alter table evals add column code_commits varchar[];
comment on column evals.code_fingerprint is 'Short hash of the ordered argument names and the result-line formats that differ between versions of the evaluation code (code_versions.fingerprint).';
comment on column evals.code_commits is 'Full shas of every commit of the evaluation code (ingest --code-repo) that could have written the log: same argument names in order, result-line templates matching, author date (wall-clock) not after the log''s first line. NULL without a code repository.';

create table code_versions (
    fingerprint varchar,
    kind varchar,
    argument_names varchar[],
    format_markers varchar,
    sample_lines varchar[],
    first_log_at timestamp,
    last_log_at timestamp,
    n_logs integer,
    n_runs integer,
    n_evals integer,
    commits varchar[],
    first_commit varchar,
    first_commit_at timestamp,
    last_commit varchar,
    last_commit_at timestamp
);
comment on table code_versions is 'One row per code fingerprint: a version of the training or evaluation code as its logs show it (argument names and line formats), when its logs were written, how many, and the commits whose code prints exactly such logs (when a code repository is known).';
comment on column code_versions.fingerprint is 'The code fingerprint (runs.code_fingerprint, evals.code_fingerprint).';
comment on column code_versions.kind is 'training (main.py), evaluation (eval.py: Base and AutoAttack) or corruption (eval_corruption_level.py).';
comment on column code_versions.argument_names is 'Names of the argument lines the logs print, in order (argparse options, then what the code sets after parsing).';
comment on column code_versions.format_markers is 'The line formats that differ between code versions, as JSON (training: block titles, block label, Best lines, blocks per epoch, Start-to-evaluate lines; evaluation: Test Loss on the natural line, LIP on the CW line, the AutoAttack line).';
comment on column code_versions.sample_lines is 'One line of each checked kind from a log of this version (messages without timestamps): what the commits'' line templates are matched against.';
comment on column code_versions.first_log_at is 'First line of the earliest log of this version.';
comment on column code_versions.last_log_at is 'First line of the latest log of this version.';
comment on column code_versions.n_logs is 'Logs of this version (n_runs + n_evals).';
comment on column code_versions.n_runs is 'Training runs of this version.';
comment on column code_versions.n_evals is 'Evaluations of this version.';
comment on column code_versions.commits is 'Full shas of the commits whose entry script has these argument names and whose logging templates print the sample lines, whatever their date (a log''s code_commits keeps those not after its first line); NULL without a code repository of this kind.';
comment on column code_versions.first_commit is 'Oldest of those commits: from here on the code could write such logs.';
comment on column code_versions.first_commit_at is 'Its author date (wall-clock).';
comment on column code_versions.last_commit is 'Newest of those commits.';
comment on column code_versions.last_commit_at is 'Its author date (wall-clock).';

create table code_repos (
    repo varchar,
    head varchar,
    n_commits integer,
    read_at timestamp,
    warning varchar
);
comment on table code_repos is 'The repositories of the benchmark''s code the ingests were given (ingest --code-repo, or [code] repos in the sites file): read again whenever their HEAD changes.';
comment on column code_repos.repo is 'Absolute path of the repository''s work tree.';
comment on column code_repos.head is 'Its HEAD commit when last read; NULL when git could not read it.';
comment on column code_repos.n_commits is 'Commits in its history.';
comment on column code_repos.read_at is 'When its history was last read (UTC).';
comment on column code_repos.warning is 'Why it could not be read, if so.';

create table code_history (
    repo varchar,
    position integer,
    sha varchar,
    authored_at timestamp,
    authored_utc timestamp,
    author varchar,
    email varchar,
    subject varchar,
    changed_scripts varchar[]
);
comment on table code_history is 'One row per commit of a code repository, oldest first.';
comment on column code_history.repo is 'The repository (code_repos.repo).';
comment on column code_history.position is 'Place of the commit in the repository''s history, oldest first (git log --reverse order).';
comment on column code_history.sha is 'Full commit sha.';
comment on column code_history.authored_at is 'Author date as the author''s wall clock showed it (what a log''s timestamps are compared with).';
comment on column code_history.authored_utc is 'Author date in UTC.';
comment on column code_history.author is 'Author name.';
comment on column code_history.email is 'Author email.';
comment on column code_history.subject is 'First line of the commit message.';
comment on column code_history.changed_scripts is 'Entry scripts (main.py, eval.py, eval_corruption_level.py) the commit changed.';

create table code_scripts (
    repo varchar,
    sha varchar,
    kind varchar,
    script varchar,
    argument_names varchar[],
    templates varchar[]
);
comment on table code_scripts is 'What an entry script prints at each commit that changed it: its argument names and the line templates of its logging calls; the script keeps them until its next change.';
comment on column code_scripts.repo is 'The repository (code_repos.repo).';
comment on column code_scripts.sha is 'The commit that changed the script.';
comment on column code_scripts.kind is 'training, evaluation or corruption: the logs the script writes.';
comment on column code_scripts.script is 'The script''s path in the repository.';
comment on column code_scripts.argument_names is 'Its argparse dests in declaration order, then the attributes set on args after parsing; NULL when the script is absent or not Python.';
comment on column code_scripts.templates is 'Templates of the messages its logging calls print: %n where a number is printed, %s any text, %% a percent sign.';

insert into check_params values
    ('precision_path.min_scaled_grad_norm', 'precision_path, code_versions, eval_code', 1000, 1000, '|gn| (gradient norm before clipping)',
        'A run took the native-AMP path whose gradients are never unscaled when the median of its finite |gn| values is at least this: on that path |gn| reads about 65,536 x the true norm (1e4 to 1e6), on the fp32 and apex paths the true norm (about 0.5 to 10).');
