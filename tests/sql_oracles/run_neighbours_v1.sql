-- oracle: the SQL of run_neighbours_v1 before v2 replaced it (v2 gives the same rows faster, and
-- run_neighbours_v1 is now an alias of it); tests/test_view_versions.py compares v2's rows with these.
-- view: run_neighbours
-- version: 1 (first version)
-- grain: one row per finished training run with a best CW-40 accuracy
-- reads: run_summary_v1, check_params
-- question: Is the run's best CW-40 validation accuracy far below that of the architectures around
--   it? Archs with a finished run are ranked by arch_id (ascending MACs, so neighbours are of similar
--   size); an arch's level is the mean over its finished runs; a run is low when it lies at least
--   low_arch.min_drop points below the median level of the low_arch.window archs on each side
--   (check_params). Used by check_vertical_lines and check_gpu_accuracy.
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
        max(value) filter (where name = 'low_arch.window') as window_archs,
        max(value) filter (where name = 'low_arch.min_drop') as min_drop
    from check_params
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
    where finished
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

arch_windows as (
    select
        a.arch_id,
        a.arch_rank,
        a.arch_rank - p.window_archs as rank_from,
        a.arch_rank + p.window_archs as rank_to
    from arch_levels as a
    cross join params as p
),

neighbour_levels as (
    select
        w.arch_id,
        w.arch_rank,
        median(n.level) as neighbour_median,
        count(n.arch_id) as n_neighbours
    from arch_windows as w
    left join arch_levels as n
        on n.arch_rank >= w.rank_from
        and n.arch_rank <= w.rank_to
        and n.arch_rank <> w.arch_rank
    group by w.arch_id, w.arch_rank
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
