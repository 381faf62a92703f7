"""The check registry (warehouse/registry.py) and the parameter defaults of the folders
(warehouse/params.py): a check is a folder, found by one function; adding a folder registers,
installs and runs it; the params.toml files define the check_params a fresh warehouse had from its
migrations, and an install never changes a value the user set."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from warehouse.checks import installed_checks
from warehouse.errors import WarehouseError
from warehouse.migrate import migrate
from warehouse.params import install_check_params
from warehouse.registry import checks, default_params
from warehouse.viewfiles import SQL_DIR, flagged_checks
from warehouse.views import install_views

NEW_CHECK = {
    "v1.sql": """-- check: slow_runs
-- version: 1 (first version)
-- grain: one row per finished training run
-- reads: params_v1, runs
-- question: Did the run take longer than slow_runs.max_days days?
-- columns:
--   run_id: the run (runs.run_id)
--   arch_id: architecture id
--   site: site that trained the run
--   slow: running_cost_days > slow_runs.max_days

with params as (
    select
        slow_runs_max_days as max_days
    from params_v1
),

final as (
    select
        r.run_id,
        r.arch_id,
        r.site,
        coalesce(r.running_cost_days > p.max_days, false) as slow
    from runs as r
    cross join params as p
    where r.finished
)

select * from final
""",
    "headline.sql": """-- headline of check_slow_runs: how many finished runs were slow.
-- findings: slow runs.
-- flagged: slow

with final as (
    select
        count(*) filter (where slow) || ' slow runs' as headline,
        count(*) filter (where slow) as findings
    from check_slow_runs
)

select * from final
""",
    "flagged.sql": """-- flagged runs of check_slow_runs: the slow ones.

select run_id, arch_id, site from check_slow_runs where slow
""",
    "params.toml": """["slow_runs.max_days"]
value = 2.5
unit = "days"
read_by = "slow_runs"
description = "A finished run is slow when it took longer than this."
""",
    "check.toml": """title = "Slow runs"
