-- view: run_attributes
-- version: 1 (first version; the settings are joined after keeping those that vary: same rows, faster)
-- grain: one row per training run and attribute (every run has every attribute)
-- reads: archs, lr_decays_v1, run_settings, runs
-- question: What can be said of each training run that might explain how it went? The candidate
--   causes check_explain weighs, each as text: where and on
--   what it ran (site, gpu, gpu_count, pytorch_version), when (start_month), which code and
--   precision path (code_version, precision_path), its size class, whether it was resumed, what
--   its learning rate did (first_lr_decay: the first epoch whose lr dropped, or none), its
--   throughput (steps_per_second: the quartile of its median it/s among all runs, by the share
--   of runs at or below it, so runs of equal it/s share one), and every setting its
--   header logs that takes 2 to 30 values over the runs (setting.<name>: AMP flags, batch sizes,
--   attack radius and steps, ...; a setting with one value explains nothing, one with more, such
--   as exp_name, names runs rather than groups them; environment lines are covered by the
--   attributes above; a run whose header lacks the setting, as older code versions' do, has the
--   value 'not logged'). Every run has one value of every attribute; one not known is 'unknown'.
-- columns:
--   run_id: the run (runs.run_id)
--   attribute: what is said of the run, e.g. precision_path or setting.apex_amp
--   value: its value for the run, as text

with ranked as (
    -- the share of runs at or below each run's it/s: runs of equal it/s share it, and a quartile
    select
        run_id,
        steps_per_second,
        cume_dist() over (partition by steps_per_second is null order by steps_per_second) as share_at_or_below
    from runs
),

throughput as (
    select
        run_id,
        case
            when steps_per_second is null then 'unknown'
            when share_at_or_below <= 0.25 then 'quartile 1'
            when share_at_or_below <= 0.5 then 'quartile 2'
            when share_at_or_below <= 0.75 then 'quartile 3'
            else 'quartile 4'
        end as value
    from ranked
),

first_decays as (
    select
        run_id,
        min(epoch) as first_decay_epoch
    from lr_decays_v1
    group by run_id
),

varying_settings as (
    select parameter
    from run_settings
    where source <> 'environment'
    group by parameter
    having count(distinct value) between 2 and 30
),

varying_values as (
    -- the logged values of those settings only: the join below builds on these, not on every setting
    select
        run_id,
        parameter,
        value
    from run_settings
    where source <> 'environment' and parameter in (select v.parameter from varying_settings as v)
),

from_runs as (
    select
        r.run_id,
        coalesce(r.site, 'unknown') as site,
        coalesce(r.gpu, 'cpu') as gpu,
        cast(coalesce(array_length(r.gpu_list), 0) as varchar) as gpu_count,
        coalesce(r.pytorch_version, 'unknown') as pytorch_version,
        coalesce(strftime(r.started_at, '%Y-%m'), 'unknown') as start_month,
        coalesce(r.precision_path, 'unknown') as precision_path,
        coalesce(r.code_fingerprint, 'unknown') as code_version,
        coalesce(a.size_class, 'unknown') as size_class,
        cast(coalesce(r.resumed, false) as varchar) as resumed,
        coalesce(cast(d.first_decay_epoch as varchar), 'none') as first_lr_decay,
        t.value as steps_per_second
    from runs as r
    left join archs as a on r.arch_id = a.arch_id
    left join first_decays as d on r.run_id = d.run_id
    left join throughput as t on r.run_id = t.run_id
),

final as (
    select
        run_id,
        'site' as attribute,
        site as value
    from from_runs
    union all
    select
        run_id,
        'gpu' as attribute,
        gpu as value
    from from_runs
    union all
    select
        run_id,
        'gpu_count' as attribute,
        gpu_count as value
    from from_runs
    union all
    select
        run_id,
        'pytorch_version' as attribute,
        pytorch_version as value
    from from_runs
    union all
    select
        run_id,
        'start_month' as attribute,
        start_month as value
    from from_runs
    union all
    select
        run_id,
        'precision_path' as attribute,
        precision_path as value
    from from_runs
    union all
    select
        run_id,
        'code_version' as attribute,
        code_version as value
    from from_runs
    union all
    select
        run_id,
        'size_class' as attribute,
        size_class as value
    from from_runs
    union all
    select
        run_id,
        'resumed' as attribute,
        resumed as value
    from from_runs
    union all
    select
        run_id,
        'first_lr_decay' as attribute,
        first_lr_decay as value
    from from_runs
    union all
    select
        run_id,
        'steps_per_second' as attribute,
        steps_per_second as value
    from from_runs
    union all
    select
        r.run_id,
        'setting.' || v.parameter as attribute,
        coalesce(s.value, 'not logged') as value
    from runs as r
    cross join varying_settings as v
    left join varying_values as s
        on r.run_id = s.run_id and v.parameter = s.parameter
)

select * from final
