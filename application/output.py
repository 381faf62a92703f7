"""What a command prints, and how: its lines for stdout and stderr in order, the checks' output
(`nares check`) as a table, JSON or CSV.

The result objects below (IngestSummary, CheckResult, the exports' results) each say themselves in
one line (`.line()`); this module decides where the lines go and what they are prefixed with
(`warning: `, `note: `), so that the CLI only prints.
"""
from __future__ import annotations

import errno
import json
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.errors import UserError
from reports.tables import FORMATS, render_rows

if TYPE_CHECKING:
    from warehouse.checks import CheckReport, CheckResult


@dataclass
class Output:
    """The lines a command prints, in order: (text, to stderr, ends with a newline); its exit code."""

    parts: list[tuple[str, bool, bool]] = field(default_factory=list)
    exit_code: int = 0

    def out(self, text: str, newline: bool = True) -> "Output":
        self.parts.append((text, False, newline))
        return self

    def err(self, text: str) -> "Output":
        self.parts.append((text, True, True))
        return self

    def warn(self, *messages: str) -> "Output":
        for message in messages:
            self.err(warning_line(message))
        return self

    def note(self, message: str) -> "Output":
        return self.err(note_line(message))


def warning_line(message: str) -> str:
    return f"warning: {message}"


def note_line(message: str) -> str:
    return f"note: {message}"


def error_line(message: str) -> str:
    return f"error: {message}"


def check_format(fmt: str) -> str:
    """The row format (table, json, csv) or one line naming the choices."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


DETAIL_ROWS = 20
"""Rows of each check `check --details` shows in a table by default."""


def render_checks(report: CheckReport, fmt: str = "table", details: bool = False,
                  max_rows: int = DETAIL_ROWS) -> str:
    """One line per check (table), a list of objects (json) or rows (csv); details add the rows,
    flagged ones first. The table shows at most `max_rows` rows per check (0: all) and says how many
    it left out; json and csv hold every row."""
    results = report.results
    if fmt == "json":
        out = []
        for r in results:
            item = {"check": r.name, "view": r.view, "headline": r.headline, "findings": r.findings}
            if details:
                item["rows"] = json.loads(render_rows(r.columns, r.rows, "json"))
            out.append(item)
        return json.dumps(out, indent=1)
    if fmt == "csv":
        if details:
            if len(results) != 1:
                raise UserError("--details with --format csv writes the rows of one check: name exactly one")
            return render_rows(results[0].columns, results[0].rows, "csv")
        return render_rows(["check", "view", "findings", "headline"],
                           [(r.name, r.view, r.findings, r.headline) for r in results], "csv")
    if fmt != "table":
        raise UserError(f"unknown format {fmt!r}: use one of table, json, csv")
    if not details:
        return "\n".join(r.line() for r in results)
    return "\n\n".join(_detail_block(r, max_rows) for r in results)


def _detail_block(result: CheckResult, max_rows: int) -> str:
    """A check's line, its rows (flagged first) and what was left out."""
    if not result.columns:
        return result.line()
    limit = None if max_rows == 0 else max_rows
    lines = [result.line()]
    if result.n_flagged is not None:
        lines.append(f"{result.n_flagged} of {len(result.rows)} rows flagged, listed first")
    lines.append(render_rows(result.columns, result.rows, "table", max_rows=limit))
    left_out = len(result.rows) - len(result.rows[:limit])
    if left_out:
        lines.append(f"... {left_out} more row{'s' if left_out != 1 else ''} left out "
                     f"(--max-rows 0 shows all, --format csv writes them)")
    return "\n".join(lines)


def stdout_to_devnull() -> None:
    """Point the standard output at /dev/null once its reader is gone: the interpreter flushes it
    at exit, and that flush would fail on the closed pipe with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file behind stdout (closed, or a test's buffer): nothing to flush
        pass


def write_stdout(text: str) -> None:
    """Write `text` to the standard output whole, or raise BrokenPipeError once its reader is gone.

    CPython's buffered writer returns a short count instead of raising when the pipe closes during
    a large write, and a text stream drops the rest without a word: `nares sql ... | head` ended
    with exit code 0 as if everything had been read. Here each piece the pipe did not take is
    written again, and that write meets the closed end."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text stream with no bytes below it (a test's): it takes the text whole
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    data = memoryview(text.encode(stream.encoding or "utf-8", stream.errors or "strict"))
    while data:
        written = buffer.write(data)
        buffer.flush()
        if not written:
            raise BrokenPipeError(errno.EPIPE, "the standard output takes no more bytes")
        data = data[written:]
