-- headline of check_noise: the verdict of each site comparison beyond the noise of a training run.
-- findings: comparisons whose sites differ beyond the noise.
-- flagged: verdict = 'different'

with final as (
    select
        coalesce(
            string_agg(
                metric || ' ' || site_b || ' - ' || site_a || ' ' || printf('%+.1f', difference) || ' (' || verdict
                || ', noise ' || coalesce(printf('%.1f', noise_floor), 'n/a') || ')',
                ', ' order by metric, site_a, site_b
            ),
            'fewer than two known sites with finished runs: nothing to compare'
        ) as headline,
        count(*) filter (where verdict = 'different') as findings
    from check_noise
)

select * from final
