"""Git provenance and site of every file: read the histories, match each root's sites file, store both.

The history of each repository is read in one pass (ingest/gitlog.py); which site an author or a
path belongs to is decided by ingest/sites.py. This module finds the sites file of each ingested
root (`--sites`, else `sites.toml` in the root or at the top of its git repository), and moves the
answers into `files` (with the path and hash of the sites file that decided each), `sites` (the
sites of every sites file in use) and `roots`. A file's site is decided only by an ingest of its own
root: ingesting another folder, with another sites file or none, changes nothing of it, so folder
order never matters. A changed sites file or new commits re-attribute a root without parsing any
log again. While neither changed, nothing of a root is decided again: a changed log's new files row
gets the provenance and site of the row it replaces, and only a file at a new path needs the
history read (warehouse/plan.py `Plan.to_attribute`).
"""
from __future__ import annotations

import hashlib
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from ingest.gitlog import RepoHistory, StartedLog, read_history, start_log
from ingest.sites import UNKNOWN, Site, SitesFileError, attribute_sites, parse_sites_text, read_sites_text
from ingest.text import readable
from warehouse.errors import WarehouseError
from warehouse.load import registered
from warehouse.sqlfiles import read_query

SITES_FILE = "sites.toml"


@dataclass(frozen=True)
class SitesSource:
    """The sites file that applies to a root: its path, the SHA-256 of its content, its sites, and
    the repositories of the benchmark's code it names (`[code] repos`)."""

    path: str | None
    sha256: str | None
    sites: tuple[Site, ...]
    code_repos: tuple[Path, ...] = ()
    synthetic: bool = False
    """The sites file says the logs are synthetic (`[demo] synthetic = true`, the demo corpus)."""
    problem: str | None = None
    """Why the root's sites file was not used (it cannot be read or parsed: file and line); the
    sites are then those the root was attributed with before (`kept_sites`), or none."""


NO_SITES = SitesSource(None, None, ())


