"""The training curves of archs, epoch by epoch, in two figures that say different things.

`training_curves.png`: one small panel per arch (by default the archs trained at two sites that
differ most on the test set, sql/report/curve_archs.sql; `--arch` picks others), CW-40 validation
accuracy of each site's run, its best epoch as a diamond and its lr decays as dashed rules: does
one site's run peak before its decay, arch after arch?

`dup_Arch<id>_training_curves.png` (an arch trained at two sites) or `arch_<id>_training_curves.png`
(one site): one arch in detail, clean, PGD-20 and CW-40 validation accuracy (colour: site, dash:
metric). The report draws the top arch; `--arch` draws each arch chosen. The curve figures of an
earlier selection are removed like any figure a report no longer draws (reports/outputs.py).
"""
from __future__ import annotations

from reports.data import ReportData
from reports.figures import Context, Drawing, Figure, concat, inline, layer
from reports.lazy import alt
from reports.style import HEIGHT, METRIC_DASHES, site_colours, title

METRIC_LABELS = {"clean": "clean", "fgsm": "FGSM", "pgd20": "PGD-20", "cw40": "CW-40"}
DETAIL_WIDTH = 700
PANEL_WIDTH, PANEL_HEIGHT, PANEL_COLUMNS = 230, 170, 3


def _series_scale(series: list[str], sites: dict[str, str]) -> alt.Scale:
    """Each series takes its site's colour (a second run of one site a darker shade of it)."""
    colours = site_colours(sorted(set(sites.values())))
    return alt.Scale(domain=series, range=[colours[sites[s]] for s in series])


def _subtitle(arch_id: int, runs: list[dict], pairs: list[dict], rank: dict | None) -> list[str]:
    lines = []
    if pairs:
        by_metric = {p["metric"]: p for p in pairs}
        parts = [f"{METRIC_LABELS[m]} {p['site_a']} {p['value_a']:.1f} vs {p['site_b']} {p['value_b']:.1f}"
                 for m, p in by_metric.items() if m in ("clean", "cw40")]
        lines.append("Test accuracy (Linf Base): " + "; ".join(parts) + ".")
    if rank:
        lines.append(f"Rank {rank['rank']} of the archs trained at two sites by largest test difference "
                     f"({METRIC_LABELS[rank['metric']]}, {rank['delta']:+.1f} points).")
    best = ", ".join(f"{r['series']} {r['best_epoch']}" for r in runs if r["best_epoch"] is not None)
    lines.append(f"Lines: validation accuracy (colour: site, dash: attack); diamonds: best CW-40 epoch ({best}); "
                 "dashed rules: lr decays.")
    return lines


def render_curves(arch_id: int, curves: list[dict], decays: list[dict], pairs: list[dict],
                  rank: dict | None) -> Figure:
    runs = {}
    for row in curves:
        runs.setdefault(row["run_id"], {k: row[k] for k in ("series", "site", "gpu", "started_at", "finished", "best_epoch")})
    series = sorted({r["series"] for r in runs.values()})
    best_rows = [r for r in curves if r["metric"] == "CW-40" and r["epoch"] == r["best_epoch"]]
    sites = " and ".join(series)
    heading = f"Arch {arch_id}: training curves of the runs of {sites}"
    subtitle = _subtitle(arch_id, list(runs.values()), pairs, rank)
    decay_text = "; ".join(
        f"{s}: {', '.join(str(d['epoch']) for d in decays if d['series'] == s) or 'none'}" for s in series)
    return Figure(
        name=curve_figure_name(arch_id, len({r["site"] for r in runs.values()})), section="curves",
        drawing=Drawing(curves_chart, (curves, decays, best_rows, {r["series"]: r["site"] for r in runs.values()},
                                       heading, subtitle)),
        caption=f"Arch {arch_id} ({sites}): best CW-40 epochs "
                + ", ".join(f"{r['series']} {r['best_epoch']}" for r in runs.values())
                + f"; lr decays at {decay_text}.",
        rows={"curves": curves, "decays": decays, "best": best_rows},
        facts={"arch_id": arch_id, "series": series, "runs": list(runs.values()), "rank": rank},
    )


