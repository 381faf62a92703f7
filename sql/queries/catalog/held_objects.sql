-- query: catalog/held_objects
-- question: Which tables and views does the open file hold, in any schema (kind, schema, name)?
--   A file without a schema version that holds any is not an empty new warehouse.

select
    'table' as kind,
    schema_name,
    table_name as name
from system.main.duckdb_tables()
where database_name = system.main.current_database() and not temporary
union all
select
    'view' as kind,
    schema_name,
    view_name as name
from system.main.duckdb_views()
where database_name = system.main.current_database() and not internal and not temporary
order by 1, 2, 3
