"""The text of a log file: its bytes checked and decoded, its records' timestamps.

Every record of a benchmark log starts `YYYY-MM-DD HH:MM:SS,mmm ` (Python logging); a record whose
message has newlines (the model printout, `Namespace(...)`) continues on lines without one.
"""
from __future__ import annotations

import re
from datetime import datetime

from ingest.errors import ParseError

TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
"""The timestamp of a logging record (group-free, to embed in other patterns)."""

BINARY_PROBE = 8192
_RECORD_START = re.compile(rf"^({TS}) ", re.M)


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


def decode_log(data: bytes, path: str) -> str:
    """Bytes of a log file as text (bytes that are not UTF-8 become U+FFFD); empty and binary files
    are refused with a one-line reason."""
    check_log_bytes(data, path)
    return data.decode("utf-8", errors="replace")


def line_no(text: str, pos: int) -> int:
    """1-based line number of a character offset (for error messages)."""
    return text.count("\n", 0, pos) + 1


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


def first_timestamp(text: str) -> str | None:
    """Timestamp of the first record."""
    match = _RECORD_START.search(text)
    return match.group(1) if match else None


def last_timestamp(text: str) -> str | None:
    """Timestamp of the last record: scan only the tail, the file may be megabytes (the last record
    of a log is nearly always within its last 512 characters)."""
    for window in (512, 4096, 65536, len(text)):
        found = _RECORD_START.findall(text, max(0, len(text) - window))
        if found:
            return found[-1]
    return None
