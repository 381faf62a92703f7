-- view: chosen_evals
-- version: 1 (first version)
-- grain: one row per training run, norm and attack with a finished evaluation linked to the run
-- reads: evals
-- question: Which evaluation of each kind describes a run? Of the finished evaluations linked to the
--   run (evals.run_id) with the same norm and attack, the one that finished last; among those that
--   finished at the same time or without a time, the lowest eval_id. run_summary takes its Linf Base
--   and AA test accuracies from these, and the release file its accuracies and corruption evaluation.
-- columns:
--   run_id: the run (runs.run_id)
--   norm: norm of the evaluation (Linf, L2, ...)
--   attack: attack of the evaluation (Base, AA, cifar10c, ...)
--   eval_id: the chosen evaluation (evals.eval_id)

with ranked as (
    select
        run_id,
        norm,
        attack,
        eval_id,
        row_number() over (
            partition by run_id, norm, attack
            order by finished_at desc nulls last, eval_id
        ) as rank
    from evals
    where
        finished
        and run_id is not null
),

final as (
    select
        run_id,
        norm,
        attack,
        eval_id
    from ranked
    where rank = 1
)

select * from final
