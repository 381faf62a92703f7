"""dup_test_acc/fgsm/pgd/cw.png: the archs trained at two sites, one site's test accuracy against
the other's.

Left, one point per arch with the diagonal where both sites agree: points off the diagonal on one
side mean one site's models are systematically worse. Right, the per-arch differences with their
mean; the subtitle quotes the paired test of check_duplicate_paired (bootstrap interval of the mean
and sign test), so the figure carries its own evidence.
"""
from __future__ import annotations

import math

from reports.data import ReportData
from reports.figures import Context, Drawing, Figure, hconcat, inline, layer
from reports.lazy import alt
from reports.style import count_scale, count_top, title

METRICS = {  # check metric -> (file name, label)
    "clean": ("dup_test_acc", "clean"),
    "fgsm": ("dup_test_fgsm", "FGSM"),
    "pgd20": ("dup_test_pgd", "PGD-20"),
    "cw40": ("dup_test_cw", "CW-40"),
}
SIDE = 330
POINT_COLOUR = "#4c78a8"


def _paired_lines(test: dict | None, site_a: str, site_b: str) -> list[str]:
    if not test:
        return ["no paired test (fewer than two archs with both values)"]
    ci = ""
    if test.get("ci_low") is not None and test.get("ci_high") is not None:
        ci = f" (95% interval {test['ci_low']:+.1f} to {test['ci_high']:+.1f})"
    return [
        f"{site_b} - {site_a}: mean {test['mean_delta']:+.1f} points{ci}",
        f"{site_b} higher for {test['n_b_higher']} of {test['n_archs']} archs, {site_a} for "
        f"{test['n_a_higher']}; sign test p = {test['sign_p_value']:.2g}",
    ]


def _nice_step(raw: float) -> float:
    """A bin width of 1, 2 or 5 times a power of ten, at least `raw`."""
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _tooltip(site_a: str, site_b: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("arch_id:Q", title="arch id"),
        alt.Tooltip("value_a:Q", title=f"{site_a} (%)", format=".2f"),
        alt.Tooltip("value_b:Q", title=f"{site_b} (%)", format=".2f"),
        alt.Tooltip("delta:Q", title=f"{site_b} - {site_a}", format="+.2f"),
        alt.Tooltip("gpu_a:N", title=f"{site_a} GPU"), alt.Tooltip("gpu_b:N", title=f"{site_b} GPU"),
        alt.Tooltip("started_a:N", title=f"{site_a} trained"), alt.Tooltip("started_b:N", title=f"{site_b} trained"),
        alt.Tooltip("best_epoch_a:Q", title=f"{site_a} best epoch"),
        alt.Tooltip("best_epoch_b:Q", title=f"{site_b} best epoch"),
    ]


def render_duplicate(metric: str, rows: list[dict], test: dict | None) -> Figure:
    name, label = METRICS[metric]
    site_a, site_b = rows[0]["site_a"], rows[0]["site_b"]
    deltas = [r["delta"] for r in rows]
    mean_delta = sum(deltas) / len(deltas)
    step = _nice_step(max(abs(min(deltas)), abs(max(deltas)), 1.0) / 8)
    spread = step * (int(max(abs(min(deltas)), abs(max(deltas))) / step) + 1)
    tallest = max(sum(1 for d in deltas if math.floor((d + spread) / step) == k)
                  for k in range(int(round(2 * spread / step)) + 1))
    heading = f"{label[0].upper() + label[1:]} test accuracy of the {len(rows)} archs trained at both sites"
    subtitle = ["Linf Base test evaluation of each site's best checkpoint.", *_paired_lines(test, site_a, site_b)]
    return Figure(
        name=name, section="duplicates",
        drawing=Drawing(duplicate_chart, (rows, label, [step, spread, tallest, mean_delta], heading, subtitle)),
        caption=f"{label} test accuracy: " + "; ".join(_paired_lines(test, site_a, site_b)) + ".",
        rows={"pairs": rows},
        facts={"metric": metric, "label": label, "n_archs": len(rows), "site_a": site_a, "site_b": site_b,
               "tallest_bin": tallest, "y_top": count_top(tallest),
               "mean_delta": mean_delta, "n_b_higher": sum(d > 0 for d in deltas),
               "n_a_higher": sum(d < 0 for d in deltas), "test": test},
    )


