-- flagged runs of check_robust_overfitting: runs that lost more CW-40 after their best epoch than the threshold.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check robust_overfitting`
-- and `export release --exclude-check robust_overfitting`.

select
    run_id,
    arch_id,
    site
from check_robust_overfitting
where overfits
