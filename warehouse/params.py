"""The thresholds a user changed in `check_params`, carried over when a warehouse is rebuilt.

`ingest --rebuild` writes a fresh warehouse from the logs; the values of check_params belong to the
user (`update check_params set value = ...`), so they survive it. They are read from the old file
as plain numbers, by name, and only for parameters the new file knows.
"""
from __future__ import annotations

import math
from pathlib import Path

import duckdb

from warehouse.catalog import file_tables, table_columns
from warehouse.connect import connect_as
from warehouse.errors import WarehouseError


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
