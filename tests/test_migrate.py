"""Schema migrations (warehouse/migrate.py): a warehouse written at any older schema version opens in
this tool with its rows kept and the schema of a fresh file; a file newer than the tool, or with a
`meta` the tool did not write, is refused with one line; a migration that fails leaves the file at
the version it had.

An older file is made the way that version of the tool made it: the migrations up to that version,
then the rows of the real sample logs (ingested by today's tool) in the columns that version had.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest
from conftest import SAMPLES, query
from typer.testing import CliRunner

import warehouse.migrate as migrate_module
from cli import app
from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.migrate import latest_version, migrate, migrations, schema_version, tool_tables
from warehouse.query import open_for_reading
from warehouse.update import ingest_paths

OLDER = [version for version, _ in migrations()][:-1]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The real sample logs ingested by today's tool (latest schema)."""
    root = tmp_path_factory.mktemp("fresh")
    shutil.copytree(SAMPLES, root / "logs")
    ingest_paths(root / "wh.duckdb", [root / "logs"], workers=1)
    return root / "wh.duckdb"


def columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where table_name = ? and database_name = current_database() "
        "order by column_index", [table]).fetchall()]


def contents(db, kept: dict[str, list[str]]) -> dict:
    """What an upgrade must keep or make, read through one connection: the schema version, every
    table and column of the tool with its type and comment, and the rows of `kept` (table ->
    columns), each table's rows sorted as text."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {
            "version": con.execute("select value from meta where key = 'schema_version'").fetchall(),
            "schema": con.execute(
                "select table_name, column_name, data_type, comment from duckdb_columns() "
                "where database_name = current_database() and table_name in "
                "(select table_name from duckdb_tables() where database_name = current_database()) order by all").fetchall(),
        }
        for table, cols in kept.items():
            out[table] = sorted(map(repr, con.execute(f"select {', '.join(cols)} from {table}").fetchall()))
    finally:
        con.close()
    return out


def old_warehouse(path, version: int, fresh, monkeypatch) -> dict[str, list[str]]:
    """A file at schema `version` holding the sample rows that version could hold: every table its
    migrations left empty (what ingests write) gets the fresh warehouse's rows in the columns it
    had. Returns those tables and columns."""
    with monkeypatch.context() as mp:
        mp.setattr(migrate_module, "migrations", lambda: migrations()[:version])
        con = connect(path)
        try:
            migrate(con, path)
            assert schema_version(con) == version
        finally:
            con.close()
    source = duckdb.connect(str(fresh), read_only=True)
    con = connect(path)
    kept = {}
    try:
        empty = [t for (t,) in con.execute("select table_name from duckdb_tables() "
                                           "where estimated_size = 0 order by 1").fetchall()]
        for table in empty:
            present = set(columns(source, table))
            kept[table] = [c for c in columns(con, table) if c in present]
            rows = source.sql(f"select {', '.join(kept[table])} from {table}").to_arrow_table()
            con.register("_rows", rows)
            con.execute(f"insert into {table} by name select * from _rows")
            con.unregister("_rows")
    finally:
        con.close()
        source.close()
    return kept


@pytest.fixture(scope="module")
def fresh_contents(fresh) -> dict:
    return contents(fresh, {})


def test_every_older_version_is_covered():
    """Versions are numbered 1, 2, ... with no gap, so OLDER is every version a user's file can have."""
    assert [v for v, _ in migrations()] == list(range(1, latest_version() + 1))
    assert len(OLDER) == latest_version() - 1 >= 10


UPGRADED_IN_FAST_RUN = (1, OLDER[-1])
"""The oldest file (every migration runs on it) and the newest older one; the versions between
start the same loop further on (slow run)."""


def older_versions() -> list:
    """OLDER as test parameters, those outside UPGRADED_IN_FAST_RUN marked slow."""
    return [v if v in UPGRADED_IN_FAST_RUN else pytest.param(v, marks=pytest.mark.slow) for v in OLDER]


