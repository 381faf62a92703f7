-- headline of check_gpu_accuracy: the flagged sites and GPUs, else the one with the highest share of
-- low runs.
-- findings: flagged sites and GPUs.
-- flagged: flagged

with check_rows as materialized (
    -- the view's rows once: the query reads them 3 times
    select * from check_gpu_accuracy
),

flagged as (
    select
        count(*) as n_flagged,
        string_agg(
            site || ' ' || gpu || ': ' || n_low || '/' || n_runs || ' runs low, CW-40 '
            || coalesce(printf('%+.1f', cw40_vs_site), 'n/a') || ' vs site',
            '; '
            order by low_share desc, site, gpu
        ) as groups
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
            when f.n_flagged > 0 then f.n_flagged || ' flagged: ' || f.groups
            else
                'none of ' || t.n_groups || ' site/GPU groups flagged (highest share of low runs: '
                || w.group_text || ')'
        end as headline,
        f.n_flagged as findings
    from flagged as f
    cross join totals as t
    left join worst as w on true
)

select * from final
