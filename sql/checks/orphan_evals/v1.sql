-- check: orphan_evals
-- version: 1 (first version)
-- grain: one row per evaluation not linked to a training run
-- reads: evals, runs
-- question: Which test evaluations cannot be traced to the training run whose checkpoint they
--   evaluated (evals.run_id is NULL), and why (evals.link_note)?
-- columns:
--   eval_id: the evaluation (evals.eval_id)
--   arch_id: architecture id
--   site: site of the git author who added the log
--   norm: Linf or L2 (NULL for corruptions)
--   attack: Base, AA, AA-Compact, test-loss, cifar10c or cifar10c-all-levels
--   finished: true when the result lines are present
--   link_note: why the evaluation is unlinked
--   n_arch_runs: training runs of the arch in the warehouse
--   source_path: the evaluation log (<path>#line=<n>: a run before the last of a log of appended runs)

with arch_runs as (
    select
        arch_id,
        count(*) as n_arch_runs
    from runs
    group by arch_id
),

final as (
    select
        e.eval_id,
        e.arch_id,
        e.site,
        e.norm,
        e.attack,
        e.finished,
        e.link_note,
        coalesce(a.n_arch_runs, 0) as n_arch_runs,
        e.source_path
    from evals as e
    left join arch_runs as a on e.arch_id = a.arch_id
    where e.run_id is null
)

select * from final
order by arch_id, attack, norm, eval_id
