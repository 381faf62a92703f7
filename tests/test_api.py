"""The notebook API (nares.py): every method against the demo warehouse, the README's example
run as written, and the command line reading through the same object."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import altair as alt
import polars as pl
import pytest
from conftest import ROOT, query
from typer.testing import CliRunner

from cli import app
from nares import Warehouse, open_warehouse
from warehouse import WarehouseError


@pytest.fixture
def demo_db(demo_warehouse) -> Path:
    """The session's demo warehouse (tests/conftest.py); every test here only reads it."""
    return demo_warehouse.db


def _sorted_rows(frame: pl.DataFrame) -> list[tuple]:
    return sorted(frame.rows(), key=repr)


def readme_example() -> str:
    """The python block of the README's section on the API, exactly as a reader copies it."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## In Python (notebooks)", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the README's API section holds one python example"
    return blocks[0]


@pytest.mark.slow
def test_readme_example_runs_on_a_demo_warehouse(demo_db, tmp_path, monkeypatch, capsys):
    shutil.copy(demo_db, tmp_path / "robustnasbench.duckdb")
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_example(), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    sites = query(demo_db, "select site, count(*) from runs group by site order by site")
    assert "early_share" in printed
    for site, runs in sites:
        assert re.search(rf"{site}\W+{runs}\b", printed), (site, runs, printed)
    page = (tmp_path / "best_epoch_msu.html").read_text()
    assert "vega" in page and "best_epoch" in page


def test_check_gives_the_rows_of_the_check_view(demo_db):
    with open_warehouse(demo_db) as wh:
        frame = wh.check("best_epoch")
        assert _sorted_rows(wh.check("check_best_epoch")) == _sorted_rows(frame)
    expected = query(demo_db, "select * from check_best_epoch")
    assert isinstance(frame, pl.DataFrame) and frame.height == len(expected) > 0
    assert _sorted_rows(frame) == sorted(expected, key=repr)
    assert frame.columns == [r[0] for r in query(demo_db, "select column_name from (describe check_best_epoch)")]


def test_check_and_view_refuse_names_the_tool_does_not_install(demo_db):
    with open_warehouse(demo_db) as wh:
        with pytest.raises(WarehouseError, match="no check named 'nonsense': choose from .*best_epoch"):
            wh.check("nonsense")
        with pytest.raises(WarehouseError, match="no view named"):
            wh.view("runs; drop table runs")
        with pytest.raises(WarehouseError, match="no view named"):
            wh.view("files")


def test_view_gives_every_row_of_a_tool_view(demo_db):
    with open_warehouse(demo_db) as wh:
        summary = wh.view("run_summary")
        versioned = wh.view("run_summary_v1")
    assert summary.height == query(demo_db, "select count(*) from run_summary")[0][0] > 0
    assert _sorted_rows(summary) == _sorted_rows(versioned)


def test_view_gives_a_checks_headline_and_flagged_runs(demo_db):
    with open_warehouse(demo_db) as wh:
        headline = wh.view("check_best_epoch_headline")
        flagged = wh.view("check_best_epoch_flagged")
        checks = {r.name: r for r in wh.checks(["best_epoch"]).results}
    assert headline.columns == ["headline", "findings"] and headline.height == 1
    assert flagged.columns == ["run_id", "arch_id", "site"]
    assert flagged.height == query(demo_db, "select count(*) from check_best_epoch where early")[0][0] > 0
    assert headline["headline"][0] == checks["best_epoch"].headline  # the line `nares check` prints


def test_sql_returns_a_polars_frame_and_refuses_what_is_not_a_query(demo_db):
    runs = query(demo_db, "select count(*) from runs")[0][0]
    with open_warehouse(demo_db) as wh:
        frame = wh.sql("select site, count(*) as runs from runs group by site order by site")
        assert frame.columns == ["site", "runs"] and frame["runs"].sum() == runs
        for statement, reason in [("drop table runs", "only queries are allowed here (got DROP)"),
                                  ("select 1; delete from runs", "only queries are allowed here (got DELETE)"),
                                  ("explain analyze select * from runs", "EXPLAIN ANALYZE executes")]:
            with pytest.raises(WarehouseError) as caught:
                wh.sql(statement)
            assert reason in str(caught.value)
        with pytest.raises(WarehouseError, match="file system operations are disabled"):
            wh.sql("select * from read_text('/etc/hostname')")
        assert wh.sql("select count(*) as n from runs")["n"][0] == runs
    assert query(demo_db, "select count(*) from runs")[0][0] == runs


@pytest.mark.slow
def test_figure_is_the_altair_chart_the_report_draws(demo_db):
    with open_warehouse(demo_db) as wh:
        names = [f.name for f in wh.figures()]
        assert "best_epoch_msu" in names and "code_timeline" in names
        chart = wh.figure("best_epoch_msu")
        assert isinstance(chart, alt.TopLevelMixin)
        figure = next(f for f in wh.figures() if f.name == "best_epoch_msu")
        assert chart.to_dict(validate=False) == figure.chart.to_dict(validate=False)
        with pytest.raises(WarehouseError, match=r"no figure named 'nope' in this warehouse: choose from .*best_epoch_msu"):
            wh.figure("nope")


def test_close_and_context_manager_release_the_connection(demo_db):
    with open_warehouse(demo_db) as wh:
        assert isinstance(wh, Warehouse) and wh.path == demo_db
    with pytest.raises(WarehouseError, match="closed"):
        wh.sql("select 1")
    other = open_warehouse(demo_db)
    other.close()
    with pytest.raises(WarehouseError, match="closed"):
        other.check("best_epoch")


def test_open_warehouse_defaults_to_rnb_db_and_refuses_a_missing_file(demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("RNB_DB", str(demo_db))
    with open_warehouse() as wh:
        assert wh.path == demo_db
    with pytest.raises(WarehouseError, match="no warehouse at"):
        open_warehouse(tmp_path / "none.duckdb")


def test_the_command_line_prints_what_the_api_returns(demo_db):
    runner = CliRunner()
    with open_warehouse(demo_db) as wh:
        lines = [r.line() for r in wh.checks(["best_epoch", "duplicate_archs"]).results]
        sites = wh.sql("select site, count(*) as n from runs group by site order by site").rows()
    result = runner.invoke(app, ["check", "best_epoch", "duplicate_archs", "--db", str(demo_db)])
    assert result.exit_code == 0 and result.stdout.splitlines() == lines
    result = runner.invoke(app, ["sql", "select site, count(*) as n from runs group by site order by site",
                                 "--db", str(demo_db), "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == [f"{site},{n}" for site, n in sites]
