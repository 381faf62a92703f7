-- check: eval_code
-- version: 1 (first version)
-- grain: one row per evaluation and known fault of the evaluation code that wrote it
-- reads: evals
-- question: Which evaluation numbers came from evaluation code with a known fault, and which value
--   is wrong? The faults of the benchmark's eval.py that its logs show (SPEC section 8): the CW
--   line's Stable printed the natural accuracy (fixed on 2024-04-18; evals.cw40_stable_is_natural:
--   cw40_stable is NULL, the printed number is in cw40_stable_logged); Correct Count printed int()
--   of a float sum, one too low (fixed on 2024-01-07; evals.counts_truncated: the Acc values are
--   right); L2 attacks ran at epsilon 8/255 instead of 0.5 (fixed on 2023-11-23; an L2 evaluation
--   whose epsilon argument is below 0.1: its PGD-20 and CW-40 accuracies are for the wrong radius).
--   `nares export arch-list --check eval_code` lists the archs to evaluate again, from the newest
--   version (v2 and v3 leave out evaluations another evaluation of their run replaced).
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

with faults as (
    select
        e.*,
        'cw40_stable_is_natural' as fault,
        'cw40_stable' as wrong_value,
        cast(e.cw40_stable_logged as varchar) as logged_value,
        date '2024-04-18' as fixed_on
    from evals as e
    where e.cw40_stable_is_natural
    union all
    select
        e.*,
        'counts_truncated' as fault,
        'correct_counts' as wrong_value,
        e.clean_correct || '/' || e.n_test as logged_value,
        date '2024-01-07' as fixed_on
    from evals as e
    where e.counts_truncated
    union all
    select
        e.*,
        'l2_epsilon_8_255' as fault,
        'l2_attack_accuracies' as wrong_value,
        cast(e.epsilon as varchar) as logged_value,
        date '2023-11-23' as fixed_on
    from evals as e
    where e.norm = 'L2' and e.epsilon < 0.1
),

final as (
    select
        eval_id,
        arch_id,
        run_id,
        site,
        norm,
        attack,
        started_at,
        fault,
        wrong_value,
        logged_value,
        fixed_on,
        code_fingerprint,
        array_length(code_commits) as n_code_commits
    from faults
)

select * from final
order by arch_id, fault, eval_id
