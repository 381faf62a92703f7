"""The tool's views, checked against their definitions in `sql/`, and what else a warehouse holds.

A view in the file named `check_best_epoch` is only the tool's view if its SQL is the tool's SQL: a
file from elsewhere may hold any query under that name, and a stored fingerprint only says what
some program claimed. So the views are compared with what the tool would install, as DuckDB stores
them: `duckdb_views().sql`, which DuckDB renders from the query tree it stored. That rendering
depends on the storage format (a file in the v1.0.0 format renders some joins without their
parentheses), so the reference is made the same way: the tool's views created in a scratch file of
the same storage version, read back (~0.4 s; kept in the user's cache folder, keyed by the DuckDB
version, the storage version and the text of every migration and view file).

    differing_views(con)      tool views (versions, current names, check headline and flagged
                              views) missing from the file or not as `sql/` defines them
    use_tool_views(con)       for a read-only connection: the tool's own SQL of the views that
                              differ as TEMP views, which DuckDB resolves before the file's
                              (and the parameters they read that the file lacks, at their
                              defaults)
    unknown_objects(con)      views, tables, macros, sequences, types the tool did not create

An ingest reinstalls the views when any differs (warehouse/pipeline.py); every reading command and
export runs on the tool's own definitions; `verify` reports the rest. Macros that replace DuckDB's
functions are refused when the file is opened (warehouse/connect.py).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import duckdb

from warehouse.cache import cache_dir, kept_lists, made_meanwhile
from warehouse.catalog import file_macros, file_tables, file_views, other_objects
from warehouse.connect import STORAGE_VERSION, render_in_scratch_file
from warehouse.migrate import migration_statements, migrations, tool_tables
from warehouse.params import read_missing_params_as_defaults
from warehouse.viewfiles import tool_view_queries

SHOWN = 5
"""Names listed in a one-line message before `and N more`."""


def _listed(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def storage_version(con: duckdb.DuckDBPyConnection) -> str:
    """The storage format of the open file (e.g. v1.0.0), which decides how it renders views."""
    row = con.execute("select tags from system.main.duckdb_databases() "
                      "where database_name = system.main.current_database()").fetchone()
    tags = row[0] if row and isinstance(row[0], dict) else {}
    return str(tags.get("storage_version") or STORAGE_VERSION).rstrip("+")


def _views_of(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select view_name, sql from duckdb_views() where not internal").fetchall())


@lru_cache(maxsize=4)
def tool_view_definitions(storage: str = STORAGE_VERSION) -> dict[str, list[str]]:
    """view name -> the statements a file of `storage` version holds for the tool's definition
    (none: it could not be rendered here, so no view of that name counts as the tool's)."""
    made_meanwhile(tool_view_definitions)
    digest = hashlib.sha256(f"renderings-3\0{duckdb.__version__}\0{storage}\0".encode())
    for _, path in migrations():
        digest.update(path.read_bytes() + b"\0")
    for name, sql in sorted(tool_view_queries().items()):
        digest.update(f"{name}\0{sql}\0".encode())
    views = [f"create view {name} as {sql}" for name, sql in tool_view_queries().items()]
    try:
        rendered = kept_lists(cache_dir() / f"views-{digest.hexdigest()[:32]}.json",
                              lambda: render_in_scratch_file(migration_statements() + views, _views_of, storage))
    except (duckdb.Error, OSError):
        rendered = {}
    return {name: rendered.get(name, []) for name in tool_view_queries()}


def differing_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tool's views that the open file lacks or holds with other SQL, sorted."""
    stored = {name: sql for (schema, name), sql in file_views(con).items() if schema == "main"}
    expected = tool_view_definitions(storage_version(con))
    return sorted(name for name, accepted in expected.items() if stored.get(name) not in accepted)


def stale_tool_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Views an earlier install registered (view_versions) that the tool no longer defines."""
    if "view_versions" not in {name for schema, name in file_tables(con) if schema == "main"}:
        return []
    registered = {r[0] for r in con.execute(
        "select view_name from view_versions union select name from view_versions").fetchall()}
    present = {name for schema, name in file_views(con) if schema == "main"}
    return sorted((registered & present) - set(tool_view_queries()))


def use_tool_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Make this connection's queries read the tool's own views; return a warning when the file's
    differ. Each view that differs is created from the tool's SQL as a TEMP view, which shadows the
    file's for this connection only (nothing is written); DuckDB resolves the names in a view's
    query when it is run, so the file's views that are the tool's read the TEMP ones too. Only those:
    after an upgrade that changed one view, creating all ~90 took ~0.4 s on every cursor."""
    differ = differing_views(con)
    if not differ:
        return []
    replaced = set(differ)
    for name, sql in tool_view_queries().items():  # in install order: each after what it reads
        if name in replaced:
            con.execute(f"create or replace temp view {name} as {sql}")
    read_missing_params_as_defaults(con)
    return [f"the warehouse's views differ from this tool's sql/ ({_listed(differ)}): this command uses the "
            "tool's own; `nares ingest` reinstalls them in the file"]


def unknown_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per object of the file the tool did not create (it creates the tables of its
    migrations and the views of `sql/`, no macros, sequences, types, indexes or schemas). Macros
    replacing DuckDB's functions and views in the place of the tool's tables are left to
    warehouse/connect.py's `foreign_code`, which says more about them."""
    views = set(tool_view_queries())
    tables = set(tool_tables())
    lines = [f"view {name if schema == 'main' else schema + '.' + name} is not one of the tool's views"
             for schema, name in sorted(file_views(con))
             if schema != "main" or (name not in views and name not in tables)]
    lines += [f"table {name if schema == 'main' else schema + '.' + name} is not one of the tool's tables"
              for schema, name in file_tables(con) if schema != "main" or name not in tables]
    lines += [f"{m.kind.replace('_', ' ')} {m.qualified} is not the tool's (it installs no macros)"
              for m in file_macros(con) if not (m.shadows and m.schema == "main")]
    lines += [f"{o.kind} {o.qualified} is not the tool's (it creates no {o.kind}s)" for o in other_objects(con)]
    return lines
