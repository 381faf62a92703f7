"""Read-only access for people: `cli.py sql`, checks and reports all read through here.

Only queries run (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN): anything else is
refused before it reaches the database, the file is opened read-only, and file system access is
switched off so a query cannot read or write other files.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.migrate import check_version, latest_version

_ALLOWED = {"SELECT", "EXPLAIN"}


def open_for_reading(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an existing warehouse at the current schema version.

    A warehouse written by an older version of the tool is migrated first (atomically, like an
    ingest), so that upgrading the tool needs no re-ingest.
    """
    db = Path(db)
    if not db.exists():
        raise WarehouseError(f"no warehouse at {db}: run `python cli.py ingest <logs folder>` first (or pass --db)")
    con = connect(db, read_only=True)
    try:
        version = check_version(con, db)
        if version < latest_version():
            con.close()
            from warehouse.update import upgrade_warehouse

            upgrade_warehouse(db)
            con = connect(db, read_only=True)
        con.execute("set enable_external_access = false")
    except BaseException:
        con.close()
        raise
    return con


def run_query(db: Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one or more read-only statements; return the columns and rows of the last one."""
    con = open_for_reading(db)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise WarehouseError(f"SQL error: {str(exc).splitlines()[0]}") from None
        if not statements:
            raise WarehouseError("no SQL statement given")
        for statement in statements:
            kind = statement.type.name
            if kind not in _ALLOWED:
                raise WarehouseError(f"only queries are allowed here (got {kind}); the warehouse is read-only")
        try:
            for statement in statements[:-1]:
                con.execute(statement.query)
            cursor = con.execute(statements[-1].query)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            rows = cursor.fetchall() if cursor.description else []
        except duckdb.Error as exc:
            raise WarehouseError(f"SQL error: {str(exc).splitlines()[0]}") from None
        return columns, rows
    finally:
        con.close()
