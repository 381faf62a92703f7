"""code_timeline.png: which code and which precision path wrote each run, and when.

Every run as a point of its start time (x) and arch id (y), coloured by precision path (the
native-AMP path that never unscales its gradients, or fp32/apex: runs.precision_path) and shaped by
the version of the training code its log shows (code_versions); the low runs of a band of section 4
are ringed. A cause in the code shows as a colour or a shape that holds the ringed points.

As in local_train_issue, the points carry no ARIA label each (`aria=False`), the ringed ones do:
a screen reader gets the title, axes, legends and the band runs, not a label for every run.
"""
from __future__ import annotations

from reports.data import ReportData
from reports.figures import Context, Drawing, Figure, inline, layer
from reports.lazy import alt
from reports.style import HEIGHT, WIDTH, fixed_scale, title

PATH_COLOURS = {"native_amp_unscaled": "#e45756", "fp32_or_apex": "#4c78a8", "unknown": "#9d9d9d"}


def code_timeline_chart(rows: list[dict], ringed: list[dict], subtitle: list[str]) -> alt.LayerChart:
    tooltip = [alt.Tooltip("arch_id:Q", title="arch id"), alt.Tooltip("site:N"), alt.Tooltip("gpu:N", title="GPU"),
               alt.Tooltip("started_at:N", title="started"), alt.Tooltip("precision_path:N", title="precision path"),
               alt.Tooltip("code_version:N", title="code"), alt.Tooltip("grad_norm_median:Q", title="median |gn|", format=",.1f"),
               alt.Tooltip("is_low:N", title="low run"), alt.Tooltip("in_band:N", title="in a band")]
    x = alt.X("started_at:T", title="run started")
    y = alt.Y("arch_id:Q", title="arch id", scale=alt.Scale(domain=[0, 15625]))
    points = alt.Chart(inline(rows)).mark_point(filled=True, size=28, opacity=0.75, aria=False).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("precision_path:N", title="precision path", scale=fixed_scale(PATH_COLOURS)),
        shape=alt.Shape("code_version:N", title="training code", legend=alt.Legend(labelLimit=360)),
    )
    rings = alt.Chart(inline(ringed)).mark_point(size=140, color="black", strokeWidth=1.2).encode(
        x=x, y=y, tooltip=tooltip)
    layers = [points] + ([rings] if ringed else [])
    return layer(*layers).properties(width=WIDTH, height=HEIGHT, title=title(
        "Which code ran: start time and arch id of every run", subtitle))


def render_code_timeline(rows: list[dict]) -> Figure:
    ringed = [r for r in rows if r["in_band"]]
    native = [r for r in rows if r["precision_path"] == "native_amp_unscaled"]
    low_native = sum(r["is_low"] for r in native)
    low_other = sum(r["is_low"] for r in rows if r["precision_path"] != "native_amp_unscaled")
    subtitle = [
        f"{len(native)} of {len(rows)} runs took the native-AMP path that never unscales its gradients "
        f"(median |gn| at least the threshold); low runs: {low_native} of them, {low_other} of the others.",
        "Colour: precision path; shape: training code version (its commit window when a code repository is "
        "known); ringed: low runs inside a band of section 4.",
    ]
    return Figure(
        name="code_timeline", drawing=Drawing(code_timeline_chart, (rows, ringed, subtitle)), section="code",
        caption=f"{len(native)} native-AMP runs, {len(ringed)} band runs ringed.",
        rows={"runs": rows},
        facts={"n_runs": len(rows), "n_native": len(native), "n_band": len(ringed),
               "band_native": sum(r["precision_path"] == "native_amp_unscaled" for r in ringed)},
    )


def figures(data: ReportData, context: Context) -> list[Figure]:
    rows = [r for r in data.rows("code_timeline") if r["started_at"] is not None]
    return [render_code_timeline(rows)] if rows else []
