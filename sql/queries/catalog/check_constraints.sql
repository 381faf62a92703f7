-- query: catalog/check_constraints
-- question: Which CHECK constraints does the open file attach to the tables of its main schema?

select
    table_name,
    constraint_text
from system.main.duckdb_constraints()
where database_name = system.main.current_database() and schema_name = 'main' and constraint_type = 'CHECK'
order by 1, 2
