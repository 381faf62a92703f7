-- migration 017: a sites file that cannot be read or parsed no longer stops the ingest.
-- The ingest says why in one line and goes on: the root keeps the sites it was attributed with
-- before (its roots row and the sites rows of that sites file), or, when it had none, its files
-- are of site unknown. roots.sites_problem records that line until the sites file is read again.

alter table roots add column sites_problem varchar;
comment on column roots.sites_problem is 'Why the sites file found for the root (or given with --sites) was not used: it could not be read or parsed (the file and line, as the ingest printed it); the root then keeps the sites file it was attributed with before (sites_path), or none. NULL when its sites file was used, or it has none.';
comment on column roots.sites_path is 'Sites file applied to the files under the root (files.sites_path); NULL when none applied. When sites_problem is set, the one applied before the sites file went bad.';
