"""One ingest: find the files, read what changed, load it into a new version of the warehouse.

The plan is made from names and `stat` alone: a file whose size and mtime match what the warehouse
recorded is not opened at all, so re-ingesting an unchanged repository reads no log. Changed files
are hashed and parsed in worker processes (one per core); the loading, site attribution, eval
linking and view installation happen on a private copy that replaces the warehouse only when
complete (warehouse/swap.py).
"""
from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa

from ingest import parser_version
from ingest.discover import FoundFile, discover
from ingest.parallel import ParserProcessError, chunks, parsing
from ingest.read import file_id
from warehouse.attribution import attribute, attribution_rows, find_sites_file, repo_histories, started_logs
from warehouse.connect import check_duckdb_file, connect
from warehouse.errors import WarehouseError
from warehouse.load import delete_file_rows, load_batch, registered
from warehouse.migrate import check_version, latest_version, migrate
from warehouse.steps import run_steps
from warehouse.viewfiles import load_view_files
from warehouse.views import install_views, views_fingerprint, views_present
from warehouse.swap import writable_copy

@dataclass
class IngestSummary:
    seen: int = 0
    loaded: int = 0
    unchanged: int = 0
    partial: int = 0
    skipped: int = 0
    errors: int = 0
    removed: int = 0
    runs: int = 0
    epochs: int = 0
    evals: int = 0
    unknown_site: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    wrote: bool = False
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        mb = self.bytes_read / 1e6
        rate = f", {mb / self.seconds:.0f} MB/s" if self.seconds > 0 and mb > 1 else ""
        removed = f" / removed {self.removed}" if self.removed else ""
        unknown = f"; {self.unknown_site} files of unknown site" if self.unknown_site else ""
        return (
            f"files seen {self.seen} / loaded {self.loaded} / unchanged {self.unchanged} / "
            f"partial {self.partial} / skipped {self.skipped} / errors {self.errors}{removed}; "
            f"runs {self.runs}, epochs {self.epochs}, evals {self.evals}{unknown}; "
            f"{mb:.1f} MB in {self.seconds:.1f} s{rate}"
            + ("" if self.wrote else " (warehouse unchanged)")
        )


class Progress:
    """What an ingest reports while it reads; the CLI draws it, tests ignore it."""

    def start(self, files: int, total_bytes: int) -> None: ...

    def advance(self, files: int, nbytes: int) -> None: ...

    def finish(self) -> None: ...


@dataclass
class _Previous:
    files: dict[str, tuple]
    meta: dict[str, str]
    version: int


def _previous_state(db: Path) -> _Previous:
    """What the current warehouse recorded (read-only: never blocks or changes it)."""
    if not db.exists():
        return _Previous({}, {}, 0)
    con = connect(db, read_only=True)
    try:
        version = check_version(con, db)
        if version == 0:
            return _Previous({}, {}, 0)
        # a file written before migration 007 has no parser versions: every file is read again
        recorded = con.execute(
            "select count(*) from duckdb_columns() where table_name = 'files' and column_name = 'parser_version'"
        ).fetchone()[0]
        version_column = "parser_version" if recorded else "null"
        rows = con.execute(
            f"select path, size, mtime_ns, sha256, status, duplicate_of, file_id, kind, {version_column} from files"
        ).fetchall()
        meta = dict(con.execute("select key, value from meta").fetchall())
    finally:
        con.close()
    return _Previous({r[0]: r[1:] for r in rows}, meta, version)


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


LOAD_INPUT_BYTES = 1 << 30


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


def _fingerprint(sites_text: str | None, heads: dict[str, str | None]) -> str:
    digest = hashlib.sha256((sites_text or "").encode())
    for root in sorted(heads):
        digest.update(f"{root}={heads[root]}".encode())
    return digest.hexdigest()


