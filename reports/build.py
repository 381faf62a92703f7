"""`cli.py report`: every figure, the incomplete-evaluation lists, report.md and index.html.

The pipeline is an explicit ordered list of figure families; each reads the warehouse through one
read-only connection (reports/data.py), so a report is one consistent snapshot:

    result = build_report(Path("warehouse/robustnasbench.duckdb"), Path("report"))
    print(result.line())    # wrote 27 files to report/ in 9.1 s: report.md, index.html, ...
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from reports import analysis, arch_bands, best_epoch, code_ran, curves, duplicates, gpus, missing_eval
from reports.data import ReportData
from reports.document import to_html, to_markdown
from reports.figures import Context, Figure
from reports.render import FORMATS, write_figure
from warehouse.checks import run_checks
from warehouse.errors import WarehouseError
from warehouse.query import open_for_reading

FIGURE_FAMILIES = [
    best_epoch.figures,
    duplicates.figures,
    curves.figures,
    arch_bands.figures,
    gpus.figures,
    missing_eval.figures,
    code_ran.figures,
]


class Progress:
    """What a report says while it renders; the CLI draws it, tests ignore it."""

    def start(self, total: int) -> None: ...

    def advance(self, label: str) -> None: ...

    def finish(self) -> None: ...


@dataclass
class ReportResult:
    out: Path
    figures: list[Figure]
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        """One line naming everything written, figures grouped by name across their formats."""
        stems: dict[str, list[str]] = {}
        others = []
        for path in self.written:
            if path.suffix in (".png", ".svg", ".html") and path.name != "index.html":
                stems.setdefault(path.stem, []).append(path.suffix[1:])
            else:
                others.append(path.name)
        formats = "+".join(next(iter(stems.values()), []))
        figures = f"{len(stems)} figures as {formats} ({', '.join(stems)})" if stems else "no figures"
        return (f"wrote {len(self.written)} files to {self.out}/ in {self.seconds:.1f} s: "
                f"{', '.join(others)}; {figures}")


def parse_formats(text: str) -> tuple[str, ...]:
    """`png,svg,html` -> ('png', 'svg', 'html'), refusing unknown formats."""
    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise WarehouseError(f"unknown figure format {', '.join(unknown) or '(none)'}: use a comma-separated "
                             f"list of {', '.join(FORMATS)}")
    return formats


def collect_figures(data: ReportData, context: Context) -> list[Figure]:
    figures = [figure for family in FIGURE_FAMILIES for figure in family(data, context)]
    for figure in figures:
        figure.banner = context.banner
    return figures


def build_report(db: Path, out: Path, formats: tuple[str, ...] = FORMATS, curve_archs: list[int] | None = None,
                 top_curves: int = 5, progress: Progress | None = None) -> ReportResult:
    """Render the report of the warehouse at `db` into the folder `out`."""
    started = time.perf_counter()
    progress = progress or Progress()
    con = open_for_reading(db)
    try:
        data = ReportData(con)
        context = Context.from_data(data, curve_archs=curve_archs, top_curves=top_curves)
        if curve_archs:
            absent = curves.missing_archs(data, curve_archs)
            if absent:
                raise WarehouseError(f"no training run of arch {', '.join(map(str, absent))} in {db}")
        checks = {r.name: r for r in run_checks(con).results}
        figures = collect_figures(data, context)
        out.mkdir(parents=True, exist_ok=True)
        for stale in curves.stale_curve_files(out, {f.name for f in figures}):
            stale.unlink()
        result = ReportResult(out=out, figures=figures)
        progress.start(len(figures) + 2)
        for figure in figures:
            result.written.extend(write_figure(out, figure.name, figure.spec(), figure.caption, formats))
            progress.advance(figure.name)
        result.written.extend(missing_eval.write_incomplete_lists(data, context, out))
        files = [p.name for p in result.written] + ["report.md", "index.html"]
        blocks = analysis.analysis_blocks(data, context, figures, checks, str(db), files)
        (out / "report.md").write_text(to_markdown(blocks, formats))
        result.written.append(out / "report.md")
        progress.advance("report.md")
        (out / "index.html").write_text(to_html(blocks, "RobustNASBench logs: the analysis", formats))
        result.written.append(out / "index.html")
        progress.advance("index.html")
    finally:
        con.close()
        progress.finish()
    result.seconds = time.perf_counter() - started
    return result
