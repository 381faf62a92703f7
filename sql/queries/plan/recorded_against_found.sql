-- query: plan/recorded_against_found
-- question: What must a plan look at, of the files rows against the files found now (temp table
--   _found: path, size, mtime_ns and the version of its kind's parser now)? One row per path of
--   either that is not found, not recorded, found with another size, mtime or parser version, or a
--   skipped copy (its original may have changed): `recorded` when it has a files row (its columns
--   follow), `to_read` when it is found and new or changed. The rows of unchanged files are not read.

select
    coalesce(f.path, d.path) as path,
    f.path is not null as recorded,
    d.path is not null
    and (
        f.path is null
        or f.size is distinct from d.size
        or f.mtime_ns is distinct from d.mtime_ns
        or f.parser_version is distinct from d.parser_version
    ) as to_read,
    f.size,
    f.mtime_ns,
    f.sha256,
    f.status,
    f.duplicate_of,
    f.file_id,
    f.kind,
    f.parser_version
from files as f
full outer join _found as d on f.path = d.path
where
    f.path is null
    or d.path is null
    or f.size is distinct from d.size
    or f.mtime_ns is distinct from d.mtime_ns
    or f.parser_version is distinct from d.parser_version
    or f.duplicate_of is not null
