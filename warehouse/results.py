"""Results of the checks and report queries kept between commands, in the cache folder
(warehouse/cache.py), so that `nares check` and `nares report` after an ingest that changed none of
a result's inputs read it instead of computing it again.

A result's key is everything it is computed from:
- the warehouse file's path;
- the tool's SQL (`sql_fingerprint`), the source of the module that shapes the result, DuckDB's
  version;
- the query and its parameters;
- the content fingerprint of every table the query reads in the end (viewfiles.py
  `tables_reached`): its row count and the sum of its rows' hashes.

So a result is found again exactly when none of its inputs changed. A newline appended to a log
changes `files` and `ingests`, which no check reads: every check result is kept.

Fingerprints read every table (0.3 s at full scale), so the ingest computes them on the copy it
writes and keeps them with the identity of the file it swapped in (warehouse/swap.py
`file_identity`) and the warehouse's last `ingests` row; `nares ingest` then computes every
check's headline (application/commands.py), so that `nares check` after it reads them. A
reader takes the kept fingerprints only when both the identity and its own connection's last
ingest still match; otherwise (a file the duckdb shell changed, one an older tool wrote, an
older version a notebook's open connection still holds) it computes them from its own
connection, for itself: only the writer knows which content a file identity holds.

A file from elsewhere cannot reach results kept for another: the path is part of every key and
the fingerprints are computed from the content (by the ingest or the reader), never read from the
file. A damaged or foreign cache file is computed again, and the folder is kept under
`KEPT_BYTES` (the least recently used go first; looked through at most once an hour,
`cache.prune_when_due`).
"""
from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import duckdb

from warehouse.cache import cache_dir, keep, keep_json, kept_json, prune_when_due
from warehouse.catalog import file_tables
from warehouse.migrate import tool_tables
from warehouse.sqlfiles import read_sql, sql_paths
from warehouse.swap import file_identity, warehouse_target
from warehouse.viewfiles import load_check_queries, load_view_files, query_reads, sql_fingerprint, tables_reached

FORMAT = 1
"""Of the kept files; a new format makes every kept file a miss."""
KEPT_BYTES = 1 << 30
"""At most this much in the results folder."""
RESULTS = "results"
FINGERPRINTS = "fingerprints"
KEPT_FINGERPRINT_BYTES = 64 << 20
"""At most this much in the fingerprints folder (one file of a few KB per warehouse path, by the
time of its last ingest: a warehouse not written for long has its fingerprints computed again)."""
FINGERPRINT_THREADS = 2


def _json(value) -> object:
    """`value` as it reads back from JSON (tuples as lists), for comparisons with a kept one."""
    return json.loads(json.dumps(value))


def last_ingest(con: duckdb.DuckDBPyConnection) -> object:
    """What tells this connection's version of the warehouse from one a later ingest wrote."""
    return [str(v) for v in con.execute(
        "select count(*), max(ingest_id), max(finished_at) from ingests").fetchall()[0]]


def queried_tables() -> set[str]:
    """Every table that the tool's views, check queries and report queries read."""
    readers = [[f.view_name for f in load_view_files()]]
    readers += [list(query_reads(q.sql, q.path)) for q in load_check_queries()]
    readers += [list(query_reads(read_sql("report", p), p)) for p in sql_paths("report")]
    return set().union(*tables_reached(readers))


def table_fingerprints(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, str]:
    """table -> `<rows>:<sum of the rows' hashes>` for the tool's tables among `tables` that the
    file holds (main schema), two tables at a time."""
    in_file = set(file_tables(con))
    held = [t for t in tables if t in tool_tables() and ("main", t) in in_file]
    lock = threading.Lock()
    cursors: list[duckdb.DuckDBPyConnection] = []

    def one(table: str) -> tuple[str, str]:
        with lock:
            cursor = con.cursor()
            cursors.append(cursor)
        # `whole_row` is the table's row as one struct: hash() covers every column
        n, total = cursor.execute(f'select count(*), sum(hash(whole_row)) from main."{table}" as whole_row').fetchall()[0]
        return table, f"{n}:{total}"

    try:
        with ThreadPoolExecutor(max_workers=FINGERPRINT_THREADS) as pool:
            return dict(pool.map(one, held))
    finally:
        for cursor in cursors:
            cursor.close()


