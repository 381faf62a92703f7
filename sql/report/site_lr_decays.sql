-- report: site_lr_decays
-- grain: one row per site and epoch at which finished runs' learning rate dropped
-- reads: lr_decays
-- question: At which epochs did each site's finished runs really decay their learning rate (the
--   step lines' lr), and how many runs did so there? Marks the decays on best_epoch_<site>.png;
--   epochs other than 75 and 90 (of 100) are runs whose schedule drifted.
-- columns:
--   site: site that trained the runs
--   epoch: first epoch logged with the lower learning rate
--   n_runs: finished runs of the site whose lr dropped at this epoch
--   site_runs: finished runs of the site with any logged drop
--   share_pct: n_runs / site_runs, in percent

with drops as (
    select
        site,
        epoch,
        count(distinct run_id) as n_runs
    from lr_decays
    where finished
    group by site, epoch
),

site_totals as (
    select
        site,
        count(distinct run_id) as site_runs
    from lr_decays
    where finished
    group by site
),

final as (
    select
        d.site,
        d.epoch,
        d.n_runs,
        t.site_runs,
        100.0 * d.n_runs / t.site_runs as share_pct
    from drops as d
    inner join site_totals as t on d.site = t.site
)

select * from final
order by site, epoch