def ingest_paths(
    db: Path,
    roots: list[Path],
    sites_file: Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> IngestSummary:
    """Ingest log folders (or single log files) into the warehouse at `db`, incrementally."""
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).replace(tzinfo=None)
    progress = progress or Progress()
    summary = IngestSummary()
    db = Path(db)
    if not db.parent.is_dir():
        raise WarehouseError(f"folder {db.parent} of the database does not exist")
    check_duckdb_file(db)
    missing = [str(r) for r in roots if not Path(r).exists()]
    if missing:
        raise WarehouseError(f"no such file or directory: {', '.join(missing)}")
    roots = [Path(r).resolve() for r in roots]
    root_names = [str(r) for r in roots]

    sites_path = Path(sites_file) if sites_file else find_sites_file(roots)
    if sites_file and not sites_path.exists():
        raise WarehouseError(f"sites file {sites_file} does not exist")
    histories = repo_histories(roots, with_files=False)  # HEADs only: the full history when writing
    for history in histories.values():
        if history.warning:
            summary.warnings.append(history.warning)
    sites_text = sites_path.read_text(errors="replace") if sites_path else None
    from ingest.sites import read_sites_file

    sites = read_sites_file(sites_path) if sites_path else []
    attribution_key = _fingerprint(sites_text, {k: h.head for k, h in histories.items()})

    # `git log` starts now, on the core that finding the files leaves idle; it is read later, in a
    # thread, while the logs are parsed
    with started_logs(histories) as logs:
        found = discover(roots)
        summary.seen = len(found)
        previous = _previous_state(db)
        present = {f.path for f in found}
        changed_paths = set()
        to_read: list[FoundFile] = []
        for f in found:
            old = previous.files.get(f.path)
            if old is not None and old[0] == f.size and old[1] == f.mtime_ns and old[7] == parser_version(f.kind.kind):
                continue  # unchanged, and read by this version of its parser
            to_read.append(f)
            changed_paths.add(f.path)
        removed = [p for p in previous.files if _under(p, root_names) and p not in present]
        # a skipped copy whose original changed or vanished is read again: it may be the one to load now
        revive = {
            p for p, old in previous.files.items()
            if old[4] and p in present and p not in changed_paths and (old[4] in changed_paths or old[4] not in present)
        }
        to_read.extend(f for f in found if f.path in revive)
        to_read.sort(key=lambda f: f.path)
        summary.removed = len(removed)
        summary.unchanged = summary.seen - len(to_read)

        views_key = views_fingerprint()
        needs_write = (
            to_read or removed or previous.version < latest_version()
            or previous.meta.get("attribution_key") != attribution_key
            or previous.meta.get("views_fingerprint") != views_key
        )
        if not needs_write:
            _count(db, summary, root_names)
            summary.seconds = time.perf_counter() - started
            return summary

        # content hashes of files whose rows can stay if the content is the same: not those an
        # older parser read (they are parsed again)
        known = {p: old[2] for p, old in previous.files.items()
                 if old[2] and p not in revive and old[7] == parser_version(old[6])}
        known_ids = {old[5] for old in previous.files.values()}
        progress.start(len(to_read), sum(f.size for f in to_read))
        with parsing(chunks(to_read, known), workers or os.cpu_count() or 1) as parsed, writable_copy(db) as tmp:
            con = connect(tmp)
            try:
                migrated = migrate(con, db)
                with ThreadPoolExecutor(max_workers=1) as background:
                    # while the files are parsed: the git histories (a `git log` process) and the
                    # provenance and site of every file found, in the background; the views here
                    # (they need only the tables), unless the copy already holds these very views
                    attribution = background.submit(
                        lambda: attribution_rows([(file_id(f.path), f.path, f.root, f.rel_path) for f in found],
                                                 repo_histories(roots, started=logs), sites)
                    )
                    if migrated or previous.meta.get("views_fingerprint") != views_key or not views_present(con):
                        install_views(con, files=load_view_files())
                    ingest_id = con.execute("select coalesce(max(ingest_id), 0) + 1 from ingests").fetchone()[0]
                    con.execute("begin transaction")
                    delete_file_rows(con, [previous.files[p][5] for p in removed], drop_files=True)
                    pending = _Pending()
                    for tables, n_files, nbytes in parsed:
                        if pending.add(tables, nbytes):
                            _load_and_commit(con, pending.take(), ingest_id, known_ids)
                        same_content = tables["files"].column("status").to_pylist().count("unchanged")
                        summary.unchanged += same_content  # touched, but the content hash matched
                        summary.loaded += n_files - same_content
                        summary.bytes_read += nbytes
                        progress.advance(n_files, nbytes)
                    _load_and_commit(con, pending.take(), ingest_id, known_ids)
                    summary.unknown_site = attribute(con, attribution.result(), sites, sites_path)
                run_steps(con)
                con.execute("delete from meta where key in ('attribution_key', 'views_fingerprint', 'tool')")
                con.execute(
                    "insert into meta values ('attribution_key', ?), ('views_fingerprint', ?), ('tool', 'robustnasbench-warehouse 0.1.0')",
                    [attribution_key, views_key],
                )
                _count_con(con, summary, root_names)
                con.execute(
                    "insert into ingests values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [ingest_id, started_at, datetime.now(timezone.utc).replace(tzinfo=None), root_names,
                     summary.seen, summary.loaded, summary.unchanged, summary.partial, summary.skipped,
                     summary.errors, summary.removed, summary.runs, summary.epochs, summary.evals,
                     time.perf_counter() - started],
                )
                con.execute("commit")
                con.execute("checkpoint")
            except (duckdb.Error, ParserProcessError) as exc:
                raise WarehouseError(f"ingest failed, {db} is unchanged: {str(exc).splitlines()[0]}") from None
            finally:
                con.close()
                progress.finish()
        summary.wrote = True
        summary.seconds = time.perf_counter() - started
        return summary


