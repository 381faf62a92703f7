-- step: duplicates
-- does: Byte-identical copies of a log are loaded once.
-- Among data files with the same sha256 the original is the copy added to git first (then the
-- smallest path): it holds the rows; every other copy keeps its files row (status skipped,
-- duplicate_of = the original) and no data rows, so no run or evaluation counts twice.
-- When the original changes (a new commit, a new copy), the rows already parsed move to it: the
-- content is identical, only the ids, the path and the arch id of the file name differ (an
-- earlier run of an appended evaluation log keeps the line it starts on: eval_id, source_path).
-- Only the groups of a file the ingest loaded are decided again (variable loaded_by_ingest,
-- warehouse/steps.py; NULL: every group): a group's original changes when one of its files is new
-- or changed, or when their git provenance changes, and then the ingest derives every group.
-- Skipped copies whose original changed or went are loaded again by the ingest (warehouse/plan.py).

create or replace temp table _copies as
select
    file_id,
    status,
    message,
    first_value(file_id) over (partition by sha256 order by added_at nulls last, path) as original_id
from files
where
    kind in ('train', 'eval', 'corruption')
    and sha256 is not null
    and (status in ('ok', 'partial') or duplicate_of is not null)
    and (
        getvariable('loaded_by_ingest') is null
        or sha256 in (
            select loaded.sha256 from files as loaded
            where loaded.ingest_id = getvariable('loaded_by_ingest')
        )
    );

-- one holder of parsed rows per group: the original itself when it has rows
create or replace temp table _holders as
select
    c.file_id as holder_id,
    c.original_id,
    c.status,
    c.message,
    row_number() over (partition by c.original_id order by c.file_id = c.original_id desc, f.path) as rank
from _copies as c
inner join files as f on c.file_id = f.file_id
where c.status in ('ok', 'partial');

create or replace temp table _moves as
select
    h.holder_id,
    h.original_id,
    h.status,
    h.message,
    o.path as original_path,
    o.arch_id as original_arch_id
from _holders as h
inner join files as o on h.original_id = o.file_id
where h.rank = 1 and h.holder_id <> h.original_id;

update runs set
    run_id = m.original_id, file_id = m.original_id, source_path = m.original_path, arch_id = m.original_arch_id
from _moves as m
where runs.file_id = m.holder_id;
update epochs set run_id = m.original_id from _moves as m
where epochs.run_id = m.holder_id;
update run_settings set run_id = m.original_id from _moves as m
where run_settings.run_id = m.holder_id;
-- derived from the epochs alone, the step before (20_lr_drops.sql): they move with them
update lr_drops set run_id = m.original_id from _moves as m
where lr_drops.run_id = m.holder_id;
-- an earlier run of an appended evaluation log has the id xor(file_id, line) and source_path
-- <path>#line=<line> (ingest/read.py): it keeps its line on the original
update evals set
    eval_id = xor(evals.eval_id, xor(m.holder_id, m.original_id)),
    file_id = m.original_id,
    source_path = m.original_path || regexp_extract(evals.source_path, '#line=[0-9]+$'),
    arch_id = m.original_arch_id
from _moves as m
where evals.file_id = m.holder_id;
update corruptions set eval_id = m.original_id from _moves as m
where corruptions.eval_id = m.holder_id;
update files set status = m.status, message = m.message, duplicate_of = null
from _moves as m
where files.file_id = m.original_id;

-- rows of any other copy (two copies parsed in the same ingest) go
create or replace temp table _surplus as
select holder_id as file_id from _holders
where rank > 1;
delete from epochs
where run_id in (select file_id from _surplus);
delete from run_settings
where run_id in (select file_id from _surplus);
delete from lr_drops
where run_id in (select file_id from _surplus);
delete from runs
where file_id in (select file_id from _surplus);
delete from corruptions
where eval_id in (select file_id from _surplus);
delete from evals
where file_id in (select file_id from _surplus);

update files
set status = 'skipped', duplicate_of = m.path, message = m.message
from (
    select
        c.file_id,
        o.path,
        'byte-identical copy of ' || o.path || ': loaded once, from there' as message
    from _copies as c
    inner join files as o on c.original_id = o.file_id
    where c.file_id <> c.original_id
) as m
where
    files.file_id = m.file_id
    and (files.status, files.duplicate_of, files.message) is distinct from ('skipped', m.path, m.message);

drop table _copies;
drop table _holders;
drop table _moves;
drop table _surplus;
