"""Git provenance and site of every file: read the histories, match the sites file, store both.

The history of each repository is read in one pass (ingest/gitlog.py); which site an author or a
path belongs to is decided by ingest/sites.py. This module only moves those answers into the
`files` and `sites` tables. It runs on every ingest that writes, over all files, so a changed sites
file or new commits re-attribute without parsing any log again.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.load import registered

from ingest.gitlog import RepoHistory, read_history
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


def repo_histories(roots: list[Path], with_files: bool = True) -> dict[str, RepoHistory]:
    """History per ingested root (roots in the same repository share one read); with
    `with_files=False` only each repository's HEAD, to tell whether attribution is current."""
    by_repo: dict[str, RepoHistory] = {}
    out = {}
    for root in roots:
        history = read_history(root, with_files)
        key = str(history.root) if history.root else f"nogit:{root}"
        if key in by_repo:
            history = by_repo[key]
        else:
            by_repo[key] = history
        out[str(root)] = history
    return out


def _git_rows(con: duckdb.DuckDBPyConnection, histories: dict[str, RepoHistory]) -> pa.Table:
    """Provenance columns for every file under the ingested roots."""
    files = con.execute("select file_id, path, root, rel_path from files").fetchall()
    rows = []
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
        rows.append({
            "file_id": file_id,
            "repo_root": str(history.root) if history.root else None,
            "repo_path": repo_path,
            "added_commit": entry.added_commit if entry else None,
            "added_author": entry.added_author if entry else None,
            "added_email": entry.added_email if entry else None,
            "added_at": entry.added_at if entry else None,
            "last_commit": entry.last_commit if entry else None,
            "last_author": entry.last_author if entry else None,
            "last_email": entry.last_email if entry else None,
            "last_at": entry.last_at if entry else None,
            "n_commits": entry.n_commits if entry else None,
            "changed_by": [f"{name} <{email}>" for name, email in entry.later_authors] if entry else None,
        })
    return rows


def attribute(con: duckdb.DuckDBPyConnection, histories: dict[str, RepoHistory], sites: list[Site],
              sites_path: Path | None) -> int:
    """Store provenance and sites of all files; return how many data files are of unknown site."""
    git_rows = _git_rows(con, histories)
    if git_rows:
        with registered(con, "_git", pa.Table.from_pylist(git_rows)):
            con.execute(
                """
                update files set
                    repo_root = g.repo_root, repo_path = g.repo_path,
                    added_commit = g.added_commit, added_author = g.added_author,
                    added_email = g.added_email, added_at = g.added_at,
                    last_commit = g.last_commit, last_author = g.last_author,
                    last_email = g.last_email, last_at = g.last_at, n_commits = g.n_commits,
                    changed_by = g.changed_by
                from _git g
                where files.file_id = g.file_id
                """
            )
    files = con.execute("select file_id, repo_path, added_author, added_email, changed_by from files").fetchall()
    inputs = [
        {"repo_path": repo_path, "added_author": author, "added_email": email,
         "later_authors": [tuple(a[:-1].rsplit(" <", 1)) for a in changed_by or []]}
        for _, repo_path, author, email, changed_by in files
    ]
    decided = attribute_sites(inputs, sites)
    if files:
        with registered(con, "_sites", pa.Table.from_pylist([{"file_id": f[0], **d} for f, d in zip(files, decided)])):
            con.execute(
                "update files set site = s.site, site_source = s.site_source, last_site = s.last_site, "
                "site_changed = s.site_changed from _sites s where files.file_id = s.file_id"
            )
    con.execute("delete from sites")
    rows = [{"site": s.name, "authors": list(s.authors), "paths": list(s.paths), "source": str(sites_path)} for s in sites]
    rows.append({"site": UNKNOWN, "authors": [], "paths": [], "source": None})
    with registered(con, "_site_rows", pa.Table.from_pylist(rows)):
        con.execute("insert into sites by name select * from _site_rows")
    return con.execute(
        "select count(*) from files where kind in ('train', 'eval', 'corruption') "
        "and status in ('ok', 'partial') and site = 'unknown'"
    ).fetchone()[0]
