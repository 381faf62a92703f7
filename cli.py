"""Command line of the RobustNASBench log warehouse.

Each command opens the warehouse, calls one library function and turns a domain error into one
clear line on stderr with a non-zero exit. Nothing else lives here. `sql`, `check` and `report`
read through the notebook API (nares.py `open_warehouse`), so a script sees what they print.
"""
from __future__ import annotations

import math
import re
import shutil
import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    help="RobustNASBench (NARes) logs as a DuckDB warehouse: ingest, check, report.",
)

DB_HELP = "Warehouse file (default: $RNB_DB, else robustnasbench.duckdb in the working folder)."
FORMAT_HELP = "Output format: table, json or csv."


def _db(db: Optional[Path]) -> Path:
    from warehouse import default_db_path

    return db if db is not None else default_db_path()


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def _note(message: str) -> None:
    typer.echo(f"note: {message}", err=True)


def _wait_seconds(paths: List[Path], wait: bool) -> tuple[List[Path], Optional[float]]:
    """`--wait [SECONDS]`: Typer options cannot take an optional value, so the number arrives among
    the paths (`ingest --wait 30 logs/`): a plain number that names nothing on disk is the limit."""
    if not wait:
        return paths, None
    numbers = [p for p in paths if re.fullmatch(r"\d+(\.\d*)?", str(p)) and not p.exists()]
    if len(numbers) > 1:
        _fail(f"--wait takes one number of seconds, got {', '.join(map(str, numbers))}")
    rest = [p for p in paths if p not in numbers]
    if not rest:
        _fail("no folder or file to ingest")
    return rest, float(str(numbers[0])) if numbers else math.inf


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-corpus"), help="Folder to write the log repository into."),
    archs: int = typer.Option(300, min=1, max=15625, help="Number of architectures to train."),
    epochs: int = typer.Option(100, min=4, help="Epochs per training run (the real benchmark: 100)."),
    seed: int = typer.Option(0, help="Random seed: the same seed writes the same bytes and commits."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the folder if it exists and is not empty."),
):
    """Write a synthetic log repository (git, two sites) that shows every finding."""
    from demo import write_demo_repository

    try:
        summary = write_demo_repository(out, archs=archs, epochs=epochs, seed=seed, overwrite=overwrite)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(summary.describe())


