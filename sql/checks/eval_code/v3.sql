-- check: eval_code
-- version: 3 (v2 counted a faulty CW Stable as replaced only by a later evaluation of the same
--   norm and attack; the re-evaluation script of 776ae25 re-ran the CW-40 and the test loss of a
--   checkpoint into its own log, _eval_test-loss.log (attack test-loss): v3 counts its CW Stable as
--   the replacement, and says which evaluation replaced each one)
-- grain: one row per evaluation and known fault of the evaluation code that wrote it
-- reads: check_eval_code_v1, chosen_evals_v1, chosen_re_evaluations_v1
-- question: Which evaluation numbers came from evaluation code with a known fault, which value is
--   wrong, and does the run still take that value from that evaluation? The faults are v1's (the
--   CW line's Stable printed the natural accuracy, fixed on 2024-04-18; Correct Count one too low,
--   fixed on 2024-01-07; L2 attacks at epsilon 8/255, fixed on 2023-11-23). A run takes the numbers
--   of each norm and attack from one evaluation (chosen_evals: the finished one that finished last,
--   as the release file and run_summary do); a later re-run replaces faulty numbers that way. A
--   faulty CW Stable is also replaced by the run's chosen test-loss re-evaluation when it printed a
--   CW Stable (chosen_re_evaluations: the release file fills its values from the same one).
--   `nares export arch-list --check eval_code` lists the archs of the faulty evaluations not
--   replaced: those to evaluate again.
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
--   replacing_eval_id: the evaluation whose value replaces the wrong one: chosen_eval_id when that
--     is another evaluation, else for cw40_stable_is_natural the run's test-loss re-evaluation with
--     a CW Stable; NULL when none does
--   replaced: true when replacing_eval_id is not NULL: this evaluation's wrong value is no longer
--     the run's (the replacing evaluation has rows of its own when it has a fault too)

with faults as (
    select * from check_eval_code_v1
),

replacements as (
    select
        f.*,
        c.eval_id as chosen_eval_id,
        case
            when c.eval_id <> f.eval_id then c.eval_id
            when f.fault = 'cw40_stable_is_natural' then r.eval_id
        end as replacing_eval_id
    from faults as f
    left join chosen_evals_v1 as c
        on f.run_id = c.run_id and f.norm = c.norm and f.attack = c.attack
    left join chosen_re_evaluations_v1 as r
        on f.run_id = r.run_id and r.cw40_stable is not null
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
        n_code_commits,
        chosen_eval_id,
        replacing_eval_id,
        replacing_eval_id is not null as replaced
    from replacements
)

select * from final
order by arch_id, fault, eval_id
