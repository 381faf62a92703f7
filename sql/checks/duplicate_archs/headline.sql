-- headline of check_duplicate_archs: how many archs were trained at two sites, and the mean
-- test-accuracy delta per metric for each pair of sites.
-- findings: archs with finished runs at two or more sites (the release can hold one run per arch).

with check_rows as materialized (
    -- the view's rows once: the query reads them 3 times
    select * from check_duplicate_archs
),

per_metric as (
    select
        site_a,
        site_b,
        metric,
        list_position(['clean', 'fgsm', 'pgd20', 'cw40'], metric) as metric_no,
        avg(delta) as mean_delta
    from check_rows
    group by site_a, site_b, metric
),

per_pair as (
    select
        site_a,
        site_b,
        count(distinct arch_id) as n_archs
    from check_rows
    group by site_a, site_b
),

by_pair as (
    select
        m.site_a,
        m.site_b,
        p.n_archs,
        string_agg(
            m.metric || ' ' || coalesce(printf('%+.1f', m.mean_delta), 'n/a'),
            ', '
            order by m.metric_no
        ) as deltas
    from per_metric as m
    inner join per_pair as p
        on
            m.site_a = p.site_a
            and m.site_b = p.site_b
    group by m.site_a, m.site_b, p.n_archs
),

totals as (
    select count(distinct arch_id) as n_archs
    from check_rows
),

final as (
    select
        coalesce(
            t.n_archs || ' archs trained at two or more sites; mean test accuracy '
            || string_agg(
                b.site_b || ' - ' || b.site_a || ' (' || b.n_archs || ' archs): ' || b.deltas,
                '; '
                order by b.site_a, b.site_b
            ),
            'no arch has finished runs at two sites'
        ) as headline,
        t.n_archs as findings
    from totals as t
    left join by_pair as b on true
    group by t.n_archs
)

select * from final
