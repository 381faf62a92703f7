"""Drive writers in threads through the named points of warehouse/points.py, one step at a time.

Each writer runs in its own thread and stops at every point it reaches; the test decides which
writer moves on next (`step`), so an interleaving is chosen, never left to timing:

    with Writers() as writers:
        writers.start("a", lambda: ingest_paths(db, [logs], workers=1))
        writers.run_until("a", "checked")          # a holds the lock, its copy is complete
        writers.start("b", lambda: ingest_paths(db, [logs], workers=1, wait=math.inf))
        writers.run_until("b", "lock_busy")        # b found the lock taken and waits
        writers.finish("a")
        writers.finish("b")

Threads of one process share the lock file's POSIX lock, so warehouse/swap.py keeps them apart
itself; parsing runs in the writer's thread (`workers=1`: nothing is forked).
"""
from __future__ import annotations

import queue
import threading
from typing import Callable

from warehouse import points

TIMEOUT = 120
"""Seconds a step may take before the test fails (a writer stuck is a bug, not a slow machine)."""


class Writers:
    def __init__(self):
        self.events: queue.Queue = queue.Queue()
        self.gates: dict[str, threading.Semaphore] = {}
        self.threads: dict[str, threading.Thread] = {}
        self.where: dict[str, str] = {}        # writer -> point it waits at
        self.results: dict[str, object] = {}   # writer -> return value or exception
        self.trace: list[tuple[str, str]] = []

    def _listener(self, point: str, db) -> None:
        name = threading.current_thread().name
        gate = self.gates.get(name)
        if gate is None:
            return  # not one of ours (e.g. a reference ingest in the test's thread)
        self.events.put(("at", name, point))
        gate.acquire()

    def __enter__(self) -> "Writers":
        self._listening = points.listening(self._listener)
        self._listening.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        try:
            for name in list(self.threads):
                if name not in self.results:
                    self.finish(name)
        finally:
            self._listening.__exit__(None, None, None)

    def start(self, name: str, work: Callable[[], object]) -> None:
        """Start a writer; it runs until its first point (or its end)."""
        def body():
            try:
                self.events.put(("done", name, work()))
            except BaseException as exc:  # noqa: BLE001 (the test looks at it)
                self.events.put(("done", name, exc))

        self.gates[name] = threading.Semaphore(0)
        thread = threading.Thread(target=body, name=name, daemon=True)
        self.threads[name] = thread
        thread.start()
        self._wait_for(name)

    def _wait_for(self, name: str) -> None:
        """Take events until `name` stopped at a point or ended (others stop at theirs meanwhile)."""
        while name not in self.where and name not in self.results:
            kind, who, value = self.events.get(timeout=TIMEOUT)
            if kind == "at":
                self.where[who] = value
                self.trace.append((who, value))
            else:
                self.results[who] = value
                self.trace.append((who, "done"))
                self.threads[who].join(TIMEOUT)

    def step(self, name: str) -> str:
        """Let a waiting writer go on to its next point; return that point, or 'done'."""
        del self.where[name]
        self.gates[name].release()
        self._wait_for(name)
        return self.where.get(name, "done")

    def run_until(self, name: str, point: str) -> None:
        while self.where.get(name) != point:
            if name in self.results:
                raise AssertionError(f"{name} ended before {point}: {self.results[name]!r}; trace {self.trace}")
            self.step(name)

    def finish(self, name: str) -> object:
        while name not in self.results:
            self.step(name)
        return self.results[name]

    @property
    def waiting(self) -> list[str]:
        return sorted(self.where)
