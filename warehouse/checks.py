"""The checks of SPEC section 5 as one line each: `cli.py check` and CI of the benchmark itself.

Each installed check view `check_<name>` has a `sql/checks/<name>/headline.sql` next to its
versions, installed as the view `check_<name>_headline`: one row, `(headline, findings)`, e.g.

    best_epoch: MSU 61% early (73/120) vs SUSTech 4% (7/180)        findings = 80

`findings` counts what the check flags (early runs, archs trained twice, bands, ...); `--fail-on`
turns findings into exit code 1. A headline file's `-- flagged: <condition>` line says which rows of
the view are the flagged ones (`early`, `flagged`, `verdict = 'different'`): `--details` lists them
first, so that a cut table still shows them. All numbers come from SQL; this module only runs and
formats it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseError
from warehouse.query import on_cursors, open_for_reading, views_warning
from warehouse.registry import checks
from warehouse.results import KeptResults
from warehouse.sqlfiles import leading_comments
from warehouse.viewfiles import (
    SQL_DIR,
    read_check_query,
    read_headline,
    read_view_file,
    shared_helpers,
    tables_reached,
    views_reached,
)

FLAG_LINE = "-- flagged: "


@dataclass
class CheckResult:
    """One check: its headline figure and, on request, its rows."""

    name: str
    view: str
    headline: str
    findings: int
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    n_flagged: int | None = None
    """Of `rows`, the flagged ones (listed first); None when the check has no `-- flagged:` line
    (every row is a finding, or none is one row's)."""

    def line(self) -> str:
        return f"{self.name}: {self.headline}"


@dataclass
class CheckReport:
    results: list[CheckResult]
    warnings: list[str]
    demo: bool = False
    """The warehouse holds files of a folder whose sites file marks them synthetic (the demo corpus)."""

    @property
    def has_findings(self) -> bool:
        return any(r.findings for r in self.results)


def installed_checks(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """check name (without check_) -> the view version check_<name> points at.

    Taken from the check registry (warehouse/registry.py: the folders of the tool's own
    `sql/checks/`), never from the file: names read from a warehouse file would end up in SQL text
    (`select * from check_<name>`). `con` is not needed any more (kept for callers)."""
    return {c.name: c.newest_view for c in checks()}


def _requires(view: str, sql_dir: Path = SQL_DIR) -> tuple[str, ...]:
    """The `requires` header line of a check view version, from its file."""
    name, _, version = view.rpartition("_v")
    path = sql_dir / "checks" / name.removeprefix("check_") / f"v{version}.sql"
    return read_view_file(path, name, int(version), "check").header.requires


def missing_inputs(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    """The columns a check's header `requires` that no row of this warehouse holds (a release file
    has no lr, settings, log timestamps or sites): such a check cannot run."""
    missing = []
    for item in _requires(view):
        table, column = item.split(".")
        known = " and site <> 'unknown'" if column == "site" else ""
        # table and column come from the header of the tool's own view file (checked as table.column)
        present = f"select count(*) from (select 1 from {table} where {column} is not null{known} limit 1)"
        if not con.execute(present).fetchone()[0]:
            missing.append(item)
    return missing


_SITE = "runs.site"


def cannot_run_line(missing: list[str], anything_loaded: bool = True, runs_loaded: bool = True) -> str:
    """The headline of a check whose required columns (`table.column`) no row holds, with the usual
    cause: nothing ingested yet; else for no known site, no sites file that names the logs' authors
    or paths; for the other columns, no training log (evaluations only), or a release file (it has
    none of them)."""
    if not anything_loaded:
        return f"cannot run: no row holds {', '.join(missing)} (no runs or evaluations yet: no logs ingested)"
    causes = []
    if others := [item for item in missing if item != _SITE]:
        why = "e.g. a warehouse loaded from a release file" if runs_loaded else "no training log: evaluations only"
        causes.append(f"{', '.join(others)} ({why})")
    if _SITE in missing:
        causes.append(f"{_SITE} (no run of a known site: ingest with a sites file, --sites F or a sites.toml in the folder)")
    return f"cannot run: no row holds {'; '.join(causes)}"


def _loaded(con: duckdb.DuckDBPyConnection) -> tuple[bool, bool]:
    """(any run or evaluation, any run)."""
    runs, evals = con.execute("select exists (select 1 from runs), exists (select 1 from evals)").fetchone()
    return bool(runs or evals), bool(runs)


def flag_condition(name: str, sql_dir: Path = SQL_DIR) -> str | None:
    """The `-- flagged:` condition of a check's headline file (the tool's own file), or None."""
    for _, line in leading_comments(read_check_query(name, "headline", sql_dir).sql):
        if line.startswith(FLAG_LINE):
            return line.removeprefix(FLAG_LINE).strip()
    return None


def detail_rows(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list[str], list[tuple], int | None]:
    """The view's rows, flagged ones first (each group in the view's own order), and how many are flagged."""
    condition = flag_condition(name)
    # `name` is a registered check (warehouse/registry.py), `condition` a line of its own headline file
    if condition is None:
        cursor = con.execute(f"select * from check_{name}")
        return [d[0] for d in cursor.description], cursor.fetchall(), None
    cursor = con.execute(f"select coalesce(({condition}), false) as flagged_first, * from check_{name}")
    rows = cursor.fetchall()
    flagged = [row[1:] for row in rows if row[0]]
    return [d[0] for d in cursor.description][1:], flagged + [row[1:] for row in rows if not row[0]], len(flagged)


def run_check(con: duckdb.DuckDBPyConnection, name: str, view: str, details: bool = False) -> CheckResult:
    try:
        missing = missing_inputs(con, view)
        if missing:
            headline = cannot_run_line(missing, *_loaded(con))
            return CheckResult(name=name, view=view, headline=headline, findings=0)
        headline, findings = con.execute(read_headline(name)).fetchone()
        result = CheckResult(name=name, view=view, headline=headline, findings=int(findings or 0))
        if details:
            result.columns, result.rows, result.n_flagged = detail_rows(con, name)
    except duckdb.Error as exc:
        raise WarehouseError(f"check {name} failed: {str(exc).splitlines()[0]}") from None
    return result


CHECK_THREADS = 2
"""Checks run at once, each on its own cursor: one check's SQL keeps about one core busy, and the
benchmark's machine has two."""


def check_keys(kept: KeptResults, views: dict[str, str]) -> dict[str, str | None]:
    """The keys of the checks' headlines among the kept results (warehouse/results.py), for
    check name -> its view: what the view reads in the end, and the tables its header `requires`."""
    reads = tables_reached([[view] for view in views.values()])
    return {name: kept.key(f"check:{name}", read_headline(name), None,
                           tables | {item.split(".")[0] for item in _requires(view)}, __file__)
            for (name, view), tables in zip(views.items(), reads)}


def kept_check(kept: KeptResults, key: str | None, name: str, view: str) -> CheckResult | None:
    """The headline of check `name` (view `view`) kept under `key`, or None."""
    value = kept.get(key)
    if isinstance(value, dict) and isinstance(value.get("headline"), str) and type(value.get("findings")) is int:
        return CheckResult(name=name, view=view, headline=value["headline"], findings=value["findings"])
    return None


def keep_check(kept: KeptResults, key: str | None, result: CheckResult) -> None:
    kept.put(key, {"headline": result.headline, "findings": result.findings})


def run_checks(con: duckdb.DuckDBPyConnection, names: list[str] | None = None, details: bool = False,
               threads: int = CHECK_THREADS, kept: KeptResults | None = None) -> CheckReport:
    """Run the named checks (all when none are named); results in the order given. With `kept`
    (and without `details`), a headline whose inputs did not change since it was computed is read
    from the kept results, and one computed is kept there."""
    available = installed_checks(con)
    wanted = [n.removeprefix("check_") for n in names] if names else list(available)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise WarehouseError(f"no check named {', '.join(unknown)}: choose from {', '.join(available)}")
    con.execute("set enable_progress_bar = false")
    keys = check_keys(kept, {name: available[name] for name in wanted}) if kept is not None and not details else {}
    results = {name: found for name in keys
               if (found := kept_check(kept, keys[name], name, available[name])) is not None}
    to_run = [name for name in wanted if name not in results]
    # the helper views several checks read (run_summary, run_neighbours, ...) are computed once
    readers = [[available[name]] for name in to_run]
    helpers = shared_helpers(readers)
    # the checks that compute the most views of their own start first, so that the slowest
    # (check_explain) does not start last and run alone at the end
    own_views = {name: len(seen - set(helpers)) for name, seen in zip(to_run, views_reached(readers))}
    started = sorted(to_run, key=lambda name: -own_views[name])
    computed = on_cursors(con, lambda cursor, name: run_check(cursor, name, available[name], details),
                          started, threads, helpers)
    for name, result in zip(started, computed):
        results[name] = result
        if name in keys:
            keep_check(kept, keys[name], result)
    return CheckReport([results[name] for name in wanted], views_warning(con) + root_problems(con), holds_demo_data(con))


def root_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What kept the sites file or the git history of a folder in the warehouse from being used at
    its last ingest (roots.sites_problem, roots.git_problem): the checks by site rest on the sites
    decided then, so they say it."""
    rows = con.execute("select root, sites_problem, git_problem from roots where (sites_problem is not null "
                       "or git_problem is not null) and root in (select root from files) order by root").fetchall()
    return [line for root, sites, git in rows for line in (
        f"{root}: its sites file could not be used at its last ingest: {sites}" if sites else None,
        f"{root}: its git history could not be read at its last ingest: {git}" if git else None) if line]


def holds_demo_data(con: duckdb.DuckDBPyConnection) -> bool:
    """True when files of a folder whose sites file says `[demo] synthetic = true` are in the warehouse."""
    return bool(con.execute(
        "select count(*) from roots where synthetic and root in (select root from files)").fetchall()[0][0])


def check_warehouse(db: Path, names: list[str] | None = None, details: bool = False) -> CheckReport:
    """Open the warehouse read-only and run the checks: what `cli.py check` calls."""
    con = open_for_reading(db)
    try:
        return run_checks(con, names, details, kept=KeptResults(con, db))
    finally:
        con.close()
