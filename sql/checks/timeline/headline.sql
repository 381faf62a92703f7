-- headline of check_timeline: the change points of each site's share of low runs.
-- findings: change points.

with final as (
    select
        coalesce(
            string_agg(
                site || ' ' || strftime(changed_at, '%Y-%m') || ' ' || printf('%.0f', 100 * low_share_before)
                || '% -> ' || printf('%.0f', 100 * low_share_after) || '% low'
                || case when array_length(code_versions_started) > 0 then ' (new code)' else '' end,
                ', ' order by site, changed_at
            ),
            'no change of a site''s share of low runs between months'
        ) as headline,
        count(*) as findings
    from check_timeline
)

select * from final
