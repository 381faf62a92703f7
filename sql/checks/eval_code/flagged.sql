-- flagged runs of check_eval_code: the runs of evaluations written by evaluation code with a known
-- fault that no other evaluation of the run replaced (check_eval_code.replaced: a later re-run, or
-- for the CW Stable the test-loss re-evaluation), the archs to evaluate again.
-- columns: run_id, arch_id, site (one row per flagged run); read by `export arch-list --check eval_code`
-- and `export release --exclude-check eval_code`.

select
    run_id,
    arch_id,
    site
from check_eval_code
where not replaced
