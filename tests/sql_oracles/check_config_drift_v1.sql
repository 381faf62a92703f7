-- oracle: the SQL of check_config_drift_v1 before v2 replaced it (v2 gives the same rows faster, and
-- check_config_drift_v1 is now an alias of it); tests/test_view_versions.py compares v2's rows with these.
-- check: config_drift
-- version: 1 (first version)
-- grain: one row per training setting, site and value
-- reads: lr_decays_v1, run_settings, run_summary_v1, runs
-- requires: epochs.lr, run_settings.value
-- question: Did the sites run the same code and configuration? Compares every setting the logs
--   record: the argument lines, the Config entries (optimizer.lr, scheduler.milestones,
--   dataset.train_batch_size, criterion.epsilon, ...), the environment (pytorch_version, gpu) and
--   what the logs show happened, from finished runs only: observed.lr_decay_epochs and
--   observed.lr_decay_fractions (the epochs whose lr dropped, and those epochs / epochs_planned) and
--   observed.lr_decay_on_schedule (yes when they are the epochs the benchmark's code decays at,
--   run_summary.scheduled_decay_epochs; no for a run whose code or config differed). A run that
--   lacks a setting other runs record counts under the value '(not logged)' (an older or newer
--   code version). Arch ids and size classes inside values (exp_name, config_path, version) are
--   replaced by <id> and <size>; the arch's own shape (model.depth_configs, model.channel_configs,
--   param_size, flops) is left out. A setting differs when some value is recorded at one known site
--   but not at another (site unknown does not count; with one known site nothing differs).
-- columns:
--   parameter: setting name as run_settings.parameter, gpu, or observed.<what>
--   site: site that trained the runs
--   value: the value as logged (normalised as above), or '(not logged)'
--   n_runs: runs of the site with this value
--   differs: true when the sites do not all record the same set of values for the parameter
--   source: argument, config, environment or observed
--   site_runs: runs of the site the parameter applies to (finished runs for observed settings)
--   share: n_runs / site_runs

with header_settings as (
    select
        run_id,
        parameter,
        source,
        regexp_replace(
            regexp_replace(value, 'arch_[0-9]+', 'arch_<id>', 'g'),
            '(^|/)(small|medium|large)(/|$)',
            '\1<size>\3',
            'g'
        ) as value
    from run_settings
    where parameter not in ('model.depth_configs', 'model.channel_configs', 'param_size', 'flops')
),

gpu_settings as (
    select
        run_id,
        'gpu' as parameter,
        'environment' as source,
        coalesce(gpu, 'cpu') as value
    from runs
),

run_decays as (
    select
        run_id,
        list(round(epoch_fraction, 3) order by epoch) as decay_fractions
    from lr_decays_v1
    group by run_id
),

observed_settings as (
    select
        run_id,
        'observed.lr_decay_epochs' as parameter,
        'observed' as source,
        cast(lr_decay_epochs as varchar) as value
    from run_summary_v1
    where finished
    union all
    select
        s.run_id,
        'observed.lr_decay_fractions' as parameter,
        'observed' as source,
        cast(coalesce(d.decay_fractions, cast([] as double[])) as varchar) as value
    from run_summary_v1 as s
    left join run_decays as d on s.run_id = d.run_id
    where s.finished
    union all
    select
        run_id,
        'observed.lr_decay_on_schedule' as parameter,
        'observed' as source,
        case when lr_decay_epochs = scheduled_decay_epochs then 'yes' else 'no' end as value
    from run_summary_v1
    where finished
),

settings as (
    select * from header_settings
    union all
    select * from gpu_settings
    union all
    select * from observed_settings
),

parameters as (
    select
        parameter,
        min(source) as source
    from settings
    group by parameter
),

eligible as (
    select
        r.run_id,
        r.site,
        p.parameter,
        p.source
    from runs as r
    cross join parameters as p
    where p.source <> 'observed'
        or r.finished
),

filled as (
    select
        e.run_id,
        e.site,
        e.parameter,
        e.source,
        coalesce(s.value, '(not logged)') as value
    from eligible as e
    left join settings as s
        on e.run_id = s.run_id
        and e.parameter = s.parameter
),

value_counts as (
    select
        parameter,
        site,
        value,
        min(source) as source,
        count(distinct run_id) as n_runs
    from filled
    group by parameter, site, value
),

site_runs as (
    select
        parameter,
        site,
        count(distinct run_id) as site_runs
    from filled
    group by parameter, site
),

known_sites as (
    select
        parameter,
        count(distinct site) as n_sites
    from filled
    where site <> 'unknown'
    group by parameter
),

value_sites as (
    select
        parameter,
        value,
        count(distinct site) as n_sites_with_value
    from filled
    where site <> 'unknown'
    group by parameter, value
),

drift as (
    select
        v.parameter,
        bool_or(v.n_sites_with_value < k.n_sites) as differs
    from value_sites as v
    inner join known_sites as k on v.parameter = k.parameter
    group by v.parameter
),

final as (
    select
        c.parameter,
        c.site,
        c.value,
        c.n_runs,
        coalesce(d.differs, false) as differs,
        c.source,
        s.site_runs,
        c.n_runs / s.site_runs as share
    from value_counts as c
    inner join site_runs as s
        on c.parameter = s.parameter
        and c.site = s.site
    left join drift as d on c.parameter = d.parameter
)

select * from final
order by parameter, site, value
