-- query: catalog/main_views
-- question: Which views does the open file's main schema hold (not DuckDB's internal ones)?

select view_name
from system.main.duckdb_views()
where database_name = system.main.current_database() and schema_name = 'main' and not internal
