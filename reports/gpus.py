"""<site>_gpu_issue.png: are a site's models worse on one GPU?

One row per GPU of the site: boxes of the clean and CW-40 accuracies of its finished runs (test
where evaluated, else validation at the best epoch, as check_gpu_accuracy averages them), and the
share of its runs that lie far below archs of similar size, against the threshold above which
check_gpu_accuracy flags the GPU; a flagged GPU says whether its low runs are beyond chance. Drawn
from quartiles computed in SQL, not from the runs.
"""
from __future__ import annotations

from reports.data import ReportData
from reports.figures import Context, Drawing, Figure, hconcat, inline, layer
from reports.lazy import alt
from reports.style import FLAG_COLOURS, file_site, fixed_scale, low_rule, title

BOX_WIDTH = 190
LABEL_LIMIT = 230
SHARE_WIDTH = 130
ROW_HEIGHT = 34


def _tooltip(metric: bool = True) -> list[alt.Tooltip]:
    tips = [alt.Tooltip("site:N"), alt.Tooltip("gpu:N", title="GPU"), alt.Tooltip("n_runs:Q", title="finished runs")]
    if metric:
        tips += [alt.Tooltip("metric:N"), alt.Tooltip("mean_acc:Q", title="mean (%)", format=".2f"),
                 alt.Tooltip("median_acc:Q", title="median (%)", format=".2f"),
                 alt.Tooltip("q1_acc:Q", title="1st quartile (%)", format=".2f"),
                 alt.Tooltip("q3_acc:Q", title="3rd quartile (%)", format=".2f"),
                 alt.Tooltip("min_acc:Q", title="min (%)", format=".2f"), alt.Tooltip("max_acc:Q", title="max (%)", format=".2f")]
    tips += [alt.Tooltip("n_low:Q", title="low runs"), alt.Tooltip("low_share_pct:Q", title="low runs (%)", format=".1f"),
             alt.Tooltip("trained_from:N", title="first started"), alt.Tooltip("trained_to:N", title="last started")]
    return tips


def _boxes(rows: list[dict], metric: str, order: list[str], y_axis: bool) -> alt.LayerChart:
    chosen = [r for r in rows if r["metric"] == metric]
    base = alt.Chart(inline(chosen))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT) if y_axis else None)
    colour = alt.Color("status:N", title="GPU", scale=fixed_scale(FLAG_COLOURS),
                       legend=alt.Legend(symbolType="square", orient="bottom", direction="horizontal"))
    x = alt.X("min_acc:Q", title=f"{metric} accuracy (%)", scale=alt.Scale(zero=False))
    whisker = base.mark_rule(strokeWidth=1.2).encode(x=x, x2=alt.X2("max_acc:Q"), y=y, color=colour, tooltip=_tooltip())
    box = base.mark_bar(size=18, opacity=0.55).encode(x=alt.X("q1_acc:Q"), x2=alt.X2("q3_acc:Q"), y=y, color=colour,
                                                      tooltip=_tooltip())
    median = base.mark_tick(color="black", thickness=2, size=18).encode(x=alt.X("median_acc:Q"), y=y, tooltip=_tooltip())
    mean = base.mark_point(shape="diamond", filled=True, size=60, color="black").encode(x=alt.X("mean_acc:Q"), y=y,
                                                                                         tooltip=_tooltip())
    return layer(whisker, box, median, mean).properties(width=BOX_WIDTH, height=ROW_HEIGHT * len(order))


def _low_share(rows: list[dict], order: list[str], threshold_pct: float | None) -> alt.LayerChart:
    chosen = [r for r in rows if r["metric"] == "CW-40"]
    base = alt.Chart(inline(chosen))
    y = alt.Y("label:N", sort=order, title=None, axis=None)
    top = max([threshold_pct or 0] + [r["low_share_pct"] or 0 for r in chosen]) * 1.25 + 5
    x = alt.X("low_share_pct:Q", title="runs far below similar archs (%)", scale=alt.Scale(domain=[0, min(100, top)]))
    bars = base.mark_bar(size=18).encode(
        x=x, y=y, color=alt.Color("status:N", scale=fixed_scale(FLAG_COLOURS)), tooltip=_tooltip(False))
    text = base.transform_calculate(text="datum.n_low + '/' + datum.n_runs").mark_text(
        align="left", dx=4, fontSize=11).encode(x=x, y=y, text=alt.Text("text:N"))
    layers = [bars, text]
    if threshold_pct is not None:
        layers.append(alt.Chart(inline([{"t": threshold_pct}])).mark_rule(
            color="#333", strokeDash=[4, 3]).encode(x=alt.X("t:Q"), tooltip=[alt.Tooltip("t:Q", title="flag above (%)")]))
    return layer(*layers).properties(width=SHARE_WIDTH, height=ROW_HEIGHT * len(order))


