"""`cli.py report`: every figure, the incomplete-evaluation lists, report.md and index.html.

The pipeline is an explicit ordered list of figure families; each reads the warehouse through the
one read-only connection of the notebook API (nares.py `Warehouse.data`, a ReportData), so a report
is one consistent snapshot:

    with open_warehouse("robustnasbench.duckdb") as wh:
        print(wh.report(Path("report")).line())  # wrote 27 files to report/ in 9.1 s: report.md, ...
"""
from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from ingest.write import write_whole
from reports import analysis, arch_bands, best_epoch, code_ran, curves, duplicates, gpus, missing_eval
from reports.data import ReportData, parameterless_queries
from reports.document import html_body, to_markdown
from reports.draw import images, start_engine
from reports.figures import Context, Figure
from reports.outputs import (
    OutputRecord,
    figure_key,
    keep_spec,
    kept_spec,
    prune_specs,
    read_record,
    remove_stale,
    reports_source,
    write_record,
)
from reports.render import FORMATS, full_spec, page, renderer, write_figure
from warehouse.checks import installed_checks
from warehouse.errors import WarehouseError

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
    redrawn: list[str] = field(default_factory=list)  # figures drawn anew; the others' files were current
    removed: list[str] = field(default_factory=list)  # figure files of an earlier report not written now
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
        kept = len(self.figures) - len(self.redrawn)
        drawn = f"; {len(self.redrawn)} redrawn, {kept} unchanged since the last report" if self.figures else ""
        removed = f"; removed {len(self.removed)} files of figures no longer drawn" if self.removed else ""
        return (f"wrote {len(self.written)} files to {self.out}/ in {self.seconds:.1f} s: "
                f"{', '.join(others)}; {figures}{drawn}{removed}")


def parse_formats(text: str) -> tuple[str, ...]:
    """`png,svg,html` -> ('png', 'svg', 'html'), refusing unknown formats."""
    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise WarehouseError(f"unknown figure format {', '.join(unknown) or '(none)'}: use a comma-separated "
                             f"list of {', '.join(FORMATS)}")
    return formats


def collect_figures(data: ReportData, context: Context) -> list[Figure]:
    """Every figure, in report order, each titled with the demo banner when the data is the demo's.
    Their charts are not built here: only those drawn or embedded are (reports/figures.py)."""
    figures = [figure for family in FIGURE_FAMILIES for figure in family(data, context)]
    for figure in figures:
        figure.banner = context.banner
    return figures


PREFETCHED_VIEWS = ["check_vertical_lines", "check_duplicate_paired", "check_config_drift", "check_code_versions",
                    "check_explain", "check_noise", "check_precision_path", "check_timeline"]
"""The check views the figures and the text read, run up front with the report queries on both
cores (reports/data.py `prefetch`); a view missing here is still read, only later and alone."""

INDEX = "index"  # the record's name for index.html

DRAWING_PROCESSES = 2
"""Processes that draw figures at once: vl-convert runs one chart at a time in a process, so two
processes use both cores of the benchmark's machine (the HTML pages are written here meanwhile)."""


def drawing_version() -> str:
    """What every figure's files depend on besides its own drawing: the renderer and page template,
    Altair, and the source of reports/ that makes each spec."""
    return f"{renderer()}; altair {version('altair')}; reports {reports_source()}"


def drawing_pool() -> ProcessPoolExecutor:
    """The processes that draw figures: spawned, not forked (vl-convert's engine threads do not
    survive a fork), each starting its engine as it starts."""
    return ProcessPoolExecutor(max_workers=DRAWING_PROCESSES, mp_context=multiprocessing.get_context("spawn"),
                               initializer=start_engine)


def _early_pool(stack: ExitStack, record: OutputRecord, formats: tuple[str, ...]) -> ProcessPoolExecutor | None:
    """For a report into a folder without one (every figure will be drawn), the drawing processes
    started now, so that they and their engines start while the data is read; None otherwise (a
    report that may redraw nothing starts no process)."""
    if record.figures or not {"png", "svg"} & set(formats):
        return None
    pool = stack.enter_context(drawing_pool())
    for _ in range(DRAWING_PROCESSES):
        pool.submit(int)  # a process is spawned for each task submitted while none is idle
    return pool