@pytest.mark.parametrize("version", older_versions())
def test_migrate_brings_a_file_at_an_older_version_to_the_fresh_schema_keeping_its_rows(version, fresh, fresh_contents,
                                                                                        tmp_path, monkeypatch):
    db = tmp_path / f"v{version}.duckdb"
    kept = old_warehouse(db, version, fresh, monkeypatch)
    before = contents(db, kept)
    assert before["runs"] and before["epochs"] and before["evals"]
    con = connect(db)
    try:
        assert migrate(con, db) == [p.name for v, p in migrations() if v > version]
        assert con.execute("select version, name from migrations order by 1").fetchall() == [(v, p.name) for v, p in migrations()]
    finally:
        con.close()
    after = contents(db, kept)
    assert after["version"] == [(str(latest_version()),)]
    assert after["schema"] == fresh_contents["schema"]
    for table in kept:
        assert after[table] == before[table], table


@pytest.mark.slow
@pytest.mark.parametrize("version", older_versions())
def test_reading_an_older_file_upgrades_it_like_a_fresh_ingest(version, fresh, fresh_contents, tmp_path, monkeypatch):
    """What every reading command does with an older file: migrate, derive, install the views."""
    db = tmp_path / f"v{version}.duckdb"
    kept = old_warehouse(db, version, fresh, monkeypatch)
    before = contents(db, kept)
    open_for_reading(db).close()
    after = contents(db, kept)
    assert (after["version"], after["schema"]) == (fresh_contents["version"], fresh_contents["schema"])
    for table in kept:
        assert after[table] == before[table], table
    # tables derived from the logs' rows get them from the upgrade, not from a re-ingest; the views are the fresh file's
    derived = ("select * from lr_drops order by all",
               "select view_name from duckdb_views() where not internal and database_name = current_database() order by 1")
    for sql in derived:
        assert query(db, sql) == query(fresh, sql) != [], sql


@pytest.mark.slow  # ~1.9 s for each version, the two of the fast run's choice included
@pytest.mark.parametrize("version", older_versions())
def test_an_ingest_that_migrates_an_older_file_derives_the_rows_of_files_it_did_not_read(version, fresh, tmp_path,
                                                                                         monkeypatch):
    """An ingest of one new log into an older file derives every run's lr drops, not only those of
    the file it read: the table may be new (migration 011), the sample runs' drops with it."""
    db, logs = tmp_path / f"v{version}.duckdb", tmp_path / "more"
    old_warehouse(db, version, fresh, monkeypatch)
    logs.mkdir()
    (logs / "arch_5.log").write_text((SAMPLES / "train" / "arch_2.log").read_text().replace("arch_2", "arch_5"))
    ingest_paths(db, [logs], workers=1)
    samples_drops = "select * from lr_drops where run_id in (select run_id from runs where arch_id <> 5) order by all"
    assert query(db, samples_drops) == query(fresh, "select * from lr_drops order by all") != []
    assert query(db, "select count(*) from lr_drops join runs using (run_id) where arch_id = 5") == [(1,)]
    # the sample logs' code versions keep their lines: their logs are under a root this ingest was not given
    lines = "select fingerprint, sample_lines from code_versions order by all"
    kept = query(fresh, lines)
    assert query(db, lines) and all(row in kept for row in query(db, lines))


@pytest.mark.slow
def test_reading_commands_migrate_an_older_warehouse(db_path):
    con = connect(db_path)
    version, first = migrations()[0]
    con.execute(first.read_text())
    con.execute("insert into meta values ('schema_version', '1')")
    con.execute("insert into files (file_id, path, kind, status) values (1, '/old/arch_99.log', 'train', 'ok')")
    con.execute("insert into runs (run_id, file_id, arch_id, source_path) values (1, 1, 99, '/old/arch_99.log')")
    con.close()
    result = CliRunner().invoke(app, ["sql", "select arch_id from runs", "--db", str(db_path), "--format", "csv"])
    assert (result.exit_code, result.output) == (0, "arch_id\n99\n")
    assert query(db_path, "select value from meta where key = 'schema_version'") == [(str(latest_version()),)]


