-- report: duplicate_early_peaks
-- grain: one row per site with a run among the archs trained at two sites
-- reads: check_duplicate_archs, run_summary
-- question: Of all the archs trained at two sites (not only those whose curves are drawn), at how
--   many did each site's run reach its best CW-40 epoch before its own first logged lr decay? The
--   verdict of the report's training-curves section.
-- columns:
--   site: site of the runs
--   n_archs: archs trained at two sites with a run of this site among the pairs
--   n_early: of them, archs whose run of this site peaked before its first logged lr decay
--   n_archs_total: archs trained at two sites (the same on every row)

with pairs as (
    select distinct
        arch_id,
        site_a,
        run_id_a,
        site_b,
        run_id_b
    from check_duplicate_archs
),

pair_runs as (
    select
        arch_id,
        site_a as site,
        run_id_a as run_id
    from pairs
    union
    select
        arch_id,
        site_b as site,
        run_id_b as run_id
    from pairs
),

peaks as (
    select
        p.arch_id,
        p.site,
        coalesce(s.best_epoch < s.first_decay_epoch, false) as early
    from pair_runs as p
    inner join run_summary as s on p.run_id = s.run_id
),

final as (
    select
        site,
        count(distinct arch_id) as n_archs,
        count(distinct arch_id) filter (where early) as n_early,
        (select count(distinct arch_id) from pairs) as n_archs_total
    from peaks
    group by site
)

select * from final
order by site
