"""Which commit adds which file, when, and by whom: the corpus' git history as a plan.

Each site commits its own files in batches some hours after the last of them was written (so a
commit is always later than the runs it holds); on top of that come the events an ingest must
handle: a file renamed, a file first added by one site and later changed by the other, a
byte-identical backup copy, and a commit by an author that matches no site.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import random
from typing import Dict, List, Sequence, Tuple

from .clock import ms_of
from .specs import IDENTITIES, RunSpec, StaticFile

HOUR = 3_600_000
DAY = 24 * HOUR


@dataclasses.dataclass
class Commit:
    """ops: ("add", path), ("add_truncated", path), ("add_as", disk_path, repo_path),
    ("rename", old, new), ("copy", disk_path, repo_path)."""

    identity: str
    local_ms: int
    message: str
    ops: List[Tuple[str, ...]]


@dataclasses.dataclass
class _Entry:
    path: str
    committer: str
    ready_ms: int
    run: int


def utc_offset(identity: str, local_ms: int) -> int:
    """The author's UTC offset in minutes at that date (US daylight saving time, April to October)."""
    winter, summer = IDENTITIES[identity][2]
    month = (_dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=local_ms)).month
    return summer if 4 <= month <= 10 else winter


def unix_time(identity: str, local_ms: int) -> int:
    return local_ms // 1000 - utc_offset(identity, local_ms) * 60


def _entries(runs: Sequence[RunSpec], statics: Sequence[StaticFile]) -> List[_Entry]:
    out = []
    for run in runs:
        if run.committer is None:
            continue
        if run.log_path:
            out.append(_Entry(run.log_path, run.committer, run.ready_ms, run.index))
        if run.yaml_path:
            out.append(_Entry(run.yaml_path, run.committer, run.ready_ms, run.index))
        for ev in run.evals:
            out.append(_Entry(ev.path, run.committer, ev.ready_ms, run.index))
    for static in statics:
        if static.committer is not None:
            out.append(_Entry(static.path, static.committer, static.ready_ms, -1))
    return out


def plan_commits(runs: Sequence[RunSpec], statics: Sequence[StaticFile], rng: random.Random) -> List[Commit]:
    """All commits of `main`, oldest first."""
    entries = _entries(runs, statics)
    chunk = max(30, len(entries) // 400)
    commits: List[Commit] = []
    where: Dict[str, Commit] = {}
    for stream in ("zaber", "shihuahuang", "labadmin"):
        mine = sorted((e for e in entries if e.committer == stream), key=lambda e: (e.ready_ms, e.path))
        batch: List[_Entry] = []
        for entry in mine + [None]:
            if batch and (entry is None or len(batch) >= chunk or entry.ready_ms - batch[0].ready_ms > 3 * DAY):
                identity = stream
                if stream == "zaber" and len(commits) % 4 == 3:
                    identity = "zaberko"
                when = max(e.ready_ms for e in batch) + int(rng.uniform(1, 20) * HOUR)
                commit = Commit(identity, when, _message(stream, batch, runs), [("add", e.path) for e in batch])
                commits.append(commit)
                for e in batch:
                    where[e.path] = commit
                batch = []
            if entry is not None:
                batch.append(entry)
    commits += _special(runs, where)
    commits.sort(key=lambda c: (unix_time(c.identity, c.local_ms), c.message))
    return commits


def _message(stream: str, batch: List[_Entry], runs: Sequence[RunSpec]) -> str:
    ids = sorted({runs[e.run].arch.arch_id for e in batch if e.run >= 0})
    if not ids:
        return "Add notes and misc files\n"
    who = {"zaber": "SUSTech", "shihuahuang": "MSU", "labadmin": "shared"}[stream]
    return f"Add {who} logs for arch {ids[0]}-{ids[-1]} ({len(batch)} files)\n"


def _special(runs: Sequence[RunSpec], where: Dict[str, Commit]) -> List[Commit]:
    """Rename, cross-site change and backup copy, each a later commit of its own."""
    out = []
    for run in runs:
        if run.log_path is None or run.log_path not in where:
            continue
        first = where[run.log_path]
        index = first.ops.index(("add", run.log_path))
        if "renamed" in run.roles:
            old = f"logs/tmp/{run.stem}.log"
            first.ops[index] = ("add_as", run.log_path, old)
            out.append(Commit("zaber", first.local_ms + 5 * DAY + 2 * HOUR,
                              f"Move {run.stem}.log into its folder\n", [("rename", old, run.log_path)]))
        if "site_changed" in run.roles:
            first.ops[index] = ("add_truncated", run.log_path)
            when = max(first.local_ms - 12 * HOUR + 3 * DAY, ms_of("2023-08-01 10:00:00"))
            out.append(Commit("shihuahuang", when, f"Replace truncated {run.stem}.log with the full log\n",
                              [("add", run.log_path)]))
        if "copied" in run.roles:
            out.append(Commit("zaber", first.local_ms + 10 * DAY,
                              f"Back up {run.stem}.log\n", [("copy", run.log_path, f"backup/{run.stem}.log")]))
    return out
