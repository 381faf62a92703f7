"""Which commits of the benchmark's code could have written each code version's logs.

The code repositories an ingest is given are read once per change of their HEAD
(ingest/code_history.py) into `code_history` and `code_scripts`, listed in `code_repos`; what was
read stays when a later ingest does not name them (a warehouse never makes the tool read a path).
Every code version (`code_versions`, one per fingerprint of the logs) is then matched against every
commit: the commit's entry script for that kind of log must log the same argument names in the
same order, and its logging templates must print each sample line. The matching commits go to
`code_versions.commits`; the step sql/steps/70_code.sql keeps, for each log, those not after its
first line. The logs are never parsed again for this: a new commit in a code repository only
re-runs the matching.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.code_facts import ScriptFacts, like_pattern
from ingest.code_history import ENTRY_SCRIPTS, FACTS_VERSION, CodeRepo, read_code_repo, repo_head
from warehouse.load import registered
from warehouse.sqlfiles import read_query


def _store_repo(con: duckdb.DuckDBPyConnection, path: str, repo: CodeRepo) -> str | None:
    """A repository read (`read_code_repo`) into code_history and code_scripts (replacing what it
    held); its warning."""
    key = str(Path(path).resolve())
    for table in ("code_history", "code_scripts", "code_repos"):
        con.execute(f"delete from {table} where repo = ?", [key])
    history = pa.table({
        "repo": [key] * len(repo.commits),
        "position": pa.array(range(len(repo.commits)), pa.int32()),
        "sha": [c.sha for c in repo.commits],
        "authored_at": pa.array([c.authored_at for c in repo.commits], pa.timestamp("us")),
        "authored_utc": pa.array([c.authored_utc for c in repo.commits], pa.timestamp("us")),
        "author": [c.author for c in repo.commits],
        "email": [c.email for c in repo.commits],
        "subject": [c.subject for c in repo.commits],
        "changed_scripts": pa.array([[s for s in ENTRY_SCRIPTS.values() if s in c.changed] for c in repo.commits],
                                    pa.list_(pa.string())),
    })
    scripts = [
        {"repo": key, "sha": sha, "kind": kind, "script": ENTRY_SCRIPTS[kind],
         "argument_names": list(facts.arguments) if facts else None,
         "templates": list(facts.templates) if facts else None,
         "log_names": list(facts.log_names) if facts and facts.log_names is not None else None}
        for kind, shas in repo.changed_at.items() for sha in shas
        for facts in [repo.facts[sha][kind]]
    ]
    with registered(con, "_history", history):
        con.execute("insert into code_history by name select * from _history")
    if scripts:
        schema = pa.schema([("repo", pa.string()), ("sha", pa.string()), ("kind", pa.string()), ("script", pa.string()),
                            ("argument_names", pa.list_(pa.string())), ("templates", pa.list_(pa.string())),
                            ("log_names", pa.list_(pa.string()))])
        with registered(con, "_scripts", pa.Table.from_pylist(scripts, schema=schema)):
            con.execute("insert into code_scripts by name select * from _scripts")
    con.execute("insert into code_repos by name select ? as repo, ? as head, ? as n_commits, ? as read_at, "
                "? as warning, ? as facts_version",
                [key, repo.head, len(repo.commits), datetime.now(timezone.utc).replace(tzinfo=None), repo.warning,
                 FACTS_VERSION])
    return repo.warning


def read_code_repos(con: duckdb.DuckDBPyConnection, given: list[Path],
                    read_before: dict[str, CodeRepo] | None = None) -> list[str]:
    """Bring code_history up to date with the given repositories (a known one is read again when
    its HEAD moved, or it was read by another FACTS_VERSION); returns warnings (a repository git
    cannot read). Those known and not given keep the commits read earlier: a path the file names is
    never read on its word. `read_before`: repositories already read (`read_repos`, while the logs
    were parsed), taken when their HEAD is still the one read."""
    known = {repo: (head, version) for repo, head, version in
             con.execute("select repo, head, facts_version from code_repos").fetchall()}
    warnings = []
    for path in dict.fromkeys(str(Path(p).resolve()) for p in given):
        head = repo_head(Path(path))
        if path in known and head is not None and known[path] == (head, FACTS_VERSION):
            continue  # unchanged since it was read
        repo = (read_before or {}).get(path)
        if repo is None or repo.head is None or repo.head != head:
            repo = read_code_repo(Path(path))
        warning = _store_repo(con, path, repo)
        if warning:
            warnings.append(warning)
    return warnings


def read_repos(given: list[str]) -> dict[str, CodeRepo]:
    """Each repository of `given` (absolute paths) read, for `read_code_repos`: run in a thread
    while the logs are parsed, it takes git's and the script parser's time (~0.2 s at full scale)
    off the end of an ingest."""
    return {path: read_code_repo(Path(path)) for path in given}


def _commit_facts(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, ScriptFacts | None]]]:
    """kind -> [(sha, facts of its script at that commit)] over every known repository, each commit
    carrying the state of the last change of the script at or before it."""
    changes: dict[tuple[str, str], dict[str, ScriptFacts | None]] = {}
    for repo, sha, kind, names, templates, log_names in con.execute(
            "select repo, sha, kind, argument_names, templates, log_names from code_scripts").fetchall():
        facts = ScriptFacts(tuple(names), tuple(templates), None if log_names is None else tuple(log_names)) \
            if names is not None else None
        changes.setdefault((repo, sha), {})[kind] = facts
    out: dict[str, list[tuple[str, ScriptFacts | None]]] = {kind: [] for kind in ENTRY_SCRIPTS}
    current: dict[str, dict[str, ScriptFacts | None]] = {}
    has_script: dict[str, set[str]] = {}
    for repo, sha in con.execute(
            "select repo, sha from code_history order by repo, position").fetchall():
        state = current.setdefault(repo, {})
        for kind, facts in changes.get((repo, sha), {}).items():
            state[kind] = facts
            has_script.setdefault(repo, set()).add(kind)
        for kind in has_script.get(repo, ()):
            out[kind].append((sha, state.get(kind)))
    return out


_LOG_NAMES = pa.list_(pa.struct([("sha", pa.string()), ("patterns", pa.list_(pa.string()))]))


def match_code_versions(con: duckdb.DuckDBPyConnection) -> None:
    """Fill code_versions.commits: per fingerprint, the commits whose code prints such logs (NULL
    when no known repository has an entry script of that kind); and commit_log_names: the names
    of the log files those commits' scripts can write, as LIKE patterns, for the steps to match
    each log's file name against (sql/steps/70_code.sql)."""
    by_kind = _commit_facts(con)
    rows = []
    for fingerprint, kind, names, lines in con.execute(
            "select fingerprint, kind, argument_names, sample_lines from code_versions").fetchall():
        candidates = by_kind.get(kind) or []
        if not candidates:
            rows.append((fingerprint, None, None))
            continue
        names = tuple(names or ())
        matching = [(sha, facts) for sha, facts in candidates
                    if facts is not None and facts.arguments == names and all(facts.matches(line) for line in lines or ())]
        log_names = [{"sha": sha, "patterns": [like_pattern(t) for t in facts.log_names]}
                     for sha, facts in matching if facts.log_names is not None]
        rows.append((fingerprint, [sha for sha, _ in matching], log_names))
    table = pa.table({"fingerprint": [r[0] for r in rows], "commits": pa.array([r[1] for r in rows], pa.list_(pa.string())),
                      "commit_log_names": pa.array([r[2] for r in rows], _LOG_NAMES)})
    with registered(con, "_windows", table):
        con.execute(read_query("code_windows/store_commits"))
