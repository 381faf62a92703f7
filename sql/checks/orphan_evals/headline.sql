-- headline of check_orphan_evals: unlinked evaluations, with and without a run of their arch.
-- findings: unlinked evaluations.

with counts as (
    select
        count(*) as n_orphans,
        count(*) filter (where n_arch_runs = 0) as n_no_run,
        count(*) filter (where n_arch_runs > 0) as n_ambiguous
    from check_orphan_evals
),

final as (
    select
        n_orphans || ' evaluations not linked to a training run (of ' || (select count(*) from evals) || '): '
        || n_no_run || ' of archs with no run, ' || n_ambiguous || ' of archs whose runs do not match' as headline,
        n_orphans as findings
    from counts
)

select * from final
