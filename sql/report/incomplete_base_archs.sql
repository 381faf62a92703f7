-- report: incomplete_base_archs
-- grain: one row per site and arch
-- reads: check_missing_base_eval
-- question: Which archs did each site train to the end without a finished Linf Base evaluation of
--   the arch? The lists <site>_incomplete_base.txt (one arch id per line).
-- columns:
--   site: site that trained the run
--   arch_id: architecture id
--   has_unfinished_base: a Linf Base evaluation of the arch exists but stopped before its results

with final as (
    select
        site,
        arch_id,
        bool_or(has_unfinished_base) as has_unfinished_base
    from check_missing_base_eval
    group by site, arch_id
)

select * from final
order by site, arch_id