def duplicate_chart(rows: list[dict], label: str, bins: list[float], heading: str,
                    subtitle: list[str]) -> alt.HConcatChart:
    """Left the pairs against the diagonal, right the histogram of their differences (`bins`: the
    bin width, the half-width of the axis, the tallest bin's count and the mean difference)."""
    step, spread, tallest, mean_delta = bins
    site_a, site_b = rows[0]["site_a"], rows[0]["site_b"]
    values = [r["value_a"] for r in rows] + [r["value_b"] for r in rows]
    low, high = min(values) - 1.0, max(values) + 1.0
    scale = alt.Scale(domain=[low, high], nice=False, zero=False)
    data = inline(rows)
    diagonal = alt.Chart(inline([{"v": low}, {"v": high}])).mark_line(
        color="#888", strokeDash=[4, 4]).encode(x=alt.X("v:Q", scale=scale), y=alt.Y("v:Q", scale=scale))
    points = alt.Chart(data).mark_circle(size=60, opacity=0.8, color=POINT_COLOUR).encode(
        x=alt.X("value_a:Q", title=f"{site_a}: {label} test accuracy (%)", scale=scale),
        y=alt.Y("value_b:Q", title=f"{site_b}: {label} test accuracy (%)", scale=scale),
        tooltip=_tooltip(site_a, site_b),
    )
    scatter = layer(diagonal, points).properties(
        width=SIDE, height=SIDE,
        title=alt.TitleParams("One point per arch; dashed: equal accuracy", fontSize=12, fontWeight="normal", color="#444"))
    binning = alt.Bin(step=step, extent=[-spread, spread])
    y_scale, y_axis = count_scale(tallest)
    bars = alt.Chart(data).mark_bar(color=POINT_COLOUR, opacity=0.85).encode(
        x=alt.X("delta:Q", bin=binning, title=f"{site_b} - {site_a} (points)",
                scale=alt.Scale(domain=[-spread, spread]), axis=alt.Axis(format=".0f" if step >= 1 else ".1f")),
        y=alt.Y("count():Q", title="archs", scale=y_scale, axis=y_axis),
        tooltip=[alt.Tooltip("delta:Q", bin=binning, title=f"{site_b} - {site_a}"),
                 alt.Tooltip("count():Q", title="archs")],
    )
    zero = alt.Chart(inline([{"x": 0.0}])).mark_rule(color="#666", strokeDash=[4, 4]).encode(x=alt.X("x:Q"))
    mean = inline([{"x": mean_delta, "label": f"mean {mean_delta:+.1f}"}])
    rules = zero + alt.Chart(mean).mark_rule(color="#e45756", strokeWidth=2).encode(
        x=alt.X("x:Q"), tooltip=[alt.Tooltip("label:N", title="mean difference")])
    differences = layer(bars, rules).properties(
        width=SIDE - 40, height=SIDE,
        title=alt.TitleParams(f"Per arch: red line mean {mean_delta:+.1f}, dashed no difference",
                              fontSize=12, fontWeight="normal", color="#444"))
    return hconcat(scatter, differences, spacing=30).properties(title=title(heading, subtitle))


def _main_pair(rows: list[dict]) -> tuple[str, str] | None:
    """The pair of sites with the most archs in common (the benchmark has one pair)."""
    counts: dict[tuple[str, str], set] = {}
    for r in rows:
        counts.setdefault((r["site_a"], r["site_b"]), set()).add(r["arch_id"])
    return max(counts, key=lambda k: (len(counts[k]), k)) if counts else None


def figures(data: ReportData, context: Context) -> list[Figure]:
    rows = data.rows("duplicate_pairs")
    pair = _main_pair(rows)
    if pair is None:
        return []
    tests = {(t["metric"], t["site_a"], t["site_b"]): t for t in data.view("check_duplicate_paired")}
    out = []
    for metric in METRICS:
        chosen = [r for r in rows if r["metric"] == metric and (r["site_a"], r["site_b"]) == pair]
        if chosen:
            out.append(render_duplicate(metric, chosen, tests.get((metric, *pair))))
    return out
