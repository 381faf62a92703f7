-- query: catalog/main_tables
-- question: Which base tables does the open file's main schema hold (not the session's temporary
--   tables)?

select table_name
from system.main.duckdb_tables()
where database_name = system.main.current_database() and schema_name = 'main' and not temporary
