-- headline of check_vertical_lines: the bands, first three spelled out.
-- findings: bands.

with listed as (
    select
        count(*) as n_bands,
        string_agg(
            case
                when band_id <= 3 then
                    'archs ' || first_arch_id || '-' || last_arch_id || ' (' || n_low || ' low, '
                    || array_to_string(sites, '/') || ', '
                    || printf('%.1f', mean_points_below) || ' points below)'
            end,
            ', '
            order by band_id
        ) as bands
    from check_vertical_lines
),

final as (
    select
        case
            when n_bands = 0 then 'no band of low archs'
            else
                n_bands || ' band' || case when n_bands > 1 then 's' else '' end || ' of low archs: '
                || bands || case when n_bands > 3 then ', ...' else '' end
        end as headline,
        n_bands as findings
    from listed
)

select * from final
