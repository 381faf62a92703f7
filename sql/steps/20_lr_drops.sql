-- step: lr_drops
-- does: The learning-rate drops of every run (table lr_drops), from its logged epochs in epoch order:
-- an epoch whose lr is below the lr of the run's previous epoch with an lr. Derived again only for
-- the runs whose epochs this ingest wrote: those of the files it loaded (variable
-- loaded_by_ingest, warehouse/steps.py; NULL derives every run). A run's drops depend on its own
-- epochs alone, and the duplicates step moves them with the epochs: every other run's rows stay
-- right. Deriving every run cost ~0.1 s of every re-ingest at full scale (1.5 million epochs).

create or replace temp table _rederived as
select run_id
from runs
where
    getvariable('loaded_by_ingest') is null
    or file_id in (
        select file_id from files
        where ingest_id = getvariable('loaded_by_ingest')
    );

-- the rows of those runs, and of runs that are gone
delete from lr_drops
where
    run_id in (select run_id from _rederived)
    or run_id not in (select run_id from runs);

insert into lr_drops
with logged as (
    select
        run_id,
        epoch,
        lr,
        lag(lr) over (partition by run_id order by epoch) as lr_before
    from epochs
    where lr is not null and run_id in (select run_id from _rederived)
)

select
    run_id,
    epoch,
    lr_before,
    lr as lr_after
from logged
where lr < lr_before;

drop table _rederived;
