-- report: best_epoch_histogram
-- grain: one row per site, best epoch and early flag
-- reads: check_best_epoch, run_summary
-- question: At which epoch did each site's finished runs reach their best CW-40 checkpoint, and was
--   that before the first learning-rate decay (check_best_epoch.early)? Feeds best_epoch_<site>.png.
-- columns:
--   site: site that trained the runs
--   best_epoch: first epoch with the run's highest CW-40 validation accuracy
--   early: best_epoch before the first decay the check compares with
--   n_runs: finished runs of the site with this best epoch
--   site_runs: finished runs of the site in check_best_epoch
--   share_pct: n_runs / site_runs, in percent
--   first_decay_epoch: the first-decay epoch the check used (most common among these runs)
--   epochs_planned: epochs the runs' config asks for (most common among these runs)
--   example_arch_ids: up to 8 arch ids of these runs, lowest first, as text
--   gpus: primary GPUs of these runs, as text
--   trained_from: earliest start of these runs
--   trained_to: latest start of these runs

with checked as (
    select
        c.site,
        c.best_epoch,
        c.early,
        c.first_decay_epoch,
        c.epochs_planned,
        c.arch_id,
        coalesce(s.gpu, 'cpu') as gpu,
        s.started_at
    from check_best_epoch as c
    inner join run_summary as s on c.run_id = s.run_id
),

binned as (
    select
        site,
        best_epoch,
        early,
        count(*) as n_runs,
        mode(first_decay_epoch) as first_decay_epoch,
        mode(epochs_planned) as epochs_planned,
        list(arch_id order by arch_id) as arch_ids,
        string_agg(distinct gpu, ', ' order by gpu) as gpus,
        min(started_at) as trained_from,
        max(started_at) as trained_to
    from checked
    group by site, best_epoch, early
),

final as (
    select
        site,
        best_epoch,
        early,
        n_runs,
        sum(n_runs) over (partition by site) as site_runs,
        100.0 * n_runs / sum(n_runs) over (partition by site) as share_pct,
        first_decay_epoch,
        epochs_planned,
        array_to_string(arch_ids[1:8], ', ') || case when len(arch_ids) > 8 then ', ...' else '' end
            as example_arch_ids,
        gpus,
        trained_from,
        trained_to
    from binned
)

select * from final
order by site, best_epoch
