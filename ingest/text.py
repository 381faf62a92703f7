"""The bytes of a log file: checked to be text, and the timestamps of its records.

Every record of a benchmark log starts `YYYY-MM-DD HH:MM:SS,mmm ` (Python logging); a record whose
message has newlines (the model printout, `Namespace(...)`) continues on lines without one. The
parsers read the bytes (a decoded copy of a 200 KB log costs more than reading it).
"""
from __future__ import annotations

import re
from datetime import datetime

from ingest.errors import ParseError
from ingest.numbers import NUM_BYTES

TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
"""The timestamp of a logging record (group-free, to embed in other patterns)."""

BINARY_PROBE = 8192
_RECORD = re.compile(rb"^(" + TS.encode() + rb") ", re.M)


def check_log_bytes(data: bytes, path: str) -> None:
    """Refuse, with a one-line reason, a file that is empty or not text at all (looked at in its
    first 8 KB: NUL bytes, or more than 64 bytes that are not UTF-8)."""
    if not data or data.isspace():  # (isspace stops at the first other byte; strip would copy the file)
        raise ParseError(path, None, "empty file")
    head = data[:BINARY_PROBE]
    if b"\x00" in head:
        raise ParseError(path, None, "binary file (NUL bytes), not a text log")
    if head.decode("utf-8", errors="replace").count("\ufffd") > 64:
        raise ParseError(path, None, "binary or non-UTF-8 file, not a text log")


_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:[,.][0-9]{3})?")


def log_time(stamp: str | None) -> datetime | None:
    """A record's `2023-03-01 10:00:00,123` (or a release file's `2023-03-01 00:00:00`) as a datetime;
    None when absent or not a valid date and time: a garbled `2023-13-01` would otherwise stop the
    whole load when DuckDB casts it."""
    if not stamp or not _STAMP.fullmatch(stamp):
        return None
    try:
        return datetime(int(stamp[:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]),
                        int(stamp[14:16]), int(stamp[17:19]), int(stamp[20:23] or 0) * 1000)
    except ValueError:
        return None


def first_timestamp(data: bytes) -> str | None:
    """Timestamp of the first record."""
    match = _RECORD.search(data)
    return match.group(1).decode() if match else None


def last_timestamp(data: bytes) -> str | None:
    """Timestamp of the last record: the tail first, the file may be megabytes (the last record of a
    log is nearly always within its last 512 bytes)."""
    for window in (512, 4096, 65536, len(data)):
        found = _RECORD.findall(data, max(0, len(data) - window))
        if found:
            return found[-1].decode()
    return None


_RUNNING_COST = re.compile(rb"Running Cost (" + NUM_BYTES + rb") (Days|Hours)")
_TAIL = 4096


def running_cost(data: bytes) -> tuple[float | None, str | None]:
    """The last `Running Cost <x> Days` near the end of a log (or `Hours`, as the corruption and
    re-evaluation scripts print it): the cost in days and the record's timestamp; (None, None) for a
    log that did not finish."""
    cost = stamp = None
    at = data.find(b"Running Cost ", max(0, len(data) - _TAIL))
    while at >= 0:
        match = _RUNNING_COST.match(data, at)
        if match:
            value = float(match.group(1))
            cost = value / 24.0 if match.group(2) == b"Hours" else value
            stamp = data[at - 24:at - 1].decode("ascii", errors="replace") if at >= 24 else None
        at = data.find(b"Running Cost ", at + 1)
    return cost, stamp
