"""warehouse/connect.py: $RNB_THREADS caps DuckDB's threads on every connection the tool opens, and a
value that is not a thread count is one line before any file is opened.

(The refusals of foreign code are in tests/test_untrusted.py.)"""
from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from warehouse.connect import connect, scratch_connection
from warehouse.errors import WarehouseError


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
