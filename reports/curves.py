"""dup_Arch<id>_training_curves.png: an arch trained at two sites, both runs epoch by epoch.

Clean, PGD-20 and CW-40 validation accuracy of each site's run on one chart (colour: site, dash:
metric), the epochs where each run's learning rate really dropped as dashed rules, and each run's
best CW-40 epoch as a diamond. By default the archs whose two sites differ most on the test set
(sql/report/curve_archs.sql); `--arch` picks others, trained at two sites or not.
"""
from __future__ import annotations

import altair as alt

from reports.data import ReportData
from reports.figures import Context, Figure
from reports.style import HEIGHT, METRIC_DASHES, WIDTH, site_colours, title

METRIC_LABELS = {"clean": "clean", "fgsm": "FGSM", "pgd20": "PGD-20", "cw40": "CW-40"}


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
    scale = _series_scale(series, {r["series"]: r["site"] for r in runs.values()})
    colour = alt.Color("series:N", title="site", scale=scale)
    epochs = max(r["epoch"] for r in curves) + 1
    x = alt.X("epoch:Q", title="epoch (0-based)", scale=alt.Scale(domain=[0, epochs], nice=False))
    lines = alt.Chart(alt.Data(values=curves)).mark_line(strokeWidth=1.6).encode(
        x=x,
        y=alt.Y("acc:Q", title="validation accuracy (%)", scale=alt.Scale(zero=False)),
        color=colour,
        strokeDash=alt.StrokeDash("metric:N", title="validation accuracy",
                                  scale=alt.Scale(domain=list(METRIC_DASHES), range=list(METRIC_DASHES.values()))),
        detail="run_id:N",
        tooltip=[alt.Tooltip("series:N", title="site"), alt.Tooltip("metric:N"), alt.Tooltip("epoch:Q"),
                 alt.Tooltip("acc:Q", title="accuracy (%)", format=".2f"), alt.Tooltip("gpu:N", title="GPU"),
                 alt.Tooltip("started_at:N", title="started")],
    )
    best_rows = [r for r in curves if r["metric"] == "CW-40" and r["epoch"] == r["best_epoch"]]
    best = alt.Chart(alt.Data(values=best_rows)).mark_point(shape="diamond", size=110, filled=True,
                                                           stroke="black", strokeWidth=0.8).encode(
        x=x, y="acc:Q", color=alt.Color("series:N", title="site", scale=scale),
        tooltip=[alt.Tooltip("series:N", title="site"), alt.Tooltip("epoch:Q", title="best CW-40 epoch"),
                 alt.Tooltip("acc:Q", title="CW-40 (%)", format=".2f"), alt.Tooltip("gpu:N", title="GPU")],
    )
    rules = alt.Chart(alt.Data(values=decays)).mark_rule(strokeDash=[5, 3], strokeWidth=1.3, opacity=0.8).encode(
        x=x, color=alt.Color("series:N", title="site", scale=scale),
        tooltip=[alt.Tooltip("series:N", title="site"), alt.Tooltip("epoch:Q", title="lr decay at epoch"),
                 alt.Tooltip("lr_before:Q", title="lr before"), alt.Tooltip("lr_after:Q", title="lr after")],
    )
    decay_epochs = [{"epoch": e, "label": "lr ×0.1"} for e in sorted({d["epoch"] for d in decays})]
    labels = alt.Chart(alt.Data(values=decay_epochs)).mark_text(
        align="left", baseline="bottom", dx=3, dy=-3, fontSize=10, color="#555").encode(
        x=x, y=alt.value(HEIGHT + 40), text="label:N")
    layers = [rules, labels, lines, best] if decays else [lines, best]
    sites = " and ".join(series)
    chart = alt.layer(*layers).properties(
        width=WIDTH, height=HEIGHT + 40,
        title=title(f"Arch {arch_id}: training curves of the runs of {sites}",
                    _subtitle(arch_id, list(runs.values()), pairs, rank)),
    )
    decay_text = "; ".join(
        f"{s}: {', '.join(str(d['epoch']) for d in decays if d['series'] == s) or 'none'}" for s in series)
    return Figure(
        name=f"dup_Arch{arch_id}_training_curves", chart=chart, section="curves",
        caption=f"Arch {arch_id} ({sites}): best CW-40 epochs "
                + ", ".join(f"{r['series']} {r['best_epoch']}" for r in runs.values())
                + f"; lr decays at {decay_text}.",
        rows={"curves": curves, "decays": decays, "best": best_rows},
        facts={"arch_id": arch_id, "series": series, "runs": list(runs.values()), "rank": rank},
    )


def figures(data: ReportData, context: Context) -> list[Figure]:
    ranked = data.rows("curve_archs")
    by_arch = {r["arch_id"]: r for r in ranked}
    arch_ids = context.curve_archs or [r["arch_id"] for r in ranked[: context.top_curves]]
    if not arch_ids:
        return []
    curves = data.rows("arch_curves", arch_ids=list(arch_ids))
    decays = data.rows("arch_lr_decays", arch_ids=list(arch_ids))
    pairs = data.rows("duplicate_pairs")
    out = []
    for arch_id in arch_ids:
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
