-- invariant: rows_have_their_parent
-- holds: no epochs, lr drops or settings without their run, no corruptions without their evaluation,
-- no evaluation linked to a run that is not there

with final as (
    select 'epochs: ' || count(*) || ' rows of run ' || run_id || ', which is not in runs' as problem
    from epochs
    where run_id not in (select run_id from runs)
    group by run_id
    union all
    select 'run_settings: ' || count(*) || ' rows of run ' || run_id || ', which is not in runs' as problem
    from run_settings
    where run_id not in (select run_id from runs)
    group by run_id
    union all
    select 'lr_drops: ' || count(*) || ' rows of run ' || run_id || ', which is not in runs' as problem
    from lr_drops
    where run_id not in (select run_id from runs)
    group by run_id
    union all
    select 'corruptions: ' || count(*) || ' rows of evaluation ' || eval_id || ', which is not in evals' as problem
    from corruptions
    where eval_id not in (select eval_id from evals)
    group by eval_id
    union all
    select 'evals: evaluation ' || eval_id || ' is linked to run ' || run_id || ', which is not in runs' as problem
    from evals
    where run_id is not null and run_id not in (select run_id from runs)
)

select * from final
order by problem
