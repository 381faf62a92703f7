-- check: gpu_accuracy
-- version: 2 (same rows as v1; reads run_neighbours_v2, whose neighbour median is computed by an
--   equi-join on rank offsets, 3x faster at full scale)
-- grain: one row per site and primary GPU of finished runs
-- reads: params_v1, run_neighbours_v2, run_summary_v1
-- question: Does one GPU of one site give worse models (a faulty card or machine)? Accuracies are
--   the test accuracies of the runs' Linf Base evaluations, or, for a run without one, its clean and
--   CW-40 validation accuracies at the best epoch (acc_source says which). A site and GPU is flagged
--   when more than gpu_accuracy.max_low_share of its runs are low (run_neighbours: far below archs of
--   similar size) and it has at least gpu_accuracy.min_runs runs (check_params).
-- columns:
--   site: site that trained the runs
--   gpu: primary GPU (first of the GPU List), cpu for runs without one
--   n_runs: finished runs
--   n_with_eval: of them, runs with a Linf Base test evaluation
--   mean_clean_acc: mean clean accuracy (%), test where evaluated else validation
--   mean_cw40_acc: mean CW-40 accuracy (%), test where evaluated else validation
--   acc_source: test (all runs evaluated), validation (none) or mixed
--   cw40_vs_site: mean_cw40_acc minus the mean over all finished runs of the site, in points
--   n_low: runs far below their neighbours (run_neighbours.is_low)
--   low_share: n_low / n_runs
--   flagged: low_share > gpu_accuracy.max_low_share and n_runs >= gpu_accuracy.min_runs

with params as (
    select
        gpu_accuracy_max_low_share as max_low_share,
        gpu_accuracy_min_runs as min_runs
    from params_v1
),

run_accuracies as (
    select
        s.site,
        coalesce(s.gpu, 'cpu') as gpu,
        s.run_id,
        s.base_eval_id is not null as has_eval,
        coalesce(s.test_clean_acc, s.best_val_acc) as clean_acc,
        coalesce(s.test_cw40_acc, s.best_cw40_acc) as cw40_acc,
        coalesce(n.is_low, false) as is_low
    from run_summary_v1 as s
    left join run_neighbours_v2 as n on s.run_id = n.run_id
    where s.finished
),

site_means as (
    select
        site,
        avg(cw40_acc) as site_cw40_acc
    from run_accuracies
    group by site
),

groups as (
    select
        site,
        gpu,
        count(*) as n_runs,
        count(*) filter (where has_eval) as n_with_eval,
        avg(clean_acc) as mean_clean_acc,
        avg(cw40_acc) as mean_cw40_acc,
        count(*) filter (where is_low) as n_low
    from run_accuracies
    group by site, gpu
),

final as (
    select
        g.site,
        g.gpu,
        g.n_runs,
        g.n_with_eval,
        g.mean_clean_acc,
        g.mean_cw40_acc,
        case
            when g.n_with_eval = g.n_runs then 'test'
            when g.n_with_eval = 0 then 'validation'
            else 'mixed'
        end as acc_source,
        g.mean_cw40_acc - m.site_cw40_acc as cw40_vs_site,
        g.n_low,
        g.n_low / g.n_runs as low_share,
        g.n_low / g.n_runs > p.max_low_share and g.n_runs >= p.min_runs as flagged
    from groups as g
    inner join site_means as m on g.site = m.site
    cross join params as p
)

select * from final
order by site, gpu