@app.command()
def ingest(
    paths: List[Path] = typer.Argument(..., help="Log folders (searched recursively), single log files, or release files (cifar10.jsonl)."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    sites: Optional[Path] = typer.Option(None, "--sites", help="Sites file (TOML) for every PATH; default: each PATH's own sites.toml (in the folder or at the top of its git repository). A file's site is decided only by an ingest of its own folder."),
    workers: Optional[int] = typer.Option(None, min=1, help="Parser processes (default: one per core)."),
    code_repo: Optional[List[Path]] = typer.Option(None, "--code-repo", help="Git repository of the benchmark's training or evaluation code (repeat for several; also [code] repos in the sites file): fills code_commits; remembered by later ingests."),
    wait: bool = typer.Option(False, "--wait", help="When another ingest is writing the warehouse, wait for it to finish (`--wait SECONDS`: at most that long) instead of stopping; then plan afresh."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Build the warehouse anew from PATH... alone (files of folders not given are dropped) and swap it in when complete; check_params values are kept."),
):
    """Load log files into the warehouse; unchanged files are not read again."""
    from ingest.sites import SitesFileError
    from reports.progress import IngestProgress
    from warehouse import WarehouseError
    from warehouse.swap import Terminated
    from warehouse.update import ingest_paths

    paths, seconds = _wait_seconds(paths, wait)
    progress = IngestProgress() if sys.stderr.isatty() else None
    try:
        summary = ingest_paths(_db(db), paths, sites_file=sites, workers=workers, progress=progress,
                               warn=_note, wait=seconds, rebuild=rebuild, code_repos=code_repo or [])
    except (WarehouseError, SitesFileError) as exc:
        _fail(str(exc))
    except (KeyboardInterrupt, Terminated) as exc:
        _fail(f"ingest interrupted, {_db(db)} is unchanged", code=143 if isinstance(exc, Terminated) else 130)
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(summary.line())


@app.command()
def sql(
    query: str = typer.Argument(..., help="SQL query (read-only: SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN; not EXPLAIN ANALYZE)."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    format: str = typer.Option("table", "--format", help=FORMAT_HELP),
    timeout: float = typer.Option(60.0, "--timeout", min=0, help="Stop the query after this many seconds."),
    max_rows: int = typer.Option(10_000, "--max-rows", min=1, help="Print at most this many rows (stderr says when there were more)."),
):
    """Run a read-only SQL query against the warehouse (no file access; the tool's own views)."""
    from nares import open_warehouse
    from reports.tables import FORMATS, render_rows
    from warehouse import WarehouseError

    if format not in FORMATS:
        _fail(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    try:
        with open_warehouse(_db(db)) as wh:
            result = wh.rows(query, timeout=timeout, max_rows=max_rows)
    except WarehouseError as exc:
        _fail(str(exc))
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(render_rows(result.columns, result.rows, format))
    if result.truncated:
        _note(f"only the first {max_rows} rows are shown: the query returns more (raise --max-rows)")


@app.command()
def verify(db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP)):
    """Check the warehouse without changing it: its integrity invariants, the tool's views, and objects the tool did not create; one line per problem and exit code 1 when there are any."""
    from warehouse import WarehouseError
    from warehouse.verify import verify_warehouse

    try:
        result = verify_warehouse(_db(db))
    except WarehouseError as exc:
        _fail(str(exc))
    for problem in result.problems:
        typer.echo(problem)
    if result.problems:
        raise typer.Exit(code=1)
    typer.echo(result.line())


@app.command()
def check(
    names: Optional[List[str]] = typer.Argument(None, help="Checks to run, e.g. best_epoch duplicate_archs (default: all)."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    format: str = typer.Option("table", "--format", help=FORMAT_HELP),
    details: bool = typer.Option(False, "--details", help="Also print each check's rows, the flagged ones first."),
    max_rows: int = typer.Option(20, "--max-rows", min=0, help="With --details: at most this many rows per check in the table (0: all; json and csv hold every row)."),
    fail_on: bool = typer.Option(False, "--fail-on", help="Exit with code 1 when a check run has findings (for CI)."),
):
    """Run the checks (versioned SQL views): one line per check with its headline figure."""
    from nares import open_warehouse
    from warehouse import WarehouseError
    from reports.tables import render_checks

    try:
        with open_warehouse(_db(db)) as wh:
            report = wh.checks(names, details=details)
        text = render_checks(report, format, details=details, max_rows=max_rows)
    except WarehouseError as exc:
        _fail(str(exc))
    if report.demo:
        _note("the warehouse holds demo data (synthetic logs of `cli.py demo`): its findings were planted")
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(text)
    if fail_on and report.has_findings:
        raise typer.Exit(code=1)


@app.command()
def explain(
    outcome: Optional[str] = typer.Option(None, "--outcome", help="low_accuracy, early_best_epoch or robust_overfitting (default: all three)."),
    max_order: int = typer.Option(3, "--max-order", min=1, max=3, help="Show combinations of at most this many attribute values, numbered again among themselves."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    format: str = typer.Option("table", "--format", help=FORMAT_HELP),
):
    """Rank the attribute combinations that explain the runs that went wrong (check_explain): support, risk ratio and its 95% interval, the attribute that absorbs each."""
    from reports.ranking import explain_ranking
    from warehouse import WarehouseError

    try:
        text, warnings = explain_ranking(_db(db), outcome, max_order, format)
    except WarehouseError as exc:
        _fail(str(exc))
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(text)


@app.command()
def views(
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    format: str = typer.Option("table", "--format", help=FORMAT_HELP),
    dialect: Optional[str] = typer.Option(None, "--dialect", help="Print every view as SQL for spark, trino or postgres instead (sqlglot; no warehouse needed)."),
):
    """List the installed views: versions, what each answers and which tables and views it reads (the table fits the terminal's width: on a narrow one each view's reads, question and changes are wrapped below it)."""
    from nares import open_warehouse
    from reports.tables import FORMATS, render_rows
    from warehouse import WarehouseError

    if dialect is not None:
        from warehouse.dialects import render_dialect

        try:
            typer.echo(render_dialect(dialect), nl=False)
        except WarehouseError as exc:
            _fail(str(exc))
        return
    if format not in FORMATS:
        _fail(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    try:
        with open_warehouse(_db(db)) as wh:
            columns, rows = wh.views_listing()
    except WarehouseError as exc:
        _fail(str(exc))
    typer.echo(render_rows(columns, rows, format, width=shutil.get_terminal_size().columns,
                           wrapped=("reads", "question", "changes")))


def _demo_warehouse(db: Path, corpus: Path = Path("demo-corpus")) -> str:
    """Build the warehouse `db` from the demo corpus (written unless already there); the line to say."""
    from demo import write_demo_repository
    from warehouse.update import ingest_paths

    wrote = not (corpus / "demo_key.json").exists()
    if wrote:
        write_demo_repository(corpus)
    summary = ingest_paths(db, [corpus])
    return (f"no warehouse at {db}: built it from the demo corpus {'written to' if wrote else 'in'} {corpus}/ "
            f"({summary.runs} runs, {summary.evals} evaluations); ingest your logs with `nares ingest`")


@app.command()
def report(
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP + " Built from the demo corpus when it does not exist."),
    out: Path = typer.Option(Path("report"), "--out", help="Folder to write the figures, report.md and index.html into."),
    format: str = typer.Option("png,svg,html", "--format", help="Figure formats, comma-separated: png, svg, html."),
    arch: Optional[List[int]] = typer.Option(None, "--arch", help="Arch id whose training curves to draw (repeat for several; default: the 5 archs trained at two sites that differ most)."),
):
    """Regenerate the analysis from the warehouse: every figure, the lists, report.md and index.html."""
    from nares import open_warehouse
    from reports.build import parse_formats
    from reports.progress import ReportProgress
    from warehouse import WarehouseError

    path = _db(db)
    try:
        formats = parse_formats(format)
        if not path.exists():
            typer.echo(_demo_warehouse(path))
        with open_warehouse(path) as wh:
            result = wh.report(out, formats, arch=arch or None,
                               progress=ReportProgress() if sys.stderr.isatty() else None)
    except (WarehouseError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(result.line())


export_app = typer.Typer(no_args_is_help=True, help="Write the warehouse out: the release file, Parquet, arch-id lists.")
app.add_typer(export_app, name="export")


@export_app.command("release")
def export_release_cmd(
    out: Path = typer.Argument(..., help="Release file to write (JSON lines, SPEC section 6), e.g. cifar10.jsonl."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    exclude_check: Optional[List[str]] = typer.Option(None, "--exclude-check", help="Leave out the runs this check flags (repeat for several)."),
):
    """Write the release format (one JSON object per arch) that the benchmark's loader reads."""
    from warehouse import WarehouseError
    from warehouse.export import export_release

    try:
        result = export_release(_db(db), out, exclude_check or [])
    except WarehouseError as exc:
        _fail(str(exc))
    typer.echo(result.line())


@export_app.command("parquet")
def export_parquet_cmd(
    out: Path = typer.Argument(..., help="Folder to write <table>/[site=<site>/]*.parquet and _meta/schema.json into."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier export in that folder (one with _meta/schema.json), once the new one is complete."),
):
    """Write every table as Parquet, partitioned by site, for Spark, Trino, Polars or another DuckDB."""
    from warehouse import WarehouseError
    from warehouse.export import export_parquet

    try:
        result = export_parquet(_db(db), out, overwrite=overwrite)
    except WarehouseError as exc:
        _fail(str(exc))
    typer.echo(result.line())


@export_app.command("arch-list")
def export_arch_list_cmd(
    check: str = typer.Option(..., "--check", help="Check whose flagged archs to list, e.g. best_epoch."),
    site: Optional[str] = typer.Option(None, "--site", help="Only archs flagged at this site."),
    out: Optional[Path] = typer.Option(None, "--out", help="File to write (default: standard output)."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
):
    """Write the arch ids a check flags, one per line: the input of the benchmark's retrain scripts."""
    from warehouse import WarehouseError
    from warehouse.export import write_arch_list

    try:
        text, n = write_arch_list(_db(db), check, out, site)
    except WarehouseError as exc:
        _fail(str(exc))
    if out is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"wrote {n} arch ids -> {out}", err=True)


def main() -> None:
    """Run the app; SIGTERM during a write (a reading command migrating an older file) ends with
    one line, like an interrupted ingest: the write unwound and left the old file."""
    from warehouse.swap import Terminated

    try:
        app()
    except Terminated:
        typer.echo("error: stopped by SIGTERM; the warehouse is unchanged", err=True)
        sys.exit(143)


if __name__ == "__main__":
    main()
