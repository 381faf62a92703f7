-- check: vertical_lines
-- version: 2 (same rows as v1; reads run_neighbours_v2, whose neighbour median is an equi-join on
--   rank offsets instead of a range join, and reads it once (CTE neighbours) instead of twice:
--   6x faster at full scale)
-- grain: one row per band of neighbouring low archs
-- reads: params_v1, run_neighbours_v2
-- question: Are there bands of consecutive arch ids whose accuracy is far below that of their
--   neighbours (the vertical lines of an accuracy-by-arch_id plot: a training problem that hit a
--   stretch of archs, not the archs themselves)? An arch is low when one of its finished runs is low
--   in run_neighbours (best CW-40 at least low_arch.min_drop points below the median of the
--   low_arch.window archs on each side). Low archs separated by at most vertical_lines.max_gap archs
--   that are not low form one band; bands with at least vertical_lines.min_low low archs are shown.
-- columns:
--   band_id: 1, 2, ... in arch_id order
--   first_arch_id: first low arch of the band
--   last_arch_id: last low arch of the band
--   n_archs: archs with a finished run from first_arch_id to last_arch_id
--   n_low: low archs in the band
--   sites: sites of the band's low runs, sorted
--   trained_from: earliest start (runs.started_at) of the band's low runs
--   trained_to: latest start of the band's low runs
--   mean_points_below: mean of the low runs' points_below (their neighbours' median minus their
--     best CW-40)

with params as (
    select
        vertical_lines_max_gap as max_gap,
        vertical_lines_min_low as min_low
    from params_v1
),

neighbours as (
    select
        arch_id,
        arch_rank,
        site,
        started_at,
        points_below,
        is_low
    from run_neighbours_v2
),

arch_flags as (
    select
        arch_id,
        min(arch_rank) as arch_rank,
        bool_or(is_low) as is_low
    from neighbours
    group by arch_id
),

low_archs as (
    select
        arch_id,
        arch_rank,
        arch_rank - lag(arch_rank) over (order by arch_rank) as rank_step
    from arch_flags
    where is_low
),

banded as (
    select
        l.arch_id,
        l.arch_rank,
        sum(case when l.rank_step is null or l.rank_step > p.max_gap + 1 then 1 else 0 end) over (
            order by l.arch_rank
            rows between unbounded preceding and current row
        ) as band_no
    from low_archs as l
    cross join params as p
),

bands as (
    select
        band_no,
        min(arch_id) as first_arch_id,
        max(arch_id) as last_arch_id,
        max(arch_rank) - min(arch_rank) + 1 as n_archs,
        count(*) as n_low
    from banded
    group by band_no
),

band_runs as (
    select
        b.band_no,
        list_sort(list(distinct r.site)) as sites,
        min(r.started_at) as trained_from,
        max(r.started_at) as trained_to,
        avg(r.points_below) as mean_points_below
    from bands as b
    inner join neighbours as r
        on
            b.first_arch_id <= r.arch_id
            and b.last_arch_id >= r.arch_id
            and r.is_low
    group by b.band_no
),

final as (
    select
        row_number() over (order by b.first_arch_id) as band_id,
        b.first_arch_id,
        b.last_arch_id,
        b.n_archs,
        b.n_low,
        r.sites,
        r.trained_from,
        r.trained_to,
        r.mean_points_below
    from bands as b
    inner join band_runs as r on b.band_no = r.band_no
    cross join params as p
    where b.n_low >= p.min_low
)

select * from final
order by band_id
