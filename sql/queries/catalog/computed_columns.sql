-- query: catalog/computed_columns
-- question: Which columns of the base tables of the open file's main schema compute an expression
--   (a generated column, or a default), and what expression?

select
    table_name,
    column_name,
    case when is_generated then generation_expression else column_default end as expression
from system.main.duckdb_columns()
where
    database_name = system.main.current_database() and schema_name = 'main'
    and (is_generated or column_default is not null)
    and table_name in (
        select table_name from system.main.duckdb_tables()
        where database_name = system.main.current_database() and schema_name = 'main'
    )
order by table_name, column_index
