-- headline of check_best_epoch: share of early best epochs per site, highest first.
-- findings: runs whose best epoch is early.
-- flagged: early

with by_site as (
    select
        site,
        count(*) as n_runs,
        count(*) filter (where early) as n_early
    from check_best_epoch
    group by site
),

final as (
    select
        coalesce(
            string_agg(
                site || ' ' || printf('%.0f', 100.0 * n_early / n_runs) || '% early ('
                || n_early || '/' || n_runs || ')',
                ' vs '
                order by n_early / n_runs desc, site
            ),
            'no finished run with a best epoch'
        ) as headline,
        coalesce(sum(n_early), 0) as findings
    from by_site
)

select * from final
