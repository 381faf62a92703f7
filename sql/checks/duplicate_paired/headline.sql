-- headline of check_duplicate_paired: per pair of sites, the mean delta, its interval and the sign
-- test of each metric.
-- findings: metrics and pairs of sites whose difference is significant.
-- flagged: significant

with by_pair as (
    select
        site_a,
        site_b,
        max(n_archs) as n_archs,
        string_agg(
            metric || ' ' || printf('%+.1f', mean_delta)
            || coalesce(' [' || printf('%+.1f', ci_low) || ', ' || printf('%+.1f', ci_high) || ']', '')
            || ' p=' || printf('%.2g', sign_p_value),
            ', '
            order by list_position(['clean', 'fgsm', 'pgd20', 'cw40'], metric)
        ) as tests,
        count(*) filter (where significant) as n_significant
    from check_duplicate_paired
    group by site_a, site_b
),

final as (
    select
        coalesce(
            string_agg(
                site_b || ' - ' || site_a || ' over ' || n_archs || ' archs: ' || tests,
                '; '
                order by site_a, site_b
            ),
            'no arch has test accuracies from two sites'
        ) as headline,
        coalesce(sum(n_significant), 0) as findings
    from by_pair
)

select * from final