def _draw(out: Path, figures: list[Figure], formats: tuple[str, ...], record: OutputRecord, result: ReportResult,
          progress: Progress, pool: ProcessPoolExecutor | None = None) -> dict[str, tuple[str, list[str]]]:
    """Draw the figures whose key changed since the last report in `out` (reports/outputs.py) and
    keep the others' files; return each figure's key and files. Only the figures drawn are built
    and checked against the Vega-Lite schema: the others' specs are, byte for byte (their key: what
    they are made from, by the same code and Altair), ones an earlier report checked and drew."""
    version = drawing_version()
    planned = {}
    for figure in figures:
        files = [f"{figure.name}.{fmt}" for fmt in formats]
        planned[figure.name] = (figure_key(figure.made_from(), figure.caption, formats, version), files)
    # the largest first (by the rows it draws, known before its chart is built), so that the two
    # processes finish together instead of one drawing the 15,625-point figure alone at the end
    todo = sorted((f for f in figures if not record.unchanged(out, f.name, *planned[f.name])),
                  key=lambda f: -f.n_rows)
    for name in planned.keys() - {f.name for f in todo}:
        progress.advance(name)
    if len(todo) <= 1 and pool is None:
        for figure in todo:
            write_figure(out, figure.name, figure.spec(), figure.caption, formats)
            keep_spec(planned[figure.name][0], figure.unchecked_spec())
            progress.advance(figure.name)
    else:
        with ExitStack() as stack:
            pool = pool or stack.enter_context(drawing_pool())
            # each spec is built and checked just before it is handed to the drawing processes, so
            # building the later ones (seconds at full scale) overlaps the processes' start and the
            # drawing of the earlier ones; no file is written before every spec passed
            drawing = {}
            try:
                for figure in todo:
                    drawing[pool.submit(images, full_spec(figure.spec()), formats)] = figure
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
            for done in as_completed(drawing):
                figure = drawing[done]
                write_figure(out, figure.name, figure.spec(), figure.caption, formats, drawn=done.result())
                keep_spec(planned[figure.name][0], figure.unchecked_spec())
                progress.advance(figure.name)
    result.redrawn = [f.name for f in todo]
    return planned


def build_report(data: ReportData, db: Path, out: Path, formats: tuple[str, ...] = FORMATS,
                 curve_archs: list[int] | None = None, top_curves: int = 5,
                 progress: Progress | None = None) -> ReportResult:
    """Render the report of the warehouse `db`, read through `data`, into the folder `out`."""
    started = time.perf_counter()
    progress = progress or Progress()
    with ExitStack() as stack:  # the drawing processes, when started early
        try:
            context = Context.from_data(data, curve_archs=curve_archs, top_curves=top_curves)
            if curve_archs:
                absent = curves.missing_archs(data, curve_archs)
                if absent:
                    raise WarehouseError(f"no training run of arch {', '.join(map(str, absent))} in {db}")
            record = read_record(out)
            pool = _early_pool(stack, record, formats)
            checks = {r.name: r for r in data.prefetch(parameterless_queries(), PREFETCHED_VIEWS, list(installed_checks()))}
            figures = collect_figures(data, context)
            out.mkdir(parents=True, exist_ok=True)
            result = ReportResult(out=out, figures=figures)
            progress.start(len(figures) + 2)
            planned = _draw(out, figures, formats, record, result, progress, pool)
            result.written.extend(out / name for _, files in planned.values() for name in files)
            result.written.extend(missing_eval.write_incomplete_lists(data, context, out))
            files = [p.name for p in result.written] + ["report.md", "index.html"]
            blocks = analysis.analysis_blocks(data, context, figures, checks, str(db), files)
            write_whole(out / "report.md", to_markdown(blocks, formats))
            result.written.append(out / "report.md")
            progress.advance("report.md")
            # index.html carries every spec and the Vega bundle (made in ~2 s): written when its text
            # changes, keyed with each figure's key in place of its spec (so no chart is built for it)
            title_text = "RobustNASBench logs: the analysis"
            keyed = html_body(blocks, formats, chart=lambda element_id, figure: f"{element_id}:{planned[figure.name][0]}")
            planned[INDEX] = (figure_key({"title": title_text, "body": keyed}, "", ("html",), drawing_version()),
                              ["index.html"])
            if not record.unchanged(out, INDEX, *planned[INDEX]):
                # the page holds every spec: those of figures not redrawn are the ones kept when they
                # were drawn (reports/outputs.py), their charts are built only when none is kept
                for figure in figures:
                    if figure.name not in result.redrawn and (spec := kept_spec(planned[figure.name][0])) is not None:
                        figure.take_spec(spec)
                write_whole(out / "index.html", page(title_text, html_body(blocks, formats)))
                prune_specs()
            result.written.append(out / "index.html")
            progress.advance("index.html")
            result.removed = remove_stale(out, record.stale(planned))
            write_record(out, OutputRecord(planned))
        finally:
            progress.finish()
    result.seconds = time.perf_counter() - started
    return result
