-- invariant: one_setting_per_run
-- holds: one run_settings row per run and setting
-- verify only: it groups every settings row (~0.1 s at full scale); a write cannot break it, since
-- the training-log parser keeps the first of a setting recorded twice and a run's rows come from
-- one file. check_config_drift counts runs on it.

with repeated as (
    select
        run_id,
        parameter
    from run_settings
    group by run_id, parameter
    having count(*) > 1
),

final as (
    select
        'run_settings: run ' || run_id || ' has ' || count(*)
        || ' settings more than once (one row per setting expected)' as problem
    from repeated
    group by run_id
)

select * from final
order by problem