section = "other"
figures = []
verdicts = []
""",
}


def migrated() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con, ":memory:")
    return con


@pytest.fixture
def sql_copy(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(SQL_DIR, target)
    return target


def add_new_check(sql_dir: Path) -> None:
    folder = sql_dir / "checks" / "slow_runs"
    folder.mkdir()
    for name, text in NEW_CHECK.items():
        (folder / name).write_text(text)
    params = sql_dir / "views" / "params" / "v1.sql"
    text = params.read_text()
    text = text.replace("-- columns:\n", "-- columns:\n--   slow_runs_max_days: slow_runs.max_days (days)\n", 1)
    text = text.replace("        max(value) filter",
                        "        max(value) filter (where name = 'slow_runs.max_days') as slow_runs_max_days,\n"
                        "        max(value) filter", 1)
    params.write_text(text)


def test_every_check_folder_is_registered_once():
    folders = sorted(p.name for p in (SQL_DIR / "checks").iterdir() if p.is_dir())
    registered = checks()
    assert [c.name for c in registered] == folders
    assert installed_checks() == {c.name: c.newest_view for c in registered}
    assert [c.name for c in registered if c.flags_runs] == flagged_checks()
    assert all(c.title and c.section for c in registered)
    assert {c.section for c in registered} <= {
        "best_epoch", "duplicates", "bands", "gpus", "missing_eval", "config", "code", "root_cause", "other"}


ADDED_BY_FILES = ["explain.max_chance", "gpu_accuracy.max_chance", "timeline.max_chance", "vertical_lines.max_chance"]
"""Parameters added by a params.toml after migration 012 (from then on the files define them): an
install of the views adds them to a warehouse that lacks them."""


def test_params_files_define_the_check_params_of_the_migrations():
    """A fresh warehouse's check_params is what it was when migrations wrote it: the same rows as the
    params.toml files, but for the parameters the files added since, which an install adds."""
    con = migrated()
    from_migrations = sorted(con.execute(
        "select name, check_name, value, default_value, unit, description from check_params").fetchall())
    from_files = sorted((p.name, p.read_by, p.value, p.value, p.unit, p.description) for p in default_params())
    assert [row for row in from_files if row[0] not in ADDED_BY_FILES] == from_migrations
    assert install_check_params(con) == ADDED_BY_FILES
    assert sorted(con.execute("select * from check_params").fetchall()) == from_files
    assert install_check_params(con) == []


def test_install_keeps_user_values_and_adds_what_the_table_lacks():
    con = migrated()
    install_check_params(con)
    con.execute("update check_params set value = 0.5, description = 'edited' where name = 'best_epoch.early_fraction'")
    con.execute("delete from check_params where name = 'timeline.min_runs'")
    assert install_check_params(con) == ["timeline.min_runs"]
    assert con.execute("select value, default_value, description <> 'edited' from check_params "
                       "where name = 'best_epoch.early_fraction'").fetchall() == [(0.5, 0.75, True)]
    assert con.execute("select value, default_value from check_params where name = 'timeline.min_runs'").fetchall() == [
        (5.0, 5.0)]


@pytest.mark.slow
def test_a_new_check_folder_is_registered_installed_and_answers(sql_copy):
    add_new_check(sql_copy)
    assert "slow_runs" in [c.name for c in checks(sql_copy)]
    new = next(c for c in checks(sql_copy) if c.name == "slow_runs")
    assert (new.newest_view, new.flags_runs, [p.name for p in new.params]) == ("check_slow_runs_v1", True, ["slow_runs.max_days"])
    con = migrated()
    con.execute("insert into runs (run_id, arch_id, site, finished, running_cost_days) "
                "values (1, 10, 'MSU', true, 3.0), (2, 11, 'MSU', true, 1.0), (3, 12, 'MSU', false, 9.0)")
    install_views(con, sql_copy)
    assert con.execute("select value from check_params where name = 'slow_runs.max_days'").fetchall() == [(2.5,)]
    assert con.execute("select * from check_slow_runs_headline").fetchall() == [("1 slow runs", 1)]
    assert con.execute("select * from check_slow_runs_flagged").fetchall() == [(1, 10, "MSU")]
    con.execute("update check_params set value = 0.5 where name = 'slow_runs.max_days'")
    install_views(con, sql_copy)
    assert con.execute("select findings from check_slow_runs_headline").fetchall() == [(2,)]


@pytest.mark.parametrize("file, text, message", [
    ("check.toml", None, "sql/checks/best_epoch/check.toml: missing"),
    ("check.toml", 'title = "x"\nsection = "other"\nfigures = []\n', "wrong or missing: verdicts"),
    ("check.toml", 'title = "x"\nsection = "other"\nfigures = [1]\nverdicts = []\n', "lists of texts"),
    ("params.toml", '["best_epoch.early_fraction"]\nvalue = "high"\nunit = "u"\nread_by = "b"\ndescription = "d"\n',
     "needs exactly value, unit, read_by, description"),
    ("params.toml", '["Early"]\nvalue = 1\nunit = "u"\nread_by = "b"\ndescription = "d"\n', "names are <check>.<what>"),
    ("params.toml", "[broken", "sql/checks/best_epoch/params.toml: cannot be read"),
])
def test_a_broken_manifest_or_params_file_is_named(sql_copy, file, text, message):
    path = sql_copy / "checks" / "best_epoch" / file
    if text is None:
        path.unlink()
    else:
        path.write_text(text)
    with pytest.raises(WarehouseError, match=message.replace("(", r"\(").replace("<", "<")):
        checks(sql_copy)
        default_params(sql_copy)


def test_a_parameter_defined_twice_is_refused(sql_copy):
    (sql_copy / "checks" / "noise" / "params.toml").write_text(
        (sql_copy / "checks" / "best_epoch" / "params.toml").read_text())
    with pytest.raises(WarehouseError, match="sql/checks/noise/params.toml: parameter 'best_epoch.early_fraction' "
                                             "is also defined in .*sql/checks/best_epoch/params.toml"):
        default_params(sql_copy)
