-- invariant: one_files_row_per_path
-- holds: one files row per path, and one per file id
-- A second row for a path (two ingests applying plans to each other's versions) would count the
-- file twice and keep rows that no later ingest replaces.

with paths as (
    select
        path,
        count(*) as n_rows
    from files
    group by path
    having count(*) > 1
),

ids as (
    select
        file_id,
        count(*) as n_rows
    from files
    group by file_id
    having count(*) > 1
),

final as (
    select 'files: ' || n_rows || ' rows for path ' || path || ' (one expected)' as problem
    from paths
    union all
    select 'files: ' || n_rows || ' rows with file_id ' || file_id || ' (one expected)' as problem
    from ids
)

select * from final
order by problem
