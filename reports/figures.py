"""A figure of the report: its file name, its Altair chart and the rows drawn in it.

Each figure family lives in its own module (`best_epoch`, `duplicates`, `curves`, `arch_bands`,
`gpus`, `missing_eval`) with one function `figures(data, context) -> list[Figure]`; `build.py`
lists them in order. A figure keeps the rows behind its chart (`rows`, by layer) so tests and the
document read the same numbers the chart shows, and `facts`, the few numbers its caption quotes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt

from reports.data import ReportData


@dataclass
class Figure:
    name: str
    chart: alt.TopLevelMixin
    section: str
    caption: str
    rows: dict[str, list[dict]] = field(default_factory=dict)
    facts: dict = field(default_factory=dict)

    _spec: dict | None = field(default=None, repr=False, compare=False)

    def spec(self) -> dict:
        """The Vega-Lite spec, data inlined, without the $schema URL (nothing to fetch offline).

        Made (and validated against the Vega-Lite schema) once: the files and index.html share it.
        """
        if self._spec is None:
            self._spec = self.chart.to_dict()
            self._spec.pop("$schema", None)
        return self._spec


@dataclass
class Context:
    """What every figure family needs besides the data: the sites to draw and the user's choices."""

    sites: list[str]
    all_sites: list[str]
    curve_archs: list[int] | None = None
    top_curves: int = 5

    @classmethod
    def from_data(cls, data: ReportData, curve_archs: list[int] | None = None, top_curves: int = 5) -> "Context":
        """Per-site figures are drawn for every site with a finished run; unknown only when alone."""
        rows = data.rows("report_sites")
        all_sites = [r["site"] for r in rows]
        known = [r["site"] for r in rows if r["n_finished"] and r["site"] != "unknown"]
        sites = known or [r["site"] for r in rows if r["n_finished"]]
        return cls(sites=sites, all_sites=all_sites, curve_archs=curve_archs, top_curves=top_curves)
