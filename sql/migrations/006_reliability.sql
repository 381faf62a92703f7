-- migration 006: sites per ingested root, and the roots themselves.
-- Each file keeps the sites file that applied to its own root (path and content hash): ingesting
-- another folder, with another sites file or none, no longer re-decides the sites of files under
-- other roots. `sites` describes the sites of every sites file in use, one row per sites file and
-- site. `roots` records, per ingested folder, what its attribution was decided from, so that an
-- ingest re-attributes a root only when its sites file or its git history changed.
-- Before this migration every ingest re-attributed every file with its own sites file: the last
-- one used (sites.source) applied to all files, which is what the backfill below records.

alter table files add column sites_path varchar;
alter table files add column sites_sha256 varchar;
comment on column files.sites_path is 'Sites file that decided site: --sites of the ingest that last attributed the file''s root, else sites.toml in that root or at the top of its git repository; NULL when none applied.';
comment on column files.sites_sha256 is 'SHA-256 of that sites file''s content when it was applied (NULL for files attributed before schema version 6).';

alter table sites add column sites_sha256 varchar;
comment on table sites is 'One row per site of every sites file in use (by some files row), plus one unknown row: which authors and path globs each sites file gives each site.';
comment on column sites.site is 'Site name, e.g. SUSTech, MSU, unknown (the one row for files no author or path matches).';
comment on column sites.source is 'Path of the sites file the row came from (files.sites_path); NULL for the unknown row.';
comment on column sites.sites_sha256 is 'SHA-256 of that sites file''s content (files.sites_sha256); NULL for the unknown row and for rows written before schema version 6.';

comment on table meta is 'Facts about this warehouse file: schema_version, and the tool version that last wrote it (tool).';

update files set sites_path = (select max(source) from sites);

create table roots (
    root varchar,
    sites_path varchar,
    sites_sha256 varchar,
    repo_root varchar,
    head_commit varchar
);
comment on table roots is 'One row per folder (or file) ever given to `cli.py ingest`: what the sites of the files under it were last decided from.';
comment on column roots.root is 'The ingested folder or file, as an absolute path (files.root).';
comment on column roots.sites_path is 'Sites file applied to the files under the root (files.sites_path); NULL when none applied.';
comment on column roots.sites_sha256 is 'SHA-256 of the sites file''s content when applied; NULL when none applied or recorded before schema version 6.';
comment on column roots.repo_root is 'Top of the git work tree holding the root; NULL outside git.';
comment on column roots.head_commit is 'HEAD commit of that repository when the sites were decided; a new commit re-attributes the root on the next ingest.';

insert into roots
select distinct
    root,
    (select max(source) from sites) as sites_path,
    null as sites_sha256,
    null as repo_root,
    null as head_commit
from files
where root is not null;
