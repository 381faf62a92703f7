"""The bytes of a log file: checked to be text, the timestamps of its records, its running cost.

Every record of a benchmark log starts `YYYY-MM-DD HH:MM:SS,mmm ` (Python logging); a record whose
message has newlines (the model printout, `Namespace(...)`) continues on lines without one. The
parsers read the bytes (a decoded copy of a 200 KB log costs more than reading it).
"""
from __future__ import annotations

from datetime import datetime

from ingest.errors import ParseError
from ingest.numbers import NUM_BYTES
from ingest.scanning import linear

BINARY_PROBE = 8192
_TIMESTAMP = linear("logtext.timestamp", rb"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3}",
                    use="fullmatch", worst_case=lambda n: b"2023-01-01 00:00:00,000" * (n // 23))


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


_STAMP = linear("logtext.stamp", r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:[,.][0-9]{3})?+", use="fullmatch",
                worst_case=lambda n: "2023-01-01 00:00:00.000" * (n // 23))


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


RECORD_PREFIX = 24
"""The width of a record's `YYYY-MM-DD HH:MM:SS,mmm ` prefix: its message starts this far into its line."""


def record_stamp(data: bytes, line: int) -> str | None:
    """The timestamp of the record whose line starts at `line`, when it is one (a timestamp and a space)."""
    if data[line + 23:line + 24] == b" " and _TIMESTAMP.fullmatch(data, line, line + 23):
        return data[line:line + 23].decode()
    return None


def message_starts_record(data: bytes, at: int) -> bool:
    """Whether `at` is where a record's message starts: a line that begins with a timestamp and a
    space, RECORD_PREFIX bytes before it."""
    line = at - RECORD_PREFIX
    return line >= 0 and (line == 0 or data[line - 1:line] == b"\n") and record_stamp(data, line) is not None


def first_timestamp(data: bytes) -> str | None:
    """Timestamp of the first record: the first line that starts with one."""
    line = 0
    while line < len(data):
        stamp = record_stamp(data, line)
        if stamp:
            return stamp
        end = data.find(b"\n", line)
        if end < 0:
            return None
        line = end + 1
    return None


def last_timestamp(data: bytes) -> str | None:
    """Timestamp of the last record: the last line that starts with one, looked for from the end
    (the last record of a log is nearly always within its last lines)."""
    end = len(data)
    while end > 0:
        line = data.rfind(b"\n", 0, end - 1) + 1 if end > 1 else 0
        stamp = record_stamp(data, line)
        if stamp:
            return stamp
        end = line
    return None


_RUNNING_COST = linear("logtext.running_cost", rb"Running Cost (" + NUM_BYTES + rb") (Days|Hours|Seconds)", use="match",
                       worst_case=lambda n: b"Running Cost " + b"9" * n + b"X")
_TAIL = 4096
_PER_DAY = {b"Days": 1.0, b"Hours": 24.0, b"Seconds": 86400.0}


def running_cost(data: bytes) -> tuple[float | None, str | None]:
    """The last `Running Cost <x> Days` near the end of a log (or `Hours`, as the corruption and
    re-evaluation scripts print it, or `Seconds`, as the first re-evaluation script did): the cost in
    days and the record's timestamp; (None, None) for a log that did not finish."""
    cost = stamp = None
    at = data.find(b"Running Cost ", max(0, len(data) - _TAIL))
    while at >= 0:
        match = _RUNNING_COST.match(data, at)
        if match:
            value = float(match.group(1))
            cost = value / _PER_DAY[match.group(2)]
            stamp = data[at - 24:at - 1].decode("ascii", errors="replace") if at >= 24 else None
        at = data.find(b"Running Cost ", at + 1)
    return cost, stamp
