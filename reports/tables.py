"""Rows as text: an aligned table for the terminal, JSON or CSV for other programs."""
from __future__ import annotations

import csv
import io
import json
import math
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


def render_rows(columns: list[str], rows: list[tuple], fmt: str = "table", max_rows: int | None = None) -> str:
    """Render a result set; `table` aligns columns and says how many rows there were."""
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
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    more = f" (showing {len(shown)})" if len(shown) < len(rows) else ""
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{more})")
    return "\n".join(lines)
