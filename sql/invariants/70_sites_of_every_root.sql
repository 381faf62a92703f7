-- invariant: sites_of_every_root
-- holds: every file's site comes from the sites file recorded for it, and every root is recorded
-- schema: 6
-- The sites table describes the sites of every sites file in use, so a file's site (other than
-- unknown) is a row of its own sites file there; every files.root is a row of roots.

with unexplained as (
    select
        f.site,
        f.sites_path,
        count(*) as n_files
    from files as f
    where
        f.site is not null
        and f.site <> 'unknown'
        and not exists (
            select 1
            from sites as s
            where
                s.site = f.site
                and s.source is not distinct from f.sites_path
                and s.sites_sha256 is not distinct from f.sites_sha256
        )
    group by f.site, f.sites_path
),

unrecorded as (
    select
        root,
        count(*) as n_files
    from files
    where root is not null and root not in (select root from roots)
    group by root
),

final as (
    select
        'sites: ' || n_files || ' files of site ' || site || ' name sites file ' || coalesce(sites_path, '(none)')
        || ', whose rows are not in sites' as problem
    from unexplained
    union all
    select 'roots: ' || n_files || ' files under root ' || root || ', which is not in roots' as problem
    from unrecorded
)

select * from final
order by problem
