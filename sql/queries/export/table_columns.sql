-- query: export/table_columns
-- question: Which columns, of which types and in which order, does the table `$1` of the open
--   warehouse's main schema have? Written to the export's _meta/schema.json.
-- parameters: $1 the table name

select
    column_name,
    data_type
from system.main.duckdb_columns()
where table_name = $1 and schema_name = 'main' and database_name = system.main.current_database()
order by column_index
