"""local_train_issue.png: accuracy against arch id, and the bands of archs far below their neighbours.

Top, every finished run's best CW-40 validation accuracy by arch, coloured by site; middle, the
same points coloured by the month the run started, which shows when the low bands were trained
(the "vertical line" and the early-2023 runs); bottom, one zoomed panel per band. The bands are
check_vertical_lines', shaded red when beyond chance and grey when the same share of low archs
lying at random forms bands as large (its beyond_chance). Archs are placed at their arch id (a gap
of ids without a finished run stays a gap), and a band is shaded at least a few pixels wide so that
ten archs out of thousands remain visible; the zoomed panels show each band's archs one by one.

The overview panels' points carry no ARIA label each (`aria=False`): a screen reader gets the
title, axes and legends, and a label for each ringed low run, instead of one for each of the
31,000 points at full scale. Those labels were 60% of the SVG and a third of its drawing time.
The tooltips are unchanged.
"""
from __future__ import annotations

from reports.data import ReportData
from reports.figures import Context, Drawing, Figure, hconcat, inline, layer, vconcat
from reports.lazy import alt
from reports.style import low_rule, site_scale, title

PANEL_WIDTH = 760
PANEL_HEIGHT = 210
ZOOM_WIDTH = 230
MIN_BAND_PX = 7
MAX_ZOOMS = 6


def _tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("arch_id:Q", title="arch id"), alt.Tooltip("site:N"), alt.Tooltip("gpu:N", title="GPU"),
        alt.Tooltip("started_at:N", title="started"), alt.Tooltip("best_cw40_acc:Q", title="best CW-40 (%)", format=".2f"),
        alt.Tooltip("test_clean_acc:Q", title="test clean (%)", format=".2f"),
        alt.Tooltip("neighbour_median:Q", title="neighbours' median (%)", format=".2f"),
        alt.Tooltip("points_below:Q", title="points below", format=".1f"), alt.Tooltip("band_id:N", title="band"),
    ]


def _month_colour(months: list[str], legend: bool = True) -> alt.Color:
    scheme = "tableau10" if len(months) <= 10 else ("tableau20" if len(months) <= 20 else "viridis")
    return alt.Color("month:O", title="month trained", scale=alt.Scale(domain=months, scheme=scheme),
                     legend=alt.Legend(columns=1 if len(months) <= 14 else 2) if legend else None)


BEYOND_CHANCE_SHADE = "#e45756"
CHANCE_SHADE = "#9d9d9d"
"""Shade of a band beyond chance (a finding) and of one within chance (as the same share of low archs
lying at random forms: check_vertical_lines.beyond_chance)."""


def _band_shades(bands: list[dict], x: alt.X) -> list[alt.Chart]:
    """The bands' shades, red beyond chance and grey within chance (a layer each: a colour encoding
    would share the panel's colour scale of sites or months)."""
    shades = []
    for beyond, colour in ((True, BEYOND_CHANCE_SHADE), (False, CHANCE_SHADE)):
        chosen = [b for b in bands if bool(b["beyond_chance"]) == beyond]
        if chosen:
            shades.append(alt.Chart(inline(chosen)).mark_rect(color=colour, opacity=0.16).encode(
                x=x, x2=alt.X2("shade_to:Q"),
                tooltip=[alt.Tooltip("band_id:N", title="band"), alt.Tooltip("arch_ids:N", title="archs"),
                         alt.Tooltip("n_low:Q", title="low archs"), alt.Tooltip("sites:N"),
                         alt.Tooltip("trained:N", title="trained"),
                         alt.Tooltip("chance:N", title="bands as large by chance")],
            ))
    return shades


def _band_labels(bands: list[dict], x: alt.X) -> alt.Chart:
    return alt.Chart(inline(bands)).mark_text(
        baseline="top", dy=2, fontSize=10, fontWeight="bold", color="#b22").encode(x=x, y=alt.YValue(0), text=alt.Text("label:N"))


RUNS_DATASET = "finished_runs"


