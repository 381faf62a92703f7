-- flagged runs of check_incomplete_runs: runs that did not finish, hit NaN or were resumed.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check incomplete_runs`
-- and `export release --exclude-check incomplete_runs`.

select
    run_id,
    arch_id,
    site
from check_incomplete_runs
