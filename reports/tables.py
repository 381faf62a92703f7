"""Rows as text: an aligned table for the terminal, JSON or CSV for other programs (the checks'
output, `nares check`, is application/output.py `render_checks`, over these)."""
from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from datetime import date, datetime
from decimal import Decimal

FORMATS = ("table", "json", "csv")


def _plain(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _cell(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.6e}"
    value = _plain(value)
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def render_rows(columns: list[str], rows: list[tuple], fmt: str = "table", max_rows: int | None = None,
                width: int | None = None, wrapped: tuple[str, ...] = ()) -> str:
    """Render a result set; `table` aligns columns and says how many rows there were.

    `width` (table only, e.g. the terminal's): when the aligned table is wider, each row becomes a
    block instead: the other columns on one line, then each column of `wrapped` (long text such as
    a description) on lines of its own, wrapped to the width."""
    if fmt == "json":
        return json.dumps([dict(zip(columns, map(_plain, row))) for row in rows], indent=1)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else _cell(v) for v in row])
        return out.getvalue().rstrip("\n")
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    shown = rows if max_rows is None else rows[:max_rows]
    cells = [[_cell(v) for v in row] for row in shown]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    more = f" (showing {len(shown)})" if len(shown) < len(rows) else ""
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''}{more})"
    if width is not None and wrapped and sum(widths) + 2 * (len(widths) - 1) > width:
        return "\n".join([*_blocks(columns, cells, widths, width, wrapped), count])
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    lines.append(count)
    return "\n".join(lines)


def _blocks(columns: list[str], cells: list[list[str]], widths: list[int], width: int,
            wrapped: tuple[str, ...]) -> list[str]:
    """Rows as blocks no wider than `width`: the short columns aligned on a first line (wrapped too
    when even they do not fit), each `wrapped` column as `name: text` below, indented."""
    short = [i for i, c in enumerate(columns) if c not in wrapped]
    long = [i for i, c in enumerate(columns) if c in wrapped]
    head = "  ".join(columns[i].ljust(widths[i]) for i in short).rstrip()
    lines = [*(textwrap.wrap(head, width) or [""]), "-" * min(width, len(head))]
    for row in cells:
        first = "  ".join(row[i].ljust(widths[i]) for i in short).rstrip()
        lines += textwrap.wrap(first, width, break_on_hyphens=False) or [""]
        for i in long:
            lines += textwrap.wrap(f"{columns[i]}: {row[i]}", width, initial_indent="    ",
                                   subsequent_indent="      ", break_on_hyphens=False)
    return lines