def _panel(rows: list[dict], bands: list[dict], colour: alt.Color, x_scale: alt.Scale, y_scale: alt.Scale,
           heading: str) -> alt.LayerChart:
    x = alt.X("arch_id:Q", title="arch id", scale=x_scale, axis=alt.Axis(format="d"))
    base = alt.Chart(alt.NamedData(name=RUNS_DATASET))  # the rows live once, in the top-level datasets
    points = base.mark_circle(size=22, opacity=0.8, aria=False).encode(
        x=x, y=alt.Y("best_cw40_acc:Q", title="best CW-40 validation acc. (%)", scale=y_scale),
        color=colour, tooltip=_tooltip())
    low = base.transform_filter("datum.is_low").mark_point(size=60, color="black", strokeWidth=0.8, opacity=0.8).encode(
        x=x, y=alt.Y("best_cw40_acc:Q", scale=y_scale), tooltip=_tooltip())
    shade_x = alt.X("shade_from:Q", scale=x_scale)
    layers = [points, low]
    if bands:
        layers = [*_band_shades(bands, shade_x), _band_labels(bands, alt.X("label_at:Q", scale=x_scale)), *layers]
    return layer(*layers).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT, title=alt.TitleParams(heading, fontSize=13))


def _zoom(rows: list[dict], band: dict, colour: alt.Color, y_scale: alt.Scale) -> alt.LayerChart:
    pad = max(8, band["last_arch_id"] - band["first_arch_id"] + 1)
    lo, hi = band["first_arch_id"] - pad, band["last_arch_id"] + pad
    near = [r for r in rows if lo <= r["arch_id"] <= hi]
    x = alt.X("arch_id:Q", title="arch id", scale=alt.Scale(domain=[lo, hi], nice=False),
              axis=alt.Axis(format="d", tickCount=4))
    shade_colour = BEYOND_CHANCE_SHADE if band["beyond_chance"] else CHANCE_SHADE
    shade = alt.Chart(inline([{"from": band["first_arch_id"] - 0.5, "to": band["last_arch_id"] + 0.5}])).mark_rect(
        color=shade_colour, opacity=0.16).encode(x=alt.X("from:Q", scale=alt.Scale(domain=[lo, hi], nice=False)),
                                                 x2=alt.X2("to:Q"))
    points = alt.Chart(inline(near)).mark_circle(size=40, opacity=0.85).encode(
        x=x, y=alt.Y("best_cw40_acc:Q", title="best CW-40 (%)", scale=y_scale), color=colour, tooltip=_tooltip())
    return layer(shade, points).properties(
        width=ZOOM_WIDTH, height=150,
        title=alt.TitleParams(f"band {band['band_id']}: archs {band['arch_ids']}", fontSize=12,
                              subtitle=[f"{band['sites']}, trained {band['trained']}", band["chance_words"]]),
    )


def _id_range(rows: list[dict]) -> tuple[float, float]:
    """The x domain of the overview panels: the arch ids with a finished run, half an id either side."""
    ids = [r["arch_id"] for r in rows]
    return min(ids) - 0.5, max(ids) + 0.5


def _bands(vlines: list[dict], rows: list[dict]) -> list[dict]:
    """Bands with the arch ids they cover, widened to MIN_BAND_PX for shading (a band of 5 archs is
    a fraction of a pixel on an axis of 15,625)."""
    lo_id, hi_id = _id_range(rows) if rows else (0.5, 1.5)
    min_width = MIN_BAND_PX * (hi_id - lo_id) / PANEL_WIDTH
    out = []
    for b in vlines:
        lo, hi = b["first_arch_id"] - 0.5, b["last_arch_id"] + 0.5
        widen = max(0.0, (min_width - (hi - lo)) / 2)
        out.append({
            "band_id": b["band_id"], "first_arch_id": b["first_arch_id"], "last_arch_id": b["last_arch_id"],
            "n_low": b["n_low"], "n_archs": b["n_archs"], "sites": "/".join(b["sites"] or []),
            "arch_ids": f"{b['first_arch_id']}-{b['last_arch_id']}",
            "trained": f"{(b['trained_from'] or '')[:10]} to {(b['trained_to'] or '')[:10]}",
            "shade_from": lo - widen, "shade_to": hi + widen, "label_at": (lo + hi) / 2, "label": str(b["band_id"]),
            "mean_points_below": b.get("mean_points_below"), "beyond_chance": bool(b["beyond_chance"]),
            "chance": f"{b['chance_bands']:.2g}",
            "chance_words": ("beyond chance" if b["beyond_chance"] else "within chance")
            + f": chance forms {b['chance_bands']:.2g} bands as large",
        })
    return out