def _count_con(con: duckdb.DuckDBPyConnection, summary: IngestSummary, roots: list[str]) -> None:
    """Counts of the summary line: file statuses under the roots, table sizes overall."""
    with registered(con, "_roots", pa.table({"root": roots})):
        rows = con.execute(
            "select status, count(*) from files where root in (select root from _roots) group by status"
        ).fetchall()
        unknown = con.execute(
            "select count(*) from files where root in (select root from _roots) "
            "and kind in ('train', 'eval', 'corruption', 'release') and status in ('ok', 'partial') and site = 'unknown'"
        ).fetchone()[0]
    by_status = dict(rows)
    summary.partial = by_status.get("partial", 0)
    summary.skipped = by_status.get("skipped", 0)
    summary.errors = by_status.get("error", 0)
    summary.unknown_site = unknown
    summary.runs = con.execute("select count(*) from runs").fetchone()[0]
    summary.epochs = con.execute("select count(*) from epochs").fetchone()[0]
    summary.evals = con.execute("select count(*) from evals").fetchone()[0]


def _count(db: Path, summary: IngestSummary, roots: list[str]) -> None:
    con = connect(db, read_only=True)
    try:
        _count_con(con, summary, roots)
    finally:
        con.close()


def upgrade_warehouse(db: Path) -> list[str]:
    """Migrate an existing warehouse to this tool's schema and reinstall the views, atomically.

    Reading commands call this when a file is older than the tool, so that upgrading the tool
    needs no re-ingest. Returns the migrations applied.
    """
    with writable_copy(Path(db)) as tmp:
        con = connect(tmp)
        try:
            applied = migrate(con, db)
            install_views(con)
            con.execute("delete from meta where key = 'views_fingerprint'")
            con.execute("insert into meta values ('views_fingerprint', ?)", [views_fingerprint()])
            con.execute("checkpoint")
        except duckdb.Error as exc:
            raise WarehouseError(f"upgrading {db} failed, it is unchanged: {str(exc).splitlines()[0]}") from None
        finally:
            con.close()
    return applied
