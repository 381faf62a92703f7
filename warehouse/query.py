"""Read-only access for people: `cli.py sql`, checks, reports and exports all read through here.

Every reading connection is opened read-only with file system access off (warehouse/connect.py), so
no query can read or write another file, and runs on the tool's own views (warehouse/trust.py): a
view the file holds under a tool view's name with other SQL is never run. `query_connection`, the
one policy of what a person's SQL may run (`cli.py sql`, nares.py `Warehouse.sql`), takes only
queries (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN without ANALYZE, which would
execute its statement) and stops after a time limit (`connection.interrupt` from a timer thread);
`query_rows` returns at most `max_rows` rows.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Callable, Mapping, TypeVar

import duckdb
import pyarrow as pa

from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.migrate import check_version, latest_version
from warehouse.trust import differing_views, use_tool_views
from warehouse.upgrade import upgrade_warehouse

_ALLOWED = {"SELECT", "EXPLAIN"}
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_ROWS = 10_000
T = TypeVar("T")
R = TypeVar("R")


def open_for_reading(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an existing warehouse at the current schema version, whose
    queries read the tool's own views: the one policy of opening a warehouse to read, for every
    command (sql, check, views, explain, report, the exports, the Python API).

    The policy is migrate-then-read: a warehouse written by an older version of the tool is first
    upgraded in place, atomically, like an ingest (warehouse/upgrade.py), so that upgrading the tool
    needs no re-ingest and every reader sees the same schema and views; one written by a newer tool
    is refused (warehouse/migrate.py `check_version`), as is a file that is not a warehouse.
    """
    db = Path(db)
    if not db.exists():
        raise WarehouseError(f"no warehouse at {db}: run `nares ingest <logs folder>` first (or pass --db)")
    con = connect(db, read_only=True)
    try:
        version = check_version(con, db)
        if version < latest_version():
            con.close()
            upgrade_warehouse(db)
            con = connect(db, read_only=True)
        use_tool_views(con)
    except BaseException:
        con.close()
        raise
    return con


