"""The ingest, as an ordered list of stages: plan -> parse -> load -> attribute -> derive -> record.

    with the writer lock (warehouse/swap.py; `wait` seconds for another ingest to finish):
      plan       the sites file of each root, git HEADs; what the warehouse recorded (a private
                 name of its current version) of them; the files on disk (meanwhile, the git
                 histories of the roots whose sites file or HEAD changed are read); the recorded
                 files against them (warehouse/plan.py). Nothing changed: count, stop, write nothing
      parse      worker processes, one per core, parse the planned files (ingest/parallel.py); a
                 thread reads the git histories and decides the provenance and site of the files
                 the plan names (all of a root whose sites file or HEAD changed; new paths),
                 another the code repositories when they changed
      load       on a private copy of the warehouse (checked identical to the file planned from):
                 migrate, reinstall the tool's views when the file's differ, drop the rows of the
                 files gone, load what the parsers read (warehouse/load.py)
      attribute  the provenance and site of those files (each root with its own sites file), and
                 of the replaced rows of other changed files, copied from the rows they replace;
                 the commits of the code repositories (those read now: --code-repo, the sites
                 files' [code] repos; and those earlier ingests read) matched to every log's code
                 fingerprint
      derive     derived columns and tables (sql/steps/): of the files loaded, or of all of them
                 after a migration or when the provenance or the code repositories changed
      record     the roots, the tool and code keys, the ingests row; commit, the integrity
                 invariants (warehouse/invariants.py); the tables' fingerprints, kept for the next
                 commands (warehouse/results.py), and the caller's `after_commit` (`nares ingest`:
                 the check headlines); only then the copy replaces the warehouse

`STAGES` is that list; `ingest_paths` takes the lock and runs it. Every stage reads and adds to one
`IngestRun`; what a stage opens (the parser processes, the copy, its connection) is closed when the
ingest ends, in reverse order, so a stage that fails leaves the warehouse as it was: the copy is
discarded, never swapped in.

Everything that can be decided is decided under the lock: two ingests started together never
apply one's plan to the other's result; the second stops with one line or waits its turn.
`rebuild` writes a fresh warehouse from the logs instead of a copy (check_params values survive).
"""
from __future__ import annotations

import gc
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import attrgetter
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from ingest.discover import FoundFile, discover
from ingest.ids import file_id
from ingest.parallel import ParserProcessError, chunks, parser_count, parsing
from ingest.read import code_format_rows
from ingest.text import is_valid, readable
from warehouse.attribution import (
    SitesSource,
    attribute,
    attribution_rows,
    kept_attribution,
    kept_sites,
    record_roots,
    repo_histories,
    sites_problem_line,
    sites_sources,
    started_logs,
)
from warehouse.code_windows import match_code_versions, read_code_repos, read_repos
from warehouse.connect import connect, connect_as
from warehouse.errors import WarehouseError
from warehouse.invariants import raise_broken, require_invariants
from warehouse.load import delete_file_rows, keep_first_samples, load_parsed, registered
from warehouse.migrate import latest_version, migrate
from warehouse.params import restore_check_params, saved_check_params
from warehouse.plan import Plan, Recorded, file_kinds_value, make_plan, recorded_in, recorded_roots, stale_roots
from warehouse.points import reached
from warehouse.results import KeptResults, queried_tables
from warehouse.sqlfiles import read_query
from warehouse.steps import run_steps
from warehouse.swap import clean_stale, file_identity, new_version, snapshot, write_lock
from warehouse.template import date_as_new, start_from_template
from warehouse.viewfiles import load_view_files
from warehouse.views import install_views

TOOL = "robustnasbench-warehouse 0.1.0"