def read_sites_source(path: Path) -> SitesSource:
    """Read and parse a sites file, once. A folder, a FIFO or a device gives one line (stat first,
    then a non-blocking open: never a hang); a syntax error raises SitesFileError naming file and line."""
    path = Path(path).absolute()
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise WarehouseError(f"sites file {path} does not exist") from None
    except OSError as exc:
        raise WarehouseError(f"cannot read sites file {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise WarehouseError(f"sites file {path} is a folder: give the TOML file itself (e.g. {path / SITES_FILE})")
    if not stat.S_ISREG(mode):
        raise WarehouseError(f"sites file {path} is not a regular file (a FIFO, socket or device): give a TOML file")
    text = read_sites_text(path)
    parsed = parse_sites_text(text, path)
    return SitesSource(readable(str(path)), hashlib.sha256(text.encode()).hexdigest(), parsed.sites, parsed.code_repos,
                       parsed.synthetic)


def sites_sources(roots: list[Path], sites_file: Path | None = None) -> dict[str, SitesSource]:
    """The sites file of each root: `sites_file` for all of them when given, else each root's own
    `sites.toml` (in the root or at the top of its git repository), else none.

    A sites file whose text cannot be read or parsed gives its roots a source with only its
    `problem` (the file and line): the ingest goes on with the sites of `kept_sites`. A `--sites`
    that names no regular file is refused (WarehouseError): the command line is wrong."""
    if sites_file is not None:
        source = _read_or_problem(Path(sites_file))
        return {readable(str(root)): source for root in roots}
    read: dict[Path, SitesSource] = {}
    out = {}
    for root in roots:
        found = find_sites_file([Path(root)])
        if found is not None and found not in read:
            read[found] = _read_or_problem(found)
        out[readable(str(root))] = read[found] if found is not None else NO_SITES
    return out


def _read_or_problem(path: Path) -> SitesSource:
    try:
        return read_sites_source(path)
    except SitesFileError as exc:
        return SitesSource(None, None, (), problem=str(exc))


def kept_sites(con: duckdb.DuckDBPyConnection | None, root: str, problem: str) -> SitesSource:
    """The sites `root` was attributed with before (its `roots` row and the `sites` rows of that
    sites file), for a root whose sites file now has `problem`; none when it had none (or `con`
    is None: nothing recorded, or a rebuild). Its files keep their sites, and a new file of it is
    decided with the same sites, until the sites file reads again."""
    rows = [] if con is None else con.execute(
        "select sites_path, sites_sha256, coalesce(synthetic, false) from roots where root = ?", [root]).fetchall()
    if not rows or rows[0][0] is None:
        return SitesSource(None, None, (), problem=problem)
    path, sha256, synthetic = rows[0]
    sites = tuple(Site(name, tuple(authors or ()), tuple(paths or ())) for name, authors, paths in con.execute(
        read_query("attribution/kept_sites"), [path, sha256]).fetchall())
    if not sites:  # its sites rows are gone: the root is attributed as without a sites file
        return SitesSource(None, None, (), problem=problem)
    return SitesSource(path, sha256, sites, synthetic=synthetic, problem=problem)


def sites_problem_line(root: str, source: SitesSource) -> str:
    """The warning of an ingest for a root whose sites file was not used."""
    if source.path is None:
        return f"{source.problem}: not used; the files under {root} are of site unknown until it is fixed"
    return (f"{source.problem}: not used; the files under {root} keep the sites of {source.path} as last read "
            f"(sha256 {(source.sha256 or 'unrecorded')[:12]}) until it is fixed")


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
        out[readable(str(root))] = history
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
ATTRIBUTION_COLUMNS = (*_GIT_COLUMNS, *_SITE_COLUMNS, "sites_path", "sites_sha256")
"""The files columns an ingest decides from the git histories and the sites files."""


def attribution_rows(files: list[tuple[int, str, str, str]], histories: dict[str, RepoHistory],
                     sources: dict[str, SitesSource]) -> pa.Table:
    """Provenance and site of files (file_id, path, root, rel_path) under the ingested roots, one row
    each, each decided with the sites file of its own root (`sources`).

    Needs no database: the ingest computes it from the files it found while their logs are parsed.
    Files whose root has no entry in `histories` are left out.
    """
    columns: dict[str, list] = {name: [] for name in ("file_id", "root", *_GIT_COLUMNS)}
    inputs: dict[str, list[tuple[int, dict]]] = {}
    for file_id, path, root, rel_path in files:
        history = histories.get(root)
        if history is None:
            continue
        repo_path = rel_path
        entry = None
        if history.root is not None:
            # paths are resolved and absolute: the path inside the repository is a string suffix
            # (no pathlib here: two Path objects per file cost ~1 s at full scale)
            prefix = readable(str(history.root)).rstrip("/") + "/"
            if path.startswith(prefix):
                repo_path = path[len(prefix):]
            entry = history.files.get(repo_path)
        later = entry.later_authors if entry else []
        for name, value in (
            ("file_id", file_id), ("root", root),
            ("repo_root", readable(str(history.root)) if history.root else None), ("repo_path", repo_path),
            ("added_commit", entry and entry.added_commit), ("added_author", entry and entry.added_author),
            ("added_email", entry and entry.added_email), ("added_at", entry and entry.added_at),
            ("last_commit", entry and entry.last_commit), ("last_author", entry and entry.last_author),
            ("last_email", entry and entry.last_email), ("last_at", entry and entry.last_at),
            ("n_commits", entry and entry.n_commits),
            ("changed_by", [f"{name} <{email}>" for name, email in later] if entry else None),
        ):
            columns[name].append(value)
        inputs.setdefault(root, []).append((len(columns["file_id"]) - 1, {
            "repo_path": repo_path, "added_author": entry and entry.added_author,
            "added_email": entry and entry.added_email, "later_authors": later}))
    n = len(columns["file_id"])
    for name in (*_SITE_COLUMNS, "sites_path", "sites_sha256"):
        columns[name] = [None] * n
    for root, indexed in inputs.items():
        source = sources.get(root, NO_SITES)
        for (index, _), decided in zip(indexed, attribute_sites([i for _, i in indexed], list(source.sites))):
            for name in _SITE_COLUMNS:
                columns[name][index] = decided[name]
            columns["sites_path"][index] = source.path
            columns["sites_sha256"][index] = source.sha256
    return pa.table({
        **{name: columns[name] for name in ("file_id", "root", "repo_root", "repo_path")},
        **{name: pa.array(columns[name], pa.string()) for name in (
            "added_commit", "added_author", "added_email", "last_commit", "last_author", "last_email")},
        "added_at": pa.array(columns["added_at"], pa.timestamp("us")),
        "last_at": pa.array(columns["last_at"], pa.timestamp("us")),
        "n_commits": pa.array(columns["n_commits"], pa.int64()),
        "changed_by": pa.array(columns["changed_by"], pa.list_(pa.string())),
        "site": pa.array(columns["site"], pa.string()),
        "site_source": pa.array(columns["site_source"], pa.string()),
        "last_site": pa.array(columns["last_site"], pa.string()),
        "site_changed": pa.array(columns["site_changed"], pa.bool_()),
        "sites_path": pa.array(columns["sites_path"], pa.string()),
        "sites_sha256": pa.array(columns["sites_sha256"], pa.string()),
    })


def attribute(con: duckdb.DuckDBPyConnection, tables: list[pa.Table | None], sources: dict[str, SitesSource]) -> None:
    """Store the provenance and sites of files under the ingested roots (`tables`, each as
    attribution_rows or kept_attribution give them; None: none) and rebuild `sites` from the sites
    files in use.

    Files under other roots keep theirs: their sites were decided by their own root's sites file.
    """
    # built in Python: the column names are the tool's own constants (_GIT_COLUMNS, _SITE_COLUMNS)
    assignments = ", ".join(f"{name} = a.{name}" for name in ATTRIBUTION_COLUMNS)
    for rows in tables:
        if rows is None or rows.num_rows == 0:
            continue
        with registered(con, "_attribution", rows):
            con.execute(f"update files set {assignments} from _attribution a "
                        "where files.file_id = a.file_id and files.root = a.root")
    _refresh_sites(con, sources)


def kept_attribution(con: duckdb.DuckDBPyConnection, file_ids: list[int]) -> pa.Table | None:
    """The provenance and site columns of these files rows (file_id, root and ATTRIBUTION_COLUMNS),
    read before an ingest replaces the rows; `attribute` writes them back. None: no rows."""
    if not file_ids:
        return None
    with registered(con, "_kept", pa.table({"file_id": pa.array(file_ids, pa.int64())})):
        # the column names are the tool's own constants
        return con.sql(f"select file_id, root, {', '.join(ATTRIBUTION_COLUMNS)} from files "
                       "where file_id in (select file_id from _kept)").to_arrow_table()


def _refresh_sites(con: duckdb.DuckDBPyConnection, sources: dict[str, SitesSource]) -> None:
    """`sites`: one row per site of every sites file some files row names, and one unknown row.

    Rows of a sites file no file names any more go; the sites files of this ingest's roots replace
    their own rows; rows of the sites files of other roots stay as they are.
    """
    current = {(s.path, s.sha256): s for s in sources.values() if s.path is not None}
    site_rows = [{"site": s.name, "authors": list(s.authors), "paths": list(s.paths), "source": path, "sites_sha256": sha256}
                 for (path, sha256), source in sorted(current.items()) for s in source.sites]
    site_rows.append({"site": UNKNOWN, "authors": [], "paths": [], "source": None, "sites_sha256": None})
    schema = pa.schema([("site", pa.string()), ("authors", pa.list_(pa.string())), ("paths", pa.list_(pa.string())),
                        ("source", pa.string()), ("sites_sha256", pa.string())])
    with registered(con, "_site_rows", pa.Table.from_pylist(site_rows, schema=schema)):
        con.execute(read_query("attribution/delete_stale_sites"))
        con.execute(read_query("attribution/insert_sites"))


def record_roots(con: duckdb.DuckDBPyConnection, sources: dict[str, SitesSource],
                 histories: dict[str, RepoHistory], git_problems: dict[str, str | None]) -> None:
    """`roots`: what the sites of each ingested root were decided from, by this ingest.

    `git_problems`: the roots whose whole history this ingest read, with the warning of reading it.
    A root whose history was not read keeps the problem recorded when it last was, unless git
    cannot even tell its HEAD now (that warning is in `histories`)."""
    recorded = dict(con.execute("select root, git_problem from roots").fetchall())
    rows = pa.Table.from_pylist([
        {"root": root, "sites_path": source.path, "sites_sha256": source.sha256,
         "repo_root": readable(str(histories[root].root)) if histories.get(root) and histories[root].root else None,
         "head_commit": histories[root].head if histories.get(root) else None, "synthetic": source.synthetic,
         "sites_problem": source.problem,
         "git_problem": git_problems[root] if root in git_problems else (
             (histories[root].warning if histories.get(root) else None) or recorded.get(root))}
        for root, source in sorted(sources.items())
    ], schema=pa.schema([("root", pa.string()), ("sites_path", pa.string()), ("sites_sha256", pa.string()),
                         ("repo_root", pa.string()), ("head_commit", pa.string()), ("synthetic", pa.bool_()),
                         ("sites_problem", pa.string()), ("git_problem", pa.string())]))
    with registered(con, "_roots", rows):
        con.execute("delete from roots where root in (select root from _roots)")
        con.execute("insert into roots by name select * from _roots")
