"""A synthetic RobustNASBench / NARes log repository that shows every finding of the original analysis.

`write_demo_repository(out)` plans which arch each site trains (`plan`, `flaws`), renders the logs
in parallel (`render`: `trainlog`, `evallog`), each worker storing its runs' files as blobs in a
pack of its own (`packs`), then writes the trees and commits of the planned history (`history`,
`gitrepo`), the two code repositories beside the logs (`coderepo`: `code/train`, `code/eval`) and
`demo_key.json` (`keyfile`) with every planted fact. Same seed, same bytes, same commit ids.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import random
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional

from ingest.memory import keep_freed_memory
from ingest.space import MAX_ARCH_ID

from . import coderepo, dirt, flaws, gitrepo, history, plan, timeline
from .keyfile import KEY_NAME, build_key, key_text
from .render import render_group
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


CAUSES = ("precision_path", "gpu", "none")


@dataclasses.dataclass
class Plan:
    runs: List[RunSpec]
    statics: List[StaticFile]
    windows: List[plan.Window]
    cause: str = "precision_path"
    native_stretch: Optional[Dict] = None


def build_plan(archs: int, epochs: int, seed: int, cause: str = "precision_path") -> Plan:
    """Every run with its files, dates, GPUs and flaws, and the other files; nothing written yet.

    `cause`: what makes the low-accuracy runs low. `precision_path` (the benchmark's story): runs that
    took the native-AMP path that never unscales are far worse than their neighbours; `gpu`: the
    runs of one GPU model of MSU's (`plan.GPU_CAUSE`) are, whatever their precision path; `none`:
    the same corpus (same schedule, same native-path runs) with no run-level cause of low accuracy.
    """
    if cause not in CAUSES:
        raise ValueError(f"unknown cause {cause!r}: use one of {', '.join(CAUSES)}")
    rng = random.Random(f"rnb-demo-plan:{seed}")
    drafts, windows, _ = plan.draft_runs(archs, epochs, rng, cause)
    stretch = timeline.plant_timeline(drafts, rng, cause, archs)
    if cause == "gpu":
        plan.plant_gpu_cause(drafts, rng)
    timeline.plant_grad_overflows(drafts, rng)
    flaws.plant_flaws(drafts, epochs, rng)
    drafts += flaws.orphan_drafts(drafts, windows, rng)
    flaws.plant_evals(drafts, rng)
    flaws.plant_configs(drafts, rng)
    runs = plan.finalize(drafts)
    trained = {r.arch.arch_id for r in runs}
    statics = dirt.static_files(trained, rng)
    return Plan(runs, statics, windows, cause, stretch or None)


def _prepare(out: Path, overwrite: bool) -> Optional[Path]:
    """Make `out` an empty folder; return where its old contents went, to delete at the very end.
    A folder that is not empty is replaced only with `overwrite`, and only when it is an earlier
    demo corpus (it holds KEY_NAME, written last by every complete run).

    Replaced contents are moved aside and deleted last, not first: ext4 without a journal skips
    inodes freed in the last minutes when it allocates new ones, so creating 50,000 files right
    after deleting 50,000 cost up to ~0.7 ms of CPU per new file here (measured), more than
    writing it; deleting afterwards costs nothing extra. A symlink or the working directory is
    deleted first, as before.
    """
    if not (out.exists() and any(out.iterdir())):
        out.mkdir(parents=True, exist_ok=True)
        return None
    if not overwrite:
        raise ValueError(f"{out} exists and is not empty; choose another folder, or overwrite it (cli: --overwrite)")
    if not (out / KEY_NAME).is_file():
        # `--out ~ --overwrite` (a typo) must not delete a home folder: only a corpus this command wrote goes
        raise ValueError(f"{out} is not empty and holds no {KEY_NAME}: --overwrite replaces only an earlier demo "
                         "corpus; choose another folder, or empty this one yourself")
    here, target = Path.cwd().resolve(), out.resolve()
    aside = target.with_name(f".{target.name}.replaced-{os.getpid()}")
    try:
        if out.is_symlink() or here == target or target in here.parents:
            raise OSError("not a folder that can be moved aside")
        os.rename(target, aside)
    except OSError:
        shutil.rmtree(out)
        aside = None
    out.mkdir(parents=True, exist_ok=True)
    return aside


def _truncated(data: bytes) -> bytes:
    """The first version of a log that was committed while its run was still going."""
    cut = data.rfind(b"it/s\n", 0, int(len(data) * 0.45))
    return data[:cut + 5] if cut > 0 else data[: len(data) // 2]


def write_demo_repository(out: Path, archs: int = 300, epochs: int = 100, seed: int = 0, *,
                          git: bool = True, overwrite: bool = False,
                          workers: Optional[int] = None, cause: str = "precision_path") -> DemoSummary:
    """Write the corpus into `out` (created; must be empty, or with `overwrite` an earlier demo
    corpus) and return a summary.

    `cause`: see `build_plan` (`gpu` plants another cause of low accuracy than the benchmark's; `none`
    writes a corpus with no planted cause of low accuracy)."""
    if cause not in CAUSES:
        raise ValueError(f"unknown cause {cause!r}: use one of {', '.join(CAUSES)}")
    if not 1 <= archs <= MAX_ARCH_ID:
        raise ValueError(f"archs must be between 1 and {MAX_ARCH_ID}")
    if epochs < 4:
        raise ValueError("epochs must be at least 4")
    out = Path(out)
    started = time.perf_counter()
    replaced = _prepare(out, overwrite)
    try:
        return _write(out, archs, epochs, seed, git, workers, started, cause)
    finally:
        if replaced is not None:
            shutil.rmtree(replaced, ignore_errors=True)


def _write(out: Path, archs: int, epochs: int, seed: int, git: bool, workers: Optional[int],
           started: float, cause: str) -> DemoSummary:
    the_plan = build_plan(archs, epochs, seed, cause)
    runs = the_plan.runs
    pack_dir = None
    if git:
        gitrepo.init_repository(out)
        pack_dir = str(gitrepo.pack_dir(out))
    blobs: Dict[str, str] = {}  # repository path -> blob id
    results: Dict[int, Dict] = {}
    total_bytes = 0
    n_files = 0
    tasks = [(group, str(out), seed, pack_dir) for group in _groups(runs)]
    count = workers or os.cpu_count() or 1
    if count > 1 and len(tasks) > 1:
        context = multiprocessing.get_context("fork")
        pool = context.Pool(min(count, len(tasks)), initializer=keep_freed_memory)
        stream = pool.imap(render_group, tasks, chunksize=1)
    else:
        pool, stream = None, map(render_group, tasks)
    importer = gitrepo.History(out) if git else None
    try:
        # the main process has nothing to do while the workers render: write the other files now
        for static in the_plan.statics:
            target = out / static.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(static.content)
            total_bytes += len(static.content)
            n_files += 1
            if importer is not None and static.committer:
                blobs[static.path] = importer.blob(static.content)
        commits = history.plan_commits(runs, the_plan.statics, random.Random(f"rnb-demo-git:{seed}"))
        code_info = coderepo.write_code_repositories(out)
        for group in stream:
            for result in group:
                results[result["index"]] = result
                for path, size, blob in result["files"]:
                    total_bytes += size
                    n_files += 1
                    if blob is not None:
                        blobs[path] = blob
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    render_done = time.perf_counter()
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
    n_commits, head = 0, None
    with ThreadPoolExecutor(1) as background:
        writing = None
        if importer is not None:
            head = _emit_commits(importer, commits, blobs, out)
            n_commits = len(commits)
            # writing the history pack is hashing and I/O, which release the GIL: meanwhile, the key
            writing = background.submit(importer.close)
        git_info = {"branch": gitrepo.BRANCH, "commits": n_commits, "specials": specials, "head": head}
        key = build_key(seed, archs, epochs, runs, results, the_plan.windows, the_plan.statics, git_info,
                        code_info, the_plan.cause, the_plan.native_stretch)
        text = key_text(key)
        if writing is not None:
            writing.result()
            gitrepo.finish_worktree(out, [KEY_NAME, "code/"], refresh=total_bytes < 300_000_000)
    (out / KEY_NAME).write_text(text)
    finished = time.perf_counter()
    return DemoSummary(out, n_files, total_bytes, finished - started, n_commits,
                       render_seconds=render_done - started, git_seconds=finished - render_done)


def _groups(runs: List[RunSpec]) -> List[List[RunSpec]]:
    """Runs in consecutive groups, one pack each: about 64 groups (small enough that no core idles
    long at the end), at least 64 runs in each. Fixed by the plan alone, so the packs do not
    depend on the number of workers."""
    size = max(64, -(-len(runs) // 64))
    return [runs[i:i + size] for i in range(0, len(runs), size)]


def _emit_commits(importer: gitrepo.History, commits, blobs: Dict[str, str], out: Path) -> Optional[str]:
    """Record the planned commits; returns the last one's id."""
    head = None
    for commit in commits:
        ops = []
        for op in commit.ops:
            if op[0] == "add":
                ops.append(("M", blobs[op[1]], op[1]))
            elif op[0] == "add_truncated":
                ops.append(("M", importer.blob(_truncated((out / op[1]).read_bytes())), op[1]))
            elif op[0] in ("add_as", "copy"):
                ops.append(("M", blobs[op[1]], op[2]))
            elif op[0] == "rename":
                ops.append(("R", op[1], op[2]))
        head = importer.commit(commit.identity, history.unix_time(commit.identity, commit.local_ms),
                               history.utc_offset(commit.identity, commit.local_ms), commit.message, ops)
    return head
