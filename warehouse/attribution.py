"""Git provenance and site of every file: read the histories, match the sites file, store both.

The history of each repository is read in one pass (ingest/gitlog.py); which site an author or a
path belongs to is decided by ingest/sites.py. This module only moves those answers into the
`files` and `sites` tables. It runs on every ingest that writes, over all files, so a changed sites
file or new commits re-attribute without parsing any log again.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from warehouse.load import registered

from ingest.gitlog import RepoHistory, StartedLog, read_history, start_log
from ingest.sites import UNKNOWN, Site, attribute_sites

SITES_FILE = "sites.toml"


def find_sites_file(roots: list[Path]) -> Path | None:
    """Default sites file: `sites.toml` in an ingested folder, or at the top of its git repository."""
    for root in roots:
        folder = root if root.is_dir() else root.parent
        for candidate in (folder / SITES_FILE, *(p / SITES_FILE for p in folder.parents)):
            if candidate.is_file():
                return candidate
            if (candidate.parent / ".git").exists():
                break
    return None


def repo_histories(roots: list[Path], with_files: bool = True,
                   started: dict[Path, StartedLog] | None = None) -> dict[str, RepoHistory]:
    """History per ingested root (roots in the same repository share one read); with
    `with_files=False` only each repository's HEAD, to tell whether attribution is current.
    `started`: `git log` processes already running, by repository root (`start_logs`)."""
    by_repo: dict[str, RepoHistory] = {}
    out = {}
    for root in roots:
        history = read_history(root, with_files, started)
        key = str(history.root) if history.root else f"nogit:{root}"
        if key in by_repo:
            history = by_repo[key]
        else:
            by_repo[key] = history
        out[str(root)] = history
    return out


@contextmanager
def started_logs(histories: dict[str, RepoHistory]) -> Iterator[dict[Path, StartedLog]]:
    """Start now the `git log` of each repository that `repo_histories(..., with_files=False)`
    found with commits; whatever is not read by the end of the block is stopped."""
    logs: dict[Path, StartedLog] = {}
    try:
        for history in histories.values():
            if history.root is not None and history.head is not None and not history.warning and history.root not in logs:
                log = start_log(history.root)
                if log is not None:
                    logs[history.root] = log
        yield logs
    finally:
        for log in list(logs.values()):
            log.stop()


_GIT_COLUMNS = ("repo_root", "repo_path", "added_commit", "added_author", "added_email", "added_at",
                "last_commit", "last_author", "last_email", "last_at", "n_commits", "changed_by")
_SITE_COLUMNS = ("site", "site_source", "last_site", "site_changed")


def attribution_rows(files: list[tuple[int, str, str, str]], histories: dict[str, RepoHistory],
                     sites: list[Site]) -> pa.Table:
    """Provenance and site of files (file_id, path, root, rel_path) under the ingested roots, one row each.

    Needs no database: the ingest computes it from the files it found while their logs are parsed.
    Files whose root has no entry in `histories` are left out.
    """
    columns: dict[str, list] = {name: [] for name in ("file_id", "root", *_GIT_COLUMNS)}
    inputs = []
    for file_id, path, root, rel_path in files:
        history = histories.get(root)
        if history is None:
            continue
        repo_path = rel_path
        entry = None
        if history.root is not None:
            # paths are resolved and absolute: the path inside the repository is a string suffix
            # (no pathlib here: two Path objects per file cost ~1 s at full scale)
            prefix = str(history.root).rstrip("/") + "/"
            if path.startswith(prefix):
                repo_path = path[len(prefix):]
            entry = history.files.get(repo_path)
        later = entry.later_authors if entry else []
        for name, value in (
            ("file_id", file_id), ("root", root),
            ("repo_root", str(history.root) if history.root else None), ("repo_path", repo_path),
            ("added_commit", entry and entry.added_commit), ("added_author", entry and entry.added_author),
            ("added_email", entry and entry.added_email), ("added_at", entry and entry.added_at),
            ("last_commit", entry and entry.last_commit), ("last_author", entry and entry.last_author),
            ("last_email", entry and entry.last_email), ("last_at", entry and entry.last_at),
            ("n_commits", entry and entry.n_commits),
            ("changed_by", [f"{name} <{email}>" for name, email in later] if entry else None),
        ):
            columns[name].append(value)
        inputs.append({"repo_path": repo_path, "added_author": entry and entry.added_author,
                       "added_email": entry and entry.added_email, "later_authors": later})
    for name in _SITE_COLUMNS:
        columns[name] = []
    for decided in attribute_sites(inputs, sites):
        for name in _SITE_COLUMNS:
            columns[name].append(decided[name])
    return pa.table({
        **{name: columns[name] for name in ("file_id", "root", "repo_root", "repo_path")},
        **{name: pa.array(columns[name], pa.string()) for name in (
            "added_commit", "added_author", "added_email", "last_commit", "last_author", "last_email")},
        "added_at": pa.array(columns["added_at"], pa.timestamp("us")),
        "last_at": pa.array(columns["last_at"], pa.timestamp("us")),
        "n_commits": pa.array(columns["n_commits"], pa.int64()),
        "changed_by": pa.array(columns["changed_by"], pa.list_(pa.string())),
        **{name: columns[name] for name in _SITE_COLUMNS},
    })


def attribute(con: duckdb.DuckDBPyConnection, rows: pa.Table, sites: list[Site], sites_path: Path | None) -> int:
    """Store provenance and sites of all files; return how many data files are of unknown site.

    `rows` (attribution_rows) covers the files under the ingested roots; a file loaded earlier from
    another root keeps its provenance, and its site is decided again from what the table holds.
    """
    assignments = ", ".join(f"{name} = a.{name}" for name in (*_GIT_COLUMNS, *_SITE_COLUMNS))
    with registered(con, "_attribution", rows):
        con.execute(f"update files set {assignments} from _attribution a "
                    "where files.file_id = a.file_id and files.root = a.root")
        others = con.execute(
            "select file_id, repo_path, added_author, added_email, changed_by from files f "
            "where not exists (select 1 from _attribution a where a.file_id = f.file_id and a.root = f.root)"
        ).fetchall()
    inputs = [
        {"repo_path": repo_path, "added_author": author, "added_email": email,
         "later_authors": [tuple(a[:-1].rsplit(" <", 1)) for a in changed_by or []]}
        for _, repo_path, author, email, changed_by in others
    ]
    decided = attribute_sites(inputs, sites)
    if others:
        with registered(con, "_sites", pa.Table.from_pylist([{"file_id": f[0], **d} for f, d in zip(others, decided)])):
            con.execute(
                "update files set site = s.site, site_source = s.site_source, last_site = s.last_site, "
                "site_changed = s.site_changed from _sites s where files.file_id = s.file_id"
            )
    con.execute("delete from sites")
    site_rows = [{"site": s.name, "authors": list(s.authors), "paths": list(s.paths), "source": str(sites_path)} for s in sites]
    site_rows.append({"site": UNKNOWN, "authors": [], "paths": [], "source": None})
    with registered(con, "_site_rows", pa.Table.from_pylist(site_rows)):
        con.execute("insert into sites by name select * from _site_rows")
    return con.execute(
        "select count(*) from files where kind in ('train', 'eval', 'corruption') "
        "and status in ('ok', 'partial') and site = 'unknown'"
    ).fetchone()[0]
