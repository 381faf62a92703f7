-- headline of check_eval_code: evaluations from faulty evaluation code, per fault and site.
-- findings: evaluations with at least one known fault.

with check_rows as materialized (
    -- the view's rows once: the query reads them 3 times
    select * from check_eval_code
),

by_fault as (
    select
        fault,
        site,
        count(*) as n_evals
    from check_rows
    group by fault, site
),

final as (
    select
        coalesce(
            (select count(distinct eval_id) from check_rows) || ' evaluations from faulty code (of '
            || (select count(*) from evals) || '): '
            || string_agg(fault || ' ' || site || ' ' || n_evals, ', ' order by fault, site),
            'no evaluation from evaluation code with a known fault'
        ) as headline,
        (select count(distinct eval_id) from check_rows) as findings
    from by_fault
)

select * from final