def render_arch_bands(rows: list[dict], vlines: list[dict], sites: list[str],
                      low_text: str = "far below archs of similar size") -> Figure:
    for r in rows:
        r["month"] = (r["trained_month"] or "")[:7]
    months = sorted({r["month"] for r in rows})
    bands = _bands(vlines, rows)
    band_lines = [f"band {b['band_id']}: archs {b['arch_ids']}, {b['n_low']} low, {b['sites']}, trained {b['trained']}, "
                  f"{b['chance_words']}" for b in bands[:4]]
    more = [f"... and {len(bands) - 4} more bands"] if len(bands) > 4 else []
    beyond = sum(b["beyond_chance"] for b in bands)
    heading = (f"Best CW-40 validation accuracy by arch id: {len(bands)} band{'s' if len(bands) != 1 else ''} of low archs"
               + (f", {beyond} beyond chance" if bands else ""))
    subtitle = ["One point per finished run; ringed: low runs, " + low_text + ";",
                "shaded: bands of consecutive archs with low runs; red: beyond chance, grey: within chance (chance being",
                "as many low archs lying at random).", *band_lines, *more]
    return Figure(
        name="local_train_issue", section="bands",
        drawing=Drawing(arch_bands_chart, (rows, bands, sites, months, heading, subtitle)),
        caption=(f"{len(bands)} band{'s' if len(bands) != 1 else ''} of consecutive archs far below their neighbours"
                 + (f", {beyond} beyond chance" if bands else "") +
                 (": " + "; ".join(band_lines + more) if bands else "") + "."),
        rows={"runs": rows, "bands": bands},
        facts={"n_bands": len(bands), "bands": bands, "n_runs": len(rows), "n_low": sum(bool(r["is_low"]) for r in rows),
               "months": months},
    )


def arch_bands_chart(rows: list[dict], bands: list[dict], sites: list[str], months: list[str], heading: str,
                     subtitle: list[str]) -> alt.VConcatChart:
    """The two overview panels (colour: site, then month) and the zoomed panels of the bands with
    the most low archs, three to a row."""
    x_scale = alt.Scale(domain=list(_id_range(rows)), nice=False, zero=False)
    accs = [r["best_cw40_acc"] for r in rows if r["best_cw40_acc"] is not None]
    y_scale = alt.Scale(domain=[min(accs) - 1, max(accs) + 1], nice=False, zero=False)
    site_colour = alt.Color("site:N", title="site", scale=site_scale(sites))
    top = _panel(rows, bands, site_colour, x_scale, y_scale, "coloured by site")
    middle = _panel(rows, bands, _month_colour(months), x_scale, y_scale, "coloured by the month the run started")
    panels = [top, middle]
    zoomed = sorted(sorted(bands, key=lambda b: -b["n_low"])[:MAX_ZOOMS], key=lambda b: b["band_id"])
    zoom_colour = _month_colour(months, legend=False)
    zooms = [_zoom(rows, b, zoom_colour, y_scale) for b in zoomed]
    for start in range(0, len(zooms), 3):
        panels.append(hconcat(*zooms[start:start + 3], spacing=24))
    # one copy of the 15,625 rows instead of one per panel: composing charts deep-copies inline data
    chart = vconcat(*panels, spacing=18).resolve_scale(color="independent").properties(
        title=title(heading, subtitle))
    chart["datasets"] = {RUNS_DATASET: rows}  # set, not `properties()`: that validates every row
    return chart


def figures(data: ReportData, context: Context) -> list[Figure]:
    rows = data.rows("arch_accuracy")
    if not rows:
        return []
    params = data.params()
    return [render_arch_bands([dict(r) for r in rows], data.view("check_vertical_lines"), context.all_sites,
                              low_rule(params))]