def curves_chart(curves: list[dict], decays: list[dict], best_rows: list[dict], series_sites: dict[str, str],
                 heading: str, subtitle: list[str]) -> alt.LayerChart:
    """One arch's runs: clean, PGD-20 and CW-40 validation curves, best CW-40 epochs, lr decays
    (`series_sites`: each run's series name -> its site)."""
    scale = _series_scale(sorted(series_sites), series_sites)
    colour = alt.Color("series:N", title="site", scale=scale)
    epochs = max(r["epoch"] for r in curves) + 1
    x = alt.X("epoch:Q", title="epoch (0-based)", scale=alt.Scale(domain=[0, epochs], nice=False))
    lines = alt.Chart(inline(curves)).mark_line(strokeWidth=1.8).encode(
        x=x,
        y=alt.Y("acc:Q", title="validation accuracy (%)", scale=alt.Scale(zero=False)),
        color=colour,
        strokeDash=alt.StrokeDash("metric:N", title="validation accuracy",
                                  scale=alt.Scale(domain=list(METRIC_DASHES), range=list(METRIC_DASHES.values())),
                                  legend=alt.Legend(symbolStrokeWidth=2, symbolSize=400)),
        detail=alt.Detail("run_id:N"),
        tooltip=[alt.Tooltip("series:N", title="site"), alt.Tooltip("metric:N"), alt.Tooltip("epoch:Q"),
                 alt.Tooltip("acc:Q", title="accuracy (%)", format=".2f"), alt.Tooltip("gpu:N", title="GPU"),
                 alt.Tooltip("started_at:N", title="started")],
    )
    best = alt.Chart(inline(best_rows)).mark_point(shape="diamond", size=110, filled=True,
                                                   stroke="black", strokeWidth=0.8).encode(
        x=x, y=alt.Y("acc:Q"), color=alt.Color("series:N", title="site", scale=scale),
        tooltip=[alt.Tooltip("series:N", title="site"), alt.Tooltip("epoch:Q", title="best CW-40 epoch"),
                 alt.Tooltip("acc:Q", title="CW-40 (%)", format=".2f"), alt.Tooltip("gpu:N", title="GPU")],
    )
    rules = alt.Chart(inline(decays)).mark_rule(strokeDash=[5, 3], strokeWidth=1.3, opacity=0.8).encode(
        x=x, color=alt.Color("series:N", title="site", scale=scale),
        tooltip=[alt.Tooltip("series:N", title="site"), alt.Tooltip("epoch:Q", title="lr decay at epoch"),
                 alt.Tooltip("lr_before:Q", title="lr before"), alt.Tooltip("lr_after:Q", title="lr after")],
    )
    decay_epochs = [{"epoch": e, "label": "lr ×0.1"} for e in sorted({d["epoch"] for d in decays})]
    labels = alt.Chart(inline(decay_epochs)).mark_text(
        align="left", baseline="bottom", dx=3, dy=-3, fontSize=10, color="#555").encode(
        x=x, y=alt.YValue(HEIGHT + 40), text=alt.Text("label:N"))
    layers = [rules, labels, lines, best] if decays else [lines, best]
    return layer(*layers).properties(width=DETAIL_WIDTH, height=HEIGHT + 40, title=title(heading, subtitle))


def curve_figure_name(arch_id: int, n_sites: int) -> str:
    """`dup_Arch<id>_training_curves` for an arch trained at two sites or more, else
    `arch_<id>_training_curves`."""
    return f"dup_Arch{arch_id}_training_curves" if n_sites > 1 else f"arch_{arch_id}_training_curves"