@dataclass
class IngestSummary:
    seen: int = 0
    loaded: int = 0
    """Files read by this ingest that now hold rows (ok or partial); not those that ended skipped or error."""
    unchanged: int = 0
    partial: int = 0
    skipped: int = 0
    errors: int = 0
    removed: int = 0
    runs: int = 0
    epochs: int = 0
    evals: int = 0
    unknown_site: int = 0
    not_read: int = 0
    """Symbolic links and FIFOs, sockets or devices found under the folders: skipped rows, never read."""
    bytes_read: int = 0
    seconds: float = 0.0
    wrote: bool = False
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        mb = self.bytes_read / 1e6
        rate = f", {mb / self.seconds:.0f} MB/s" if self.seconds > 0 and mb > 1 else ""
        removed = f" / removed {self.removed}" if self.removed else ""
        unknown = f"; {self.unknown_site} files of unknown site" if self.unknown_site else ""
        unknown += f"; {self.not_read} links or FIFOs not read (files.message)" if self.not_read else ""
        return (
            f"files seen {self.seen} / loaded {self.loaded} / unchanged {self.unchanged} / "
            f"partial {self.partial} / skipped {self.skipped} / errors {self.errors}{removed}; "
            f"runs {self.runs}, epochs {self.epochs}, evals {self.evals}{unknown}; "
            f"{mb:.1f} MB in {self.seconds:.1f} s{rate}"
            + ("" if self.wrote else " (warehouse unchanged)")
        )

    def warn(self, *messages: str | None) -> None:
        """Keep each warning once, in the order first given."""
        for message in messages:
            if message and message not in self.warnings:
                self.warnings.append(message)


class Progress:
    """What an ingest reports while it reads; the CLI draws it, tests ignore it."""

    def start(self, files: int, total_bytes: int) -> None: ...

    def advance(self, files: int, nbytes: int) -> None: ...

    def finish(self) -> None: ...


@dataclass
class _Inputs:
    """What an ingest found before planning: the roots, their sites files and git HEADs, the files."""

    roots: list[Path]
    sources: dict[str, SitesSource]
    histories: dict
    found: list[FoundFile]
    code_repos: list[str] = field(default_factory=list)
    """Code repositories given to this ingest (--code-repo, the sites files' [code] repos)."""

    @property
    def root_names(self) -> list[str]:
        """The roots as the warehouse names them (valid text: ingest/text.py `readable`)."""
        return [readable(str(r)) for r in self.roots]

    def attribution_keys(self) -> dict[str, tuple]:
        return {root: (self.sources[root].path, self.sources[root].sha256, self.histories[root].head,
                       self.sources[root].problem) for root in self.root_names}


def _code_repos(given: list[Path], sources: dict[str, SitesSource]) -> list[str]:
    """The code repositories of this ingest, as absolute paths: `--code-repo`, then the sites
    files' `[code] repos`; one line when one is not a folder."""
    repos = [*given, *(repo for source in sources.values() for repo in source.code_repos)]
    missing = [readable(str(p)) for p in repos if not Path(p).is_dir()]
    if missing:
        raise WarehouseError(f"code repository {', '.join(missing)} is not a folder")
    unreadable = [readable(str(p)) for p in repos if not is_valid(str(Path(p).resolve()))]
    if unreadable:
        raise WarehouseError(f"code repository {', '.join(unreadable)}: its path is not valid UTF-8, rename it")
    return list(dict.fromkeys(str(Path(p).resolve()) for p in repos))


def _existing_roots(roots: list[Path]) -> list[Path]:
    missing = [str(r) for r in roots if not Path(r).exists()]
    if missing:
        raise WarehouseError(f"no such file or directory: {', '.join(readable(m) for m in missing)}")
    odd = [str(r) for r in roots if not (Path(r).is_dir() or Path(r).is_file())]
    if odd:
        raise WarehouseError(f"{', '.join(readable(o) for o in odd)}: not a folder or a file (a FIFO, socket or device): "
                             "give log folders or log files")
    return [Path(r).resolve() for r in roots]


