"""The rule of ingest/_scan.c `corruption_results` (the result lines of a corruption evaluation)
stated again as a regular expression, applied at every ` (level=` in plain Python.

This is the oracle of tests/test_scan.py: slow, short and independent of the compiled code.
"""
from __future__ import annotations

import re

from ingest.numbers import NUM_BYTES

LINE = re.compile(rb"([a-z_]++) \(level=(\d++)\): Loss: (" + NUM_BYTES + rb"), Acc: (" + NUM_BYTES + rb")[ \t\r]*+\n")
NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz_")


def result_lines(data: bytes) -> tuple[list[tuple[str, bytes, bytes, bytes]], int | None]:
    """Each line as (name, level, loss, acc) in order, and where the first one's record starts: a
    line is read from the start of the `[a-z_]` run before its ` (level=`, which must follow a space
    at byte 24 or later."""
    lines = []
    first = None
    at = data.find(b" (level=")
    while at >= 0:
        start = at
        while start > 0 and data[start - 1] in NAME_BYTES:
            start -= 1
        match = LINE.match(data, start)
        if match and start >= 24 and data[start - 1:start] == b" ":
            name, level, loss, acc = match.groups()
            lines.append((name.decode(), level, loss, acc))
            if first is None:
                first = start - 24
        at = data.find(b" (level=", at + 1)
    return lines, first


def corruption_results(data: bytes) -> tuple[list[tuple[str, int, float, float]], int | None]:
    """The rows of `result_lines`: one per (name, int(level)), from the last of its lines, sorted,
    as (name, level, float(acc), float(loss)); and where the first line's record starts."""
    lines, first = result_lines(data)
    found = {(name, int(level)): (acc, loss) for name, level, loss, acc in lines}
    return [(name, level, float(acc), float(loss)) for (name, level), (acc, loss) in sorted(found.items())], first
