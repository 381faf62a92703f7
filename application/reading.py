"""One read-only snapshot of a warehouse: the checks, the views and SQL as polars DataFrames, the
report's figures as Altair charts. nares.py re-exports it as the Python API, and the CLI's `sql`,
`check`, `views` and `report` read through it (application/commands.py), so a script sees exactly
what the command prints.

A Warehouse holds one read-only connection (warehouse/query.py `open_for_reading`, the one reading
policy: file access off, the tool's own views, an older file migrated first): one consistent
snapshot, which a later ingest does not change; open the warehouse again to see it.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from warehouse import WarehouseError, default_db_path
from warehouse.checks import CheckReport, installed_checks, run_checks
from warehouse.query import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    QueryResult,
    open_for_reading,
    query_connection,
    query_rows,
    views_warning,
)
from warehouse.results import KeptResults
from warehouse.viewfiles import check_query_views, view_paths
from warehouse.views import list_views

if TYPE_CHECKING:  # drawing and polars load in ~1.5 s: only the methods that need them import them
    import altair as alt
    import polars as pl

    from reports.build import Progress, ReportResult
    from reports.data import ReportData
    from reports.figures import Figure

def open_warehouse(path: Path | str | None = None) -> "Warehouse":
    """Open the warehouse at `path` (default: $RNB_DB, else ./robustnasbench.duckdb) read-only."""
    return Warehouse(Path(path) if path is not None else default_db_path())


def tool_view_names() -> set[str]:
    """Every view the tool installs, by its plain and its versioned name (from the tool's own sql/,
    never from the file: the name goes into SQL text)."""
    names = set()
    for name, version, _, _ in view_paths():
        names.update((name, f"{name}_v{version}"))
    return names | set(check_query_views())


def _polars(con, query: str) -> pl.DataFrame:
    """A query's rows as a polars frame, through Arrow without a copy (`con.sql`; a DB-API result
    would copy the rows). DuckDB 2 refuses `con.sql` while an earlier `execute` has rows left
    unread (a `fetchone`): a statement without rows ends that result first."""
    import polars  # noqa: F401  (`.pl()` needs it)

    con.execute("set enable_progress_bar = false")
    return con.sql(query).pl()


class Warehouse:
    """One read-only snapshot of a warehouse file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.con = open_for_reading(self.path)
        self.kept = KeptResults(self.con, self.path)
        """Results of checks and report queries kept between commands (warehouse/results.py)."""
        self._data: ReportData | None = None

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    @property
    def warnings(self) -> list[str]:
        """A warning when the file's own views differ from the tool's (the tool runs its own)."""
        return views_warning(self.con)

    @property
    def data(self) -> ReportData:
        """The report's rows over this connection, cached: figures and the report read through it."""
        if self._data is None:
            from reports.data import ReportData

            self._data = ReportData(self.con, self.kept)
        return self._data

    # --- SQL -----------------------------------------------------------------------------------

    def sql(self, query: str, timeout: float | None = None) -> pl.DataFrame:
        """The result of a read-only query (only queries run: the policy of `nares sql`, which
        refuses anything else with WarehouseError); `timeout` seconds stop it (None: no limit)."""
        return query_connection(self.con, query, _polars, timeout)

    def rows(self, query: str, timeout: float | None = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS) -> QueryResult:
        """A read-only query's columns and at most `max_rows` rows as Python values: `nares sql`."""
        return query_rows(self.con, query, timeout, max_rows)

    def view(self, name: str) -> pl.DataFrame:
        """All rows of one of the tool's views, e.g. `run_summary` or `check_best_epoch_v1`."""
        known = tool_view_names()
        if name not in known:
            current = sorted(n for n in known if not n[-1].isdigit())
            raise WarehouseError(f"no view named {name!r}: choose from {', '.join(current)}")
        return self.sql(f"select * from {name}")

    def views_listing(self) -> tuple[list[str], list[tuple]]:
        """The installed views, their versions, questions and what they read: `nares views`."""
        return list_views(self.con)

    # --- checks --------------------------------------------------------------------------------

    def check(self, name: str) -> pl.DataFrame:
        """The rows of a check view (`best_epoch` or `check_best_epoch`): what the check flags and why."""
        name = name.removeprefix("check_")
        if name not in installed_checks():
            raise WarehouseError(f"no check named {name!r}: choose from {', '.join(installed_checks())}")
        return self.sql(f"select * from check_{name}")

    def checks(self, names: list[str] | None = None, details: bool = False) -> CheckReport:
        """Every check's (or the named ones') headline and findings: `nares check`."""
        return run_checks(self.con, names, details, kept=self.kept)

    # --- figures and the report ----------------------------------------------------------------

    def figures(self, arch: list[int] | None = None) -> list[Figure]:
        """Every figure of the report (name, Altair chart, caption, the rows it draws)."""
        from reports.build import collect_figures
        from reports.figures import Context

        return collect_figures(self.data, Context.from_data(self.data, curve_archs=arch))

    def figure(self, name: str, arch: list[int] | None = None) -> alt.TopLevelMixin:
        """The Altair chart of one figure of the report, e.g. `best_epoch_msu` (names: `nares report`'s
        files, or `[f.name for f in wh.figures()]`); `arch` picks the archs of the curve figures."""
        figures = self.figures(arch)
        for figure in figures:
            if figure.name == name:
                return figure.chart
        raise WarehouseError(f"no figure named {name!r} in this warehouse: choose from {', '.join(f.name for f in figures)}")

    def report(self, out: Path | str = "report", formats: tuple[str, ...] | None = None,
               arch: list[int] | None = None, progress: Progress | None = None) -> ReportResult:
        """Write every figure, the lists, report.md and index.html into `out`: `nares report`."""
        from reports.build import build_report
        from reports.render import FORMATS

        return build_report(self.data, self.path, Path(out), formats or FORMATS, curve_archs=arch, progress=progress)
