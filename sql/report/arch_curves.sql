-- report: arch_curves
-- grain: one row per run of the chosen archs, epoch and metric (clean, PGD-20, CW-40 validation)
-- reads: training_curves, run_summary
-- parameters: $arch_ids (list of arch ids)
-- question: How did each training run of the chosen archs learn, epoch by epoch, at each site?
--   The lines of training_curves.png and of the detail figures (dup_Arch<id>_ or arch_<id>_training_curves).
-- columns:
--   arch_id: architecture id
--   run_id: the run (runs.run_id)
--   series: the run's label: its site, with the start date when a site has several runs of the arch
--   site: site that trained the run
--   gpu: primary GPU (cpu when none)
--   started_at: start of the run
--   finished: true when the run finished
--   epoch: epoch number, 0-based
--   metric: clean, PGD-20 or CW-40 (validation accuracy)
--   acc: accuracy (%)
--   best_epoch: the run's best epoch (highest CW-40)

with runs_of_archs as (
    select
        run_id,
        arch_id,
        site,
        coalesce(gpu, 'cpu') as gpu,
        started_at,
        finished,
        best_epoch,
        count(*) over (partition by arch_id, site) as site_runs
    from run_summary
    where list_contains($arch_ids, arch_id)
),

curves as (
    select
        run_id,
        epoch,
        case metric when 'val_acc' then 'clean' when 'pgd20_acc' then 'PGD-20' else 'CW-40' end as metric,
        value as acc
    from training_curves
    where
        list_contains($arch_ids, arch_id)
        and metric in ('val_acc', 'pgd20_acc', 'cw40_acc')
        and not isnan(value)
),

final as (
    select
        r.arch_id,
        r.run_id,
        case
            when r.site_runs > 1 then r.site || ' ' || strftime(r.started_at, '%Y-%m-%d')
            else r.site
        end as series,
        r.site,
        r.gpu,
        r.started_at,
        r.finished,
        c.epoch,
        c.metric,
        c.acc,
        r.best_epoch
    from curves as c
    inner join runs_of_archs as r on c.run_id = r.run_id
)

select * from final
order by arch_id, series, metric, epoch