@dataclass
class IngestRun:
    """What the stages of one ingest share: each stage reads what earlier ones set and adds its own.

    `resources` holds what a stage opened for the later ones (git log processes, parser processes,
    the new version of the warehouse, its connection): closed in reverse order when the ingest
    ends; the new version replaces the warehouse only when no stage failed."""

    target: Path
    """The warehouse file, held under the writer lock."""
    roots: list[Path]
    sites_file: Path | None
    given_code_repos: list[Path]
    workers: int | None
    rebuild: bool
    summary: IngestSummary
    progress: Progress
    resources: ExitStack
    # plan
    inputs: _Inputs | None = None
    logs: object = None
    """The `git log` processes started while the files are found (warehouse/attribution.py): of the
    roots whose every file's provenance is decided again (`plan.stale_roots`)."""
    identity: tuple = ()
    """The warehouse file as planned from (warehouse/swap.py `file_identity`)."""
    plan: Plan | None = None
    params: dict[str, float] = field(default_factory=dict)
    """For a rebuild: the check_params values to keep."""
    # parse
    parsed: Iterator | None = None
    attribution: Future | None = None
    code_read: Future | None = None
    """The code repositories read while the logs are parsed (`read_repos`), when the plan says
    they changed; None: nothing read ahead."""
    kept_attribution: pa.Table | None = None
    """The provenance and site of the files rows this ingest replaces (`Plan.keep_attribution`)."""
    git_problems: dict[str, str | None] = field(default_factory=dict)
    """Root -> the warning of reading its git history, for the roots whose history this ingest read."""
    write_started_at: datetime | None = None
    write_started: float = 0.0
    # load
    con: duckdb.DuckDBPyConnection | None = None
    ingest_id: int | None = None
    migrated: bool = False
    """The copy was migrated: every derived row is derived again (a derived table may be new)."""
    # record
    kept: KeptResults | None = None
    """The new version's table fingerprints (warehouse/results.py)."""
    after_commit: Callable[[duckdb.DuckDBPyConnection, KeptResults], None] | None = None
    """Called on the new version once it is complete (see `ingest_paths`)."""

    @property
    def writes(self) -> bool:
        """Whether the plan needs a new version of the warehouse (always, for a rebuild)."""
        return self.plan is not None and (self.plan.needs_write or self.rebuild)


def plan(run: IngestRun) -> None:
    """Find the inputs (sites files, git HEADs, the files on disk) and decide what to read, remove
    and re-attribute from what the warehouse recorded; count the summary when nothing changed."""
    summary = run.summary
    sources = sites_sources(run.roots, run.sites_file)
    histories = repo_histories(run.roots, with_files=False)  # HEADs only: the full history when writing
    summary.warn(*(h.warning for h in histories.values()))
    run.inputs = _Inputs(run.roots, sources, histories, [], _code_repos(run.given_code_repos, sources))
    run.identity = file_identity(run.target)
    with snapshot(run.target) as current, ExitStack() as opened:
        # the files are found in a thread (the walk lists folders without the GIL) while the
        # warehouse is opened, on the core the walk leaves idle
        finding = opened.enter_context(ThreadPoolExecutor(max_workers=1)).submit(discover, run.roots)
        # one read-only connection for what the file recorded and, when nothing is to be written,
        # the summary's counts (a rebuild never opens the file it replaces)
        con = None
        if not run.rebuild and current is not None and current.exists():
            con = connect_as(current, run.target, read_only=True)
            opened.callback(con.close)
        # the `git log` of each root whose every file's provenance is decided again starts now,
        # while the files are found, and is read in a thread while the logs are parsed; a root with
        # only new paths to decide has its history read then. Run for nothing, it took ~1 s of a
        # core, which a re-ingest of a few changed logs shared with its plan
        version, roots = recorded_roots(con, run.target) if con is not None else (0, {})
        _keep_sites_where_the_sites_file_is_unreadable(run.inputs, con if version >= 10 else None, summary)  # roots.synthetic: 10
        stale = stale_roots(version, roots, run.inputs.attribution_keys())
        run.logs = run.resources.enter_context(started_logs({r: h for r, h in histories.items() if r in stale}))
        run.inputs.found = finding.result()
        summary.seen = len(run.inputs.found)
        summary.not_read = len(run.inputs.found) - list(map(attrgetter("skip"), run.inputs.found)).count(None)
        run.plan, recorded, run.params = _plan(con, current, run.target, run.inputs, summary, run.rebuild)
    if run.writes:
        summary.warn(_views_note(recorded))


def parse(run: IngestRun) -> None:
    """Start the parser processes on the planned files (read lazily by `load`; a few megabytes are
    read in this process, unless the caller asked for a number of parsers), and in threads
    the git histories and the provenance and site of the files the plan names, and the code
    repositories when they changed (both waited for by `attribute`)."""
    run.write_started_at = datetime.now(timezone.utc).replace(tzinfo=None)
    run.write_started = time.perf_counter()
    to_read = run.plan.to_read
    total = sum(f.size for f in to_read)
    run.progress.start(len(to_read), total)
    run.resources.callback(run.progress.finish)
    workers = run.workers or parser_count(total)
    run.parsed = run.resources.enter_context(parsing(chunks(to_read, run.plan.known_sha256, workers), workers))
    background = run.resources.enter_context(ThreadPoolExecutor(max_workers=2))
    run.attribution = background.submit(_attribution, run.inputs, run.logs, run.plan.to_attribute)
    if run.plan.code_changed:
        run.code_read = background.submit(read_repos, run.plan.code_repos)


