"""Wall time and peak memory of a command and every process it starts (the ingest forks parsers).

`run_measured(argv)` starts the command, samples `/proc` every 50 ms for the command and all its
descendants, and waits for it with `os.wait4`. It returns three memory figures, because "peak RSS of
a process tree" has no single kernel answer:

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

RSS_METHOD = (
    "peak of the summed VmRSS (and PSS) of the command and all its descendants, sampled from /proc "
    f"every {SAMPLE_SECONDS * 1000:.0f} ms; also ru_maxrss from wait4 (largest single process of the tree, "
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
    """parent pid -> child pids, from /proc/<pid>/stat."""
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


def _descendants(pid: int) -> list[int]:
    tree = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(rss, pss) of one process in kB; (0, 0) when it has gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


class _Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.done = threading.Event()
        self.peak_rss = self.peak_pss = 0

    def run(self) -> None:
        while not self.done.is_set():
            totals = [_memory_kb(p) for p in _descendants(self.pid)]
            self.peak_rss = max(self.peak_rss, sum(t[0] for t in totals))
            self.peak_pss = max(self.peak_pss, sum(t[1] for t in totals))
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
