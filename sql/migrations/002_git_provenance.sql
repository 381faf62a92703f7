-- migration 002: git provenance and site attribution of every file.
-- Adds who added and who last changed each file (one pass over the repository history), and the
-- site those authors (or the sites file's path globs) belong to.

alter table files add column repo_root varchar;
alter table files add column repo_path varchar;
alter table files add column added_commit varchar;
alter table files add column added_author varchar;
alter table files add column added_email varchar;
alter table files add column added_at timestamp;
alter table files add column last_commit varchar;
alter table files add column last_author varchar;
alter table files add column last_email varchar;
alter table files add column last_at timestamp;
alter table files add column n_commits integer;
alter table files add column changed_by varchar[];
alter table files add column site varchar;
alter table files add column site_source varchar;
alter table files add column last_site varchar;
alter table files add column site_changed boolean;

comment on column files.repo_root is 'Top of the git work tree holding the file; NULL outside git.';
comment on column files.repo_path is 'Path inside the repository (or relative to the ingested folder outside git), as the sites file globs see it.';
comment on column files.added_commit is 'Commit that added the file (following renames); NULL when git has no history for it.';
comment on column files.added_author is 'Author name of the commit that added the file.';
comment on column files.added_email is 'Author email of the commit that added the file.';
comment on column files.added_at is 'Author date of the commit that added the file (UTC).';
comment on column files.last_commit is 'Last commit that changed the file.';
comment on column files.last_author is 'Author name of the last commit that changed the file.';
comment on column files.last_email is 'Author email of the last commit that changed the file.';
comment on column files.last_at is 'Author date of the last commit that changed the file (UTC).';
comment on column files.n_commits is 'Commits that touched the file (following renames).';
comment on column files.changed_by is 'Authors (name <email>) of the commits after the one that added the file, oldest first.';
comment on column files.site is 'Site of the file: the site of the author who added it, else of the first matching path glob, else unknown.';
comment on column files.site_source is 'How site was decided: author, path (a sites-file glob; the file has no git history) or none (unknown).';
comment on column files.last_site is 'Site of the author of the last change.';
comment on column files.site_changed is 'True when a later commit by an author of another site changed the file after it was added.';
