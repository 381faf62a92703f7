"""What an ingest must do: decided from what the warehouse recorded and what is on disk now.

The plan is made from names and `stat` alone: a file whose size and mtime match what the warehouse
recorded is not opened at all, so re-ingesting an unchanged repository reads no log. It is made
holding the writer lock (warehouse/pipeline.py, its `plan` stage), from the very file the write then copies: a plan
read before the lock could be applied to a newer version another ingest wrote meanwhile, loading
files twice and losing rows.

    recorded = read_recorded(db, found)               # what differs from disk, roots, version, views
    plan = make_plan(recorded, found, roots, attribution_keys)
    plan.needs_write                                  # False: nothing changed, nothing to write
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa

from ingest.code_history import FACTS_VERSION, repo_head
from ingest.discover import FoundFile
from ingest.kinds import REGISTRY, kinds_key, parser_version
from warehouse.connect import connect_as
from warehouse.load import registered
from warehouse.migrate import check_version, latest_version
from warehouse.sqlfiles import read_query
from warehouse.trust import differing_views, stale_tool_views

AttributionKey = tuple[str | None, str | None, str | None, str | None]
"""What the sites of a root are decided from: sites file path, its SHA-256, the git HEAD, and why
the sites file found was not used (None: it was, or there is none)."""


class RecordedFile(NamedTuple):
    """What the warehouse recorded of one file it read (its `files` row), for the files a plan
    looks at (`Recorded.files`). A tuple."""

    size: int
    mtime_ns: int
    sha256: str | None
    """None: no content hash was recorded (e.g. a file larger than the limit)."""
    status: str
    duplicate_of: str | None
    """Path of the original when this file was skipped as a copy of it."""
    file_id: int
    kind: str
    parser_version: str | None
    """Version of the parser that read it (None: a file written before migration 007)."""
    root: str | None
    """The ingested folder it was found under."""

    @property
    def read_by_current_parser(self) -> bool:
        return self.parser_version == parser_version(self.kind)


@dataclass
class Recorded:
    """What a warehouse file holds about the files it loaded, against the files found on disk."""

    files: dict[str, RecordedFile] = field(default_factory=dict)
    """path -> what its files row says, for the rows a plan looks at: files not found now, found with
    another size, mtime or parser version, and skipped copies. An unchanged file's row is not read."""
    to_read: set[str] = field(default_factory=set)
    """Paths found that are new or changed: no files row, or one with another size, mtime or
    parser version (a file read by an older parser is read again)."""
    file_ids: set[int] = field(default_factory=set)
    """file_id of every files row."""
    roots: dict[str, AttributionKey] = field(default_factory=dict)
    code_repos: dict[str, str | None] = field(default_factory=dict)
    """The code repositories earlier ingests were given, with their HEAD when last read. They are
    read again only when an ingest names them again: the file may come from elsewhere, and a path it
    names is never read on its word."""
    code_key: str | None = None
    """What code_versions was matched from: the code repositories and their HEADs."""
    version: int = 0
    views_to_install: list[str] = field(default_factory=list)
    """The tool's views the file lacks or holds with other SQL, and views of older tool versions."""
    repeated_paths: list[str] = field(default_factory=list)
    """A problem line per path with more than one files row: a broken warehouse, never planned from."""
    kinds_current: bool = False
    """Every files row was classified by this tool's `kinds_key` (meta `file_kinds`, recorded by
    the last write): a row's kind is the kind its file's name has now."""

    @classmethod
    def nothing(cls, found: list[FoundFile]) -> "Recorded":
        """No warehouse yet (or one written anew): every file found is to be read."""
        return cls(to_read={f.path for f in found})


def read_recorded(db: Path | None, found: list[FoundFile], shown_as: Path | None = None) -> Recorded:
    """What the warehouse at `db` recorded, against the files `found` (read-only: never blocks or
    changes it); empty when there is no file yet. `shown_as`: the name messages give the file
    (`db` is a snapshot of it)."""
    if db is None or not db.exists():
        return Recorded.nothing(found)
    con = connect_as(db, shown_as or db, read_only=True)
    try:
        return recorded_in(con, shown_as or db, found)
    finally:
        con.close()


