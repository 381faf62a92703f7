"""One look for every figure: sizes, fonts, site colours, status colours, number formats.

Colours are fixed per name, not per position, so a site has the same colour in every figure of
every report (SUSTech blue, MSU orange; any other site takes the next free colour, unknown grey).
"""
from __future__ import annotations

from reports.lazy import alt

WIDTH = 640
HEIGHT = 300
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

UNKNOWN_SITE = "unknown"
"""The site the views give runs and evaluations of no known site."""
KNOWN_SITES = {"SUSTech": "#4c78a8", "MSU": "#f58518", UNKNOWN_SITE: "#9d9d9d"}
EXTRA_COLOURS = ["#54a24b", "#b279a2", "#e45756", "#72b7b2", "#eeca3b", "#ff9da6", "#9d755d"]
EARLY_COLOURS = {"before the first lr decay": "#e45756", "at or after the first lr decay": "#4c78a8"}
FLAG_COLOURS = {"flagged": "#e45756", "not flagged": "#4c78a8"}
METRIC_DASHES = {"clean": [1, 0], "PGD-20": [10, 4], "CW-40": [2, 3]}
"""Solid, long dashes, dots: told apart at a glance."""

CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal", "grid": True,
             "gridOpacity": 0.5},
    "legend": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal"},
    "title": {"fontSize": 15, "subtitleFontSize": 12, "anchor": "start", "subtitleColor": "#444",
              "offset": 10},
    "header": {"labelFontSize": 12, "titleFontSize": 12},
    "background": "white",
    "padding": 12,
}


def count_step(largest: float, most_ticks: int = 6) -> int:
    """The tick step of a count axis: 1, 2 or 5 x 10^k, the smallest giving at most `most_ticks` steps."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if largest / (m * magnitude) <= most_ticks:
                return m * magnitude
        magnitude *= 10


def count_scale(largest: float) -> tuple[alt.Scale, alt.Axis]:
    """A y scale and axis for counts (histograms): whole-number ticks, and a top tick above the
    tallest bar, so that no bar rises past the last labelled value."""
    step, top = count_step(largest), count_top(largest)
    return alt.Scale(domain=[0, top], nice=False), alt.Axis(values=list(range(0, top + 1, step)), format="d")


def count_top(largest: float) -> int:
    """The top of a count axis (`count_scale`): the first whole step above the tallest bar."""
    step = count_step(largest)
    return (int(largest // step) + 1) * step


def low_rule(params: dict) -> str:
    """What makes a run low (run_neighbours), in words with the warehouse's thresholds."""
    drop, window = params.get("low_arch.min_drop"), params.get("low_arch.window")
    if drop is None or window is None:
        return "far below archs of similar size"
    return (f"at least {drop:g} points below the median best CW-40 of the {window:g} archs with a run on "
            "each side")


def site_colours(sites: list[str]) -> dict[str, str]:
    """A colour per site, stable across figures."""
    out = {s: KNOWN_SITES[s] for s in sites if s in KNOWN_SITES}
    spare = [c for c in EXTRA_COLOURS if c not in out.values()]
    for site in sorted(s for s in sites if s not in out):
        out[site] = spare.pop(0) if spare else "#333333"
    return out


def site_scale(sites: list[str]) -> alt.Scale:
    colours = site_colours(sites)
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def fixed_scale(colours: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def file_site(site: str) -> str:
    """The site as it appears in file names: lower-cased, spaces and slashes made safe."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in site.lower())


def pct(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}%"


def points(value: float | None, digits: int = 1, sign: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "")


