-- headline of check_incomplete_runs: runs per reason.
-- findings: runs with at least one reason.

with counts as (
    select
        count(distinct run_id) as n_runs,
        count(*) filter (where reason = 'unfinished') as n_unfinished,
        count(*) filter (where reason = 'nan') as n_nan,
        count(*) filter (where reason = 'resumed') as n_resumed
    from check_incomplete_runs
),

final as (
    select
        n_unfinished || ' unfinished, ' || n_nan || ' with NaN, ' || n_resumed || ' resumed (of '
        || (select count(*) from runs) || ' runs)' as headline,
        n_runs as findings
    from counts
)

select * from final
