"""A new warehouse starts as a copy of the cached empty warehouse of this tool version
(warehouse/template.py): it must be the warehouse an ingest builds in place, dated as its own, and
a cache that is missing, unusable or damaged must never change what an ingest writes."""
from __future__ import annotations

import hashlib
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import SAMPLES

from warehouse.cache import cache_dir
from warehouse.connect import connect
from warehouse.migrate import MIGRATIONS_DIR
from warehouse.pipeline import ingest_paths
from warehouse.template import empty_warehouse, template_key
from warehouse.viewfiles import SQL_DIR

CATALOG = [
    "select table_name, column_name, data_type, comment from duckdb_columns() where not internal order by all",
    "select view_name, sql, comment from duckdb_views() where not internal order by all",
    "select table_name, comment from duckdb_tables() order by all",
    "select * from check_params order by all",
    "select * exclude (installed_at) from view_versions order by all",
    "select * exclude (applied_at) from migrations order by all",
    "select * from meta order by all",
]


def _ingest(tmp_path: Path, name: str) -> tuple[Path, datetime]:
    logs = tmp_path / "logs"
    if not logs.exists():
        shutil.copytree(SAMPLES / "train", logs / "train")
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    db = tmp_path / f"{name}.duckdb"
    ingest_paths(db, [logs], workers=1)
    return db, before


def _catalog(db: Path) -> list[list[tuple]]:
    con = connect(db, read_only=True)
    try:
        return [con.execute(query).fetchall() for query in CATALOG]
    finally:
        con.close()


@pytest.mark.slow
def test_a_warehouse_from_the_template_is_the_one_built_in_place(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templated, before = _ingest(tmp_path, "templated")
    assert (cache_dir() / f"{template_key()}.duckdb").is_file()
    (tmp_path / "not-a-folder").write_text("")  # a cache folder that cannot be made: built in place
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    assert empty_warehouse() is None
    in_place, _ = _ingest(tmp_path, "in_place")
    assert _catalog(templated) == _catalog(in_place)
    con = connect(templated, read_only=True)
    try:
        dates = con.execute("select min(applied_at), (select min(installed_at) from view_versions) from migrations").fetchone()
        started = con.execute("select started_at from ingests").fetchone()[0]
    finally:
        con.close()
    assert dates == (started, started) and started >= before  # dated by the ingest, not by the template


@pytest.mark.slow
def test_a_damaged_template_is_made_again_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = empty_warehouse()
    good = first.read_bytes()
    with open(first, "r+b") as handle:  # a byte changed on disk: its hash no longer matches
        handle.seek(len(good) // 2)
        handle.write(bytes([good[len(good) // 2] ^ 0xFF]))
    damaged = first.read_bytes()
    again = empty_warehouse()
    assert again == first and again.read_bytes() != damaged  # made again (DuckDB's bytes differ per build)
    assert (again.parent / f"{template_key()}.sha256").read_text() == hashlib.sha256(again.read_bytes()).hexdigest()
    db, _ = _ingest(tmp_path, "w")
    assert connect(db, read_only=True).execute("select count(*) from runs").fetchone()[0] > 0


@pytest.mark.parametrize("change", ["a view", "a migration", "a parameter default"])
def test_the_key_follows_every_sql_file(tmp_path, change):
    sql, migrations = tmp_path / "sql", tmp_path / "migrations"
    shutil.copytree(SQL_DIR, sql)
    shutil.copytree(MIGRATIONS_DIR, migrations)
    key = template_key(sql, migrations)
    path = {"a view": sql / "views" / "run_summary" / "v1.sql",
            "a migration": sorted(migrations.rglob("001_*.sql"))[0],
            "a parameter default": sql / "checks" / "best_epoch" / "params.toml"}[change]
    path.write_text(path.read_text() + "\n")
    assert template_key(sql, migrations) != key
