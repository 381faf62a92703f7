-- report: code_timeline
-- grain: one row per training run
-- reads: check_vertical_lines, code_versions, run_neighbours, runs
-- question: When did each run start, which version of the training code and which precision path
--   wrote it, and is it one of the low runs of a band? The points of code_timeline.png.
-- columns:
--   run_id: the run
--   arch_id: architecture id
--   site: site that trained the run
--   gpu: primary GPU (cpu when none)
--   started_at: first line of the log
--   precision_path: native_amp_unscaled, fp32_or_apex or unknown
--   code_version: training code version, numbered by its first log (1 = oldest), with its commit
--     window when a code repository is known
--   grad_norm_median: median |gn| of the run's step lines
--   is_low: finished and far below archs of similar size (run_neighbours)
--   in_band: low and inside a band of check_vertical_lines

with versions as (
    select
        fingerprint,
        row_number() over (order by first_log_at nulls last, fingerprint) as number,
        first_commit,
        last_commit
    from code_versions
    where kind = 'training'
),

final as (
    select
        r.run_id,
        r.arch_id,
        r.site,
        coalesce(r.gpu, 'cpu') as gpu,
        r.started_at,
        coalesce(r.precision_path, 'unknown') as precision_path,
        case
            when v.fingerprint is null then 'unknown'
            when v.first_commit is null then 'code ' || v.number || ' (' || v.fingerprint || ')'
            else 'code ' || v.number || ' (' || left(v.first_commit, 8) || '..' || left(v.last_commit, 8) || ')'
        end as code_version,
        r.grad_norm_median,
        coalesce(n.is_low, false) as is_low,
        coalesce(n.is_low, false) and b.band_id is not null as in_band
    from runs as r
    left join versions as v on r.code_fingerprint = v.fingerprint
    left join run_neighbours as n on r.run_id = n.run_id
    left join check_vertical_lines as b on r.arch_id between b.first_arch_id and b.last_arch_id
)

select * from final
order by started_at nulls last, arch_id
