-- view: run_neighbours
-- version: 2 (same rows as v1; neighbour median by an equi-join on rank offsets instead of a range
--   join, 3x faster at full scale)
-- grain: one row per finished training run with a best CW-40 accuracy
-- reads: params_v1, run_summary_v1
-- question: Is the run's best CW-40 validation accuracy far below that of the architectures around
--   it? Archs with a finished run are ranked by arch_id (ascending MACs, so neighbours are of similar
--   size); an arch's level is the mean over its finished runs; a run is low when it lies at least
--   low_arch.min_drop points below the median level of the low_arch.window archs on each side
--   (check_params). An arch's neighbours are found by a hash join on arch_rank + offset, the offsets
--   -window..-1 and 1..window generated from check_params (Spark: explode(sequence(...))): a range
--   join grows with archs x window, a window function would need literal frame bounds. Used by
--   check_vertical_lines and check_gpu_accuracy.
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   gpu: primary GPU (NULL on CPU)
--   started_at: first record of the run's log
--   arch_rank: rank of the arch among archs with a finished run, by arch_id (1 = lowest id)
--   best_cw40_acc: the run's best CW-40 validation accuracy (%)
--   neighbour_median: median level (%) of the neighbouring archs (NULL when there are none)
--   n_neighbours: neighbouring archs the median is over
--   points_below: neighbour_median - best_cw40_acc, in points (positive: below the neighbours)
--   is_low: points_below >= low_arch.min_drop

with params as (
    select
        low_arch_window as window_archs,
        low_arch_min_drop as min_drop
    from params_v1
),

finished_runs as (
    select
        run_id,
        arch_id,
        site,
        gpu,
        started_at,
        best_cw40_acc
    from run_summary_v1
    where
        finished
        and best_cw40_acc is not null
        and not isnan(best_cw40_acc)
),

arch_levels as (
    select
        arch_id,
        avg(best_cw40_acc) as level,
        row_number() over (order by arch_id) as arch_rank
    from finished_runs
    group by arch_id
),

arch_count as (
    select count(*) as n_archs
    from arch_levels
),

window_steps as (
    -- 1..window (capped at the number of archs: a wider window finds no one more); Spark's and
    -- Trino's sequence(1, n) count down for n < 1, hence the filter in steps_in_window
    select unnest(generate_series(1, least(cast(floor(p.window_archs) as bigint), c.n_archs))) as step
    from params as p
    cross join arch_count as c
),

steps_in_window as (
    select s.step
    from window_steps as s
    cross join params as p
    where
        s.step >= 1
        and s.step <= p.window_archs
),

offsets as (
    select step as rank_offset
    from steps_in_window
    union all
    select -step as rank_offset
    from steps_in_window
),

neighbour_pairs as (
    select
        w.arch_id,
        n.arch_id as neighbour_arch_id,
        n.level as neighbour_level
    from arch_levels as w
    cross join offsets as o
    inner join arch_levels as n on n.arch_rank = w.arch_rank + o.rank_offset
),

neighbour_levels as (
    select
        a.arch_id,
        a.arch_rank,
        median(p.neighbour_level) as neighbour_median,
        count(p.neighbour_arch_id) as n_neighbours
    from arch_levels as a
    left join neighbour_pairs as p on a.arch_id = p.arch_id
    group by a.arch_id, a.arch_rank
),

final as (
    select
        f.run_id,
        f.arch_id,
        f.site,
        f.gpu,
        f.started_at,
        n.arch_rank,
        f.best_cw40_acc,
        n.neighbour_median,
        n.n_neighbours,
        n.neighbour_median - f.best_cw40_acc as points_below,
        coalesce(n.neighbour_median - f.best_cw40_acc >= p.min_drop, false) as is_low
    from finished_runs as f
    inner join neighbour_levels as n on f.arch_id = n.arch_id
    cross join params as p
)

select * from final
order by arch_rank, site, run_id
