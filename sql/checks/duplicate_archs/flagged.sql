-- flagged runs of check_duplicate_archs: both runs of every arch trained at two sites.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check duplicate_archs`
-- and `export release --exclude-check duplicate_archs`.

select
    r.run_id,
    r.arch_id,
    r.site
from runs as r
where r.run_id in (
    select run_id_a from check_duplicate_archs
    union
    select run_id_b from check_duplicate_archs
)
