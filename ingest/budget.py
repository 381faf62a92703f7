"""A wall-time budget per file: a parse that runs too long is stopped and becomes that file's error.

The parsers are meant to be linear (ingest/scanning.py), but a file is untrusted and the time a
bug or a missed pattern costs is unbounded. The clock is a real-time interval timer (SIGALRM): its
handler raises `OverBudget` in the middle of whatever Python was doing for the file, a regular
expression included (`re` checks for signals while it matches). It is a BaseException, so a
parser's `except Exception` cannot swallow it.

Signals reach only the main thread: elsewhere (a thread of a test, say) there is no clock and files
run to their end.

>>> with FileClock(5.0) as clock:
...     with clock.limit():
...         sum(range(10))
45
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class OverBudget(BaseException):
    """Raised inside a file's work when its time is up."""


class FileClock:
    """The timer of one batch of files: installed once (`with`), armed for each file (`limit`)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self._armed = False
        self._previous = None
        self._usable = bool(seconds) and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()

    def _on_alarm(self, signum, frame) -> None:
        if self._armed:  # a signal still pending after `limit` ended is ignored
            self._armed = False
            raise OverBudget()

    def __enter__(self) -> "FileClock":
        if self._usable:
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
        return self

    def __exit__(self, *exc) -> None:
        if self._usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._armed = False
            signal.signal(signal.SIGALRM, self._previous or signal.SIG_DFL)

    @contextmanager
    def limit(self) -> Iterator[None]:
        """Run the block for at most `seconds`; OverBudget is raised out of it when they are up
        (also from the block's end, when the signal arrived just as it finished)."""
        if not self._usable:
            yield
            return
        self._armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._armed = False
