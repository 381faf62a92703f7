"""Schema migrations: numbered `sql/migrations/NNN_name.sql` files applied in order.

Each migration runs in its own transaction together with its `migrations` row and the new
`schema_version` in `meta`, so a file is always at exactly one known version. A file written by a
newer version of this tool is refused rather than guessed at.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import duckdb

from warehouse.catalog import CatalogObject, file_tables, file_views
from warehouse.errors import WarehouseError
from warehouse.sqlfiles import SQL_DIR, read_sql

MIGRATIONS_DIR = SQL_DIR / "migrations"
_NAME = re.compile(r"(\d{3})_[\w-]+\.sql")
_CREATE_TABLE = re.compile(r"^create table (\w+)", re.M)


def migrations() -> list[tuple[int, Path]]:
    """All migration files, ordered by number."""
    found = []
    for path in MIGRATIONS_DIR.glob("*.sql"):  # sql/migrations (a test points it at a copy)
        match = _NAME.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def migration_statements() -> list[str]:
    """The SQL of every migration, in order: what makes the tool's tables in a scratch database."""
    return [read_sql("migration", path) for _, path in migrations()]


def latest_version() -> int:
    return migrations()[-1][0]


def tool_tables() -> tuple[str, ...]:
    """Names of the tables the migrations create: the tables of the tool, which it reads and writes.

    >>> "runs" in tool_tables() and "view_versions" in tool_tables()
    True
    """
    return _tables_created(tuple(path for _, path in migrations()))


@lru_cache(maxsize=8)
def _tables_created(paths: tuple[Path, ...]) -> tuple[str, ...]:
    """Asked ~10 times per ingest; the files' text is read once per process anyway (`read_sql`)."""
    return tuple(sorted(name for path in paths for name in _CREATE_TABLE.findall(read_sql("migration", path))))


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Version of an open warehouse; 0 for an empty file."""
    exists = con.execute(
        "select count(*) from system.main.duckdb_tables() where table_name = 'meta' and schema_name = 'main' "
        "and database_name = system.main.current_database()"
    ).fetchone()[0]
    if not exists:
        return 0
    rows = con.execute("select value from meta where key = 'schema_version'").fetchall()
    if len(rows) > 1:
        raise WarehouseError(f"meta holds {len(rows)} schema_version rows: not a warehouse this tool wrote")
    if not rows:
        return 0
    try:
        return int(rows[0][0])
    except (TypeError, ValueError):
        raise WarehouseError(f"meta.schema_version is {rows[0][0]!r}, not a number: not a warehouse this tool wrote") from None


def check_version(con: duckdb.DuckDBPyConnection, path: Path | str) -> int:
    """The schema version of the open file at `path`; one line for a file the tool must not read
    or write: a newer schema, or a DuckDB file holding tables or views but no schema version (a
    database of something else, given as --db by mistake: the tool would add its tables to it)."""
    version = schema_version(con)
    if version == 0 and (held := _held_objects(con)):
        raise WarehouseError(
            f"{path} is a DuckDB file but not a warehouse of this tool: no schema version in it, and it holds {held}. "
            "Give --db a warehouse, or a path where there is no file yet to ingest into "
            "(`nares ingest --rebuild` replaces a damaged warehouse)"
        )
    if version > latest_version():
        raise WarehouseError(
            f"{path} has schema version {version}, newer than this tool knows ({latest_version()}); "
            "upgrade the tool instead of writing to it"
        )
    return version


def _held_objects(con: duckdb.DuckDBPyConnection) -> str:
    """The tables and views a file holds, in a few words ('' for none: a new, empty file)."""
    held = [("table", *t) for t in file_tables(con)] + [("view", *v) for v in sorted(file_views(con))]
    names = [f"{kind} {CatalogObject(kind, schema, name).qualified}" for kind, schema, name in held]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def migrate(con: duckdb.DuckDBPyConnection, path: Path | str = "warehouse") -> list[str]:
    """Bring an open warehouse to the latest schema; return the names of the migrations applied."""
    current = check_version(con, path)
    applied = []
    for version, file in migrations():
        if version <= current:
            continue
        con.execute("begin transaction")
        try:
            con.execute(read_sql("migration", file))
            con.execute("delete from meta where key = 'schema_version'")
            con.execute("insert into meta values ('schema_version', ?)", [str(version)])
            con.execute(
                "insert into migrations values (?, ?, ?)",
                [version, file.name, datetime.now(timezone.utc).replace(tzinfo=None)],
            )
            con.execute("commit")
        except duckdb.Error as exc:
            con.execute("rollback")
            raise WarehouseError(f"migration {file.name} failed: {str(exc).splitlines()[0]}") from None
        applied.append(file.name)
    return applied
