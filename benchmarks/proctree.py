"""Wall time and peak memory of a command and every process it starts (the ingest forks parsers).

`run_measured(argv)` starts the command, samples `/proc` every 50 ms for the command and all its
descendants (RSS every sample, PSS every tenth: it is costly to read), and waits for it with
`os.wait4`. It returns three memory figures, because "peak RSS of a process tree" has no single
kernel answer:

- `tree_rss_mb`: the largest sum of VmRSS over the live tree seen by the sampler (an upper bound:
  forked workers share pages with their parent and each counts them in full);
- `tree_pss_mb`: the same sum with PSS (shared pages split between the processes sharing them);
- `maxrss_mb`: `ru_maxrss` from `wait4`, i.e. the largest single process among the command and the
  descendants it waited for (what `/usr/bin/time -v` prints); it never adds processes up.

    result = run_measured([sys.executable, "cli.py", "ingest", "logs", "--db", "wh.duckdb"], cwd=ROOT)
    result.seconds, result.tree_rss_mb, result.stdout
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.05
PSS_EVERY = 10  # samples: reading PSS costs ~10 ms of CPU for a large process, RSS ~0.1 ms

RSS_METHOD = (
    "peak of the summed VmRSS of the command and all its descendants, sampled from /proc "
    f"every {SAMPLE_SECONDS * 1000:.0f} ms (PSS every {SAMPLE_SECONDS * PSS_EVERY * 1000:.0f} ms); "
    "also ru_maxrss from wait4 (largest single process of the tree, "
    "as /usr/bin/time -v reports). The RSS target is judged on the summed RSS (an upper bound)."
)


@dataclass
class Measured:
    argv: list[str]
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    tree_rss_mb: float
    tree_pss_mb: float
    maxrss_mb: float

    def check(self) -> "Measured":
        """Raise with the command's stderr when it failed: a benchmark of a failure means nothing."""
        if self.returncode != 0:
            raise RuntimeError(f"{' '.join(self.argv)} exited with {self.returncode}:\n{self.stderr[-2000:]}")
        return self


def _children() -> dict[int, list[int]]:
    """parent pid -> child pids, from /proc/<pid>/stat of every process (the fallback of _descendants)."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


_HAS_CHILDREN_FILES = Path(f"/proc/self/task/{os.getpid()}/children").exists()  # CONFIG_PROC_CHILDREN


def _task_children(pid: int) -> list[int]:
    """Child pids of a process, from the `children` file of each of its threads."""
    children: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:  # the process has gone
        return children
    for task in tasks:
        try:
            children.extend(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
        except (OSError, ValueError):  # the thread has gone
            continue
    return children


def _descendants(pid: int) -> list[int]:
    """The process and all its descendants. Reads only the tree's own `children` files where the
    kernel has them: scanning all of /proc each time cost ~10 ms of CPU a sample, taken from the
    two cores being measured."""
    tree = None if _HAS_CHILDREN_FILES else _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_task_children(p) if tree is None else tree.get(p, []))
    return out


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss_kb(pid: int) -> int:
    """Resident memory of one process in kB from /proc/<pid>/statm (cheap); 0 when it has gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size of one process in kB; 0 when it has gone. Reading smaps_rollup walks
    the page tables (milliseconds for a large process), so it is sampled less often than RSS."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class _Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.done = threading.Event()
        self.peak_rss = self.peak_pss = 0

    def run(self) -> None:
        n = 0
        while not self.done.is_set():
            pids = _descendants(self.pid)
            self.peak_rss = max(self.peak_rss, sum(_rss_kb(p) for p in pids))
            if n % PSS_EVERY == 0:
                self.peak_pss = max(self.peak_pss, sum(_pss_kb(p) for p in pids))
            n += 1
            self.done.wait(SAMPLE_SECONDS)


def run_measured(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> Measured:
    """Run `argv` to completion; its wall time, output and the memory of its process tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = _Sampler(proc.pid)
    sampler.start()
    out: dict[str, str] = {}
    readers = [threading.Thread(target=lambda k=k, s=s: out.__setitem__(k, s.read()), daemon=True)
               for k, s in (("stdout", proc.stdout), ("stderr", proc.stderr))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.done.set()
    sampler.join()
    for r in readers:
        r.join()
    return Measured(argv, proc.returncode, seconds, out.get("stdout", ""), out.get("stderr", ""),
                    sampler.peak_rss / 1024, sampler.peak_pss / 1024, usage.ru_maxrss / 1024)
