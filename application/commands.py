"""What each command of the CLI does: one function per command, called by cli.py with the
command's options, returning the lines it prints (application/output.py `Output`).

Each one imports and opens what it needs, when it runs (a command loads only its own modules),
through the layers below (warehouse/ and reports/; reading always
through application/reading.py or warehouse/query.py `open_for_reading`, the one reading policy)
and raises `UserError` for anything the user can act on: cli.py prints that as one line.
"""
from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from typing import Callable

from application.errors import Terminated
from application.output import Output, check_format, note_line, render_checks
from ingest.errors import UserError
from reports.tables import render_rows
from warehouse import default_db_path

DEMO_NOTE = "the warehouse holds demo data (synthetic logs of `nares demo`): its findings were planted"


def db_path(db: Path | None) -> Path:
    """The warehouse file: `--db`, else $RNB_DB, else robustnasbench.duckdb in the working folder."""
    return db if db is not None else default_db_path()


def wait_seconds(paths: list[Path], wait: bool) -> tuple[list[Path], float | None]:
    """`--wait [SECONDS]`: Typer options cannot take an optional value, so the number arrives among
    the paths (`ingest --wait 30 logs/`): a plain number that names nothing on disk is the limit."""
    if not wait:
        return paths, None
    numbers = [p for p in paths if re.fullmatch(r"\d+(\.\d*)?", str(p)) and not p.exists()]
    if len(numbers) > 1:
        raise UserError(f"--wait takes one number of seconds, got {', '.join(map(str, numbers))}")
    rest = [p for p in paths if p not in numbers]
    if not rest:
        raise UserError("no folder or file to ingest")
    return rest, float(str(numbers[0])) if numbers else math.inf


def demo(out: Path, archs: int, epochs: int, seed: int, overwrite: bool, cause: str = "precision_path") -> Output:
    from demo import write_demo_repository

    try:
        summary = write_demo_repository(out, archs=archs, epochs=epochs, seed=seed, overwrite=overwrite, cause=cause)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return Output().out(summary.describe())


def ingest(paths: list[Path], db: Path | None, sites: Path | None, workers: int | None, code_repos: list[Path],
           wait: bool, rebuild: bool, show_progress: bool, say: Callable[[str], None]) -> Output:
    """`nares ingest`: `say` prints a line on stderr at once (a wait for another ingest's lock);
    an interrupt (Ctrl-C, SIGTERM) ends with one line: the warehouse is unchanged."""
    from warehouse.pipeline import ingest_paths

    paths, seconds = wait_seconds(paths, wait)
    progress = None
    if show_progress:
        from reports.progress import IngestProgress

        progress = IngestProgress()
    headlines = KeptHeadlines()
    try:
        summary = ingest_paths(db_path(db), paths, sites_file=sites, workers=workers, progress=progress,
                               warn=lambda message: say(note_line(message)), wait=seconds, rebuild=rebuild,
                               code_repos=code_repos, after_commit=headlines.keep)
    except (KeyboardInterrupt, Terminated) as exc:
        raise UserError(f"ingest interrupted, {db_path(db)} is unchanged",
                        exit_code=143 if isinstance(exc, Terminated) else 130) from None
    output = Output().warn(*summary.warnings).out(summary.line())
    if headlines.interrupted:
        output.note("interrupted while computing the check headlines; the ingest is complete")
        output.exit_code = 130
    return output


class KeptHeadlines:
    """Every check's headline, computed on the new version an ingest wrote, with the connection
    that wrote it, and kept (warehouse/results.py) for the `check` and `report` after it. A check
    that fails here is not kept: `nares check` runs it again and says why. An interrupt stops
    only this: the ingest goes on to replace the warehouse."""

    def __init__(self) -> None:
        self.interrupted = False

    def keep(self, con, kept) -> None:
        import duckdb

        from warehouse.checks import run_checks

        try:
            run_checks(con, kept=kept)
        except (UserError, duckdb.Error):
            pass
        except KeyboardInterrupt:
            self.interrupted = True


def sql(query: str, db: Path | None, fmt: str, timeout: float, max_rows: int) -> Output:
    from application.reading import open_warehouse

    check_format(fmt)
    with open_warehouse(db_path(db)) as wh:
        result = wh.rows(query, timeout=timeout, max_rows=max_rows)
    output = Output().warn(*result.warnings).out(render_rows(result.columns, result.rows, fmt))
    if result.truncated:
        output.note(f"only the first {max_rows} rows are shown: the query returns more (raise --max-rows)")
    return output


def verify(db: Path | None) -> Output:
    from warehouse.verify import verify_warehouse

    result = verify_warehouse(db_path(db))
    output = Output()
    for problem in result.problems:
        output.out(problem)
    if result.problems:
        output.exit_code = 1
    else:
        output.out(result.line())
    return output


