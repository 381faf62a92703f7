"""The ingest types its values with the warehouse's own column types, and fits values that do not fit."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pytest
from conftest import SAMPLES

from ingest.columns import COLUMN_TYPES, Unstorable, fit_row, fit_value
from ingest.discover import discover
from ingest.read import read_batch
from warehouse.migrate import migrate

DUCKDB_TYPES = {pa.int64(): "BIGINT", pa.int32(): "INTEGER", pa.float64(): "DOUBLE", pa.string(): "VARCHAR",
                pa.timestamp("us"): "TIMESTAMP", pa.bool_(): "BOOLEAN",
                pa.list_(pa.string()): "VARCHAR[]", pa.list_(pa.int32()): "INTEGER[]"}


def test_column_types_are_those_of_the_migrated_warehouse():
    con = duckdb.connect()
    migrate(con, "memory")
    schema = {(t, c): d for t, c, d in con.execute(
        "select table_name, column_name, data_type from information_schema.columns where table_schema = 'main'").fetchall()}
    for table, columns in COLUMN_TYPES.items():
        for column, kind in columns.items():
            assert schema.get((table, column)) == DUCKDB_TYPES[kind], (table, column)


def test_every_value_the_parsers_give_has_its_column_type():
    """A column the parsers add without a type here would be converted as Arrow guesses."""
    batch = read_batch(discover([SAMPLES]))
    for table, rows in (("files", batch.files), ("runs", batch.runs), ("evals", batch.evals)):
        assert {key for row in rows for key in row} <= set(COLUMN_TYPES[table]), table
    assert set(batch.settings) <= set(COLUMN_TYPES["run_settings"])
    assert set(batch.corruptions) <= set(COLUMN_TYPES["corruptions"])
    tables = batch.tables()
    assert tables["runs"].schema.field("seed").type == pa.int32()
    assert tables["epochs"].schema.field("epoch").type == pa.int32()


@pytest.mark.parametrize("value, kind, expected", [
    (2**31 - 1, pa.int32(), (2**31 - 1, None)),
    (2**31, pa.int32(), (None, "x 2147483648 out of range: stored as NULL")),
    (-(2**31) - 1, pa.int32(), (None, "x -2147483649 out of range: stored as NULL")),
    (2**63, pa.int64(), (None, "x 9223372036854775808 out of range: stored as NULL")),
    (2**64, pa.int64(), (None, "x 18446744073709551616 out of range: stored as NULL")),
    (-(2**63), pa.int64(), (-(2**63), None)),
    (4.0, pa.int32(), (4, None)),
    (10**400, pa.float64(), (None, "x 1000000000000000000000000000000000000... out of range: stored as NULL")),
    (2**70, pa.float64(), (float(2**70), None)),
    ("a\udcffb", pa.string(), ("a\\xffb", "x held invalid text: stored escaped")),
    ([1, 2**40], pa.list_(pa.int32()), ([1, None], "x 1099511627776 out of range: stored as NULL")),
    (datetime(9999, 12, 31), pa.timestamp("us"), (datetime(9999, 12, 31), None)),
])
def test_fit_value_stores_what_fits_and_says_what_changed(value, kind, expected):
    assert fit_value("x", value, kind) == expected


@pytest.mark.parametrize("value, kind", [("abc", pa.int32()), (True, pa.int32()), (1.5, pa.int64()), (3, pa.string()),
                                         (1, pa.bool_()), ("2023-01-01", pa.timestamp("us")), ("a", pa.list_(pa.string()))])
def test_fit_value_refuses_values_of_another_kind(value, kind):
    with pytest.raises(Unstorable):
        fit_value("x", value, kind)


def test_a_files_row_is_always_stored():
    row = {"name": "x", "arch_id": "abc", "size": 2**64, "message": "m"}
    assert fit_row("files", row, strict=False) == ["arch_id 'abc' is not an integer: stored as NULL",
                                                   "size 18446744073709551616 out of range: stored as NULL"]
    assert row == {"name": "x", "arch_id": None, "size": None, "message": "m"}
