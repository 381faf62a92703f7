"""The registry of views: every view file under `sql/` installed into the warehouse, with its history.

`install_views(con)` creates `<name>_v<N>` for every file (warehouse/viewfiles.py parses and checks
them all first, so a broken file installs nothing), points `<name>` at the newest version, creates
each check's `check_<name>_headline` and `check_<name>_flagged`, adds the parameters of the folders'
`params.toml` that `check_params` lacks (warehouse/params.py), puts
the header on each view and column as COMMENT ON, and records every version in `view_versions`
(sha256, what it reads, when its current SQL was first installed). Installing again changes
nothing; a view whose file was removed is dropped. The views are plain DuckDB SQL: the duckdb
shell reads them without this code.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.errors import WarehouseError
from warehouse.params import install_check_params
from warehouse.sqlfiles import read_query
from warehouse.viewfiles import (
    CHECK_QUERY_GRAIN,
    SQL_DIR,
    CheckQuery,
    ViewFile,
    load_check_queries,
    load_view_files,
    sql_fingerprint,
)


def views_fingerprint() -> str:
    """Changes whenever the view files or the installer change. Only a label: whether a file holds
    the tool's views is decided by comparing definitions (warehouse/trust.py)."""
    return sql_fingerprint()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _description(f: ViewFile) -> str:
    return f"{f.header.question} Grain: {f.header.grain}."


def _view_comment(f: ViewFile, alias: bool = False) -> str:
    where = f"newest version of {f.name}: selects from {f.view_name}" if alias else f"{f.name} version {f.version}"
    changes = f" Changed: {f.header.changes}." if f.header.changes and not alias else ""
    return f"{_description(f)} ({where}; {f.rel_path}){changes}"


def _create(con: duckdb.DuckDBPyConnection, name: str, sql: str, rel_path: str) -> None:
    """Create (or replace) one view; an error names the file and line. Its columns are checked
    afterwards for all views at once (`_check_columns`): a second bind per view cost as much as
    creating it."""
    try:
        # `as` stays on the file's first line, so DuckDB's LINE numbers are the file's line numbers
        con.execute(f"create or replace view {name} as {sql}")
    except duckdb.Error as exc:
        lines = str(exc).splitlines()
        where = next((ln.split(":")[0].replace("LINE ", "") for ln in lines if ln.startswith("LINE ")), None)
        raise WarehouseError(
            f"{rel_path}{':' + where if where else ''}: DuckDB cannot create {name}: {lines[0]}"
        ) from None


Expected = dict[str, tuple[list[str], Callable[[list[str]], str]]]
"""view name -> (the columns its file documents, the error line given the columns it returns)"""


def _check_columns(con: duckdb.DuckDBPyConnection, expected: Expected) -> None:
    """Every created view returns the columns its file documents (one catalog query for all)."""
    returned: dict[str, list[str]] = {name: [] for name in expected}
    for view, column in con.execute(read_query("views/view_columns"), {"names": list(expected)}).fetchall():
        returned[view].append(column)
    for name, (columns, problem) in expected.items():
        if returned[name] != columns:
            raise WarehouseError(problem(returned[name]))


def _file_columns(f: ViewFile) -> tuple[list[str], Callable[[list[str]], str]]:
    documented = [c for c, _ in f.header.columns]
    return documented, lambda columns: (f"{f.rel_path}:1: header documents columns {', '.join(documented)}; "
                                        f"the view returns {', '.join(columns)}")


def _create_check_query(con: duckdb.DuckDBPyConnection, q: CheckQuery, expected: Expected) -> list[str]:
    """Create a check's headline or flagged view (its columns go into `expected`); return its
    COMMENT ON statements."""
    _create(con, q.view_name, q.sql, q.rel_path)
    columns = [c for c, _ in q.columns]
    expected[q.view_name] = (columns, lambda returned: (f"{q.rel_path}:1: a {q.kind} query returns {', '.join(columns)}; "
                                                        f"this one returns {', '.join(returned)}"))
    out = [f"comment on view {q.view_name} is {_quote(f'{q.description} ({q.rel_path})')};"]
    out.extend(f"comment on column {q.view_name}.{column} is {_quote(text)};" for column, text in q.columns)
    return out


def _comments(name: str, f: ViewFile, alias: bool = False) -> list[str]:
    """COMMENT ON statements for a view and its columns, from the file's header."""
    out = [f"comment on view {name} is {_quote(_view_comment(f, alias))};"]
    out.extend(f"comment on column {name}.{column} is {_quote(text)};" for column, text in f.header.columns)
    return out


