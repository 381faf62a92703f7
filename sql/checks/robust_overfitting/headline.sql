-- headline of check_robust_overfitting: share of overfitting runs and mean gap per site.
-- findings: runs that overfit.
-- flagged: overfits

with by_site as (
    select
        site,
        count(*) as n_runs,
        count(*) filter (where overfits) as n_overfit,
        avg(gap) as mean_gap
    from check_robust_overfitting
    group by site
),

final as (
    select
        coalesce(
            string_agg(
                site || ' ' || printf('%.0f', 100.0 * n_overfit / n_runs) || '% of runs overfit (mean gap '
                || printf('%.1f', mean_gap) || ')',
                ' vs '
                order by n_overfit / n_runs desc, site
            ),
            'no finished run'
        ) as headline,
        coalesce(sum(n_overfit), 0) as findings
    from by_site
)

select * from final
