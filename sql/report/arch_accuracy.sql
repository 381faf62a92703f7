-- report: arch_accuracy
-- grain: one row per finished training run with a best CW-40 accuracy
-- reads: run_neighbours, run_summary, check_vertical_lines
-- question: How does each finished run's accuracy compare with archs of similar size, who trained
--   it, on what and when? The points of local_train_issue.png (accuracy against arch id, coloured
--   by site and by training month), with the band of check_vertical_lines it falls in.
-- columns:
--   arch_id: architecture id
--   arch_rank: rank of the arch among archs with a finished run, by arch_id
--   site: site that trained the run
--   gpu: primary GPU (cpu when none)
--   started_at: start of the run
--   trained_month: first day of the month the run started
--   best_cw40_acc: best CW-40 validation accuracy (%)
--   test_clean_acc: clean test accuracy (%) of its Linf Base evaluation (NULL when none)
--   neighbour_median: median level (%) of the neighbouring archs
--   points_below: neighbour_median - best_cw40_acc, in points
--   is_low: far below the neighbours (run_neighbours.is_low)
--   band_id: the check_vertical_lines band whose arch range holds the run (NULL when none)

with final as (
    select
        n.arch_id,
        n.arch_rank,
        n.site,
        coalesce(n.gpu, 'cpu') as gpu,
        n.started_at,
        cast(date_trunc('month', n.started_at) as date) as trained_month,
        n.best_cw40_acc,
        s.test_clean_acc,
        n.neighbour_median,
        n.points_below,
        n.is_low,
        v.band_id
    from run_neighbours as n
    inner join run_summary as s on n.run_id = s.run_id
    left join check_vertical_lines as v
        on n.arch_id between v.first_arch_id and v.last_arch_id
)

select * from final
order by arch_id, site