def test_migrate_applies_only_the_missing_migrations(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    with monkeypatch.context() as mp:
        mp.setattr(migrate_module, "migrations", lambda: migrations()[:4])
        con = connect(db)
        assert migrate(con, db) == [p.name for _, p in migrations()[:4]]
        con.close()
    con = connect(db)
    try:
        assert migrate(con, db) == [p.name for _, p in migrations()[4:]]
        assert migrate(con, db) == []
        assert schema_version(con) == latest_version()
    finally:
        con.close()


def test_an_empty_file_is_version_0_and_gets_every_table(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    try:
        assert schema_version(con) == 0
        migrate(con, tmp_path / "w.duckdb")
        present = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert set(tool_tables()) <= present


def _with_meta(db, statement: str) -> None:
    con = connect(db)
    migrate(con, db)
    con.execute(statement)
    con.close()


@pytest.mark.parametrize("statement, message", [
    ("update meta set value = '999' where key = 'schema_version'",
     "has schema version 999, newer than this tool knows"),
    ("update meta set value = 'eleven' where key = 'schema_version'",
     "meta.schema_version is 'eleven', not a number: not a warehouse this tool wrote"),
    ("insert into meta values ('schema_version', '3')",
     "meta holds 2 schema_version rows: not a warehouse this tool wrote"),
])
def test_a_version_the_tool_cannot_trust_is_refused_with_one_line(tmp_path, statement, message):
    db = tmp_path / "w.duckdb"
    _with_meta(db, statement)
    before = db.read_bytes()
    con = connect(db)
    with pytest.raises(WarehouseError, match=message) as caught:
        migrate(con, db)
    con.close()
    assert "\n" not in str(caught.value)
    for command in (["sql", "select count(*) from runs"], ["check"], ["ingest", str(SAMPLES)]):
        result = CliRunner().invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 1, (command, result.output)
        assert result.output.count("\n") == 1 and message in result.output, (command, result.output)
    assert db.read_bytes() == before


@pytest.mark.parametrize("statements, held", [
    ("create table t (a integer); insert into t values (1)", "table t"),
    ("create schema s; create view s.v as select 1 as x", "view s.v"),
    ("create table runs (a integer)", "table runs"),  # a name of the tool's, not its table
])
def test_a_duckdb_file_of_something_else_is_refused_with_one_line_and_left_as_it_was(tmp_path, statements, held):
    """A database of another project given as --db: no command adds the tool's tables to it."""
    db = tmp_path / "other.duckdb"
    con = duckdb.connect(str(db))
    con.execute(statements)
    con.close()
    before = db.read_bytes()
    message = f"is a DuckDB file but not a warehouse of this tool: no schema version in it, and it holds {held}"
    for command in (["sql", "select 1"], ["check"], ["report", "--out", str(tmp_path / "r")], ["ingest", str(SAMPLES)],
                    ["export", "release", str(tmp_path / "r.jsonl")]):
        result = CliRunner().invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 1, (command, result.output)
        assert result.output.count("\n") == 1 and message in result.output, (command, result.output)
    assert db.read_bytes() == before
    verify = CliRunner().invoke(app, ["verify", "--db", str(db)])
    assert verify.exit_code == 1 and message in verify.output.splitlines()[0]
    assert "is missing or not as the tool defines it" not in verify.output  # no view check on no warehouse
    if "create schema" in statements:
        assert "schema s is not the tool's (it creates no schemas)" in verify.output.splitlines()


def test_an_empty_duckdb_file_is_a_new_warehouse(tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    assert ingest_paths(db, [SAMPLES], workers=1).runs > 0


def test_a_failing_migration_leaves_the_file_at_its_version(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    broken = tmp_path / "migrations"
    broken.mkdir()
    for _, path in migrations():
        shutil.copy(path, broken / path.name)
    last = migrations()[-1][1].name
    (broken / last).write_text((broken / last).read_text() + "\nselect * from no_such_table;\n")
    monkeypatch.setattr(migrate_module, "MIGRATIONS_DIR", broken)
    con = connect(db)
    try:
        with pytest.raises(WarehouseError, match=f"migration {last} failed: Catalog Error") as caught:
            migrate(con, db)
        assert "\n" not in str(caught.value)
        assert schema_version(con) == latest_version() - 1
        assert con.execute("select max(version) from migrations").fetchone() == (latest_version() - 1,)
    finally:
        con.close()
