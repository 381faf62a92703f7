"""Bulk loading: Arrow tables in, rows of replaced or vanished files out. Nothing inserts row by row.

Runs and evaluations carry the id of the file they came from (`file_id`); epochs, settings and
corruptions carry the id of their run or evaluation. So a changed file replaces exactly its own
rows and a vanished file takes exactly its own rows with it (a release file holds many runs). Of a
changed file's epochs, settings and corruptions, only those that changed are written
(`replace_child_rows`).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

import duckdb
import pyarrow as pa

from warehouse.sqlfiles import read_query

# tables whose rows carry the id of their source file
FILE_TABLES = ("runs", "evals")

# rows that belong to a run or an evaluation: table, key, parent, parent key
CHILD_KEYS = (
    ("epochs", "run_id", "runs", "run_id"),
    ("run_settings", "run_id", "runs", "run_id"),
    ("corruptions", "eval_id", "evals", "eval_id"),
)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """Make an Arrow table queryable as `name` for the duration of a block.

    Unregistering never masks the block's own error (it fails too once a transaction is aborted).
    """
    con.register(name, table)
    try:
        yield
    finally:
        try:
            con.unregister(name)
        except duckdb.Error:
            pass


def delete_file_rows(con: duckdb.DuckDBPyConnection, file_ids: list[int], drop_files: bool = False,
                     children: bool = True) -> None:
    """Remove the data rows (and with `drop_files` the files rows) of these files; with
    `children=False` only their runs and evaluations (`replace_child_rows` did the rest)."""
    if not file_ids:
        return
    with registered(con, "_gone", pa.table({"file_id": pa.array(file_ids, pa.int64())})):
        # one statement per table, built in Python: the names are the tool's own (CHILD_KEYS, FILE_TABLES)
        for table, key, parent, parent_key in CHILD_KEYS if children else ():
            con.execute(
                f"delete from {table} where {key} in "
                f"(select {parent_key} from {parent} where file_id in (select file_id from _gone))"
            )
        for table in FILE_TABLES:
            con.execute(f"delete from {table} where file_id in (select file_id from _gone)")
        if drop_files:
            con.execute("delete from files where file_id in (select file_id from _gone)")


_NO_ROWS = pa.table({})
"""A table of no rows, for a batch without one of the CHILD_KEYS tables."""


def replace_child_rows(con: duckdb.DuckDBPyConnection, file_ids: list[int], tables: dict[str, pa.Table]) -> dict[str, int]:
    """Replace the epochs, settings and corruptions of the runs and evaluations of these files
    (read before: their runs and evaluations rows are still there) by the parsed rows in `tables`,
    and add those of new files; the warehouse ends as if every old row were deleted and every
    parsed row inserted (rows compared as SQL compares them: NULL with NULL, NaN with NaN and 0.0
    with -0.0 are the same).

    Rows that stay the same are not written: a run whose old rows are all among its parsed rows
    gets only the parsed rows it lacks (a log that grew by some epochs: those epochs; a log that
    only got a byte more: nothing); a run with an old row not among its parsed rows is replaced
    whole. Rows written cost most at the commit: DuckDB compresses again every row group written
    to (at full scale, 40,000 epochs rows appended cost 0.25 s to checkpoint, against 0.02 s for
    a few hundred). Returns the rows inserted into each table.
    """
    if not file_ids:  # nothing to replace (a first ingest)
        for table, *_ in CHILD_KEYS:
            insert_table(con, table, tables.get(table, _NO_ROWS))
        return {table: tables.get(table, _NO_ROWS).num_rows for table, *_ in CHILD_KEYS}
    with registered(con, "_gone", pa.table({"file_id": pa.array(file_ids, pa.int64())})):
        inserted = {table: _replace_rows(con, table, key, parent, parent_key, tables.get(table, _NO_ROWS))
                    for table, key, parent, parent_key in CHILD_KEYS}
    for name in ("_new", "_old", "_redone"):
        con.execute(f"drop table if exists {name}")
    return inserted


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, key: str, parent: str, parent_key: str,
                  parsed: pa.Table) -> int:
    """`replace_child_rows` for one table; the rows inserted. Every statement is built in Python:
    the names are the tool's own (CHILD_KEYS). `_new` and `_old` have the table's columns in its
    order, as EXCEPT ALL compares them."""
    con.execute(f"create or replace temp table _new as select * from {table} limit 0")
    insert_table(con, "_new", parsed)
    con.execute(f"create or replace temp table _old as select * from {table} where {key} in "
                f"(select {parent_key} from {parent} where file_id in (select file_id from _gone))")
    # the runs (evaluations) with an old row not among the parsed ones: replaced whole
    con.execute(f"create or replace temp table _redone as select distinct {key} as id from "
                "(select * from _old except all select * from _new)")
    con.execute(f"delete from {table} where {key} in (select id from _redone)")
    whole = con.execute(f"insert into {table} select * from _new where {key} in (select id from _redone)")
    inserted = whole.fetchone()[0]
    # the others, and new ones: the parsed rows they lack
    lacking = con.execute(f"insert into {table} (select * from _new where {key} not in (select id from _redone)) "
                          "except all (select * from _old)")
    return inserted + lacking.fetchone()[0]


def insert_table(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Append an Arrow table to a warehouse table, matching columns by name (DuckDB casts types)."""
    if rows.num_rows == 0:
        return
    with registered(con, "_rows", rows):
        # `table` is one of the tool's tables, named by its callers (never read from a file)
        con.execute(f"insert into {table} by name select * from _rows")


