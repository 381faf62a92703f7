-- headline of check_precision_path: per site and path, the runs and their share of low runs.
-- findings: runs that took the native-AMP path that never unscales its gradients.
-- flagged: precision_path = 'native_amp_unscaled'

with by_path as (
    select
        site,
        precision_path,
        sum(n_runs) as n_runs,
        sum(n_low) as n_low,
        sum(n_finished) as n_finished
    from check_precision_path
    group by site, precision_path
),

final as (
    select
        coalesce(
            string_agg(
                site || ' ' || precision_path || ' ' || n_runs || ' runs'
                || case
                    when n_finished > 0 then ' (' || printf('%.0f', 100.0 * n_low / n_finished) || '% low)' else ''
                end,
                ', ' order by site, precision_path
            ),
            'no run'
        ) as headline,
        coalesce(sum(n_runs) filter (where precision_path = 'native_amp_unscaled'), 0) as findings
    from by_path
)

select * from final
