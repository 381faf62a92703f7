-- headline of check_missing_base_eval: finished runs without a test evaluation of their arch, per site.
-- findings: those runs.

with by_site as (
    select
        r.site,
        count(*) as n_finished,
        count(m.run_id) as n_missing
    from runs as r
    left join check_missing_base_eval as m on r.run_id = m.run_id
    where r.finished
    group by r.site
),

final as (
    select
        coalesce(sum(n_missing), 0) || ' finished runs whose arch has no finished Linf Base evaluation'
        || coalesce(
            ' ('
            || string_agg(site || ' ' || n_missing || '/' || n_finished, ', ' order by n_missing desc, site)
            || ')',
            ''
        ) as headline,
        coalesce(sum(n_missing), 0) as findings
    from by_site
)

select * from final
