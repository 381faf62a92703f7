-- check: code_versions
-- version: 1 (first version)
-- grain: one row per site and code version that wrote its logs
-- reads: code_versions, evals, run_neighbours_v2, runs
-- requires: code_versions.fingerprint
-- question: Which versions of the training and evaluation code did each site run, when, for how many
--   logs, and how many of the runs are low? A code version is a code fingerprint: the argument names
--   and the line formats its logs show (code_versions). With a code repository (ingest
--   --code-repo) it also gives the window of commits whose code prints such logs.
-- columns:
--   site: site of the logs
--   fingerprint: the code version (code_versions.fingerprint)
--   kind: training, evaluation or corruption
--   first_log_at: first line of the site's earliest log of this version
--   last_log_at: first line of its latest
--   n_logs: the site's logs of this version
--   n_finished: of its runs, those finished with a best CW-40 (training only)
--   n_low: of those, the low ones (run_neighbours)
--   low_share: n_low / n_finished
--   n_arguments: argument lines of the version
--   format_markers: its line formats (JSON)
--   n_commits: commits whose code prints such logs (NULL without a code repository)
--   first_commit: the oldest of them
--   last_commit: the newest

with logs as (
    select
        r.site,
        r.code_fingerprint as fingerprint,
        r.started_at,
        n.is_low
    from runs as r
    left join run_neighbours_v2 as n on r.run_id = n.run_id
    where r.code_fingerprint is not null
    union all
    select
        e.site,
        e.code_fingerprint as fingerprint,
        e.started_at,
        null as is_low
    from evals as e
    where e.code_fingerprint is not null
),

final as (
    select
        l.site,
        l.fingerprint,
        any_value(v.kind) as kind,
        min(l.started_at) as first_log_at,
        max(l.started_at) as last_log_at,
        count(*) as n_logs,
        count(l.is_low) as n_finished,
        count(*) filter (where l.is_low) as n_low,
        case when count(l.is_low) > 0 then round(count(*) filter (where l.is_low) / count(l.is_low), 4) end
            as low_share,
        any_value(array_length(v.argument_names)) as n_arguments,
        any_value(v.format_markers) as format_markers,
        any_value(array_length(v.commits)) as n_commits,
        any_value(v.first_commit) as first_commit,
        any_value(v.last_commit) as last_commit
    from logs as l
    inner join code_versions as v on l.fingerprint = v.fingerprint
    group by l.site, l.fingerprint
)

select * from final
order by site, kind desc, first_log_at nulls last, fingerprint
