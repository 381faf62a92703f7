-- report: eval_status_segments
-- grain: one row per site and stretch of consecutive arch ids with the same evaluation status
-- reads: run_summary, check_missing_base_eval
-- question: Over the arch ids, which archs did each site train and evaluate, which did it train
--   without a finished Linf Base evaluation (check_missing_base_eval), which did it leave
--   unfinished, and which were trained by another site only? The strip of <site>_missing_eval.png.
--   Stretches are consecutive arch ids (an id nobody trained ends a stretch, and the strip leaves
--   it blank). Site unknown is left out as a site but its archs count as another site's.
-- columns:
--   site: the site the strip is for
--   status: evaluated, no Base evaluation, training unfinished, or other site only
--   first_rank: rank of the first arch among all archs with a training run (by arch_id, from 1)
--   last_rank: rank of the last arch (ranks and ids are consecutive within a stretch)
--   first_arch_id: first arch id of the stretch
--   last_arch_id: last arch id of the stretch
--   n_archs: archs in the stretch
--   example_arch_ids: up to 10 arch ids of the stretch, as text
--   gpus: primary GPUs of the site's runs in the stretch, as text
--   trained_from: earliest start of the site's runs in the stretch
--   trained_to: latest start of the site's runs in the stretch

with sites as (
    select distinct site
    from run_summary
    where site <> 'unknown'
),

trained as (
    select
        arch_id,
        row_number() over (order by arch_id) as arch_rank
    from (select distinct arch_id from run_summary) as archs
),

site_archs as (
    select
        s.site,
        r.arch_id,
        bool_or(r.finished) as any_finished,
        bool_or(r.finished and m.run_id is null) as evaluated,
        string_agg(distinct coalesce(r.gpu, 'cpu'), ', ' order by coalesce(r.gpu, 'cpu')) as gpus,
        min(r.started_at) as trained_from,
        max(r.started_at) as trained_to
    from sites as s
    inner join run_summary as r on s.site = r.site
    left join check_missing_base_eval as m on r.run_id = m.run_id
    group by s.site, r.arch_id
),

statuses as (
    select
        s.site,
        t.arch_id,
        t.arch_rank,
        case
            when a.arch_id is null then 'other site only'
            when a.evaluated then 'evaluated'
            when a.any_finished then 'no Base evaluation'
            else 'training unfinished'
        end as status,
        a.gpus,
        a.trained_from,
        a.trained_to
    from sites as s
    cross join trained as t
    left join site_archs as a
        on
            s.site = a.site
            and t.arch_id = a.arch_id
),

islands as (
    select
        *,
        arch_id - row_number() over (partition by site, status order by arch_id) as island
    from statuses
),

final as (
    select
        site,
        status,
        min(arch_rank) as first_rank,
        max(arch_rank) as last_rank,
        min(arch_id) as first_arch_id,
        max(arch_id) as last_arch_id,
        count(*) as n_archs,
        array_to_string((list(arch_id order by arch_id))[1:10], ', ')
        || case when count(*) > 10 then ', ...' else '' end as example_arch_ids,
        string_agg(distinct gpus, ', ' order by gpus) as gpus,
        min(trained_from) as trained_from,
        max(trained_to) as trained_to
    from islands
    group by site, status, island
)

select * from final
order by site, first_arch_id
