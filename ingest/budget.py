"""A wall-time budget per file: a parse that runs too long is stopped and becomes that file's error.

The parsers are meant to be linear (ingest/scanning.py), but a file is untrusted and the time a
bug or a missed pattern costs is unbounded. The clock is a real-time interval timer (SIGALRM): its
handler raises `OverBudget` in the middle of whatever Python was doing for the file, a regular
expression included (`re` checks for signals while it matches). It is a BaseException, so a
parser's `except Exception` cannot swallow it.

Signals reach only the main thread: elsewhere (a thread of a test, say) there is no clock and files
run to their end.

>>> with FileClock(5.0) as clock:
...     try:
...         clock.arm()
...         try:
...             total = sum(range(10))
...         finally:
...             clock.disarm()
...     except OverBudget:
...         total = None
>>> total
45
"""
from __future__ import annotations

import signal
import threading


class OverBudget(BaseException):
    """Raised inside a file's work when its time is up."""


class FileClock:
    """The timer of one batch of files: installed once (`with`), armed for each file (`arm`, `disarm`)."""

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

    def arm(self) -> None:
        """Start a file's time. Call `disarm` in a `finally` inside the `try` that catches
        OverBudget: the signal may arrive just as the file's work ends."""
        if self._usable:
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def disarm(self) -> None:
        if self._usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._armed = False
