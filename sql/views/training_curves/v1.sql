-- view: training_curves
-- version: 1 (first version)
-- grain: one row per training run, epoch and metric with a value
-- reads: epochs, runs
-- question: What are the training curves of every run, in long form for plotting and comparing
--   runs (e.g. an arch trained at two sites: filter arch_id, colour by site, facet by metric)?
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   epoch: epoch number, 0-based
--   metric: lr, train_loss, train_acc, val_loss, val_acc, pgd20_acc, pgd20_loss, pgd20_lip,
--     pgd20_stable, cw40_acc, cw40_loss, cw40_lip or cw40_stable (the epochs columns)
--   value: the metric's value (accuracies in %); NaN where the log printed nan

with long as (
    select
        e.run_id,
        r.arch_id,
        r.site,
        e.epoch,
        unnest([
            'lr', 'train_loss', 'train_acc', 'val_loss', 'val_acc',
            'pgd20_acc', 'pgd20_loss', 'pgd20_lip', 'pgd20_stable',
            'cw40_acc', 'cw40_loss', 'cw40_lip', 'cw40_stable'
        ]) as metric,
        unnest([
            e.lr, e.train_loss, e.train_acc, e.val_loss, e.val_acc,
            e.pgd20_acc, e.pgd20_loss, e.pgd20_lip, e.pgd20_stable,
            e.cw40_acc, e.cw40_loss, e.cw40_lip, e.cw40_stable
        ]) as value
    from epochs as e
    inner join runs as r on e.run_id = r.run_id
),

final as (
    select
        run_id,
        arch_id,
        site,
        epoch,
        metric,
        value
    from long
    where value is not null
)

select * from final
order by run_id, metric, epoch
