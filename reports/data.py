"""What the figures read: the report queries of `sql/report/` and the check views, as plain rows.

Every figure reads through one `ReportData` over one read-only connection, so a report is a
consistent snapshot and each query runs once however many figures use it. Rows come back as dicts
of JSON-ready values (datetimes as `YYYY-MM-DD HH:MM` text, NaN as None) because they go straight
into Vega-Lite specs, where only JSON survives:

    data = ReportData(open_for_reading(db))
    data.rows("report_sites")[0]["site"]          # 'SUSTech'
    data.rows("arch_curves", arch_ids=[6009])     # a query with a $arch_ids parameter
    data.view("check_duplicate_paired")           # select * from a view
"""
from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import duckdb

from warehouse.checks import CheckResult, check_keys, installed_checks, keep_check, kept_check, run_check
from warehouse.errors import WarehouseError
from warehouse.query import on_cursors
from warehouse.results import KeptResults
from warehouse.sqlfiles import SQL_DIR, read_named, read_sql, sql_paths
from warehouse.viewfiles import query_reads, save_known_reads, shared_helpers, tables_reached


def report_query(name: str) -> str:
    """The text of `sql/report/<name>.sql`, its header checked (warehouse/sqlfiles.py)."""
    return read_named("report", name)


def parameterless_queries() -> list[str]:
    """The report queries that take no `$parameter` (the ones a report can run up front)."""
    return sorted(p.stem for p in sql_paths("report") if "$" not in read_sql("report", p))


def json_value(value):
    """A value Vega-Lite can hold: text for times, float for decimals, None for NaN and inf."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


class ReportData:
    """Query results over one read-only warehouse connection, each computed once; with `kept`,
    also kept between commands (warehouse/results.py), keyed by what they read."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kept: KeptResults | None = None):
        self.con = con
        self.kept = kept
        self._cache: dict[tuple, list[dict]] = {}

    def _kept_key(self, key: tuple, sql: str, params: dict | None, reads: set[str]) -> str | None:
        if self.kept is None:
            return None
        return self.kept.key(f"report:{key[0]}", sql, params, reads, __file__)

    def _from_kept(self, key: tuple, kept_key: str | None) -> bool:
        """Take the rows kept under `kept_key` for `key`; False when there are none."""
        if self.kept is None:
            return False
        rows = self.kept.get(kept_key)
        if isinstance(rows, list) and all(isinstance(row, dict) for row in rows):
            self._cache[key] = rows
            return True
        return False

    def _run(self, key: tuple, sql: str, params: dict | None, reads: list[str]) -> list[dict]:
        if key not in self._cache:
            kept_key = self._kept_key(key, sql, params, tables_reached([reads])[0]) if self.kept else None
            if not self._from_kept(key, kept_key):
                self._fetch(self.con, key, sql, params, kept_key)
        return self._cache[key]

    def _fetch(self, con: duckdb.DuckDBPyConnection, key: tuple, sql: str, params: dict | None,
               kept_key: str | None = None) -> None:
        try:
            cursor = con.execute(sql, params) if params else con.execute(sql)
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise WarehouseError(f"report query {key[0]} failed: {str(exc).splitlines()[0]}") from None
        self._cache[key] = [dict(zip(columns, map(json_value, row))) for row in rows]
        if self.kept is not None:
            self.kept.put(kept_key, self._cache[key])

    @staticmethod
    def _view_sql(name: str) -> str:
        if not name.replace("_", "").isalnum():
            raise WarehouseError(f"not a view name: {name!r}")
        return f"select * from {name}"

    def prefetch(self, queries: list[str], views: list[str], checks: list[str] | None = None,
                 threads: int = 2) -> list[CheckResult]:
        """Run report queries (without parameters) and views at once on `threads` cursors and keep
        their rows: each keeps about one core busy, and a report reads a dozen of them. The
        headlines of `checks` (registered names) run on the same cursors, returned in that order.
        The views that two of them read (run_summary, check_explain, ...) are computed once
        (warehouse/query.py `on_cursors`), not once per query."""
        queries = [name for name in queries if (name, ()) not in self._cache]
        views = [name for name in views if (name, ()) not in self._cache]
        jobs = [((name, ()), report_query(name)) for name in queries]
        jobs += [((name, ()), self._view_sql(name)) for name in views]
        available = installed_checks()
        checks = list(checks or [])
        readers = [list(query_reads(sql, SQL_DIR / "report" / f"{key[0]}.sql")) for key, sql in jobs[:len(queries)]]
        readers += [[name] for name in views]
        save_known_reads()
        # what is kept from an earlier command (warehouse/results.py) is read, not computed
        results: dict[str, CheckResult] = {}
        check_key: dict[str, str | None] = {}
        kept_keys: dict[tuple, str | None] = {}
        if self.kept is not None:
            check_key = check_keys(self.kept, {name: available[name] for name in checks})
            results = {name: found for name in checks
                       if (found := kept_check(self.kept, check_key[name], name, available[name])) is not None}
            kept_keys = {key: self._kept_key(key, sql, None, reads)
                         for (key, sql), reads in zip(jobs, tables_reached(readers))}
            pending = [i for i, (key, _) in enumerate(jobs) if not self._from_kept(key, kept_keys[key])]
            jobs, readers = [jobs[i] for i in pending], [readers[i] for i in pending]
        to_check = [name for name in checks if name not in results]

        def work(cursor: duckdb.DuckDBPyConnection, job) -> CheckResult | None:
            if isinstance(job, str):
                return run_check(cursor, job, available[job])
            self._fetch(cursor, *job, None, kept_keys.get(job[0]))
            return None

        readers = [*readers, *([available[name]] for name in to_check)]
        done = on_cursors(self.con, work, [*to_check, *jobs], threads, shared_helpers(readers))
        for name, result in zip(to_check, done):
            results[name] = result
            if self.kept is not None:
                keep_check(self.kept, check_key[name], result)
        return [results[name] for name in checks]

    def rows(self, name: str, **params) -> list[dict]:
        """Rows of the report query `sql/report/<name>.sql`, with its `$parameters`."""
        key = (name, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())))
        sql = report_query(name)
        return self._run(key, sql, params or None, list(query_reads(sql, SQL_DIR / "report" / f"{name}.sql")))

    def view(self, name: str) -> list[dict]:
        """All rows of an installed view (a check or helper view), e.g. check_config_drift."""
        return self._run((name, ()), self._view_sql(name), None, [name])

    def params(self) -> dict[str, float]:
        """check_params as name -> value (the thresholds the checks and the verdicts use)."""
        return {p["name"]: p["value"] for p in self.view("check_params")}

    def has_view(self, name: str) -> bool:
        found = self.con.execute(
            "select count(*) from duckdb_views() where view_name = ? and not internal", [name]
        ).fetchone()[0]
        return bool(found)