@lru_cache(maxsize=16)
def _source_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def _tool_stamp() -> str:
    return f"{FORMAT}\0{sql_fingerprint()}\0{_source_hash(__file__)}\0{duckdb.__version__}"


def _record_path(target: Path) -> Path:
    return cache_dir() / FINGERPRINTS / (hashlib.sha256(str(target).encode()).hexdigest()[:32] + ".json")


class KeptResults:
    """The kept results of one warehouse as one connection sees it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db: Path):
        self.con = con
        self.target = warehouse_target(Path(db))
        self._fingerprints: dict[str, str] | None = None
        self._written: object = None
        self._lock = threading.Lock()
        self._pruned = False

    @classmethod
    def of_writer(cls, con: duckdb.DuckDBPyConnection, target: Path) -> KeptResults:
        """For the writer of a new version of `target` (`con`: its connection, the rows final):
        the fingerprints are computed, never taken from the kept ones."""
        kept = cls(con, target)
        kept._fingerprints = {}
        kept._written = last_ingest(con)
        return kept

    def fingerprints(self, tables: set[str]) -> dict[str, str]:
        """The fingerprints of the warehouse's tables: kept by the ingest that wrote this file when
        they are still this connection's, else computed (every table of `tables` included)."""
        with self._lock:
            if self._fingerprints is None:
                self._fingerprints = self._kept_fingerprints() or {}
            missing = sorted(tables - self._fingerprints.keys())
            if missing:
                self._fingerprints.update(table_fingerprints(self.con, missing))
            return self._fingerprints

    def _kept_fingerprints(self) -> dict[str, str] | None:
        try:
            kept = json.loads(_record_path(self.target).read_text())
            if (isinstance(kept, dict) and kept.get("format") == FORMAT
                    and kept.get("identity") == _json(file_identity(self.target))
                    and kept.get("last_ingest") == last_ingest(self.con)
                    and isinstance(kept.get("tables"), dict)
                    and all(isinstance(v, str) for v in kept["tables"].values())):
                return kept["tables"]
        except (OSError, ValueError, duckdb.Error):
            pass
        return None

    def remember(self) -> None:
        """Keep the writer's fingerprints with the identity the file has now: call it once the
        writer's version is swapped in, holding the write lock (its connection may be closed)."""
        if self._written is None:
            raise ValueError("only the writer of a version knows its fingerprints")
        keep(_record_path(self.target), json.dumps({
            "format": FORMAT, "identity": _json(file_identity(self.target)),
            "last_ingest": self._written, "tables": self._fingerprints}))
        prune_when_due(cache_dir() / FINGERPRINTS, KEPT_FINGERPRINT_BYTES)

    def key(self, kind: str, query: str, params: object, reads: set[str], code: str) -> str | None:
        """The key of a result: `kind` names it (e.g. `check:best_epoch`), `code` is the file of
        the module that turns rows into it; None when a table it reads is not in the file (no
        result is kept for it)."""
        try:
            fingerprints = self.fingerprints(reads)
        except duckdb.Error:
            return None
        if not reads <= fingerprints.keys():
            return None
        text = json.dumps([_tool_stamp(), _source_hash(code), str(self.target), kind, query, params,
                           sorted((t, fingerprints[t]) for t in reads)], default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str | None) -> object | None:
        """The result kept under `key`, or None."""
        return None if key is None else kept_json(cache_dir() / RESULTS / f"{key}.json")

    def put(self, key: str | None, value: object) -> None:
        """Keep `value` under `key` (a value JSON would change is not kept)."""
        if key is None:
            return
        keep_json(cache_dir() / RESULTS / f"{key}.json", value)
        with self._lock:
            pruned, self._pruned = self._pruned, True
        if not pruned:
            prune_when_due(cache_dir() / RESULTS, KEPT_BYTES)
