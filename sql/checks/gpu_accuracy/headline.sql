-- headline of check_gpu_accuracy: the flagged sites and GPUs beyond chance, then those within
-- chance, else the one with the highest share of low runs.
-- findings: flagged sites and GPUs beyond chance.
-- flagged: beyond_chance

with check_rows as materialized (
    -- the view's rows once: the query reads them 4 times
    select * from check_gpu_accuracy
),

flagged as (
    select
        count(*) filter (where beyond_chance) as n_beyond,
        count(*) filter (where not beyond_chance) as n_within,
        string_agg(
            site || ' ' || gpu || ': ' || n_low || '/' || n_runs || ' runs low, CW-40 '
            || coalesce(printf('%+.1f', cw40_vs_site), 'n/a') || ' vs site, chance ' || printf('%.2g', chance),
            '; '
            order by low_share desc, site, gpu
        ) filter (where beyond_chance) as beyond,
        string_agg(
            site || ' ' || gpu || ': ' || n_low || '/' || n_runs || ' runs low, chance ' || printf('%.2g', chance),
            '; '
            order by low_share desc, site, gpu
        ) filter (where not beyond_chance) as within
    from check_rows
    where flagged
),

worst as (
    select site || ' ' || gpu || ' ' || printf('%.0f', 100 * low_share) || '%' as group_text
    from check_rows
    order by low_share desc, site, gpu
    limit 1
),

totals as (
    select count(*) as n_groups
    from check_rows
),

final as (
    select
        case
            when t.n_groups = 0 then 'no finished run'
            when f.n_beyond > 0
                then
                    f.n_beyond || ' flagged beyond chance: ' || f.beyond
                    || case
                        when f.n_within > 0 then '; ' || f.n_within || ' more flagged within chance: ' || f.within
                        else ''
                    end
            when f.n_within > 0
                then 'none flagged beyond chance; ' || f.n_within || ' flagged within chance: ' || f.within
            else
                'none of ' || t.n_groups || ' site/GPU groups flagged (highest share of low runs: '
                || w.group_text || ')'
        end as headline,
        f.n_beyond as findings
    from flagged as f
    cross join totals as t
    left join worst as w on true
)

select * from final