def _registered_views(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, datetime]]:
    """view_name -> (sha256, installed_at) of the previous install."""
    rows = con.execute("select view_name, sha256, installed_at from view_versions").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _registry_rows(files: list[ViewFile], queries: list[CheckQuery], previous: dict, now: datetime) -> pa.Table:
    newest = {}
    for f in files:
        newest[f.name] = max(newest.get(f.name, 0), f.version)
    rows = []
    for f in sorted(files, key=lambda g: (g.kind != "helper", g.name, g.version)):
        old = previous.get(f.view_name)
        rows.append({
            "name": f.name,
            "version": f.version,
            "view_name": f.view_name,
            "kind": f.kind,
            "is_current": f.version == newest[f.name],
            "path": f.rel_path,
            "sha256": f.sha256,
            "description": f.header.question,
            "changes": f.header.changes,
            "grain": f.header.grain,
            "reads": list(f.reads),
            "columns": [c for c, _ in f.header.columns],
            "installed_at": old[1] if old and old[0] == f.sha256 else now,
            "requires": list(f.header.requires),
        })
    for q in queries:
        old = previous.get(q.view_name)
        rows.append({
            "name": q.view_name,
            "version": None,
            "view_name": q.view_name,
            "kind": q.kind,
            "is_current": True,
            "path": q.rel_path,
            "sha256": q.sha256,
            "description": q.description,
            "changes": "",
            "grain": CHECK_QUERY_GRAIN[q.kind],
            "reads": list(q.reads),
            "columns": [c for c, _ in q.columns],
            "installed_at": old[1] if old and old[0] == q.sha256 else now,
            "requires": [],
        })
    schema = pa.schema([
        ("name", pa.string()), ("version", pa.int32()), ("view_name", pa.string()), ("kind", pa.string()),
        ("is_current", pa.bool_()), ("path", pa.string()), ("sha256", pa.string()),
        ("description", pa.string()), ("changes", pa.string()), ("grain", pa.string()),
        ("reads", pa.list_(pa.string())), ("columns", pa.list_(pa.string())), ("installed_at", pa.timestamp("us")),
        ("requires", pa.list_(pa.string())),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


def _begin(con: duckdb.DuckDBPyConnection) -> bool:
    """Start a transaction unless the caller (an ingest) already holds one; True when we own it.

    Each autocommit statement runs in a transaction of its own, so two statements see the same
    transaction id only inside an explicit one (a failed BEGIN would abort the caller's).
    """
    query = "select current_transaction_id()"
    if con.execute(query).fetchone()[0] == con.execute(query).fetchone()[0]:
        return False
    con.execute("begin transaction")
    return True


def install_views(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR,
                  files: list[ViewFile] | None = None) -> list[ViewFile]:
    """Install every view file (all or nothing) and refresh view_versions; return the files installed.

    `files` are the view files already read by `load_view_files(sql_dir)` (an ingest reads them
    while its files are parsed)."""
    files = load_view_files(sql_dir) if files is None else files
    queries = load_check_queries(sql_dir)
    tables = {r[0] for r in con.execute(read_query("catalog/main_tables")).fetchall()}
    views = {f.view_name for f in files}
    for f in files:
        unknown = [r for r in f.reads if r not in tables and r not in views]
        if unknown:
            raise WarehouseError(f"{f.rel_path}:1: reads {', '.join(unknown)}: no such table or view file")
    check_views = views | {f.name for f in files}
    for q in queries:
        unknown = [r for r in q.reads if r not in tables and r not in check_views]
        if unknown:
            raise WarehouseError(f"{q.rel_path}:1: reads {', '.join(unknown)}: no such table or view")
    if "view_versions" not in tables:
        raise WarehouseError("the warehouse has no view_versions table: migrate it first (nares ingest)")
    own = _begin(con)
    try:
        previous = _registered_views(con)
        newest: dict[str, ViewFile] = {}
        comments: list[str] = []
        expected: Expected = {}
        for f in files:
            _create(con, f.view_name, f.sql, f.rel_path)
            expected[f.view_name] = _file_columns(f)
            comments += _comments(f.view_name, f)
            if f.name not in newest or f.version > newest[f.name].version:
                newest[f.name] = f
        for name, f in newest.items():
            _create(con, name, f"select * from {f.view_name}", f.rel_path)
            comments += _comments(name, f, alias=True)
        for q in queries:
            comments += _create_check_query(con, q, expected)
        _check_columns(con, expected)
        con.execute("\n".join(comments))
        # names read from the file are never put into SQL text unchecked: only views that exist
        # under exactly that name are dropped, quoted
        old_names = {r[0] for r in con.execute(
            "select view_name from view_versions union select name from view_versions").fetchall()}
        existing = {r[0] for r in con.execute(read_query("catalog/main_views")).fetchall()}
        for stale in sorted((old_names & existing) - views - set(newest) - {q.view_name for q in queries}):
            con.execute(f'drop view if exists main."{stale.replace(chr(34), chr(34) * 2)}"')
        install_check_params(con, sql_dir)
        registry = _registry_rows(files, queries, previous, datetime.now(timezone.utc).replace(tzinfo=None))
        con.register("_new_view_versions", registry)
        try:
            con.execute("delete from view_versions")
            con.execute("insert into view_versions select * from _new_view_versions")
        finally:
            con.unregister("_new_view_versions")
        if own:
            con.execute("commit")
    except BaseException:
        if own:
            con.execute("rollback")
        raise
    return files


def list_views(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    """Every installed view version: the rows `cli.py views` prints, newest version first per name."""
    cursor = con.execute(read_query("views/list_views"))
    return [d[0] for d in cursor.description], cursor.fetchall()
