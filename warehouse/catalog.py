"""What a warehouse file holds besides rows: its tables, views, macros, sequences, types, schemas.

A file from elsewhere may hold a table macro named `duckdb_views` that answers in place of DuckDB's
own catalog function (a macro in the file's schema comes first in DuckDB's search path). So every
query here names DuckDB's functions with their catalog, `system.main.duckdb_views()`, which no file
can replace (a file named system.duckdb opens as `system_db`), and otherwise uses operators only
(`=`, `in`, `not`, `case`), never a function a macro could stand in for.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.sqlfiles import read_query

# the one-liners below put this constant of the tool's own into their SQL text (the queries of
# sql/queries/catalog/ spell it out)
_IN_FILE = "database_name = system.main.current_database()"


@dataclass(frozen=True)
class CatalogObject:
    """One object of the file: kind (table, view, macro, table_macro, sequence, type, index,
    schema), schema and name; `shadows` is true for a macro named like one of DuckDB's functions."""

    kind: str
    schema: str
    name: str
    shadows: bool = False

    @property
    def qualified(self) -> str:
        return self.name if self.schema == "main" or self.kind == "schema" else f"{self.schema}.{self.name}"


def file_macros(con: duckdb.DuckDBPyConnection) -> list[CatalogObject]:
    """Macros stored in the file (the tool installs none), each saying whether it replaces a
    function of DuckDB's own: then any SQL calling that function runs the macro instead."""
    rows = con.execute(read_query("catalog/file_macros")).fetchall()
    if not rows:
        return []
    names = sorted({r[2] for r in rows})
    # only operators here (IN, =): a function call could itself be one of the file's macros; the
    # names go in as parameters, only their placeholders are built
    builtin = {r[0] for r in con.execute(
        "select distinct function_name from system.main.duckdb_functions() "
        f"where database_name = 'system' and function_name in ({', '.join('?' * len(names))})", names
    ).fetchall()}
    return [CatalogObject(kind, schema, name, name in builtin) for kind, schema, name in rows]


def file_views(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(schema, view name) -> the CREATE VIEW statement DuckDB stores for it."""
    rows = con.execute(
        f"select schema_name, view_name, sql from system.main.duckdb_views() where {_IN_FILE} and not internal"
    ).fetchall()
    return {(schema, name): sql for schema, name, sql in rows}


def file_table_statements(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Base table of the file's main schema -> the CREATE TABLE statement DuckDB writes for it from
    the table as stored (its columns, defaults, generated columns and constraints)."""
    return dict(con.execute(
        f"select table_name, sql from system.main.duckdb_tables() where {_IN_FILE} and schema_name = 'main'"
    ).fetchall())


def file_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table name) of every base table of the file."""
    return con.execute(read_query("catalog/file_tables")).fetchall()


def table_columns(con: duckdb.DuckDBPyConnection, schema: str = "main") -> dict[str, list[tuple]]:
    """table -> [(column, type, generated expression or None, default or None)] in column order."""
    rows = con.execute(read_query("catalog/table_columns"), [schema]).fetchall()
    out: dict[str, list[tuple]] = {}
    for table, *column in rows:
        out.setdefault(table, []).append(tuple(column))
    return out


def other_objects(con: duckdb.DuckDBPyConnection) -> list[CatalogObject]:
    """Sequences, user types, indexes and schemas of the file (the tool creates none of them)."""
    found = []
    for kind, query in (
        ("sequence", f"select schema_name, sequence_name from system.main.duckdb_sequences() where {_IN_FILE}"),
        ("type", f"select schema_name, type_name from system.main.duckdb_types() where {_IN_FILE} and not internal"),
        ("index", f"select schema_name, index_name from system.main.duckdb_indexes() where {_IN_FILE}"),
        ("schema", f"select schema_name, schema_name from system.main.duckdb_schemas() where {_IN_FILE} "
                   "and not internal and schema_name <> 'main'"),
    ):
        found.extend(CatalogObject(kind, schema, name) for schema, name in con.execute(query + " order by 1, 2").fetchall())
    return found


def computed_columns(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> list[str]:
    """Expressions the file attaches to these tables of its main schema, which DuckDB evaluates
    whenever rows are read or written: generated columns, defaults, CHECK constraints."""
    wanted = set(tables)
    found = [f"column {table}.{column} computes {expression}"
             for table, column, expression in con.execute(read_query("catalog/computed_columns")).fetchall()
             if table in wanted]
    rows = con.execute(read_query("catalog/check_constraints")).fetchall()
    return found + [f"table {table} checks {text}" for table, text in rows if table in wanted]