def load(run: IngestRun) -> None:
    """On a private copy of the warehouse: migrate, the tool's views, the rows of the files gone
    dropped, the parsed files loaded (one transaction, committed by `record`)."""
    target, plan = run.target, run.plan
    tmp = run.resources.enter_context(new_version(target, fresh=run.rebuild))
    if not run.rebuild and file_identity(target) != run.identity:
        raise WarehouseError(f"{target} changed while this ingest planned (a program that does not take the "
                             "ingest lock wrote it, e.g. the duckdb shell); it is unchanged: run the ingest again")
    # a new warehouse starts as a copy of the empty one of this tool version (warehouse/template.py)
    templated = not tmp.exists() and start_from_template(tmp)
    con = run.con = connect(tmp, checked=True)  # a copy of the version read_recorded opened (identity checked above)
    run.resources.callback(con.close)
    migrated = migrate(con, target)
    run.migrated = bool(migrated)
    if templated:
        date_as_new(con, run.write_started_at)
    restore_check_params(con, run.params)
    # the views here (they need only the tables), unless the copy already holds the tool's own views
    if migrated or plan.install_views:
        install_views(con, files=load_view_files())
    run.ingest_id = con.execute("select coalesce(max(ingest_id), 0) + 1 from ingests").fetchone()[0]
    con.execute("begin transaction")
    run.kept_attribution = kept_attribution(con, plan.keep_attribution)  # before their rows are replaced
    delete_file_rows(con, plan.removed_ids, drop_files=True)
    summary, progress = run.summary, run.progress

    def counted(tables: dict[str, pa.Table], n_files: int, nbytes: int) -> None:
        same_content = tables["files"].column("status").to_pylist().count("unchanged")
        summary.unchanged += same_content  # touched, but the content hash matched
        summary.bytes_read += nbytes
        progress.advance(n_files, nbytes)

    samples = load_parsed(con, run.parsed, run.ingest_id, plan.known_ids, counted)
    # a version's first log that no chunk held is read again only when this ingest found it (never
    # by a path the warehouse names: the file may come from elsewhere)
    keep_first_samples(con, samples, lambda paths: code_format_rows([f for f in run.inputs.found if f.path in paths]))


def attribute_files(run: IngestRun) -> None:
    """The provenance and site of the files the plan names, and of the replaced rows whose own
    stay (read by `load` before it replaced them), then the code repositories' commits matched to
    every log's code fingerprint."""
    rows, run.git_problems = run.attribution.result()
    run.summary.warn(*run.git_problems.values())
    attribute(run.con, [rows, run.kept_attribution], run.inputs.sources)
    read_before = run.code_read.result() if run.code_read is not None else None
    run.summary.warn(*read_code_repos(run.con, [Path(p) for p in run.plan.code_repos], read_before))
    match_code_versions(run.con)


def derive(run: IngestRun) -> None:
    """Derived columns and tables (sql/steps/): of the files this ingest loaded, or of every file
    when the copy was migrated, the provenance of every file of a root was decided again (the copy
    of a log that git added first holds its rows) or the code repositories changed (the commits of
    every code version may)."""
    run_steps(run.con, run.ingest_id, everything=run.migrated or bool(run.plan.stale_roots) or run.plan.code_changed)


def record(run: IngestRun) -> None:
    """What this ingest was (roots, tool, code and file-kinds keys, its ingests row); commit, then
    the integrity invariants on the complete copy, which replaces the warehouse once the ingest
    ends; its fingerprints, and the caller's `after_commit` on it."""
    con, summary, inputs = run.con, run.summary, run.inputs
    record_roots(con, inputs.sources, inputs.histories, run.git_problems)
    con.execute("delete from meta where key in ('attribution_key', 'views_fingerprint', 'code_key', 'tool', 'file_kinds')")
    con.execute("insert into meta values ('tool', ?)", [TOOL])
    if run.plan.code_key is not None:
        con.execute("insert into meta values ('code_key', ?)", [run.plan.code_key])
    if run.plan.kinds_current:
        con.execute("insert into meta values ('file_kinds', ?)", [file_kinds_value(run.ingest_id)])
    _count_con(con, summary, inputs.root_names, run.ingest_id)
    con.execute(
        "insert into ingests values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run.ingest_id, run.write_started_at, datetime.now(timezone.utc).replace(tzinfo=None), inputs.root_names,
         summary.seen, summary.loaded, summary.unchanged, summary.partial, summary.skipped,
         summary.errors, summary.removed, summary.runs, summary.epochs, summary.evals,
         time.perf_counter() - run.write_started],
    )
    con.execute("commit")
    require_invariants(con, run.target)
    reached("checked", run.target)
    run.kept = keep_fingerprints(con, run.target)
    con.execute("checkpoint")
    if run.kept is not None and run.after_commit is not None:
        run.after_commit(con, run.kept)


