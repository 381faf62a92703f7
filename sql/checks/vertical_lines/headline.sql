-- headline of check_vertical_lines: the bands beyond chance, first three spelled out, and how many
-- more are within chance (chance forms as many bands as large).
-- findings: bands beyond chance.

with described as (
    select
        band_id,
        beyond_chance,
        row_number() over (partition by beyond_chance order by band_id) as nth,
        'archs ' || first_arch_id || '-' || last_arch_id || ' (' || n_low || ' low, '
        || array_to_string(sites, '/') || ', ' || printf('%.1f', mean_points_below) || ' points below, chance '
        || printf('%.2g', chance_bands) || ')' as band
    from check_vertical_lines
),

listed as (
    select
        count(*) as n_bands,
        count(*) filter (where beyond_chance) as n_beyond,
        string_agg(band, ', ' order by band_id) filter (where beyond_chance and nth <= 3) as beyond,
        string_agg(band, ', ' order by band_id) filter (where not beyond_chance and nth <= 3) as by_chance
    from described
),

final as (
    select
        case
            when n_bands = 0 then 'no band of low archs'
            when n_beyond = 0
                then
                    'no band of low archs beyond chance; ' || n_bands || ' within chance: ' || by_chance
                    || case when n_bands > 3 then ', ...' else '' end
            else
                n_beyond || ' band' || case when n_beyond > 1 then 's' else '' end || ' of low archs beyond chance: '
                || beyond || case when n_beyond > 3 then ', ...' else '' end
                || case
                    when n_bands > n_beyond then '; ' || (n_bands - n_beyond) || ' more within chance'
                    else ''
                end
        end as headline,
        n_beyond as findings
    from listed
)

select * from final
