"""`cli.py explain`: the ranking of check_explain as a table, JSON or CSV.

The rows are check_explain's, filtered to one outcome and to combinations of at most `max_order`
values and numbered again (sql/report/explain_ranking.sql): a combination's place among those
shown, not among all.
"""
from __future__ import annotations

from pathlib import Path

from reports.data import report_query
from reports.root_cause import OUTCOMES
from reports.tables import render_rows
from warehouse.errors import WarehouseError
from warehouse.query import open_for_reading, views_warning


def explain_ranking(db: Path, outcome: str | None = None, max_order: int = 3,
                    fmt: str = "table") -> tuple[str, list[str]]:
    """The ranking as text, and the warnings of opening the warehouse."""
    if outcome is not None and outcome not in OUTCOMES:
        raise WarehouseError(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    con = open_for_reading(db)
    try:
        warnings = views_warning(con)
        cursor = con.execute(report_query("explain_ranking"), {"outcome": outcome, "max_order": max_order})
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        con.close()
    if not rows and fmt == "table":
        return ("no attribute combination explains "
                + (outcome.replace("_", " ") if outcome else "any outcome")
                + " above the thresholds of check_params (explain.*)"), warnings
    return render_rows(columns, rows, fmt), warnings
