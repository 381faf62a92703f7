-- query: catalog/table_columns
-- question: Which columns, in order, does each base table of the schema `$1` of the open file
--   have, with its type, generated expression and default?
-- parameters: $1 the schema name

select
    table_name,
    column_name,
    data_type,
    case when is_generated then generation_expression end as generated_as,
    column_default
from system.main.duckdb_columns()
where
    database_name = system.main.current_database() and schema_name = $1
    and table_name in (
        select table_name from system.main.duckdb_tables()
        where database_name = system.main.current_database() and schema_name = $1
    )
order by table_name, column_index
