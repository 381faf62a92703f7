"""What an ingest must do: decided from what the warehouse recorded and what is on disk now.

The plan is made from names and `stat` alone: a file whose size and mtime match what the warehouse
recorded is not opened at all, so re-ingesting an unchanged repository reads no log. It is made
holding the writer lock (warehouse/pipeline.py, its `plan` stage), from the very file the write then copies: a plan
read before the lock could be applied to a newer version another ingest wrote meanwhile, loading
files twice and losing rows.

    recorded = read_recorded(db)                      # files, roots, schema version, views
    plan = make_plan(recorded, found, roots, attribution_keys)
    plan.needs_write                                  # False: nothing changed, nothing to write
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb

from ingest.code_history import repo_head
from ingest.discover import FoundFile
from ingest.kinds import parser_version
from warehouse.connect import connect_as
from warehouse.migrate import check_version, latest_version
from warehouse.trust import differing_views, stale_tool_views

AttributionKey = tuple[str | None, str | None, str | None]
"""What the sites of a root are decided from: sites file path, its SHA-256, the git HEAD."""


class RecordedFile(NamedTuple):
    """What the warehouse recorded of one file it read (its `files` row): enough to decide, from
    `stat` alone, whether the file must be read again. A tuple: a plan reads one per file."""

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

    def unchanged(self, found: FoundFile) -> bool:
        """Same size and mtime as found on disk, and read by this version of its parser."""
        return (self.size == found.size and self.mtime_ns == found.mtime_ns
                and self.parser_version == parser_version(found.kind.kind))

    @property
    def read_by_current_parser(self) -> bool:
        return self.parser_version == parser_version(self.kind)


@dataclass
class Recorded:
    """What a warehouse file holds about the files it loaded."""

    files: dict[str, RecordedFile] = field(default_factory=dict)
    """path -> what its files row says."""
    roots: dict[str, AttributionKey] = field(default_factory=dict)
    code_repos: list[str] = field(default_factory=list)
    """The code repositories earlier ingests were given (they are read again by every write)."""
    code_key: str | None = None
    """What code_versions was matched from: the code repositories and their HEADs."""
    version: int = 0
    views_to_install: list[str] = field(default_factory=list)
    """The tool's views the file lacks or holds with other SQL, and views of older tool versions."""
    repeated_paths: list[str] = field(default_factory=list)
    """A problem line per path with more than one files row: a broken warehouse, never planned from."""


def read_recorded(db: Path | None, shown_as: Path | None = None) -> Recorded:
    """What the warehouse at `db` recorded (read-only: never blocks or changes it); empty when
    there is no file yet. `shown_as`: the name messages give the file (`db` is a snapshot of it)."""
    if db is None or not db.exists():
        return Recorded()
    con = connect_as(db, shown_as or db, read_only=True)
    try:
        return recorded_in(con, shown_as or db)
    finally:
        con.close()


def recorded_in(con: duckdb.DuckDBPyConnection, shown_as: Path) -> Recorded:
    """`read_recorded` on a connection already open on the file (`shown_as` names it in messages)."""
    version = check_version(con, shown_as)
    if version == 0:
        return Recorded()
    # a file written before migration 007 has no parser versions: every file is read again
    # (one of two constants of the tool's, put in the SQL text)
    parsed_by = "parser_version" if version >= 7 else "null"
    rows = con.execute(
        f"select path, size, mtime_ns, sha256, status, duplicate_of, file_id, kind, {parsed_by} from files"
    ).fetchall()
    roots = {}
    if version >= 6:
        roots = {r[0]: tuple(r[1:]) for r in con.execute(
            "select root, sites_path, sites_sha256, head_commit from roots").fetchall()}
    code_repos, code_key = [], None
    if version >= 8:
        code_repos = [r[0] for r in con.execute("select repo from code_repos order by repo").fetchall()]
        found = con.execute("select value from meta where key = 'code_key'").fetchone()
        code_key = found[0] if found else None
    views = differing_views(con) + stale_tool_views(con)
    files = {r[0]: RecordedFile._make(r[1:]) for r in rows}
    repeated = []
    if len(files) < len(rows):
        counts = Counter(r[0] for r in rows)
        repeated = [f"files: {n} rows for path {path} (one expected)" for path, n in sorted(counts.items()) if n > 1]
    return Recorded(files=files, roots=roots, code_repos=code_repos, code_key=code_key, version=version,
                    views_to_install=views, repeated_paths=repeated)


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
    """Roots whose sites file or git HEAD changed since their sites were decided."""
    migrate: bool
    install_views: bool
    code_repos: list[str] = field(default_factory=list)
    """Code repositories to read: those given now, then those earlier ingests were given."""
    code_key: str | None = None
    """The code repositories and their HEADs now (`code_key`), recorded in meta by the write."""
    code_changed: bool = False
    """The code repositories, or one's HEAD, differ from those code_versions was matched from."""

    @property
    def needs_write(self) -> bool:
        return bool(self.to_read or self.removed_ids or self.stale_roots or self.migrate or self.install_views
                    or self.code_changed)


def code_key(repos: list[str]) -> str | None:
    """What code_versions is matched from: each code repository and its HEAD (None: no repository)."""
    if not repos:
        return None
    digest = hashlib.sha256()
    for repo in sorted(repos):
        digest.update(f"{repo}={repo_head(Path(repo))}\n".encode())
    return digest.hexdigest()


def make_plan(recorded: Recorded, found: list[FoundFile], roots: list[str],
              attribution: dict[str, AttributionKey], code_repos: list[str] | None = None) -> Plan:
    """Compare the files found under `roots` (and what their sites are decided from, and the code
    repositories given now and remembered) with what the warehouse recorded. A file read by another
    version of its parser (ingest/kinds.py LogKind.version) is read again even when unchanged."""
    repos = list(dict.fromkeys([*(code_repos or []), *recorded.code_repos]))
    key = code_key(repos)
    present = {f.path for f in found}
    changed = set()
    to_read: list[FoundFile] = []
    for f in found:
        old = recorded.files.get(f.path)
        if old is not None and old.unchanged(f):
            continue  # unchanged, and read by this version of its parser
        to_read.append(f)
        changed.add(f.path)
    removed = [p for p in recorded.files if p not in present and _under(p, roots)]
    # a skipped copy whose original changed or vanished is read again: it may be the one to load now
    revive = {
        p for p, old in recorded.files.items()
        if old.duplicate_of and p in present and p not in changed
        and (old.duplicate_of in changed or old.duplicate_of not in present)
    }
    to_read.extend(f for f in found if f.path in revive)
    to_read.sort(key=lambda f: f.path)
    return Plan(
        to_read=to_read,
        removed_ids=[recorded.files[p].file_id for p in removed],
        # content hashes of the files to read whose rows can stay if the content is the same: not
        # those an older parser read (they are parsed again)
        known_sha256={f.path: old.sha256 for f in to_read
                      if (old := recorded.files.get(f.path)) is not None and old.sha256 and f.path not in revive
                      and old.read_by_current_parser},
        known_ids={old.file_id for old in recorded.files.values()},
        stale_roots=sorted(root for root, key in attribution.items() if recorded.roots.get(root) != key),
        migrate=recorded.version < latest_version(),
        install_views=bool(recorded.views_to_install),
        code_repos=repos,
        code_key=key,
        code_changed=key != recorded.code_key,
    )
