-- flagged runs of check_best_epoch: runs that reached their best CW-40 checkpoint before the first lr decay.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check best_epoch`
-- and `export release --exclude-check best_epoch`.

select
    run_id,
    arch_id,
    site
from check_best_epoch
where early