def load_batch(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], ingest_id: int,
               known_ids: set[int] | frozenset = frozenset()) -> None:
    """Load one batch: its files rows, runs and evaluations replace earlier rows of the same paths;
    their epochs, settings and corruptions replace the earlier ones (`replace_child_rows`).

    Files whose content hash was unchanged (`status = 'unchanged'`) only get their size and mtime
    updated; their data rows stay as they are. Only files in `known_ids` (already in the warehouse)
    can have old rows to delete: a first ingest deletes nothing.
    """
    files = tables["files"]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with registered(con, "_files", files):
        con.execute(read_query("load/refresh_unchanged_files"))
        loaded = con.execute(
            "select f.file_id from _files f where f.status <> 'unchanged'"
        ).fetchall()
        replaced = [row[0] for row in loaded if row[0] in known_ids]
        replace_child_rows(con, replaced, tables)
        delete_file_rows(con, replaced, drop_files=True, children=False)
        # filtered here, not with pyarrow.compute: importing it took ~80 ms of every write
        con.execute("insert into files by name select *, ? as ingest_id, ? as ingested_at from _files "
                    "where status <> 'unchanged'", [ingest_id, now])
    for table in ("runs", "evals"):
        if table in tables:
            insert_table(con, table, tables[table])
    if "code_versions" in tables and tables["code_versions"].num_rows:
        # one row per new fingerprint: the first log's format; `keep_first_samples` and the steps fill in the rest
        with registered(con, "_code", tables["code_versions"]):
            con.execute(read_query("load/insert_code_versions"))


def keep_first_samples(con: duckdb.DuckDBPyConnection, samples: list[dict],
                       read_again: Callable[[set[str]], list[dict]]) -> None:
    """Once every batch of an ingest is loaded, each code version keeps the lines of its first log
    by path (load/first_logs), whichever ingest loaded that log: an ingest from scratch and a
    series of incremental ones keep the same lines. The lines come from `samples` (the rows of
    the parsed chunks' code_versions tables: each holds the first log of each version in its
    chunk) or, for a log no chunk held (the version's first log was removed or changed, or the
    row is older than sample_path), from `read_again(paths)`: the rows of those it could read
    (warehouse/pipeline.py reads only files the ingest found). A version whose first log is not
    among them keeps its lines."""
    first = dict(con.execute(read_query("load/first_logs")).fetchall())
    kept = dict(con.execute("select fingerprint, sample_path from code_versions").fetchall())
    lines = {(r["fingerprint"], r["sample_path"]): r["sample_lines"] for r in samples}
    # a version whose first log is another than the one it kept, or was read by this ingest (its lines may be new)
    moved = {fingerprint: path for fingerprint, path in first.items()
             if path != kept.get(fingerprint) or (fingerprint, path) in lines}
    if not moved:
        return
    unread = {path for fingerprint, path in moved.items() if (fingerprint, path) not in lines}
    if unread:
        lines.update({(r["fingerprint"], r["sample_path"]): r["sample_lines"] for r in read_again(unread)})
    chosen = [(fingerprint, path) for fingerprint, path in moved.items() if (fingerprint, path) in lines]
    table = pa.table({"fingerprint": pa.array([f for f, _ in chosen], pa.string()),
                      "sample_path": pa.array([p for _, p in chosen], pa.string()),
                      "sample_lines": pa.array([lines[key] for key in chosen], pa.list_(pa.string()))})
    with registered(con, "_samples", table):
        con.execute(read_query("load/code_samples"))


