-- check: missing_base_eval
-- version: 1 (first version)
-- grain: one row per finished training run whose arch has no finished Linf Base evaluation
-- reads: runs, evals
-- question: Which trained architectures were never evaluated on the test set (no finished Linf
--   Base evaluation of the arch, from any site)? Their release entry would have no test_best.
-- columns:
--   run_id: the finished run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   gpu: primary GPU of the run (NULL on CPU)
--   finished_at: when the run finished
--   n_arch_evals: evaluations of the arch of any kind (AutoAttack, L2, corruptions, unfinished)
--   has_unfinished_base: true when a Linf Base evaluation of the arch exists but stopped before its
--     results

with arch_evals as (
    select
        arch_id,
        count(*) as n_arch_evals,
        bool_or(attack = 'Base' and norm = 'Linf' and finished) as has_base,
        bool_or(attack = 'Base' and norm = 'Linf' and not finished) as has_unfinished_base
    from evals
    group by arch_id
),

final as (
    select
        r.run_id,
        r.arch_id,
        r.site,
        r.gpu,
        r.finished_at,
        coalesce(e.n_arch_evals, 0) as n_arch_evals,
        coalesce(e.has_unfinished_base, false) as has_unfinished_base
    from runs as r
    left join arch_evals as e on r.arch_id = e.arch_id
    where
        r.finished
        and not coalesce(e.has_base, false)
)

select * from final
order by arch_id, site, run_id
