-- query: load/first_logs
-- question: Which is the first log by path of each code version, once an ingest loaded its rows?
--   Its lines are the ones code_versions keeps (sample_lines, sample_path). One row per
--   fingerprint with logs: the fingerprint and the path (files.path) of its first log.

with logs as (
    select
        r.code_fingerprint as fingerprint,
        f.path
    from runs as r
    inner join files as f on r.file_id = f.file_id
    where r.code_fingerprint is not null
    union all
    select
        e.code_fingerprint as fingerprint,
        f.path
    from evals as e
    inner join files as f on e.file_id = f.file_id
    where e.code_fingerprint is not null
)

select
    fingerprint,
    min(path) as path
from logs
group by fingerprint
order by fingerprint
