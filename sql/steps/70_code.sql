-- step: code
-- does: Which code ran. Every ingest recomputes from what the tables hold:
-- the precision path of each run (threshold precision_path.min_scaled_grad_norm in check_params);
-- each code version's logs (first and last, how many; versions no log has any more go);
-- its commit window (code_versions.commits, matched by warehouse/code_windows.py);
-- and each log's code_commits: the version's commits whose author date (wall-clock, as git shows
-- it) is not after the log's first line and whose script could have written a log file of its
-- name (code_versions.commit_log_names). Those are derived again only for the logs of the files
-- the ingest loaded (variable loaded_by_ingest, warehouse/steps.py; NULL: every log): a version's
-- commits change only with the code repositories (the ingest then derives every log) or with the
-- tool's matching (its source is part of the steps' fingerprint), and a new version's logs are new.

update runs
set precision_path = n.precision_path
from (
    select
        r.run_id,
        case
            when r.grad_norm_median is null then null
            when r.grad_norm_median >= p.value then 'native_amp_unscaled'
            else 'fp32_or_apex'
        end as precision_path
    from runs as r, (
        select max(value) as value from check_params
        where name = 'precision_path.min_scaled_grad_norm'
    ) as p
) as n
where runs.run_id = n.run_id and runs.precision_path is distinct from n.precision_path;

create or replace temp table _logs as
select
    run_id as id,
    file_id,
    code_fingerprint as fingerprint,
    started_at,
    'run' as source
from runs
where code_fingerprint is not null
union all
select
    eval_id as id,
    file_id,
    code_fingerprint as fingerprint,
    started_at,
    'eval' as source
from evals
where code_fingerprint is not null;

-- the files whose logs' code_commits are derived again
create or replace temp table _rederived_files as
select file_id from files
where
    getvariable('loaded_by_ingest') is null
    or ingest_id = getvariable('loaded_by_ingest');

delete from code_versions
where fingerprint not in (select fingerprint from _logs);

update code_versions
set
    first_log_at = l.first_log_at,
    last_log_at = l.last_log_at,
    n_logs = l.n_logs,
    n_runs = l.n_runs,
    n_evals = l.n_evals
from (
    select
        fingerprint,
        min(started_at) as first_log_at,
        max(started_at) as last_log_at,
        count(*) as n_logs,
        count(*) filter (where source = 'run') as n_runs,
        count(*) filter (where source = 'eval') as n_evals
    from _logs
    group by fingerprint
) as l
where
    code_versions.fingerprint = l.fingerprint
    and (
        code_versions.first_log_at, code_versions.last_log_at,
        code_versions.n_logs, code_versions.n_runs, code_versions.n_evals
    ) is distinct from (l.first_log_at, l.last_log_at, l.n_logs, l.n_runs, l.n_evals);

create or replace temp table _window as
select
    v.fingerprint,
    h.sha,
    h.authored_at,
    h.position,
    h.repo
from code_versions as v, unnest(v.commits) as c (sha)
inner join code_history as h on c.sha = h.sha;

update code_versions
set
    first_commit = w.first_commit,
    first_commit_at = w.first_commit_at,
    last_commit = w.last_commit,
    last_commit_at = w.last_commit_at
from (
    select
        fingerprint,
        arg_min(sha, position) as first_commit,
        min(authored_at) as first_commit_at,
        arg_max(sha, position) as last_commit,
        max(authored_at) as last_commit_at
    from _window
    group by fingerprint
) as w
where
    code_versions.fingerprint = w.fingerprint
    and (
        code_versions.first_commit, code_versions.first_commit_at,
        code_versions.last_commit, code_versions.last_commit_at
    ) is distinct from (w.first_commit, w.first_commit_at, w.last_commit, w.last_commit_at);

update code_versions
set first_commit = null, first_commit_at = null, last_commit = null, last_commit_at = null
where
    (commits is null or len(commits) = 0)
    and (
        first_commit is not null or first_commit_at is not null or last_commit is not null or last_commit_at is not null
    );

-- a log's commits are those of its version's window authored at or before its first line (or of
-- no known date); a log with no first line gets them all. Of one version, logs whose first lines
-- fall between the same two author dates get the same list: the lists are made once per author
-- date of the window (and -infinity, infinity), and each log takes the list of the latest date
-- not after its first line (an ASOF join), instead of joining every log to every commit.
create or replace temp table _log_commits as
with thresholds as (
    select
        code_versions.fingerprint,
        t.threshold
    from code_versions, (values ('-infinity'::timestamp), ('infinity'::timestamp)) as t (threshold)
    where code_versions.commits is not null
    union
    select
        fingerprint,
        authored_at as threshold
    from _window
    where authored_at is not null
),

