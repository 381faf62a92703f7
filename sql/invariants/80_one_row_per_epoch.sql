-- invariant: one_row_per_epoch
-- holds: one epochs row per run and epoch
-- verify only: it groups every epoch row (~0.2 s at full scale); a write cannot break it, since
-- the parsers keep the later record of a repeated epoch and a run's rows come from one file.

with repeated as (
    select
        run_id,
        epoch
    from epochs
    group by run_id, epoch
    having count(*) > 1
),

final as (
    select
        'epochs: run ' || run_id || ' has ' || count(*) || ' epochs more than once (one row per epoch expected)'
            as problem
    from repeated
    group by run_id
)

select * from final
order by problem
