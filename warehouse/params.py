"""The table `check_params`: its defaults from the `params.toml` files, and the values a user set.

Each check (and helper view) folder defines its parameters in `params.toml` (warehouse/registry.py
reads them); `install_check_params` adds those the warehouse lacks with value = default_value and
keeps the documentation columns current, but never changes a value: the values belong to the user
(`update check_params set value = ...`). `ingest --rebuild` writes a fresh warehouse from the logs;
the values are carried over from the old file as plain numbers, by name, and only for parameters the
new file knows.
"""
from __future__ import annotations

import math
from pathlib import Path

import duckdb

from warehouse.catalog import file_tables, table_columns
from warehouse.connect import connect_as
from warehouse.errors import WarehouseError
from warehouse.registry import default_params
from warehouse.sqlfiles import read_query
from warehouse.viewfiles import SQL_DIR


def saved_check_params(db: Path | None, shown_as: Path | None = None) -> tuple[dict[str, float], list[str]]:
    """name -> value of the check_params of the warehouse at `db` (a snapshot of `shown_as`), and
    warnings when they cannot be read (a damaged or hostile file: the rebuild starts from the defaults)."""
    if db is None or not db.exists():
        return {}, []
    try:
        con = connect_as(db, shown_as or db, read_only=True)
    except WarehouseError as exc:
        return {}, [f"check_params of the old warehouse not carried over, the defaults apply: {exc}"]
    try:
        if ("main", "check_params") not in file_tables(con):
            return {}, []
        columns = table_columns(con).get("check_params", [])
        if any(c[2] is not None for c in columns) or not {"name", "value"} <= {c[0] for c in columns}:
            return {}, ["check_params of the old warehouse not carried over: its table is not the tool's"]
        rows = con.execute("select name, value from main.check_params").fetchall()
    except duckdb.Error as exc:
        return {}, [f"check_params of the old warehouse not carried over: {str(exc).splitlines()[0]}"]
    finally:
        con.close()
    return {name: float(value) for name, value in rows
            if isinstance(name, str) and isinstance(value, (int, float)) and math.isfinite(value)}, []


def restore_check_params(con: duckdb.DuckDBPyConnection, values: dict[str, float]) -> None:
    """Set the values of the parameters this warehouse knows (by name)."""
    for name, value in sorted(values.items()):
        con.execute("update check_params set value = ? where name = ?", [value, name])


def install_check_params(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Merge the folders' parameter defaults into check_params: a parameter the table lacks is
    added (value = default_value = the file's); one it holds gets the file's check_name, unit and
    description, its value and default_value stay. Returns the names added."""
    params = default_params(sql_dir)
    held = {r[0] for r in con.execute("select name from check_params").fetchall()}
    added = []
    for p in params:
        if p.name in held:
            con.execute(read_query("params/refresh_param"), [p.name, p.read_by, p.unit, p.description])
        else:
            con.execute("insert into check_params values (?, ?, ?, ?, ?, ?)",
                        [p.name, p.read_by, p.value, p.value, p.unit, p.description])
            added.append(p.name)
    return added


def read_missing_params_as_defaults(con: duckdb.DuckDBPyConnection) -> list[str]:
    """For a connection reading the tool's views over a file whose check_params lacks parameters
    they read (written before the parameters were added; the next install of the views adds
    them): a TEMP copy of check_params with those at their defaults, shadowing the file's table for
    this connection only (nothing is written). Without it such a parameter reads NULL, and a
    threshold compared with NULL keeps no row. Returns the names added."""
    held = {r[0] for r in con.execute("select name from check_params").fetchall()}
    missing = [p for p in default_params() if p.name not in held]
    if missing:
        # created before any TEMP table of that name exists: `from check_params` is the file's table
        con.execute("create temp table check_params as select * from check_params")
        con.executemany("insert into temp.check_params values (?, ?, ?, ?, ?, ?)",
                        [[p.name, p.read_by, p.value, p.value, p.unit, p.description] for p in missing])
    return [p.name for p in missing]