def check(names: list[str] | None, db: Path | None, fmt: str, details: bool, max_rows: int, fail_on: bool) -> Output:
    from application.reading import open_warehouse

    with open_warehouse(db_path(db)) as wh:
        report = wh.checks(names, details=details)
    text = render_checks(report, fmt, details=details, max_rows=max_rows)
    output = Output()
    if report.demo:
        output.note(DEMO_NOTE)
    output.warn(*report.warnings).out(text)
    if fail_on and report.has_findings:
        output.exit_code = 1
    return output


def explain(outcome: str | None, max_order: int, db: Path | None, fmt: str) -> Output:
    from reports.ranking import explain_ranking

    text, warnings = explain_ranking(db_path(db), outcome, max_order, fmt)
    return Output().warn(*warnings).out(text)


def views(db: Path | None, fmt: str, dialect: str | None) -> Output:
    if dialect is not None:
        from warehouse.dialects import render_dialect

        return Output().out(render_dialect(dialect), newline=False)
    from application.reading import open_warehouse

    check_format(fmt)
    with open_warehouse(db_path(db)) as wh:
        columns, rows = wh.views_listing()
    return Output().out(render_rows(columns, rows, fmt, width=shutil.get_terminal_size().columns,
                                    wrapped=("reads", "question", "changes")))


def _make_caches_meanwhile(html: bool) -> None:
    """A report with no warehouse yet (the README's first command) writes the demo corpus on one
    core; meanwhile a second process makes, or finds made, the cache folder's files of this tool
    version that the command needs later (warehouse/cache.py `make_meanwhile`), in the order they
    are needed: the empty warehouse (the ingest), the renderings of the tool's tables and views
    (reading it), the Vega bundle of the HTML pages. Each is ~1-2 s of a core on a machine whose
    cache folder is empty (a newcomer's), and nothing to make on one whose cache holds them."""
    from reports.render import vega_bundle
    from warehouse.cache import make_meanwhile
    from warehouse.connect import tool_table_statements
    from warehouse.template import empty_warehouse
    from warehouse.trust import tool_view_definitions

    make_meanwhile([empty_warehouse, tool_table_statements, tool_view_definitions] + ([vega_bundle] if html else []))


def demo_warehouse(db: Path, corpus: Path = Path("demo-corpus")) -> str:
    """Build the warehouse `db` from the demo corpus (written unless already there); the line to say."""
    from demo import write_demo_repository
    from warehouse.pipeline import ingest_paths

    wrote = not (corpus / "demo_key.json").exists()
    if wrote:
        write_demo_repository(corpus)
    summary = ingest_paths(db, [corpus])
    return (f"no warehouse at {db}: built it from the demo corpus {'written to' if wrote else 'in'} {corpus}/ "
            f"({summary.runs} runs, {summary.evals} evaluations); ingest your logs with `nares ingest`")


def report(db: Path | None, out: Path, formats: str, arch: list[int] | None, show_progress: bool,
           say: Callable[[str], None]) -> Output:
    """`nares report`: `say` prints the line of a warehouse built from the demo corpus at once."""
    from application.reading import open_warehouse
    from reports.build import parse_formats

    path = db_path(db)
    progress = None
    if show_progress:
        from reports.progress import ReportProgress

        progress = ReportProgress()
    try:
        chosen = parse_formats(formats)
        if out.exists() and not out.is_dir():
            raise UserError(f"{out} exists and is not a folder: choose another folder for the report (--out)")
        if not path.exists():
            _make_caches_meanwhile(html="html" in chosen)
            say(demo_warehouse(path))
        with open_warehouse(path) as wh:
            result = wh.report(out, chosen, arch=arch or None, progress=progress)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # the report folder cannot be made or written: read-only, full, ...
        where = f"{exc.filename}: " if exc.filename and str(exc.filename) != str(out) else ""
        raise UserError(f"cannot write the report into {out}: {where}{exc.strerror or exc}") from None
    except KeyboardInterrupt:
        raise UserError(f"report interrupted: {out}/ may hold some figures of this report beside the last one's, "
                        "each file whole; run the report again to finish it", exit_code=130) from None
    return Output().out(result.line())


def export_release(out: Path, db: Path | None, exclude_checks: list[str]) -> Output:
    """The summary line goes to stderr when the release itself went to a stream (`-`, a pipe):
    it is not a line of the release."""
    from ingest.write import writes_through
    from warehouse.export import export_release

    line = export_release(db_path(db), out, exclude_checks).line()
    return Output().err(line) if writes_through(out) else Output().out(line)


def export_parquet(out: Path, db: Path | None, overwrite: bool) -> Output:
    from warehouse.export import export_parquet

    return Output().out(export_parquet(db_path(db), out, overwrite=overwrite).line())


def export_arch_list(check: str, site: str | None, out: Path | None, db: Path | None) -> Output:
    from ingest.write import target_name
    from warehouse.export import write_arch_list

    text, n = write_arch_list(db_path(db), check, out, site)
    if out is None:
        return Output().out(text, newline=False)
    return Output().err(f"wrote {n} arch ids -> {target_name(out)}")
