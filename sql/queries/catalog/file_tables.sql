-- query: catalog/file_tables
-- question: Which base tables does the open file hold, in any schema?

select
    schema_name,
    table_name
from system.main.duckdb_tables()
where database_name = system.main.current_database() and not temporary
order by 1, 2
