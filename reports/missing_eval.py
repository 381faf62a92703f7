"""<site>_missing_eval.png and <site>_incomplete_base.txt: which of a site's archs were never
evaluated on the test set?

A strip over the arch ids (blank where no site trained the arch): green where the site trained the
arch and a finished Linf Base evaluation exists, red where it trained it to the end but the
evaluation is missing or unfinished (check_missing_base_eval), purple where its training never
finished, grey where only another site trained it. Every stretch is drawn at least a few pixels
wide so that one arch among thousands stays visible, problem stretches over the others. The list file holds the red arch ids,
one per line, for re-running the evaluations.
"""
from __future__ import annotations

from pathlib import Path

from ingest.write import write_whole
from reports.data import ReportData
from reports.figures import Context, Drawing, Figure, inline, layer
from reports.lazy import alt
from reports.style import file_site, fixed_scale, title

STATUS_COLOURS = {
    "evaluated": "#54a24b",
    "no Base evaluation": "#e45756",
    "training unfinished": "#b279a2",
    "other site only": "#d9d9d9",
}
PROBLEMS = ("no Base evaluation", "training unfinished")
STRIP_WIDTH = 900
STRIP_HEIGHT = 56
MIN_PROBLEM_PX = 3


def _tooltip() -> list[alt.Tooltip]:
    return [alt.Tooltip("site:N"), alt.Tooltip("status:N"), alt.Tooltip("n_archs:Q", title="archs"),
            alt.Tooltip("example_arch_ids:N", title="arch ids"), alt.Tooltip("gpus:N", title="GPUs"),
            alt.Tooltip("trained_from:N", title="first started"), alt.Tooltip("trained_to:N", title="last started")]


def render_missing_eval(site: str, segments: list[dict], listed: list[int]) -> Figure:
    first, last = min(s["first_arch_id"] for s in segments) - 0.5, max(s["last_arch_id"] for s in segments) + 0.5
    min_width = MIN_PROBLEM_PX * (last - first) / STRIP_WIDTH
    for s in segments:
        lo, hi = s["first_arch_id"] - 0.5, s["last_arch_id"] + 0.5
        widen = max(0.0, (min_width - (hi - lo)) / 2)  # problems are drawn last, over the others
        s["x_from"], s["x_to"] = lo - widen, hi + widen
    counts = {status: sum(s["n_archs"] for s in segments if s["status"] == status) for status in STATUS_COLOURS}
    trained = counts["evaluated"] + counts["no Base evaluation"] + counts["training unfinished"]
    finished = counts["evaluated"] + counts["no Base evaluation"]
    share = 100.0 * counts["no Base evaluation"] / finished if finished else 0.0
    heading = (f"{site}: {counts['no Base evaluation']} of {finished} archs trained to the end have no finished "
               f"Linf Base test evaluation ({share:.0f}%)")
    subtitle = [f"{site} trained {trained} archs: {counts['evaluated']} evaluated, {counts['no Base evaluation']} "
                f"without a Base evaluation, {counts['training unfinished']} never finished training; "
                f"{counts['other site only']} archs were trained by other sites only.",
                f"The {len(listed)} arch ids without a Base evaluation are listed in {file_site(site)}_incomplete_base.txt."]
    return Figure(
        name=f"{file_site(site)}_missing_eval", section="missing_eval",
        drawing=Drawing(missing_eval_chart, (segments, [first, last], heading, subtitle)),
        caption=f"{site}: {counts['no Base evaluation']} of {finished} archs trained to the end ({share:.0f}%) "
                f"have no finished Linf Base evaluation; {counts['training unfinished']} never finished training.",
        rows={"segments": segments},
        facts={"site": site, "counts": counts, "listed": listed, "share_pct": share, "finished": finished},
    )


def missing_eval_chart(segments: list[dict], domain: list[float], heading: str, subtitle: list[str]) -> alt.LayerChart:
    x = alt.X("x_from:Q", title="arch id (blank: no training run of any site)", axis=alt.Axis(format="d"),
              scale=alt.Scale(domain=domain, nice=False, zero=False))
    colour = alt.Color("status:N", title="arch status", scale=fixed_scale(STATUS_COLOURS),
                       legend=alt.Legend(orient="bottom", direction="horizontal", symbolType="square"))
    background = [s for s in segments if s["status"] not in PROBLEMS]
    problems = [s for s in segments if s["status"] in PROBLEMS]
    layers = [alt.Chart(inline(part)).mark_rect().encode(
        x=x, x2=alt.X2("x_to:Q"), color=colour, tooltip=_tooltip()) for part in (background, problems) if part]
    return layer(*layers).properties(width=STRIP_WIDTH, height=STRIP_HEIGHT, title=title(heading, subtitle))


def figures(data: ReportData, context: Context) -> list[Figure]:
    segments = data.rows("eval_status_segments")
    listed = data.rows("incomplete_base_archs")
    out = []
    for site in context.sites:
        site_segments = [dict(s) for s in segments if s["site"] == site]
        if site_segments:
            out.append(render_missing_eval(site, site_segments, [r["arch_id"] for r in listed if r["site"] == site]))
    return out


def write_incomplete_lists(data: ReportData, context: Context, out: Path) -> list[Path]:
    """<site>_incomplete_base.txt for every site drawn and every other site with such archs (unknown
    too: `unknown_incomplete_base.txt`): arch ids without a finished Linf Base eval."""
    listed = data.rows("incomplete_base_archs")
    written = []
    for site in incomplete_list_sites(listed, context):
        ids = [r["arch_id"] for r in listed if r["site"] == site]
        path = out / f"{file_site(site)}_incomplete_base.txt"
        write_whole(path, "".join(f"{i}\n" for i in ids))
        written.append(path)
    return written


def incomplete_list_sites(listed: list[dict], context: Context) -> list[str]:
    """The sites that get an incomplete-evaluation list: those drawn, then any other with archs listed."""
    return [*context.sites, *sorted({r["site"] for r in listed} - set(context.sites))]
