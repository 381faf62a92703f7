"""A synthetic RobustNASBench / NARes log repository that shows every finding of the original analysis.

`write_demo_repository(out)` plans which arch each site trains (`plan`, `flaws`), renders the logs
in parallel (`render`: `trainlog`, `evallog`), streams them into one `git fast-import` (`history`,
`gitrepo`) and writes `demo_key.json` (`keyfile`) with every planted fact. Same seed, same bytes,
same commit ids.
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import random
import shutil
import time
from pathlib import Path
from typing import Dict, List, Optional

from . import dirt, flaws, gitrepo, history, plan
from .keyfile import KEY_NAME, build_key
from .render import render_run
from .specs import RunSpec, StaticFile

__all__ = ["DemoSummary", "write_demo_repository", "build_plan"]


@dataclasses.dataclass
class DemoSummary:
    """What was written and how fast."""

    out: Path
    files: int
    bytes: int
    seconds: float
    commits: int
    render_seconds: float = 0.0
    git_seconds: float = 0.0

    @property
    def megabytes(self) -> float:
        return self.bytes / 1e6

    def describe(self) -> str:
        rate = self.megabytes / self.seconds if self.seconds else 0.0
        return (f"wrote {self.files} files, {self.megabytes:.1f} MB in {self.seconds:.1f} s "
                f"({rate:.1f} MB/s; rendering {self.render_seconds:.1f} s, git {self.git_seconds:.1f} s), "
                f"{self.commits} commits -> {self.out}")


@dataclasses.dataclass
class Plan:
    runs: List[RunSpec]
    statics: List[StaticFile]
    windows: List[plan.Window]


def build_plan(archs: int, epochs: int, seed: int) -> Plan:
    """Every run with its files, dates, GPUs and flaws, and the other files; nothing written yet."""
    rng = random.Random(f"rnb-demo-plan:{seed}")
    drafts, windows, _ = plan.draft_runs(archs, epochs, rng)
    flaws.plant_timeline(drafts, rng)
    flaws.plant_flaws(drafts, epochs, rng)
    drafts += flaws.orphan_drafts(drafts, windows, rng)
    flaws.plant_evals(drafts, rng)
    flaws.plant_configs(drafts, rng)
    runs = plan.finalize(drafts)
    trained = {r.arch.arch_id for r in runs}
    statics = dirt.static_files(trained, rng)
    return Plan(runs, statics, windows)


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ValueError(f"{out} exists and is not empty; choose another folder, or overwrite it (cli: --overwrite)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _truncated(data: bytes) -> bytes:
    """The first version of a log that was committed while its run was still going."""
    cut = data.rfind(b"it/s\n", 0, int(len(data) * 0.45))
    return data[:cut + 5] if cut > 0 else data[: len(data) // 2]


def write_demo_repository(out: Path, archs: int = 300, epochs: int = 100, seed: int = 0, *,
                          git: bool = True, overwrite: bool = False,
                          workers: Optional[int] = None) -> DemoSummary:
    """Write the corpus into `out` (created; must be empty unless `overwrite`) and return a summary."""
    if not 1 <= archs <= 15625:
        raise ValueError("archs must be between 1 and 15625")
    if epochs < 4:
        raise ValueError("epochs must be at least 4")
    out = Path(out)
    started = time.perf_counter()
    _prepare(out, overwrite)
    the_plan = build_plan(archs, epochs, seed)
    runs = the_plan.runs
    tracked = {r.log_path for r in runs if r.committer and r.log_path}
    tracked |= {r.yaml_path for r in runs if r.committer and r.yaml_path}
    tracked |= {e.path for r in runs if r.committer for e in r.evals}
    importer = None
    if git:
        gitrepo.init_repository(out)
        importer = gitrepo.FastImport(out)
    marks: Dict[str, int] = {}
    results: Dict[int, Dict] = {}
    total_bytes = 0
    n_files = 0
    tasks = [(r, str(out), seed) for r in runs]
    count = workers or os.cpu_count() or 1
    if count > 1 and len(tasks) >= 48:
        context = multiprocessing.get_context("fork")
        pool = context.Pool(count)
        stream = pool.imap(render_run, tasks, chunksize=4)
    else:
        pool, stream = None, map(render_run, tasks)
    try:
        for result in stream:
            results[result["index"]] = result
            for path, size in result["files"]:
                total_bytes += size
                n_files += 1
                if importer is not None and path in tracked:
                    marks[path] = importer.blob((out / path).read_bytes())
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    render_done = time.perf_counter()
    for static in the_plan.statics:
        target = out / static.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(static.content)
        total_bytes += len(static.content)
        n_files += 1
        if importer is not None and static.committer:
            marks[static.path] = importer.blob(static.content)
    commits = history.plan_commits(runs, the_plan.statics, random.Random(f"rnb-demo-git:{seed}"))
    specials = {"copies": [], "renamed": []}
    for commit in commits:
        for op in commit.ops:
            if op[0] == "copy":
                target = out / op[2]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(out / op[1], target)
                total_bytes += target.stat().st_size
                n_files += 1
                specials["copies"].append({"path": op[2], "copy_of": op[1]})
            elif op[0] == "rename":
                specials["renamed"].append({"from": op[1], "to": op[2]})
    n_commits = 0
    if importer is not None:
        _emit_commits(importer, commits, marks, out)
        importer.close()
        gitrepo.finish_worktree(out, [KEY_NAME], refresh=total_bytes < 300_000_000)
        n_commits = gitrepo.count_commits(out)
    git_info = {"branch": gitrepo.BRANCH, "commits": n_commits, "specials": specials,
                "head": gitrepo.commit_ids(out)[-1] if n_commits else None}
    key = build_key(seed, archs, epochs, runs, results, the_plan.windows, the_plan.statics, git_info)
    (out / KEY_NAME).write_text(json.dumps(key, indent=1, sort_keys=False) + "\n")
    finished = time.perf_counter()
    return DemoSummary(out, n_files, total_bytes, finished - started, n_commits,
                       render_seconds=render_done - started, git_seconds=finished - render_done)


def _emit_commits(importer: gitrepo.FastImport, commits, marks: Dict[str, int], out: Path) -> None:
    for commit in commits:
        ops = []
        for op in commit.ops:
            if op[0] == "add":
                ops.append(("M", marks[op[1]], op[1]))
            elif op[0] == "add_truncated":
                ops.append(("M", importer.blob(_truncated((out / op[1]).read_bytes())), op[1]))
            elif op[0] in ("add_as", "copy"):
                ops.append(("M", marks[op[1]], op[2]))
            elif op[0] == "rename":
                ops.append(("R", op[1], op[2]))
        importer.commit(commit.identity, history.unix_time(commit.identity, commit.local_ms),
                        history.utc_offset(commit.identity, commit.local_ms), commit.message, ops)
