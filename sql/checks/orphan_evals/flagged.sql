-- flagged runs of check_orphan_evals: evaluations linked to no training run (no run id: their arch and site).
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check orphan_evals`
-- and `export release --exclude-check orphan_evals`.

select
    null::bigint as run_id,
    arch_id,
    site
from check_orphan_evals
