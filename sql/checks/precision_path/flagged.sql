-- flagged runs of check_precision_path: runs that took the native-AMP path that never unscales its gradients.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check precision_path`
-- and `export release --exclude-check precision_path`.

select
    run_id,
    arch_id,
    site
from runs
where precision_path = 'native_amp_unscaled'
