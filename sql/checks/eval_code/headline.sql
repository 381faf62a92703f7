-- headline of check_eval_code: evaluations from faulty evaluation code, per fault and site, and how
-- many of them another evaluation of their run replaced (check_eval_code.replaced).
-- findings: evaluations with at least one known fault that no other evaluation replaced.
-- flagged: not replaced

with check_rows as materialized (
    -- the view's rows once: the query reads them 4 times
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

counts as (
    select
        count(distinct eval_id) as n_faulty,
        count(distinct eval_id) filter (where replaced) as n_replaced,
        count(distinct eval_id) filter (where not replaced) as n_open
    from check_rows
),

final as (
    select
        coalesce(
            (select n_faulty from counts)
            || case when (select n_faulty from counts) = 1 then ' evaluation' else ' evaluations' end
            || ' from faulty code (of '
            || (select count(*) from evals)
            || case
                when (select n_replaced from counts) > 0
                    then '; ' || (select n_replaced from counts) || ' replaced by another evaluation of their run'
                else ''
            end
            || '): '
            || string_agg(fault || ' ' || site || ' ' || n_evals, ', ' order by fault, site),
            'no evaluation from evaluation code with a known fault'
        ) as headline,
        (select n_open from counts) as findings
    from by_fault
)

select * from final