commit_sets as (
    select
        t.fingerprint,
        t.threshold,
        coalesce(list(w.sha order by w.repo, w.position) filter (where w.sha is not null), []) as commits
    from thresholds as t
    left join _window as w
        on
            t.fingerprint = w.fingerprint
            and (w.authored_at is null or t.threshold >= w.authored_at)
    group by t.fingerprint, t.threshold
),

rederived_logs as (
    select * from _logs
    where file_id in (select file_id from _rederived_files)
),

windowed as (
    select
        l.source,
        l.id,
        s.commits
    from rederived_logs as l
    asof inner join commit_sets as s
        on
            l.fingerprint = s.fingerprint
            and coalesce(l.started_at, 'infinity'::timestamp) >= s.threshold
),

-- then the commits whose script writes log files of other names leave a log's list (before
-- 2e6cd80 eval.py wrote no _AA-Compact.log): code_versions.commit_log_names holds the LIKE
-- patterns of the names each commit can write, for the commits whose script names its log plainly
name_patterns as (
    select
        v.fingerprint,
        struct_extract(r.rule, 'sha') as sha,
        unnest(struct_extract(r.rule, 'patterns')) as pattern
    from code_versions as v, unnest(v.commit_log_names) as r (rule)
),

-- each log's name is tested once against each distinct pattern of its version, not once per
-- commit: the patterns it matches are its signature, and the logs of one version with the same
-- signature leave out the same commits (decided once per signature)
version_patterns as (
    select distinct
        fingerprint,
        pattern
    from name_patterns
),

log_signatures as (
    select
        l.source,
        l.id,
        l.fingerprint,
        coalesce(list(p.pattern order by p.pattern) filter (where like_escape(f.name, p.pattern, '\')), [])
            as matched
    from rederived_logs as l
    inner join files as f on l.file_id = f.file_id
    inner join version_patterns as p on l.fingerprint = p.fingerprint
    group by l.source, l.id, l.fingerprint
),

signature_excluded as (
    select
        s.fingerprint,
        s.matched,
        p.sha
    from (
        select distinct
            fingerprint,
            matched
        from log_signatures
    ) as s
    inner join name_patterns as p on s.fingerprint = p.fingerprint
    group by s.fingerprint, s.matched, p.sha
    having not bool_or(list_contains(s.matched, p.pattern))
),

name_excluded as (
    select
        l.source,
        l.id,
        e.sha
    from log_signatures as l
    inner join signature_excluded as e on l.fingerprint = e.fingerprint and l.matched = e.matched
),

narrowed_logs as (
    select distinct
        source,
        id
    from name_excluded
),

exploded as (
    select
        w.source,
        w.id,
        unnest(w.commits) as sha,
        generate_subscripts(w.commits, 1) as position
    from windowed as w
    inner join narrowed_logs as n on w.source = n.source and w.id = n.id
),

kept as (
    select
        x.source,
        x.id,
        list(x.sha order by x.position) as commits
    from exploded as x
    left join name_excluded as e on x.source = e.source and x.id = e.id and x.sha = e.sha
    where e.sha is null
    group by x.source, x.id
)

select
    w.source,
    w.id,
    case when n.id is null then w.commits else coalesce(k.commits, []) end as commits
from windowed as w
left join narrowed_logs as n on w.source = n.source and w.id = n.id
left join kept as k on w.source = k.source and w.id = k.id;

-- only the logs whose commits change are written (a log of no known version gets none)
update runs set code_commits = n.commits
from (
    select
        r.run_id,
        c.commits
    from runs as r
    left join _log_commits as c on c.source = 'run' and r.run_id = c.id
    where r.file_id in (select file_id from _rederived_files)
) as n
where runs.run_id = n.run_id and runs.code_commits is distinct from n.commits;

update evals set code_commits = n.commits
from (
    select
        e.eval_id,
        c.commits
    from evals as e
    left join _log_commits as c on c.source = 'eval' and e.eval_id = c.id
    where e.file_id in (select file_id from _rederived_files)
) as n
where evals.eval_id = n.eval_id and evals.code_commits is distinct from n.commits;

drop table _log_commits;
drop table _logs;
drop table _rederived_files;
drop table _window;
