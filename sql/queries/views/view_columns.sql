-- query: views/view_columns
-- question: Which columns, in order, do the views just created ($names) return? The installer
--   compares them with the columns each file documents, in one catalog query for all views.
-- parameters: $names the view names

select
    table_name,
    column_name
from duckdb_columns()
where schema_name = 'main' and database_name = current_database() and table_name in (select unnest($names))
order by table_name, column_index
