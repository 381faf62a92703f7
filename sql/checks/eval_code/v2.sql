-- check: eval_code
-- version: 2 (v1 listed every evaluation from faulty code, also those whose run was evaluated again
--   later with fixed code: `export arch-list --check eval_code` then named archs whose published
--   numbers are already right; v2 says which evaluation the run's numbers come from, and whether
--   another one, normally a later re-run, replaced this one)
-- grain: one row per evaluation and known fault of the evaluation code that wrote it
-- reads: check_eval_code_v1, chosen_evals_v1
-- question: Which evaluation numbers came from evaluation code with a known fault, which value is
--   wrong, and does the run still take its numbers from that evaluation? The faults are v1's (the
--   CW line's Stable printed the natural accuracy, fixed on 2024-04-18; Correct Count one too low,
--   fixed on 2024-01-07; L2 attacks at epsilon 8/255, fixed on 2023-11-23). A run takes the numbers
--   of each norm and attack from one evaluation (chosen_evals: the finished one that finished last,
--   as the release file and run_summary do); the evaluation code's re-runs (776ae25 re-ran the CW and
--   test-loss evaluations) replace faulty numbers that way. `nares export arch-list --check eval_code`
--   lists the archs of the faulty evaluations not replaced: those to evaluate again.
-- columns:
--   eval_id: the evaluation (evals.eval_id)
--   arch_id: architecture id
--   run_id: the training run of the evaluated checkpoint (NULL when unlinked)
--   site: site of the evaluation (of its run when linked)
--   norm: Linf or L2
--   attack: Base, AA or AA-Compact
--   started_at: first record of the evaluation (of its run, in a log of appended runs)
--   fault: cw40_stable_is_natural, counts_truncated or l2_epsilon_8_255
--   wrong_value: the value the fault makes wrong (cw40_stable, correct_counts, l2_attack_accuracies)
--   logged_value: what the log printed for it (the CW Stable, the first count, the epsilon)
--   fixed_on: date of the commit that fixed the fault
--   code_fingerprint: code version of the evaluation (code_versions.fingerprint)
--   n_code_commits: commits of the evaluation code that could have written the log (NULL without a
--     code repository)
--   chosen_eval_id: the evaluation the run takes its numbers of this norm and attack from
--     (chosen_evals); NULL when the evaluation has no run or the run has no finished evaluation of
--     this norm and attack
--   replaced: true when chosen_eval_id is another evaluation (normally a later re-run; it has rows of
--     its own when it has a fault too): this evaluation's numbers are no longer the run's

with faults as (
    select * from check_eval_code_v1
),

final as (
    select
        f.eval_id,
        f.arch_id,
        f.run_id,
        f.site,
        f.norm,
        f.attack,
        f.started_at,
        f.fault,
        f.wrong_value,
        f.logged_value,
        f.fixed_on,
        f.code_fingerprint,
        f.n_code_commits,
        c.eval_id as chosen_eval_id,
        coalesce(c.eval_id <> f.eval_id, false) as replaced
    from faults as f
    left join chosen_evals_v1 as c
        on f.run_id = c.run_id and f.norm = c.norm and f.attack = c.attack
)

select * from final
order by arch_id, fault, eval_id
