"""Command line of the RobustNASBench log warehouse.

Only the wiring of Typer to the application layer: each command passes its options to its function
in application/commands.py and prints the lines it returns. A UserError (ingest/errors.py), SIGTERM
during a write, Ctrl-C or a file the command cannot read or write ends any command with one line on stderr
and a non-zero exit, printed in one place (`Commands.invoke`, which `main` and Typer's test runner
both go through); a reader that closed the pipe early ends it quietly (exit code 141).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup


class Commands(TyperGroup):
    """The command group, catching what ends a command with one line: the one place that does."""

    def invoke(self, ctx):
        from application.errors import INTERRUPTED, SIGPIPE_EXIT, STOPPED, Terminated, UserError, file_error
        from application.output import stdout_to_devnull

        try:
            return super().invoke(ctx)
        except UserError as exc:
            _fail(exc)
        except Terminated:
            _fail(STOPPED)
        except BrokenPipeError:  # the reader stopped early (`nares ... | head`): quiet, as `cat` is
            stdout_to_devnull()
            raise typer.Exit(code=SIGPIPE_EXIT) from None
        except OSError as exc:  # an output path that is a folder, a missing or read-only folder, ...
            _fail(file_error(exc))
        except KeyboardInterrupt:  # Ctrl-C in a command that says nothing more of it (ingest and report do)
            _fail(INTERRUPTED)


app = typer.Typer(
    cls=Commands,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    help="RobustNASBench (NARes) logs as a DuckDB warehouse: ingest, check, report.",
)

DB_HELP = "Warehouse file (default: $RNB_DB, else robustnasbench.duckdb in the working folder)."
FORMAT_HELP = "Output format: table, json or csv."


def _fail(error) -> None:
    """One line on stderr and the error's exit code."""
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=error.exit_code)


def _show(output) -> None:
    """Print a command's lines (application/output.py `Output`) in order; exit with its code."""
    from application.output import write_stdout

    for text, to_stderr, newline in output.parts:
        if to_stderr:
            typer.echo(text, err=True, nl=newline)
        else:
            write_stdout(text + "\n" if newline else text)
    if output.exit_code:
        raise typer.Exit(code=output.exit_code)


def _stderr(line: str) -> None:
    typer.echo(line, err=True)


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-corpus"), help="Folder to write the log repository into."),
    archs: int = typer.Option(300, min=1, max=15625, help="Number of architectures to train."),
    epochs: int = typer.Option(100, min=4, help="Epochs per training run (the real benchmark: 100)."),
    seed: int = typer.Option(0, help="Random seed: the same seed writes the same bytes and commits."),
    overwrite: bool = typer.Option(False, "--overwrite", help=(
        "Replace the folder when it is an earlier demo corpus (it holds demo_key.json); any other "
        "folder that is not empty is left as it is.")),
    cause: str = typer.Option("precision_path", help=(
        "What makes the low runs low: precision_path (the benchmark's story: the native-AMP path that never unscales), "
        "gpu (the runs of one GPU model at MSU, on any path) or none (no cause: the same runs, none made low).")),
):
    """Write a synthetic log repository (git, two sites) that shows every finding (--cause: of another cause, or none)."""
    from application import commands

    _show(commands.demo(out, archs, epochs, seed, overwrite, cause))


@app.command()
def ingest(
    paths: List[Path] = typer.Argument(..., help=(
        "Log folders (searched recursively), single log files, or release files (cifar10.jsonl).")),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    sites: Optional[Path] = typer.Option(None, "--sites", help=(
        "Sites file (TOML) for every PATH; default: each PATH's own sites.toml (in the folder or at the top of its git "
        "repository). A file's site is decided only by an ingest of its own folder. One that cannot be read or parsed is "
        "one warning: the folder keeps the sites it had (roots.sites_problem says why).")),
    workers: Optional[int] = typer.Option(
        None, min=1, help="Parser processes (default: one per core; under 8 MB of logs to read, none: this process reads them)."),
    code_repo: Optional[List[Path]] = typer.Option(None, "--code-repo", help=(
        "Git repository of the benchmark's training or evaluation code, a clone or a bare mirror (repeat for several; "
        "also \\[code] repos in the sites file): fills code_commits; its commits stay for later ingests, "
        "read again when named.")),
    wait: bool = typer.Option(False, "--wait", help=(
        "When another ingest is writing the warehouse, wait for it to finish (`--wait SECONDS`: at most that long) "
        "instead of stopping; then plan afresh.")),
    rebuild: bool = typer.Option(False, "--rebuild", help=(
        "Build the warehouse anew from PATH... alone (files of folders not given are dropped) and swap it in when "
        "complete; check_params values are kept.")),
):
    """Load log files into the warehouse; unchanged files are not read again.

    After a change, every check's headline is computed and kept for the next `check`."""
    from application import commands

    _show(commands.ingest(paths, db, sites, workers, code_repo or [], wait, rebuild, sys.stderr.isatty(), _stderr))


