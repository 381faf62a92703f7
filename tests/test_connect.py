"""warehouse/connect.py: $RNB_THREADS caps DuckDB's threads on every connection the tool opens, and a
value that is not a thread count is one line before any file is opened; a file whose tables are the
tool's own, statement for statement, is not searched for attached expressions.

(The refusals of foreign code are in tests/test_untrusted.py.)"""
from __future__ import annotations

import importlib
import json
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from warehouse.cache import cache_dir
from warehouse.connect import connect, scratch_connection
from warehouse.errors import WarehouseError
from warehouse.migrate import tool_tables


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    try:
        return con.execute("select current_setting('threads')").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("limit", ["1", "3", " 2 "])
def test_rnb_threads_sets_the_threads_of_every_connection(samples_warehouse, tmp_path, monkeypatch, limit):
    monkeypatch.setenv("RNB_THREADS", limit)
    new = tmp_path / "new.duckdb"
    for con in (connect(samples_warehouse, read_only=True), connect(new), scratch_connection()):
        assert _threads(con) == int(limit)


def test_without_rnb_threads_duckdb_keeps_its_default(samples_warehouse, monkeypatch):
    monkeypatch.delenv("RNB_THREADS", raising=False)
    default = _threads(duckdb.connect(":memory:"))
    assert _threads(connect(samples_warehouse, read_only=True)) == default
    assert _threads(scratch_connection()) == default


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "²", "1025", "9" * 40])
def test_a_bad_rnb_threads_is_one_line_and_opens_nothing(samples_warehouse, tmp_path, monkeypatch, value):
    monkeypatch.setenv("RNB_THREADS", value)
    new = tmp_path / "never.duckdb"
    with pytest.raises(WarehouseError, match="^RNB_THREADS is .*: a whole number of threads from 1 to 1024 expected$"):
        connect(new)
    assert not new.exists()
    with pytest.raises(WarehouseError, match="^RNB_THREADS is "):
        scratch_connection()
    result = CliRunner().invoke(app, ["check", "--db", str(samples_warehouse)])
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.strip()] == [
        f"error: RNB_THREADS is {value!r}: a whole number of threads from 1 to 1024 expected"]


# ---------------------------------------------------------------- the tool's own tables, statement for statement
CONNECT = importlib.import_module("warehouse.connect")  # the package exports the function under the same name


@pytest.fixture
def own_statements(tmp_path, monkeypatch):
    """A cache folder of its own, and the in-process memory of the tool's table statements emptied."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    CONNECT.tool_table_statements.cache_clear()
    yield CONNECT.tool_table_statements
    CONNECT.tool_table_statements.cache_clear()


def test_a_file_whose_tables_are_the_tools_own_skips_the_expression_queries(own_statements, samples_warehouse,
                                                                           monkeypatch):
    def refuse(con, tables):
        raise AssertionError("listed the columns of a file whose tables are the tool's own")
    monkeypatch.setattr(CONNECT, "computed_columns", refuse)
    connect(samples_warehouse, read_only=True).close()
    assert set(own_statements()) == set(tool_tables())


@pytest.mark.parametrize("error", [duckdb.IOException("cannot open the scratch file"), OSError(28, "No space left")])
def test_an_attached_expression_is_found_when_the_tools_statements_cannot_be_made(own_statements, samples_warehouse,
                                                                                 tmp_path, monkeypatch, error):
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(samples_warehouse, db)
    con = duckdb.connect(str(db))
    con.execute("alter table gpus add column note varchar default 'x'")
    con.close()

    def fail():
        raise error
    monkeypatch.setattr(CONNECT, "_table_statements_in_scratch_file", fail)
    with pytest.raises(WarehouseError, match=r"column gpus\.note computes 'x'"):
        connect(db)
    assert own_statements() == {}


@pytest.fixture(scope="module")
def made_statements(tmp_path_factory) -> tuple[dict, str]:
    """The tool's table statements made once for the module, and the name of their cache file."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(folder))
        CONNECT.tool_table_statements.cache_clear()
        made = CONNECT.tool_table_statements()
        CONNECT.tool_table_statements.cache_clear()
    (cached,) = (folder / "nares").glob("tables-*.json")
    return made, cached.name


@pytest.mark.parametrize("content", ["{", "[1]", '{"gpus": "x"}', '{"gpus": [1]}', "\x00\xff"])
def test_a_damaged_cache_of_the_tools_statements_is_made_again(own_statements, made_statements, content):
    made, name = made_statements
    cache_dir().mkdir(parents=True)
    (cache_dir() / name).write_text(content, errors="surrogateescape")
    assert own_statements() == made
    assert json.loads((cache_dir() / name).read_text()) == made


def test_a_kept_cache_of_the_tools_statements_is_read_not_made(own_statements, made_statements, monkeypatch):
    made, name = made_statements
    cache_dir().mkdir(parents=True)
    (cache_dir() / name).write_text(json.dumps(made))

    def refuse():
        raise AssertionError("made the statements again")
    monkeypatch.setattr(CONNECT, "_table_statements_in_scratch_file", refuse)
    assert own_statements() == made
