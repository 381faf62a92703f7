"""best_epoch_<site>.png: when did each site's runs reach their best CW-40 checkpoint?

A histogram of best epochs per site, bars red when the best epoch lies before the first learning
rate decay (check_best_epoch.early), with the decays the runs really logged marked as rules. A
healthy site peaks just after the first decay; a site whose runs degrade peaks long before it.
"""
from __future__ import annotations

from reports.data import ReportData
from reports.figures import Context, Drawing, Figure, inline, layer
from reports.lazy import alt
from reports.style import EARLY_COLOURS, HEIGHT, WIDTH, count_scale, file_site, fixed_scale, title

MIN_DECAY_SHARE_PCT = 2.0


def _bars(rows: list[dict], epochs: int) -> alt.Chart:
    y_scale, y_axis = count_scale(max((r["n_runs"] for r in rows), default=1))
    return alt.Chart(inline(rows)).transform_calculate(
        epoch_end="datum.best_epoch + 1",
        when="datum.early ? 'before the first lr decay' : 'at or after the first lr decay'",
    ).mark_bar(stroke="white", strokeWidth=0.3).encode(
        x=alt.X("best_epoch:Q", bin="binned", title="best epoch (highest CW-40 validation accuracy), 0-based",
                scale=alt.Scale(domain=[0, epochs], nice=False), axis=alt.Axis(tickMinStep=1)),
        x2=alt.X2("epoch_end:Q"),
        y=alt.Y("n_runs:Q", title="finished runs", scale=y_scale, axis=y_axis),
        color=alt.Color("when:N", title="best epoch", scale=fixed_scale(EARLY_COLOURS),
                        legend=alt.Legend(orient="top", direction="horizontal")),
        tooltip=[
            alt.Tooltip("site:N"), alt.Tooltip("best_epoch:Q", title="best epoch"),
            alt.Tooltip("n_runs:Q", title="runs"), alt.Tooltip("share_pct:Q", title="% of site", format=".1f"),
            alt.Tooltip("example_arch_ids:N", title="arch ids"), alt.Tooltip("gpus:N", title="GPUs"),
            alt.Tooltip("trained_from:N", title="first started"), alt.Tooltip("trained_to:N", title="last started"),
        ],
    )


def _decay_rules(rows: list[dict]) -> alt.Chart:
    return alt.Chart(inline(rows)).mark_rule(color="#222", strokeDash=[5, 3], strokeWidth=1.5).encode(
        x=alt.X("epoch:Q"),
        opacity=alt.Opacity("share_pct:Q", scale=alt.Scale(domain=[0, 100], range=[0.3, 1]), legend=None),
        tooltip=[alt.Tooltip("epoch:Q", title="lr decay at epoch"), alt.Tooltip("n_runs:Q", title="runs"),
                 alt.Tooltip("share_pct:Q", title="% of finished runs", format=".1f")],
    )


def _decay_text(decays: list[dict]) -> str:
    return ", ".join(f"{d['epoch']} ({d['share_pct']:.0f}%)" for d in decays) or "none logged"


def best_epoch_chart(bins: list[dict], decays: list[dict], epochs: int, heading: str,
                     subtitle: list[str]) -> alt.LayerChart:
    return layer(_bars(bins, epochs), _decay_rules(decays)).properties(
        width=WIDTH, height=HEIGHT, title=title(heading, subtitle))


def render_best_epoch(site: str, bins: list[dict], decays: list[dict], epochs: int) -> Figure:
    n_runs = sum(r["n_runs"] for r in bins)
    n_early = sum(r["n_runs"] for r in bins if r["early"])
    decay_epoch = max(((r["first_decay_epoch"], r["n_runs"]) for r in bins), key=lambda x: x[1], default=(None, 0))[0]
    share = 100.0 * n_early / n_runs if n_runs else 0.0
    shown_decays = [d for d in decays if d["share_pct"] >= MIN_DECAY_SHARE_PCT or d["n_runs"] >= 3]
    subtitle = [f"{n_early} runs ({share:.0f}%) peaked before the first lr decay (epoch {decay_epoch}).",
                f"Dashed: epochs at which the runs' logged lr dropped x0.1, with the share of runs: {_decay_text(shown_decays)}."]
    return Figure(
        name=f"best_epoch_{file_site(site)}", section="best_epoch",
        drawing=Drawing(best_epoch_chart, (bins, shown_decays, epochs,
                                           f"{site}: best CW-40 epoch of {n_runs} finished runs", subtitle)),
        caption=f"{site}: {n_early} of {n_runs} finished runs ({share:.0f}%) reached their best CW-40 "
                f"checkpoint before the first learning-rate decay (epoch {decay_epoch}).",
        rows={"bins": bins, "decays": shown_decays},
        facts={"site": site, "n_runs": n_runs, "n_early": n_early, "share_pct": share, "decay_epoch": decay_epoch},
    )


def figures(data: ReportData, context: Context) -> list[Figure]:
    hist = data.rows("best_epoch_histogram")
    decays = data.rows("site_lr_decays")
    epochs = max([r["epochs_planned"] or 0 for r in hist] + [r["best_epoch"] + 1 for r in hist] + [1])
    out = []
    for site in context.sites:
        bins = [r for r in hist if r["site"] == site]
        if bins:
            out.append(render_best_epoch(site, bins, [d for d in decays if d["site"] == site], epochs))
    return out