LOAD_INPUT_BYTES = 1 << 30


@dataclass
class _Pending:
    """Parsed chunks waiting to be loaded together: until they hold LOAD_INPUT_BYTES of log text
    (a full-scale ingest loads four times, ~85 MB of Arrow data each time), then at the end.

    Each insert into DuckDB costs a few milliseconds whatever its size: at full scale, ~1,300
    inserts (one per chunk) cost ~6 s of the main process' CPU. The last load comes after the
    parsers are done, with nothing left to overlap it: the smaller it is, the sooner the ingest ends.
    """

    tables: dict[str, list[pa.Table]] = field(default_factory=dict)
    input_bytes: int = 0

    def add(self, tables: dict[str, pa.Table], input_bytes: int) -> bool:
        """Keep a chunk's tables; True when enough is gathered to load."""
        for name, table in tables.items():
            self.tables.setdefault(name, []).append(table)
        self.input_bytes += input_bytes
        return self.input_bytes >= LOAD_INPUT_BYTES

    def take(self) -> dict[str, pa.Table]:
        """The gathered tables, one per warehouse table (a column missing or all-NULL in one chunk
        takes its type from the others), and an empty store.

        Each table comes as one contiguous chunk: DuckDB inserts a table of ~200 small record
        batches (one per parsed chunk) with ~50% more CPU than the same rows in one (full scale:
        ~1.3 against ~0.9 s for files, epochs, settings and evaluations), more than the copy costs.
        """
        out = {name: pa.concat_tables(parts, promote_options="permissive").combine_chunks()
               for name, parts in self.tables.items()}
        self.tables, self.input_bytes = {}, 0
        return out


def _load_and_commit(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], ingest_id: int,
                     known_ids: set[int]) -> None:
    """Load gathered tables and commit them, then begin the transaction of what comes next.

    Nothing here needs one transaction for the whole ingest: it writes a private copy of the
    warehouse (warehouse/swap.py). Committing each load while the parsers work leaves the last
    commit only the last load's rows: at full scale the commit after parsing took 0.29-0.36 s with
    one transaction for all rows and takes 0.14-0.23 s this way.
    """
    if tables:
        load_batch(con, tables, ingest_id, known_ids)
    con.execute("commit")
    con.execute("begin transaction")


def load_parsed(con: duckdb.DuckDBPyConnection, parsed: Iterable[tuple[dict[str, pa.Table], int, int]],
                ingest_id: int, known_ids: set[int],
                on_chunk: Callable[[dict[str, pa.Table], int, int], None]) -> list[dict]:
    """Load parsed chunks (tables, files, bytes) as they come, in loads of LOAD_INPUT_BYTES, inside
    the caller's transaction; `on_chunk` sees each chunk (for counts and progress). Returns the
    rows of the chunks' code_versions tables (for `keep_first_samples`)."""
    pending = _Pending()
    samples = []
    for tables, n_files, nbytes in parsed:
        if "code_versions" in tables:  # as rows: a chunk's tables are views of one buffer, which a table would keep
            samples.extend(tables["code_versions"].to_pylist())
        if pending.add(tables, nbytes):
            _load_and_commit(con, pending.take(), ingest_id, known_ids)
        on_chunk(tables, n_files, nbytes)
    _load_and_commit(con, pending.take(), ingest_id, known_ids)
    return samples
