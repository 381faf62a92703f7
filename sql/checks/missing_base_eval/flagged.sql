-- flagged runs of check_missing_base_eval: finished runs whose arch has no finished Linf Base evaluation.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check missing_base_eval`
-- and `export release --exclude-check missing_base_eval`.

select
    run_id,
    arch_id,
    site
from check_missing_base_eval
