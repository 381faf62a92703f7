-- step: byte-identical copies of a log are loaded once.
-- Among data files with the same sha256, the smallest path is loaded; every other copy keeps its
-- files row (status skipped, duplicate_of = the loaded path) and loses its data rows, so no run or
-- evaluation is counted twice. Deterministic: the same whatever order folders were ingested in.

create or replace temp table _duplicates as
select
    file_id,
    primary_path
from (
    select
        file_id,
        path,
        min(path) over (partition by sha256) as primary_path
    from files
    where kind in ('train', 'eval', 'corruption')
        and sha256 is not null
        and (status in ('ok', 'partial') or duplicate_of is not null)
)
where path <> primary_path;

delete from epochs where run_id in (select file_id from _duplicates);
delete from run_settings where run_id in (select file_id from _duplicates);
delete from runs where file_id in (select file_id from _duplicates);
delete from corruptions where eval_id in (select file_id from _duplicates);
delete from evals where file_id in (select file_id from _duplicates);

update files
set
    status = 'skipped',
    duplicate_of = d.primary_path,
    message = 'byte-identical copy of ' || d.primary_path || ': loaded once, from there'
from _duplicates as d
where files.file_id = d.file_id;

drop table _duplicates;
