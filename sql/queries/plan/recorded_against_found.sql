-- query: plan/recorded_against_found
-- question: What must a plan look at, of the files rows against the files found now (temp table
--   _found: path, size, mtime_ns and its kind, or a null kind when not classified: then the kind
--   its files row records is its kind now)? The version of each kind's parser now is in _kinds.
--   One row per path of either that is not found, not recorded, found with another size, mtime or
--   parser version, or a skipped copy (its original may have changed): `recorded` when it has a
--   files row (its columns follow), `to_read` when it is found and new or changed. The rows of
--   unchanged files are not read.

with compared as (
    select
        f.*,
        d.path as found_path,
        d.size as found_size,
        d.mtime_ns as found_mtime_ns,
        k.parser_version as parser_version_now
    from files as f
    full outer join _found as d on f.path = d.path
    left join _kinds as k on coalesce(d.kind, f.kind) = k.kind
),

differing as (
    select
        *,
        (
            path is null
            or found_path is null
            or size is distinct from found_size
            or mtime_ns is distinct from found_mtime_ns
            or parser_version is distinct from parser_version_now
        ) as differs
    from compared
)

select
    coalesce(path, found_path) as path,
    path is not null as recorded,
    found_path is not null and differs as to_read,
    size,
    mtime_ns,
    sha256,
    status,
    duplicate_of,
    file_id,
    kind,
    parser_version,
    root
from differing
where differs or duplicate_of is not null
