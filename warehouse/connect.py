"""The one way to open the warehouse file, and what every connection refuses to run.

A warehouse file may come from elsewhere, and DuckDB stores code in it: views, and macros that can
stand in for DuckDB's own functions. So every connection this tool opens

- has file system access off from its first statement (`set enable_external_access = false`, run
  before anything else; opening a file runs none of its SQL): no SQL it runs, the tool's or the
  file's, can read or write another file. The tool needs none: it loads Arrow tables and writes
  Parquet with pyarrow. (A setting, not connection configuration: DuckDB shares one database
  between connections of a process only when their configuration is the same.)
- refuses a file holding a macro named like one of DuckDB's functions (`strftime`, `split_part`,
  `duckdb_views`, ...): the tool's own SQL calls those, and would run the file's code instead. So
  does a view standing where one of the tool's tables belongs, and an expression attached to one
  of its tables (a generated column, a default, a CHECK: DuckDB evaluates them as rows are read or
  written; the tool's tables have none). A table whose CREATE statement, as DuckDB writes it, is
  the tool's own holds none, so only the other tables are searched. `verify` opens such a file
  anyway, with `inspect=True`, to say what it holds (it runs catalog queries only).

The tool's views are checked against their definitions in warehouse/trust.py.

`$RNB_THREADS` caps the threads DuckDB runs a query on (default: one per core), for a machine
shared with other work; the test suite sets 1 when its workers already fill the cores.

New files are written in DuckDB's v1.0.0 storage format: DuckDB 2.0 defaults to storage version 69,
which the DuckDB CLI users have (1.5.x) and older releases refuse to open. The version sticks when
the file is reopened.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

import duckdb

from warehouse.cache import cache_dir, kept_lists, made_meanwhile
from warehouse.catalog import computed_columns, file_macros, file_table_statements, file_views
from warehouse.errors import WarehouseError
from warehouse.migrate import migration_statements, migrations, tool_tables

STORAGE_VERSION = "v1.0.0"
DEFAULT_DB = Path("robustnasbench.duckdb")
"""Relative: the warehouse of the folder a command runs in, never a file inside the installed package."""
_MAGIC = b"DUCK"
_NO_FILES = {"enable_external_access": False}
THREADS_ENV = "RNB_THREADS"
_MOST_THREADS = 1024


def default_db_path() -> Path:
    """`--db` default: $RNB_DB, else robustnasbench.duckdb in the working folder."""
    env = os.environ.get("RNB_DB")
    return Path(env) if env else DEFAULT_DB


def check_duckdb_file(path: Path) -> None:
    """Refuse, with one clear line, a path that exists but is not a DuckDB database file."""
    if not path.exists():
        return
    if path.is_dir():
        raise WarehouseError(f"{path} is a directory, not a DuckDB database file")
    if not path.is_file():
        raise WarehouseError(f"{path} is not a regular file (a FIFO, socket or device), not a DuckDB database file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise WarehouseError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(head) < 12 or head[8:12] != _MAGIC:
        raise WarehouseError(f"{path} is not a DuckDB database file (no DUCK header); refusing to touch it")


def thread_limit() -> int | None:
    """The threads a query may use, from $RNB_THREADS (None: unset, DuckDB's default of one per core)."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= _MOST_THREADS:
        raise WarehouseError(f"{THREADS_ENV} is {value!r}: a whole number of threads from 1 to {_MOST_THREADS} expected")
    return int(value)


def limit_threads(con: duckdb.DuckDBPyConnection) -> None:
    """Apply $RNB_THREADS to the database of `con` (a setting, like file access: configuration
    would keep a second connection of the process from sharing the database)."""
    limit = thread_limit()
    if limit:
        con.execute(f"set threads = {limit}")


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory database with file system access off, for work that needs DuckDB but no file."""
    thread_limit()  # a bad $RNB_THREADS is one line before DuckDB starts
    con = duckdb.connect(":memory:", config=dict(_NO_FILES))
    limit_threads(con)
    return con


def foreign_code(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What in the open file would make the tool's SQL run the file's code: one phrase each."""
    problems = [
        f"{m.kind.replace('_', ' ')} {m.qualified} replaces DuckDB's own {m.name}"
        for m in file_macros(con) if m.shadows and m.schema == "main"
    ]
    tables = set(tool_tables())
    problems += [f"view {name} stands where the tool's table {name} belongs"
                 for schema, name in file_views(con) if schema == "main" and name in tables]
    own = tool_table_statements()
    if all(sql in own.get(name, ()) for name, sql in file_table_statements(con).items() if name in tables):
        return problems  # every tool table of the file is the tool's own, statement for statement
    return problems + computed_columns(con, tool_tables())


def render_in_scratch_file(statements: list[str], read: Callable[[duckdb.DuckDBPyConnection], dict[str, str]],
                           storage: str = STORAGE_VERSION) -> dict[str, list[str]]:
    """How DuckDB renders what `statements` create (one transaction, in a new scratch file of
    `storage` version, file access off): name -> the distinct SQL `read` gives while the creating
    connection is open and after the file was reopened (some renderings change once stored)."""
    with tempfile.TemporaryDirectory(prefix="rnb-scratch-") as folder:
        path = str(Path(folder) / "reference.duckdb")
        con = duckdb.connect(path, config={**_NO_FILES, "storage_compatibility_version": storage})
        try:
            limit_threads(con)
            con.execute("begin transaction")
            for statement in statements:
                con.execute(statement)
            con.execute("commit")
            fresh = read(con)
        finally:
            con.close()
        con = duckdb.connect(path, read_only=True, config=_NO_FILES)
        try:
            limit_threads(con)
            stored = read(con)
        finally:
            con.close()
    return {name: sorted({sql, fresh.get(name, sql)}) for name, sql in stored.items()}


@lru_cache(maxsize=1)
def tool_table_statements() -> dict[str, list[str]]:
    """table -> the CREATE TABLE statements DuckDB gives for the tool's own table in a file of
    STORAGE_VERSION (as created, and after the file was reopened).

    DuckDB writes that statement from the table as stored, with every default, generated column
    and CHECK; a file table whose statement is one of these attaches no expression, and the
    catalog queries that would list them (~12 ms of every opened file) are skipped. Made in a
    scratch file once per DuckDB version and set of migrations, and kept in the cache folder; a
    missing or damaged cache only means making it again."""
    made_meanwhile(tool_table_statements)
    digest = hashlib.sha256(f"tables-1\0{duckdb.__version__}\0{STORAGE_VERSION}\0".encode())
    for _, path in migrations():
        digest.update(path.read_bytes() + b"\0")
    try:
        return kept_lists(cache_dir() / f"tables-{digest.hexdigest()[:32]}.json", _table_statements_in_scratch_file)
    except (duckdb.Error, OSError):
        return {}  # nothing counts as the tool's own: every file gets the full check


def _table_statements_in_scratch_file() -> dict[str, list[str]]:
    return render_in_scratch_file(migration_statements(), file_table_statements)


def connect(path: Path | str, read_only: bool = False, inspect: bool = False,
            checked: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with file system access off; a new file gets the compatible storage format.

    A file whose macros or views would make the tool's SQL run the file's code is refused with one
    line, unless `inspect` (only catalog queries will run: `verify`), or `checked` (a byte copy of a
    file this process just opened: an ingest's copy of the version it planned from).
    """
    path = Path(path)
    check_duckdb_file(path)
    thread_limit()  # a bad $RNB_THREADS is one line before the file is opened
    config = {}
    checked = checked or not path.exists()
    if not path.exists() and not read_only:
        config["storage_compatibility_version"] = STORAGE_VERSION
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        first = str(exc).splitlines()[0]
        if "lock" in first.lower():
            raise WarehouseError(f"{path} is locked by another process that writes to it: {first}") from None
        raise WarehouseError(f"cannot open {path}: {first}") from None
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open {path}: {str(exc).splitlines()[0]}") from None
    try:
        con.execute("set enable_external_access = false")
        limit_threads(con)
        problems = [] if inspect or checked else foreign_code(con)
    except BaseException:
        con.close()
        raise
    if problems:
        con.close()
        raise WarehouseError(
            f"{path} holds code the tool would run: {'; '.join(problems)}. The tool runs no SQL from a warehouse "
            "file: `nares verify` lists what it holds; `nares ingest --rebuild PATH...` rebuilds it "
            "from the logs (or drop those objects in the duckdb shell)"
        )
    return con


def connect_as(path: Path, shown_as: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """`connect` to a private name of a file (warehouse/swap.py `snapshot`), with messages naming
    the file itself."""
    try:
        return connect(path, read_only=read_only)
    except WarehouseError as exc:
        raise WarehouseError(str(exc).replace(str(path), str(shown_as))) from None
