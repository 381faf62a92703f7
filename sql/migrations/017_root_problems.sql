-- migration 017: what kept a root's sites file or git history from being used is recorded.
-- A sites file that cannot be read or parsed no longer stops the ingest: the ingest says why in
-- one line and goes on; the root keeps the sites it was attributed with before (its roots row and
-- the sites rows of that sites file), or, when it had none, its files are of site unknown.
-- roots.sites_problem records that line until the sites file is read again; roots.git_problem the
-- warning of reading the root's git history (sites then come from the path globs).
-- The code repositories a warehouse lists are no longer read again on its word (the file may come
-- from elsewhere): only when an ingest names them again. Symbolic links and FIFOs under a root
-- get a files row (skipped, with the reason) instead of being passed over without one.

alter table roots add column sites_problem varchar;
alter table roots add column git_problem varchar;
comment on column roots.sites_problem is 'Why the sites file found for the root (or given with --sites) was not used: it could not be read or parsed (the file and line, as the ingest printed it); the root then keeps the sites file it was attributed with before (sites_path), or none. NULL when its sites file was used, or it has none.';
comment on column roots.sites_path is 'Sites file applied to the files under the root (files.sites_path); NULL when none applied. When sites_problem is set, the one applied before the sites file went bad.';
comment on column roots.git_problem is 'Why the git history of the root was not read, or not whole (a broken repository, a shallow clone, no commit, git failing, commits it could not parse): the warning the ingest printed when it last read it; the files it did not give an author to have their site from the path globs. NULL when read whole, or the root is outside git.';
comment on table code_repos is 'The repositories of the benchmark''s code the ingests were given (ingest --code-repo, or [code] repos in the sites file, folders below it): read again when an ingest names one again and its HEAD moved; the commits read stay when later ingests do not name it.';
comment on column files.status is 'ok, partial (unfinished run or evaluation: loaded), skipped (not a log, a byte-identical duplicate, a symbolic link (never followed) or a FIFO, socket or device: not read) or error (unreadable: not loaded).';
