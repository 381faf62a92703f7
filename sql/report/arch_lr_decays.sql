-- report: arch_lr_decays
-- grain: one row per run of the chosen archs and epoch at which its learning rate dropped
-- reads: lr_decays, run_summary
-- parameters: $arch_ids (list of arch ids)
-- question: Where did each run of the chosen archs decay its learning rate? The vertical marks of
--   training_curves.png and of the detail figures.
-- columns:
--   arch_id: architecture id
--   run_id: the run
--   series: the run's label, as in arch_curves
--   site: site that trained the run
--   epoch: first epoch logged with the lower learning rate
--   lr_before: learning rate before the drop
--   lr_after: learning rate after it

with runs_of_archs as (
    select
        run_id,
        arch_id,
        site,
        started_at,
        count(*) over (partition by arch_id, site) as site_runs
    from run_summary
    where list_contains($arch_ids, arch_id)
),

final as (
    select
        r.arch_id,
        d.run_id,
        case
            when r.site_runs > 1 then r.site || ' ' || strftime(r.started_at, '%Y-%m-%d')
            else r.site
        end as series,
        r.site,
        d.epoch,
        d.lr_before,
        d.lr_after
    from lr_decays as d
    inner join runs_of_archs as r on d.run_id = r.run_id
)

select * from final
order by arch_id, series, epoch