def keep_fingerprints(con: duckdb.DuckDBPyConnection, target: Path) -> KeptResults | None:
    """The fingerprints of the new version's tables (warehouse/results.py), kept once it is
    swapped in: the commands that read it next key their kept results by them without reading
    every table. None when they cannot be computed: the readers compute them."""
    try:
        kept = KeptResults.of_writer(con, target)
        kept.fingerprints(queried_tables())
    except duckdb.Error:
        return None
    return kept


@dataclass(frozen=True)
class Stage:
    """One step of the ingest: `run` reads and adds to the IngestRun (a test may wrap it)."""

    name: str
    run: Callable[[IngestRun], None]


STAGES: tuple[Stage, ...] = (
    Stage("plan", plan),
    Stage("parse", parse),
    Stage("load", load),
    Stage("attribute", attribute_files),
    Stage("derive", derive),
    Stage("record", record),
)
"""The ingest, in order. After `plan`, an ingest with nothing to write stops."""


def run_stages(run: IngestRun) -> None:
    """Run STAGES in order; after `plan`, only when there is something to write. A database error
    or a parser process failing in a writing stage becomes one line saying the warehouse is unchanged."""
    for stage in STAGES:
        if stage.name != "plan" and not run.writes:
            return
        try:
            stage.run(run)
        except (duckdb.Error, ParserProcessError) as exc:
            if stage.name == "plan":
                raise
            raise WarehouseError(f"ingest failed, {run.target} is unchanged: {str(exc).splitlines()[0]}") from None


def ingest_paths(
    db: Path,
    roots: list[Path],
    sites_file: Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
    wait: float | None = None,
    rebuild: bool = False,
    code_repos: list[Path] | None = None,
    after_commit: Callable[[duckdb.DuckDBPyConnection, KeptResults], None] | None = None,
) -> IngestSummary:
    """Ingest log folders (or single log files) into the warehouse at `db`, incrementally.

    `wait`: seconds to wait for another ingest of `db` to finish (`inf`: no limit; None: stop at
    once), announced through `warn`. `rebuild`: a fresh warehouse from `roots` alone.
    `code_repos`: repositories of the benchmark's training and evaluation code (besides those of
    the sites files' `[code] repos`) to read for `code_commits`; the commits earlier ingests read
    stay, and count too.
    `after_commit(con, kept)`: once a new version is complete (its rows committed and checked,
    its fingerprints `kept`), before it replaces the warehouse, with the connection that wrote it
    (`nares ingest` computes the check headlines there instead of opening the file again).
    """
    started = time.perf_counter()
    summary = IngestSummary()
    roots = _existing_roots(roots)
    with without_cycle_collection(), write_lock(Path(db), wait, on_wait=warn) as target:
        summary.warn(*clean_stale(target))
        kept = _ingest(IngestRun(target, roots, sites_file, list(code_repos or []), workers, rebuild, summary,
                                 progress or Progress(), ExitStack(), after_commit=after_commit))
        if kept is not None:  # swapped in: its fingerprints are those of the file now
            kept.remember()
    summary.seconds = time.perf_counter() - started
    return summary


def _ingest(run: IngestRun) -> KeptResults | None:
    """Run the stages and close what they opened; the new version's fingerprints, when it was
    swapped in. What the run held (a tuple per file found, ...) is freed on return, while the
    cycle collector is still off: turned on with them alive, its first collection walked them all
    (~0.05 s at full scale)."""
    with run.resources:
        run_stages(run)
        run.summary.wrote = run.writes
    return run.kept


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off for a block (as it was after). An ingest holds one tuple per
    file found (tens of thousands) for its whole length: every full collection walked them all,
    ~0.1 s of a re-ingest that changes nothing. What it frees is freed by reference counting; a
    cycle made meanwhile waits for the next collection after the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _keep_sites_where_the_sites_file_is_unreadable(inputs: _Inputs, con: duckdb.DuckDBPyConnection | None,
                                                   summary: IngestSummary) -> None:
    """A root whose sites file cannot be read or parsed keeps the sites it was attributed with
    (`kept_sites`; none on a first ingest or a rebuild), and the ingest says so in one line."""
    for root, source in inputs.sources.items():
        if source.problem is not None:
            inputs.sources[root] = kept = kept_sites(con, root, source.problem)
            summary.warn(sites_problem_line(root, kept))