def reading_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another connection to the database `con` reads, for a query on another thread, reading the
    tool's own views as `con` does: TEMP views belong to one connection, so they are created on the
    cursor again when the file's views differ (settings such as external access are the database's
    and hold for every cursor)."""
    cursor = con.cursor()
    try:
        cursor.execute("set enable_progress_bar = false")
        use_tool_views(cursor)
    except BaseException:
        cursor.close()
        raise
    return cursor


def on_cursors(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection, T], R], items: list[T],
               threads: int, helpers: Mapping[str, tuple[str, ...]] | None = None) -> list[R]:
    """`work(cursor, item)` for every item, `threads` at once, each on a reading cursor of `con`
    (one query keeps about one core busy); results in the order of `items`.

    `helpers` (views -> the others of them each reads: viewfiles.shared_helpers) are computed once,
    before the items, and every cursor reads their rows instead of computing them again
    (`share_rows`); the cursors close when the work ends, and `con` itself is left as it was."""
    if (threads <= 1 or len(items) <= 1) and not helpers:
        return [work(con, item) for item in items]
    cursors: list[duckdb.DuckDBPyConnection] = []
    try:
        for _ in range(max(1, min(threads, max(len(items), len(helpers or ()))))):
            cursors.append(reading_cursor(con))
        share_rows(cursors, helpers or {})
        if len(cursors) == 1 or len(items) <= 1:
            return [work(cursors[0], item) for item in items]
        free: Queue = Queue()
        for cursor in cursors:
            free.put(cursor)

        def on_a_cursor(item: T) -> R:
            cursor = free.get()
            try:
                return work(cursor, item)
            finally:
                free.put(cursor)

        with ThreadPoolExecutor(max_workers=len(cursors)) as pool:
            return list(pool.map(on_a_cursor, items))
    finally:
        for cursor in cursors:
            cursor.close()


def share_rows(cursors: list[duckdb.DuckDBPyConnection], helpers: Mapping[str, tuple[str, ...]]) -> None:
    """Each helper view's rows, computed once, then registered on every cursor as a TEMP view of
    the same name over those rows (an Arrow table in memory): later queries that read the view,
    directly or through other views, read the rows (TEMP comes first in DuckDB's search path).

    `helpers` maps each view to the others of them it reads; the cursors compute them at once, each
    the next view whose helpers are computed (with their rows registered on it first), over TEMP
    views of the tool's own SQL (warehouse/trust.py) where the file's differ. The names are tool
    view names (the view files' own), never names read from a file. A view that fails to compute is
    left as it is: the queries that read it compute it and say what fails."""
    if not helpers:
        return
    computed: dict[str, pa.Table | None] = {}  # None: it failed, the queries read the view
    waiting = list(helpers)
    ready = threading.Condition()
    registered: list[set[str]] = [set() for _ in cursors]

    def register(index: int, names) -> None:
        for name in names:
            if name not in registered[index] and computed.get(name) is not None:
                cursors[index].execute(f"drop view if exists temp.{name}").fetchall()
                cursors[index].register(name, computed[name])
            registered[index].add(name)

    def compute(index: int) -> None:
        cursor = cursors[index]
        # every DuckDB type kept through Arrow (HUGEINT sums would come back DECIMAL); completing the
        # statement also closes a result an earlier fetchone left open, which would block `sql`
        cursor.execute("set arrow_lossless_conversion = true").fetchall()
        while True:
            with ready:
                view = None
                while waiting:
                    view = next((v for v in waiting if all(n in computed for n in helpers[v])), None)
                    if view is not None:
                        waiting.remove(view)
                        break
                    ready.wait()
            if view is None:
                return
            rows = None
            try:
                register(index, helpers[view])
                rows = cursor.sql(f"select * from {view}").to_arrow_table()
            except duckdb.Error:
                pass
            finally:  # whatever happened, no other cursor waits for this view forever
                with ready:
                    computed[view] = rows
                    ready.notify_all()

    if len(cursors) == 1:
        compute(0)
    else:
        with ThreadPoolExecutor(max_workers=len(cursors)) as pool:
            for done in [pool.submit(compute, index) for index in range(len(cursors))]:
                done.result()
    for index in range(len(cursors)):
        register(index, helpers)


def views_warning(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A warning when the file's own views differ from the tool's (the tool runs its own)."""
    differ = differing_views(con)
    if not differ:
        return []
    shown = ", ".join(differ[:5]) + (f" and {len(differ) - 5} more" if len(differ) > 5 else "")
    return [f"the warehouse's views differ from this tool's sql/ ({shown}): the tool's own were used; "
            "`nares ingest` reinstalls them in the file"]


def _words(sql: str) -> list[str]:
    """The tokens of a statement, lower-cased, without comments (DuckDB's own tokenizer)."""
    tokens = duckdb.tokenize(sql)
    ends = [start for start, _ in tokens[1:]] + [len(sql)]
    return [sql[start:end].strip().lower() for (start, kind), end in zip(tokens, ends)
            if kind != duckdb.token_type.comment]


def _explain_analyzes(sql: str) -> bool:
    """True for EXPLAIN ANALYZE in any spelling: `explain analyse ...`, `explain (format json,
    analyze) ...`: it executes the statement it explains."""
    words = _words(sql)[1:]
    options = words[1:words.index(")")] if words[:1] == ["("] and ")" in words else words[:1]
    return any(word in ("analyze", "analyse") for word in options)


def refused(statement) -> str | None:
    """Why a parsed statement may not run here, or None."""
    kind = statement.type.name
    if kind not in _ALLOWED:
        return f"only queries are allowed here (got {kind}); the warehouse is read-only"
    if kind == "EXPLAIN" and _explain_analyzes(statement.query):
        return "EXPLAIN ANALYZE executes the statement it explains: use EXPLAIN, or run the query itself"
    return None


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)


def _interrupt_after(con: duckdb.DuckDBPyConnection, seconds: float) -> threading.Timer:
    """Interrupt the connection's running query after `seconds`."""
    timer = threading.Timer(seconds, con.interrupt)
    timer.daemon = True
    timer.start()
    return timer


def read_only_statements(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    """The statements of `sql`, each allowed here (only queries), or WarehouseError naming why not."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise WarehouseError(f"SQL error: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise WarehouseError("no SQL statement given")
    for statement in statements:
        reason = refused(statement)
        if reason:
            raise WarehouseError(reason)
    return statements


def query_connection(con: duckdb.DuckDBPyConnection, sql: str, run_last: Callable[[duckdb.DuckDBPyConnection, str], T],
                     timeout: float | None = DEFAULT_TIMEOUT) -> T:
    """Run one or more read-only statements on an open reading connection, the last one as
    `run_last(con, query)` returns it (rows; a polars frame: nares.py), stopped with one line after
    `timeout` seconds (None: no limit). The one policy of what a person's SQL may run."""
    statements = read_only_statements(con, sql)
    timer = _interrupt_after(con, timeout) if timeout is not None else None
    try:
        for statement in statements[:-1]:
            con.execute(statement.query)
        return run_last(con, statements[-1].query)
    except duckdb.InterruptException:
        raise WarehouseError(f"query stopped after {timeout:g} s (--timeout)") from None
    except duckdb.Error as exc:
        raise WarehouseError(f"SQL error: {str(exc).splitlines()[0]}") from None
    finally:
        if timer is not None:
            timer.cancel()


def query_rows(con: duckdb.DuckDBPyConnection, sql: str, timeout: float | None = DEFAULT_TIMEOUT,
               max_rows: int = DEFAULT_MAX_ROWS) -> QueryResult:
    """The columns and (at most `max_rows`) rows of a read-only query on an open reading connection."""
    def fetch(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[tuple]]:
        cursor = con.execute(query)
        if not cursor.description:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchmany(max_rows + 1)

    columns, rows = query_connection(con, sql, fetch, timeout)
    return QueryResult(columns, rows[:max_rows], len(rows) > max_rows, views_warning(con))


def run_query(db: Path, sql: str, timeout: float = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS) -> QueryResult:
    """Open the warehouse read-only and run a query with `query_rows`."""
    con = open_for_reading(db)
    try:
        return query_rows(con, sql, timeout, max_rows)
    finally:
        con.close()
