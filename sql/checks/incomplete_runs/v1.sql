-- check: incomplete_runs
-- version: 1 (first version)
-- grain: one row per training run and reason (a run can be listed as unfinished, nan and resumed)
-- reads: runs, epochs
-- requires: runs.last_logged_at
-- question: Which training runs did not run cleanly from start to end: unfinished (no Running Cost
--   line: killed, crashed or still running), nan (a loss or accuracy became NaN) or resumed
--   (restarted from its last checkpoint, so its log has several headers)?
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   reason: unfinished, nan or resumed
--   detail: what happened, e.g. 'stopped in epoch 1 of 4', 'NaN from epoch 37', 'resumed at epochs [50]'
--   epochs_planned: epochs the config asks for
--   epochs_completed: epochs with CW-40 validation results
--   last_logged_at: timestamp of the log's last record
--   source_path: the training log

with first_nan as (
    select
        run_id,
        min(epoch) as nan_epoch
    from epochs
    where
        isnan(train_loss)
        or isnan(train_acc)
        or isnan(val_loss)
        or isnan(val_acc)
        or isnan(pgd20_loss)
        or isnan(cw40_loss)
        or isnan(pgd20_acc)
        or isnan(cw40_acc)
    group by run_id
),

reasons as (
    select
        r.run_id,
        'unfinished' as reason,
        1 as reason_no,
        'stopped in epoch ' || coalesce(cast(r.last_epoch as varchar), '(none)') || ' of '
        || coalesce(cast(r.epochs_planned as varchar), '?') as detail
    from runs as r
    where not r.finished
    union all
    select
        r.run_id,
        'nan' as reason,
        2 as reason_no,
        coalesce('NaN from epoch ' || n.nan_epoch, 'NaN in the log') as detail
    from runs as r
    left join first_nan as n on r.run_id = n.run_id
    where r.has_nan
    union all
    select
        r.run_id,
        'resumed' as reason,
        3 as reason_no,
        'resumed at epochs ' || cast(coalesce(r.resume_epochs, cast([] as integer[])) as varchar) as detail
    from runs as r
    where r.resumed
),

final as (
    select
        r.run_id,
        r.arch_id,
        r.site,
        x.reason,
        x.detail,
        r.epochs_planned,
        r.epochs_completed,
        r.last_logged_at,
        r.source_path
    from reasons as x
    inner join runs as r on x.run_id = r.run_id
    order by r.arch_id, r.site, r.run_id, x.reason_no
)

select * from final