def recorded_in(con: duckdb.DuckDBPyConnection, shown_as: Path, found: list[FoundFile]) -> Recorded:
    """`read_recorded` on a connection already open on the file (`shown_as` names it in messages).

    The files found are compared with the files rows in SQL (plan/recorded_against_found): only the
    rows that differ come back, not one Python object per file of the warehouse."""
    version, roots = recorded_roots(con, shown_as)
    if version == 0:
        return Recorded.nothing(found)
    last = con.execute("select max(ingest_id) from ingests").fetchall()[0][0]
    kinds_current = _meta_value(con, "file_kinds") == file_kinds_value(last)
    if version >= 7:
        # while the rows hold the kinds their names have now, only the files to read are classified
        with registered(con, "_found", _found_table(found, classified=not kinds_current)), \
                registered(con, "_kinds", _kinds_table()):
            rows = con.execute(read_query("plan/recorded_against_found")).fetchall()
        files = {path: RecordedFile._make(row) for path, recorded, _, *row in rows if recorded}
        to_read = {path for path, _, read, *_ in rows if read}
    else:  # a file written before migration 007 has no parser versions: every file is read again
        rows = con.execute("select path, size, mtime_ns, sha256, status, duplicate_of, file_id, kind, null, root "
                           "from files").fetchall()
        files = {r[0]: RecordedFile._make(r[1:]) for r in rows}
        to_read = {f.path for f in found}
    code_repos, code_key = {}, None
    if version >= 8:
        code_repos = dict(con.execute("select repo, head from code_repos order by repo").fetchall())
        code_key = _meta_value(con, "code_key")
    views = differing_views(con) + stale_tool_views(con)
    file_ids = {r[0] for r in con.execute("select file_id from files").fetchall()}
    repeated = [f"files: {n} rows for path {path} (one expected)" for path, n in con.execute(
        "select path, count(*) from files group by path having count(*) > 1 order by path").fetchall()]
    return Recorded(files=files, to_read=to_read, file_ids=file_ids, roots=roots, code_repos=code_repos,
                    code_key=code_key, version=version, views_to_install=views, repeated_paths=repeated,
                    kinds_current=kinds_current)


def recorded_roots(con: duckdb.DuckDBPyConnection, shown_as: Path) -> tuple[int, dict[str, AttributionKey]]:
    """The file's schema version and what the sites of each root were decided from (`roots`);
    (0, {}) for a file no ingest wrote yet."""
    version = check_version(con, shown_as)
    if version < 6:
        return version, {}
    problem = "sites_problem" if version >= 17 else "null"  # the column of schema version 17
    return version, {r[0]: tuple(r[1:]) for r in con.execute(
        f"select root, sites_path, sites_sha256, head_commit, {problem} from roots").fetchall()}


def stale_roots(version: int, recorded: dict[str, AttributionKey], keys: dict[str, AttributionKey]) -> set[str]:
    """The roots (of `keys`, what their sites are decided from now) whose files' provenance and
    sites are decided again: every root of a file of an older schema (its provenance columns may be
    new) or of none yet (version 0), else those whose sites file or git HEAD changed since."""
    migrate = version < latest_version()
    return {root for root, key in keys.items() if migrate or recorded.get(root) != key}


def _meta_value(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The value of a meta key (None: not recorded)."""
    rows = con.execute("select value from meta where key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def file_kinds_value(ingest_id: int | None) -> str:
    """What meta `file_kinds` holds: this tool's `kinds_key` and the ingest that recorded it. A
    later write by a tool that does not know the key leaves it, but adds its own ingests row: it
    then counts no more."""
    return f"{kinds_key()} ingest {ingest_id}"


def _found_table(found: list[FoundFile], classified: bool) -> pa.Table:
    """The files found, as the plan's query reads them (`_found`): path, size, mtime_ns and, when
    `classified`, each one's kind (else null: its files row's kind is its kind now)."""
    return pa.table({
        "path": pa.array(list(map(attrgetter("path"), found)), pa.string()),
        "size": pa.array(list(map(attrgetter("size"), found)), pa.int64()),
        "mtime_ns": pa.array(list(map(attrgetter("mtime_ns"), found)), pa.int64()),
        "kind": pa.array([f.kind.kind for f in found] if classified else [None] * len(found), pa.string()),
    })


def _kinds_table() -> pa.Table:
    """The version of each kind's parser now (`_kinds`; a kind not listed has none: `other`)."""
    return pa.table({
        "kind": pa.array([entry.kind for entry in REGISTRY], pa.string()),
        "parser_version": pa.array([entry.parser_version for entry in REGISTRY], pa.string()),
    })


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


