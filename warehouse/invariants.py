"""Integrity invariants of the warehouse: checked inside every write before the swap, and by `verify`.

Each invariant is a query in `sql/invariants/NN_name.sql` (header `-- invariant: name`, `-- holds:
what it checks`) that returns one `problem` line per violation (no rows: it holds), e.g.

    files: 2 rows for path /logs/arch_1.log (one expected)
    runs: training log /logs/arch_7.log holds 0 runs (one expected)

A header line `-- schema: N` marks an invariant about columns added by migration N: it is skipped on
older files; `-- verify only: why` one too costly for every write that no write can break. Adding
an invariant adds a file. The schema itself (version, the tool's tables and
their columns) is checked here in Python, against a file migrated in memory.

    require_invariants(con, db)     in a write: raise WarehouseError (one line) when any is broken
    warehouse_problems(con)         `verify`: every problem, one line each (at most SHOWN per invariant)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

from ingest.ids import file_id
from warehouse.catalog import table_columns
from warehouse.connect import scratch_connection
from warehouse.errors import WarehouseError
from warehouse.migrate import check_version, latest_version, migrations
from warehouse.sqlfiles import SQL_DIR, read_sql, sql_paths

INVARIANTS_DIR = SQL_DIR / "invariants"
SHOWN = 5
"""Problems listed per invariant before `... and N more`."""

_TITLE = re.compile(r"^-- holds: (.+)$", re.M)
_SCHEMA = re.compile(r"^-- schema: (\d+)$", re.M)
_VERIFY_ONLY = re.compile(r"^-- verify only:", re.M)


@dataclass(frozen=True)
class Invariant:
    name: str
    title: str
    since: int
    sql: str
    verify_only: bool = False


def invariants() -> list[Invariant]:
    """The invariant queries, in file name order."""
    found = []
    for path in sql_paths("invariant"):
        text = read_sql("invariant", path)
        title = _TITLE.search(text)
        since = _SCHEMA.search(text)
        found.append(Invariant(path.stem, title.group(1) if title else path.stem,
                               int(since.group(1)) if since else 1, text, bool(_VERIFY_ONLY.search(text))))
    return found


def broken_invariants(con: duckdb.DuckDBPyConnection, version: int, in_write: bool = False) -> list[str]:
    """Problem lines of every invariant that applies to a file at schema `version` (`in_write`:
    those checked before every swap)."""
    lines = []
    for invariant in invariants():
        if invariant.since > version or (in_write and invariant.verify_only):
            continue
        try:
            rows = [r[0] for r in con.execute(invariant.sql).fetchall()]
        except duckdb.Error as exc:
            rows = [f"{invariant.title}: cannot be checked: {str(exc).splitlines()[0]}"]
        lines.extend(rows[:SHOWN])
        if len(rows) > SHOWN:
            lines.append(f"... and {len(rows) - SHOWN} more of: {invariant.title}")
    return lines


def raise_broken(db: Path, problem: str, more: int = 0) -> None:
    """The one line of a write stopped by a broken invariant."""
    others = f" (and {more} more problems)" if more else ""
    raise WarehouseError(
        f"integrity check failed, {db} is unchanged: {problem}{others}; `nares verify` lists them, "
        "`nares ingest --rebuild PATH...` rebuilds the warehouse from the logs"
    )


def require_invariants(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    """Stop a write (before its swap) when the new version breaks an invariant: one line."""
    problems = broken_invariants(con, latest_version(), in_write=True)
    if problems:
        raise_broken(db, problems[0], len(problems) - 1)


@lru_cache(maxsize=8)
def reference_columns(version: int) -> dict[str, list[tuple]]:
    """The tool's tables and their columns at schema `version`: migrations applied in memory."""
    con = scratch_connection()
    try:
        for number, path in migrations():
            if number <= version:
                con.execute(read_sql("migration", path))
        return table_columns(con)
    finally:
        con.close()


def schema_problems(con: duckdb.DuckDBPyConnection, db: Path) -> tuple[int, list[str]]:
    """The file's schema version and what differs from the tool's schema at that version."""
    try:
        version = check_version(con, db)
    except WarehouseError as exc:
        return 0, [str(exc)]
    if version == 0:
        return 0, [f"{db} holds no warehouse (no schema_version in meta)"]
    lines = []
    expected = reference_columns(version)
    actual = table_columns(con)
    for table, columns in sorted(expected.items()):
        if table not in actual:
            lines.append(f"table {table} is missing")
        elif [c[:2] for c in actual[table]] != [c[:2] for c in columns]:
            lines.append(f"table {table} has columns {', '.join(f'{c} {t}' for c, t, *_ in actual[table])}; "
                         f"the tool's has {', '.join(f'{c} {t}' for c, t, *_ in columns)}")
    versions = [r[0] for r in con.execute("select version from migrations order by version").fetchall()]
    if len(versions) != len(set(versions)) or (versions and max(versions) != version):
        lines.append(f"migrations records versions {versions}, meta says schema version {version}")
    return version, lines


def id_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Files rows whose file_id is not the id of their path (ingest/read.py): ids decide which rows
    a changed or vanished file replaces."""
    rows = con.execute("select path, file_id from files").fetchall()
    wrong = [f"files: {path} has file_id {fid}, the id of its path is {file_id(path)}"
             for path, fid in rows if path is not None and fid != file_id(path)]
    return wrong[:SHOWN] + ([f"... and {len(wrong) - SHOWN} more files rows with a wrong file_id"] if len(wrong) > SHOWN else [])


def warehouse_problems(con: duckdb.DuckDBPyConnection, db: Path) -> tuple[bool, list[str]]:
    """Everything `verify` checks on an open file, one line per problem (none: all holds), and
    whether the file holds the tool's tables at all (its views can be checked then)."""
    version, lines = schema_problems(con, db)
    if version == 0 or any(line.startswith("table ") for line in lines):
        return False, lines  # the invariant queries need the tool's tables
    return True, lines + id_problems(con) + broken_invariants(con, version)
