"""Named points of a warehouse write, where a test can stop a writer to drive an interleaving.

Two writers racing, or a signal arriving at a given moment, are bugs that sleeps cannot test
reliably. So every write passes these points, in this order, and a test that listens can hold a
writer at any of them (in a thread, or in a process that waits on its stdin) while it starts
another writer, changes files or sends a signal:

    lock_busy   another writer holds the lock; a waiting writer tries again after this point
    locked      this writer holds the lock (nothing of the warehouse read yet)
    planned     what to read, remove and re-attribute is decided, from the warehouse under the lock
    copied      the private copy of the warehouse exists (nothing written to it yet)
    checked     the copy is complete and passed the integrity checks (warehouse/invariants.py)
    swapped     the copy replaced the warehouse (the lock is still held)

Production code only calls `reached`; nothing listens unless a test registers a listener.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

POINTS = ("lock_busy", "locked", "planned", "copied", "checked", "swapped")

Listener = Callable[[str, Path], None]

_listeners: list[Listener] = []
_guard = threading.Lock()


def reached(point: str, db: Path) -> None:
    """Tell the listeners (if any) that this thread's writer of `db` is at `point`."""
    for listener in list(_listeners):
        listener(point, db)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call `listener(point, db)` at every point any writer of this process reaches, for a block.

    The listener runs in the writer's thread: it may block to hold the writer there."""
    with _guard:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _guard:
            _listeners.remove(listener)