def _chance_words(row: dict) -> str:
    """Whether a flagged GPU's low runs are beyond chance (check_gpu_accuracy.beyond_chance), with its
    chance (every row of the check has one)."""
    return f"{'beyond' if row['beyond_chance'] else 'within'} chance (chance {row['chance']:.2g})"


def render_gpu_issue(site: str, rows: list[dict], threshold_pct: float | None, min_runs: float | None,
                     low_rule: str = "far below archs of similar size") -> Figure:
    for r in rows:
        r["label"] = f"{r['gpu']} ({r['n_runs']} runs)"
        r["status"] = "flagged" if r["flagged"] else "not flagged"
    cw = sorted((r for r in rows if r["metric"] == "CW-40"), key=lambda r: (-r["n_runs"], r["gpu"]))
    order = [r["label"] for r in cw]
    flagged = [r for r in cw if r["flagged"]]
    if flagged:
        verdict = "; ".join(f"{r['gpu']}: {r['n_low']} of {r['n_checked']} runs low ({r['low_share_pct']:.0f}%), "
                            f"mean CW-40 {r['mean_acc']:.1f}%, {_chance_words(r)}" for r in flagged)
        beyond = sum(bool(r["beyond_chance"]) for r in flagged)
        headline = f"{site}: {len(flagged)} GPU{'s' if len(flagged) > 1 else ''} flagged, {beyond} beyond chance"
    else:
        worst = max(cw, key=lambda r: r["low_share_pct"] or 0, default=None)
        verdict = (f"Highest share of low runs: {worst['gpu']} {worst['low_share_pct']:.0f}%" if worst else "no runs")
        headline = f"{site}: no GPU flagged"
    rule = (f"flagged above {threshold_pct:.0f}% low runs with at least {min_runs:.0f} runs (dashed)"
            if threshold_pct is not None and min_runs is not None else "")
    subtitle = [verdict + ".",
                "Boxes: quartiles, line: range, tick: median, diamond: mean; test accuracy where evaluated, else validation.",
                f"Right: share of runs {low_rule};", f"{rule[0].upper() + rule[1:]}." if rule else ""]
    return Figure(
        name=f"{file_site(site)}_gpu_issue", section="gpus",
        drawing=Drawing(gpu_issue_chart, (rows, order, threshold_pct,
                                          f"{headline}: accuracy of the site's finished runs by GPU", subtitle)),
        caption=f"{headline}: {verdict}.",
        rows={"gpus": rows},
        facts={"site": site, "flagged": [r["gpu"] for r in flagged], "n_gpus": len(cw),
               "chance": {r["gpu"]: _chance_words(r) for r in flagged},
               "beyond_chance": [r["gpu"] for r in flagged if r["beyond_chance"]],
               "groups": {r["gpu"]: {"n_runs": r["n_checked"], "n_low": r["n_low"], "flagged": r["flagged"]} for r in cw}},
    )


def gpu_issue_chart(rows: list[dict], order: list[str], threshold_pct: float | None, heading: str,
                    subtitle: list[str]) -> alt.HConcatChart:
    return hconcat(
        _boxes(rows, "clean", order, True), _boxes(rows, "CW-40", order, False), _low_share(rows, order, threshold_pct),
        spacing=16,
    ).properties(title=title(heading, subtitle))


def figures(data: ReportData, context: Context) -> list[Figure]:
    rows = data.rows("gpu_accuracy_spread")
    params = data.params()
    share = params.get("gpu_accuracy.max_low_share")
    threshold = 100.0 * share if share is not None else None
    out = []
    for site in context.sites:
        site_rows = [dict(r) for r in rows if r["site"] == site]
        if site_rows:
            out.append(render_gpu_issue(site, site_rows, threshold, params.get("gpu_accuracy.min_runs"),
                                        low_rule(params)))
    return out