def render_overview(arch_ids: list[int], curves: list[dict], decays: list[dict], chosen: bool) -> Figure:
    """One panel per arch: CW-40 validation accuracy per site, best epochs, lr decays."""
    cw = [r for r in curves if r["metric"] == "CW-40"]
    panels, early = [], []
    for arch_id in arch_ids:
        rows = [r for r in cw if r["arch_id"] == arch_id]
        if not rows:
            continue
        arch_decays = [d for d in decays if d["arch_id"] == arch_id]
        first = {}
        for d in sorted(arch_decays, key=lambda d: d["epoch"]):
            first.setdefault(d["series"], d["epoch"])
        best = [r for r in rows if r["epoch"] == r["best_epoch"]]
        early += [(arch_id, r["series"]) for r in best if first.get(r["series"]) is not None
                  and r["best_epoch"] < first[r["series"]]]
        panels.append([arch_id, rows, arch_decays, best])
    which = "the chosen archs" if chosen else f"the {len(panels)} archs trained at two sites that differ most"
    early_sites = sorted({s for _, s in early})
    said = (", ".join(f"{s} at {sum(1 for _, x in early if x == s)} of {len(panels)} archs" for s in early_sites)
            or f"no run at any of the {len(panels)} archs")
    heading = f"CW-40 validation accuracy of {which}, epoch by epoch"
    subtitle = [f"Peaked (diamond) before its first lr decay (dashed): {said}.",
                "One panel per arch; colour: site; dashed rules: lr decays."]
    return Figure(
        name="training_curves", section="curves",
        drawing=Drawing(overview_chart, (panels, {r["series"]: r["site"] for r in cw},
                                         max(r["epoch"] for r in cw) + 1, heading, subtitle)),
        caption=f"CW-40 validation curves of {which}: peaked before the first lr decay: {said}.",
        rows={"curves": cw, "decays": decays},
        facts={"arch_ids": [a for a in arch_ids if any(r["arch_id"] == a for r in cw)], "early": early},
    )


def overview_chart(panels: list[list], series_sites: dict[str, str], epochs: int, heading: str,
                   subtitle: list[str]) -> alt.ConcatChart:
    """The panels ([arch id, CW-40 rows, lr decays, best-epoch rows] each) in rows of PANEL_COLUMNS."""
    colour = alt.Color("series:N", title="site", scale=_series_scale(sorted(series_sites), series_sites))
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs], nice=False))
    charts = []
    for arch_id, rows, arch_decays, best in panels:
        layers = [
            alt.Chart(inline(arch_decays)).mark_rule(strokeDash=[5, 3], opacity=0.7).encode(
                x=x, color=colour),
            alt.Chart(inline(rows)).mark_line(strokeWidth=1.8).encode(
                x=x, y=alt.Y("acc:Q", title="CW-40 validation (%)", scale=alt.Scale(zero=False)), color=colour,
                detail=alt.Detail("run_id:N"),
                tooltip=[alt.Tooltip("series:N", title="site"), alt.Tooltip("epoch:Q"),
                         alt.Tooltip("acc:Q", title="CW-40 (%)", format=".2f")]),
            alt.Chart(inline(best)).mark_point(shape="diamond", size=80, filled=True, stroke="black",
                                               strokeWidth=0.8).encode(
                x=x, y=alt.Y("acc:Q"), color=colour,
                tooltip=[alt.Tooltip("series:N", title="site"), alt.Tooltip("epoch:Q", title="best epoch")]),
        ]
        sites = " and ".join(sorted({r["series"] for r in rows}))
        charts.append(layer(*layers).properties(
            width=PANEL_WIDTH, height=PANEL_HEIGHT,
            title=alt.TitleParams(f"Arch {arch_id} ({sites})", fontSize=12)))
    return concat(*charts, columns=PANEL_COLUMNS, spacing=18).properties(title=title(heading, subtitle))


def figures(data: ReportData, context: Context) -> list[Figure]:
    ranked = data.rows("curve_archs")
    by_arch = {r["arch_id"]: r for r in ranked}
    arch_ids = context.curve_archs or [r["arch_id"] for r in ranked[: context.top_curves]]
    if not arch_ids:
        return []
    curves = data.rows("arch_curves", arch_ids=list(arch_ids))
    decays = data.rows("arch_lr_decays", arch_ids=list(arch_ids))
    pairs = data.rows("duplicate_pairs")
    detailed = arch_ids if context.curve_archs else arch_ids[:1]
    has_cw40 = any(r["metric"] == "CW-40" for r in curves)
    out = [render_overview(list(arch_ids), curves, decays, chosen=bool(context.curve_archs))] if has_cw40 else []
    for arch_id in detailed:
        arch_curves = [r for r in curves if r["arch_id"] == arch_id]
        if not arch_curves:
            continue
        out.append(render_curves(
            arch_id, arch_curves, [d for d in decays if d["arch_id"] == arch_id],
            [p for p in pairs if p["arch_id"] == arch_id], by_arch.get(arch_id),
        ))
    return out


def missing_archs(data: ReportData, arch_ids: list[int]) -> list[int]:
    """The requested archs that have no training curve in the warehouse."""
    found = {r["arch_id"] for r in data.rows("arch_curves", arch_ids=list(arch_ids))}
    return [a for a in arch_ids if a not in found]