@app.command()
def sql(
    query: str = typer.Argument(..., help=(
        "SQL query (read-only: SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN; not EXPLAIN ANALYZE).")),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    format: str = typer.Option("table", "--format", help=FORMAT_HELP),
    timeout: float = typer.Option(60.0, "--timeout", min=0, help="Stop the query after this many seconds."),
    max_rows: int = typer.Option(10_000, "--max-rows", min=1, help=(
        "Print at most this many rows (stderr says when there were more).")),
):
    """Run a read-only SQL query against the warehouse (no file access; the tool's own views)."""
    from application import commands

    _show(commands.sql(query, db, format, timeout, max_rows))


@app.command()
def verify(db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP)):
    """Check the warehouse without changing it; exit code 1 when it finds a problem.

    It checks the integrity invariants, the tool's views, and objects the tool did not create: one line per problem."""
    from application import commands

    _show(commands.verify(db))


@app.command()
def check(
    names: Optional[List[str]] = typer.Argument(None, help="Checks to run, e.g. best_epoch duplicate_archs (default: all)."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    format: str = typer.Option("table", "--format", help=FORMAT_HELP),
    details: bool = typer.Option(False, "--details", help="Also print each check's rows, the flagged ones first."),
    max_rows: int = typer.Option(20, "--max-rows", min=0, help=(
        "With --details: at most this many rows per check in the table (0: all; json and csv hold every row).")),
    fail_on: bool = typer.Option(False, "--fail-on", help="Exit with code 1 when a check run has findings (for CI)."),
):
    """Run the checks (versioned SQL views): one line per check with its headline figure."""
    from application import commands

    _show(commands.check(names, db, format, details, max_rows, fail_on))


@app.command()
def explain(
    outcome: Optional[str] = typer.Option(None, "--outcome", help=(
        "low_accuracy, early_best_epoch or robust_overfitting (default: all three).")),
    max_order: int = typer.Option(3, "--max-order", min=1, max=3, help=(
        "Show combinations of at most this many attribute values, numbered again among themselves.")),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    format: str = typer.Option("table", "--format", help=FORMAT_HELP),
):
    """Rank the attribute combinations that explain the runs that went wrong (check_explain).

    Each comes with its support, risk ratio and 95% interval, and the attribute that absorbs it (a confounder).

    Its chance: how often chance alone gives one as strong among all the combinations tried."""
    from application import commands

    _show(commands.explain(outcome, max_order, db, format))


@app.command()
def views(
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    format: str = typer.Option("table", "--format", help=FORMAT_HELP),
    dialect: Optional[str] = typer.Option(None, "--dialect", help=(
        "Print every view as SQL for spark, trino or postgres instead (sqlglot; no warehouse needed).")),
):
    """List the installed views: versions, what each answers and which tables and views it reads.

    The table fits the terminal's width: on a narrow one each view's reads, question and changes are wrapped below it."""
    from application import commands

    _show(commands.views(db, format, dialect))


@app.command()
def report(
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP + " Built from the demo corpus when it does not exist."),
    out: Path = typer.Option(Path("report"), "--out", help="Folder to write the figures, report.md and index.html into."),
    format: str = typer.Option("png,svg,html", "--format", help="Figure formats, comma-separated: png, svg, html."),
    arch: Optional[List[int]] = typer.Option(None, "--arch", help=(
        "Arch id whose training curves to draw (repeat for several; default: the 5 archs trained at two sites that "
        "differ most).")),
):
    """Regenerate the analysis from the warehouse: every figure, the lists, report.md and index.html."""
    from application import commands

    _show(commands.report(db, out, format, arch, sys.stderr.isatty(), typer.echo))


export_app = typer.Typer(no_args_is_help=True, help="Write the warehouse out: the release file, Parquet, arch-id lists.")
app.add_typer(export_app, name="export")


@export_app.command("release")
def export_release_cmd(
    out: Path = typer.Argument(..., help=(
        "Release file to write (JSON lines, SPEC section 6), e.g. cifar10.jsonl; - for standard output "
        "(the summary line then goes to stderr).")),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    exclude_check: Optional[List[str]] = typer.Option(None, "--exclude-check", help=(
        "Leave out the runs this check flags (repeat for several).")),
):
    """Write the release format (one JSON object per arch) that the benchmark's loader reads."""
    from application import commands

    _show(commands.export_release(out, db, exclude_check or []))


@export_app.command("parquet")
def export_parquet_cmd(
    out: Path = typer.Argument(..., help="Folder to write <table>/\\[site=<site>/]*.parquet and _meta/schema.json into."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help=(
        "Replace an earlier export in that folder (one with _meta/schema.json), once the new one is complete.")),
):
    """Write every table as Parquet, partitioned by site, for Spark, Trino, Polars or another DuckDB."""
    from application import commands

    _show(commands.export_parquet(out, db, overwrite))


@export_app.command("arch-list")
def export_arch_list_cmd(
    check: str = typer.Option(..., "--check", help="Check whose flagged archs to list, e.g. best_epoch."),
    site: Optional[str] = typer.Option(None, "--site", help="Only archs flagged at this site."),
    out: Optional[Path] = typer.Option(None, "--out", help="File to write (default: standard output)."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
):
    """Write the arch ids a check flags, one per line: the input of the benchmark's retrain scripts."""
    from application import commands

    _show(commands.export_arch_list(check, site, out, db))


def main() -> None:
    """Run the app (installed as the `nares` command)."""
    app()


if __name__ == "__main__":
    main()