def _plan(con: duckdb.DuckDBPyConnection | None, current: Path | None, target: Path, inputs: _Inputs,
          summary: IngestSummary, rebuild: bool) -> tuple[Plan, Recorded, dict]:
    """Under the lock: what the warehouse recorded (`con`, read-only on `current`, a private name of
    its current version: warehouse/swap.py `snapshot`; None: nothing recorded) against the files
    found; the summary's counts when nothing is to be written; for a rebuild, the check_params
    values to keep."""
    recorded = recorded_in(con, target, inputs.found) if con is not None else Recorded.nothing(inputs.found)
    if recorded.repeated_paths:  # any plan would be wrong: several rows say what a file holds
        raise_broken(target, recorded.repeated_paths[0], len(recorded.repeated_paths) - 1)
    plan = make_plan(recorded, inputs.found, inputs.root_names, inputs.attribution_keys(), inputs.code_repos)
    reached("planned", target)
    summary.removed = len(plan.removed_ids)
    summary.unchanged = summary.seen - len(plan.to_read)
    if con is not None and not plan.needs_write:
        _count_con(con, summary, inputs.root_names)
    params, warnings = saved_check_params(current, target) if rebuild else ({}, [])
    summary.warn(*warnings)
    return plan, recorded, params


def _attribution(inputs: _Inputs, logs, files: list[FoundFile]) -> tuple[pa.Table, dict[str, str | None]]:
    """Provenance and site of `files` (runs in a thread while the logs are parsed), and for each
    root whose history was read the warning of reading it (None: read whole; a `git log` that
    failed, a missing object, ...). Only the histories of the roots of `files` are read: `git log`
    of a large repository is the costliest part, and a re-ingest of a few changed logs needs none."""
    needed = {f.root for f in files}
    histories = repo_histories([r for r, name in zip(inputs.roots, inputs.root_names) if name in needed], started=logs)
    rows = attribution_rows([(file_id(f.path), f.path, f.root, f.rel_path) for f in files], histories, inputs.sources)
    return rows, {root: history.warning for root, history in histories.items()}


def _count_con(con: duckdb.DuckDBPyConnection, summary: IngestSummary, roots: list[str],
               ingest_id: int | None = None) -> None:
    """Counts of the summary line: the files this ingest (`ingest_id`) read that now hold rows
    (`loaded`: status ok or partial, once duplicates are decided; an errored or skipped file read
    is not loaded), file statuses under the roots, table sizes overall."""
    if ingest_id is not None:
        summary.loaded = con.execute(
            "select count(*) from files where ingest_id = ? and status in ('ok', 'partial')", [ingest_id]
        ).fetchall()[0][0]
    with registered(con, "_roots", pa.table({"root": pa.array(roots, pa.string())})):
        rows = con.execute(
            "select status, count(*) from files where root in (select root from _roots) group by status"
        ).fetchall()
        unknown = con.execute(read_query("pipeline/unknown_site_records")).fetchone()[0]
    by_status = dict(rows)
    summary.partial = by_status.get("partial", 0)
    summary.skipped = by_status.get("skipped", 0)
    summary.errors = by_status.get("error", 0)
    summary.unknown_site = unknown
    summary.runs = con.execute("select count(*) from runs").fetchone()[0]
    summary.epochs = con.execute("select count(*) from epochs").fetchone()[0]
    summary.evals = con.execute("select count(*) from evals").fetchone()[0]


def _views_note(recorded: Recorded) -> str | None:
    """Say so when the file held views under the tool's names with other SQL (or none)."""
    if recorded.version != latest_version() or not recorded.views_to_install:
        return None  # a new file, or one migrated now: its views are installed anyway
    names = recorded.views_to_install
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"the warehouse's views {shown} differed from this tool's sql/ (an older tool, or changed by hand): reinstalled"
