-- headline of check_timeline: the change points of each site's share of low runs beyond chance, and
-- how many more chance gives.
-- findings: change points beyond chance.

with listed as (
    select
        string_agg(
            site || ' ' || strftime(changed_at, '%Y-%m') || ' ' || printf('%.0f', 100 * low_share_before)
            || '% -> ' || printf('%.0f', 100 * low_share_after) || '% low'
            || case when array_length(code_versions_started) > 0 then ' (new code)' else '' end,
            ', ' order by site, changed_at
        ) filter (where beyond_chance) as beyond,
        count(*) filter (where beyond_chance) as n_beyond,
        count(*) filter (where not beyond_chance) as n_by_chance
    from check_timeline
),

final as (
    select
        coalesce(beyond, 'no change of a site''s share of low runs between months beyond chance')
        || case
            when n_by_chance > 0
                then
                    '; ' || n_by_chance || ' change' || case when n_by_chance > 1 then 's' else '' end
                    || ' within chance'
            else ''
        end as headline,
        n_beyond as findings
    from listed
)

select * from final
