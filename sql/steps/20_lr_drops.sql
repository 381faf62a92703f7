-- step: lr_drops
-- does: The learning-rate drops of every run (table lr_drops), from its logged epochs in epoch order:
-- an epoch whose lr is below the lr of the run's previous epoch with an lr. Recomputed whole at
-- every write (about 0.2 s of CPU for 1.5 million epochs): the view lr_decays reads these rows.

delete from lr_drops;

insert into lr_drops
with logged as (
    select
        run_id,
        epoch,
        lr,
        lag(lr) over (partition by run_id order by epoch) as lr_before
    from epochs
    where lr is not null
)

select
    run_id,
    epoch,
    lr_before,
    lr as lr_after
from logged
where lr < lr_before;
