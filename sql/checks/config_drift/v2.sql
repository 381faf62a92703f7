-- check: config_drift
-- version: 2 (same rows as v1; counts the runs of each value from the logged settings, and those
--   that did not log a setting as site_runs minus the ones that did, instead of joining every run to
--   every setting (0.9 M rows at full scale) and counting distinct runs; applies the <id>/<size>
--   replacements only to values that hold arch_ or a size name: 2x faster at full scale; run_settings
--   holds one row per run and setting (invariant one_setting_per_run), so only the settings this view
--   adds itself (gpu, observed.*), which a header may also name, are made distinct: 2x faster again)
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
        case
            when
                strpos(value, 'arch_') > 0
                or strpos(value, 'small') > 0
                or strpos(value, 'medium') > 0
                or strpos(value, 'large') > 0
                then regexp_replace(
                    regexp_replace(value, 'arch_[0-9]+', 'arch_<id>', 'g'),
                    '(^|/)(small|medium|large)(/|$)',
                    '\1<size>\3',
                    'g'
                )
            else value
        end as value
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

site_run_counts as (
    select
        site,
        count(distinct run_id) as n_runs,
        count(distinct case when finished then run_id end) as n_finished
    from runs
    group by site
),

site_runs as (
    select
        p.parameter,
        s.site,
        p.source,
        case when p.source = 'observed' then s.n_finished else s.n_runs end as site_runs
    from parameters as p
    cross join site_run_counts as s
),

run_values as (
    select
        s.run_id,
        r.site,
        s.parameter,
        coalesce(s.value, '(not logged)') as value,
        s.parameter = 'gpu' or starts_with(s.parameter, 'observed.') as added
    from settings as s
    inner join runs as r on s.run_id = r.run_id
    inner join parameters as p on s.parameter = p.parameter
    where
        p.source <> 'observed'
        or r.finished
),

distinct_values as (
    select
        run_id,
        site,
        parameter,
        value
    from run_values
    where not added
    union all
    select distinct
        run_id,
        site,
        parameter,
        value
    from run_values
    where added
),

logging_runs as (
    select
        parameter,
        site,
        count(*) as n_logging
    from run_values
    where not added
    group by parameter, site
    union all
    select
        parameter,
        site,
        count(distinct run_id) as n_logging
    from run_values
    where added
    group by parameter, site
),

value_runs as (
    select
        parameter,
        site,
        value,
        count(*) as n_runs
    from distinct_values
    group by parameter, site, value
    union all
    select
        s.parameter,
        s.site,
        '(not logged)' as value,
        s.site_runs - coalesce(l.n_logging, 0) as n_runs
    from site_runs as s
    left join logging_runs as l
        on
            s.parameter = l.parameter
            and s.site is not distinct from l.site
    where s.site_runs > coalesce(l.n_logging, 0)
),

value_counts as (
    select
        v.parameter,
        v.site,
        v.value,
        min(p.source) as source,
        cast(sum(v.n_runs) as bigint) as n_runs
    from value_runs as v
    inner join parameters as p on v.parameter = p.parameter
    group by v.parameter, v.site, v.value
),

known_sites as (
    select
        parameter,
        count(distinct site) as n_sites
    from site_runs
    where
        site <> 'unknown'
        and site_runs > 0
    group by parameter
),

value_sites as (
    select
        parameter,
        value,
        count(distinct site) as n_sites_with_value
    from value_counts
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
        on
            c.parameter = s.parameter
            and c.site = s.site
    left join drift as d on c.parameter = d.parameter
)

select * from final
order by parameter, site, value
