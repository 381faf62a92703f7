-- query: catalog/file_macros
-- question: Which macros does the open file store (DuckDB's own functions left out)? The tool
--   installs none.

select
    function_type,
    schema_name,
    function_name
from system.main.duckdb_functions()
where database_name = system.main.current_database() and not internal
order by schema_name, function_name