@dataclass
class Plan:
    """The work of one ingest."""

    to_read: list[FoundFile]
    """New and changed files, and skipped copies whose original changed or vanished, by path."""
    removed_ids: list[int]
    """file_id of the recorded files under the roots that are gone."""
    known_sha256: dict[str, str]
    """path -> recorded sha256 of each file to read that has one: a touched file with the same
    content is not parsed."""
    known_ids: set[int]
    """file_id of every recorded file: only those can have rows to replace."""
    stale_roots: list[str]
    """Roots whose sites file or git HEAD changed since their sites were decided (every root when
    the warehouse's schema is older: its provenance columns may be new)."""
    migrate: bool
    install_views: bool
    to_attribute: list[FoundFile] = field(default_factory=list)
    """Files whose provenance and site are decided now: every file under a stale root, and the
    files to read that no files row of their root holds yet. Every other file keeps what its files
    row says: nothing it is decided from changed (`keep_attribution` names those whose row this
    ingest replaces)."""
    keep_attribution: list[int] = field(default_factory=list)
    """file_id of the files to read, under roots that are not stale, whose files row (same root)
    this ingest replaces: their provenance and site are copied over from the row it replaces."""
    code_repos: list[str] = field(default_factory=list)
    """Code repositories to read: those given now (--code-repo, the sites files' [code] repos)."""
    code_key: str | None = None
    """The code repositories and their HEADs (`code_key`), recorded in meta by the write."""
    code_changed: bool = False
    """The code repositories, or one's HEAD, differ from those code_versions was matched from."""
    kinds_current: bool = False
    """Every files row after the write is classified by this tool's `kinds_key`, which the write
    records (meta `file_kinds`). False when some row under another root was classified otherwise,
    or is not known to have been."""

    @property
    def needs_write(self) -> bool:
        return bool(self.to_read or self.removed_ids or self.stale_roots or self.migrate or self.install_views
                    or self.code_changed)


def code_key(given: list[str], recorded: dict[str, str | None]) -> str | None:
    """What code_versions is matched from: each code repository and its HEAD (None: no repository):
    the HEAD now of those given, the HEAD when last read of the others the warehouse holds; and
    the version of what the tool reads from their scripts (FACTS_VERSION: a new one reads the
    repositories given again)."""
    heads = {**recorded, **{repo: repo_head(Path(repo)) for repo in given}}
    if not heads:
        return None
    digest = hashlib.sha256(f"facts {FACTS_VERSION}\n".encode())
    for repo, head in sorted(heads.items()):
        digest.update(f"{repo}={head}\n".encode())
    return digest.hexdigest()


def make_plan(recorded: Recorded, found: list[FoundFile], roots: list[str],
              attribution: dict[str, AttributionKey], code_repos: list[str] | None = None) -> Plan:
    """Compare the files found under `roots` (and what their sites are decided from, and the code
    repositories given now) with what the warehouse recorded. A file read by another
    version of its parser (ingest/kinds.py LogKind.version) is read again even when unchanged."""
    repos = list(dict.fromkeys(code_repos or []))
    key = code_key(repos, recorded.code_repos)
    # loops over every file found run in C (map, compress): a plan is made before every ingest,
    # most often of tens of thousands of unchanged files
    paths = list(map(attrgetter("path"), found))
    present = set(paths)
    to_read = list(compress(found, map(recorded.to_read.__contains__, paths)))  # new or changed, or read by an older parser
    changed = {f.path for f in to_read}
    removed = [p for p in recorded.files if p not in present and _under(p, roots)]
    # a skipped copy whose original changed or vanished is read again: it may be the one to load now
    revive = {
        p for p, old in recorded.files.items()
        if old.duplicate_of and p in present and p not in changed
        and (old.duplicate_of in changed or old.duplicate_of not in present)
    }
    if revive:
        to_read.extend(compress(found, map(revive.__contains__, paths)))
    to_read.sort(key=lambda f: f.path)
    # every row under the roots is classified now (read again when its kind changed) or removed;
    # rows under other roots keep the kinds of the ingest that wrote them
    elsewhere = any(p not in present and not _under(p, roots) for p in recorded.files)
    migrate = recorded.version < latest_version()
    stale = stale_roots(recorded.version, recorded.roots, attribution)
    kept = {f.path for f in to_read
            if f.root not in stale and (old := recorded.files.get(f.path)) is not None and old.root == f.root}
    fresh = {f.path for f in to_read} - kept
    return Plan(
        to_read=to_read,
        removed_ids=[recorded.files[p].file_id for p in removed],
        # content hashes of the files to read whose rows can stay if the content is the same: not
        # those an older parser read (they are parsed again)
        known_sha256={f.path: old.sha256 for f in to_read
                      if (old := recorded.files.get(f.path)) is not None and old.sha256 and f.path not in revive
                      and old.read_by_current_parser},
        known_ids=recorded.file_ids,
        stale_roots=sorted(stale),
        to_attribute=([f for f in found if f.root in stale or f.path in fresh] if stale
                      else [f for f in to_read if f.path in fresh]),
        keep_attribution=sorted(recorded.files[p].file_id for p in kept),
        migrate=migrate,
        install_views=bool(recorded.views_to_install),
        code_repos=repos,
        code_key=key,
        code_changed=key != recorded.code_key,
        kinds_current=recorded.kinds_current or not elsewhere,
    )
