"""Interoperability: the release file read in (and the round trip out and in again), the views in other
SQL dialects, and an older DuckDB release reading the warehouse. What leaves the warehouse (the
release file against the benchmark's loader, Parquet, arch-id lists) is tested in test_export.py."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import ROOT, query, rounded_rows, rows_differ
from typer.testing import CliRunner

from cli import app
from warehouse.export import export_release
from warehouse.update import ingest_paths

DATA_TABLES = ("runs", "epochs", "evals", "corruptions", "archs", "gpus")
# columns that name where a row came from (ids are hashes of paths), not what it says
PROVENANCE = {"run_id", "eval_id", "file_id", "source_path", "checkpoint_path", "link_method", "link_note"}


@pytest.fixture
def demo_db(demo_warehouse) -> Path:
    """The session's demo warehouse (tests/conftest.py: two sites, every finding); only read here."""
    return demo_warehouse.db


def table_rows(db: Path, table: str) -> list[tuple]:
    """A table's rows without provenance columns, sorted: what two warehouses must agree on."""
    columns = [r[0] for r in query(db, "select column_name from duckdb_columns() "
                                       "where table_name = ? order by column_index", [table])]
    keep = [c for c in columns if c not in PROVENANCE]
    return sorted(map(repr, query(db, f"select {', '.join(keep)} from {table}")))


# --- release file: in, and the round trip -------------------------------------------------------

@pytest.mark.slow
def test_release_round_trip_in_out_in_leaves_the_tables_identical(demo_release, tmp_path):
    db1, db2 = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    ingest_paths(db1, [demo_release], workers=1)
    again = tmp_path / "again" / "cifar10.jsonl"
    again.parent.mkdir()
    export_release(db1, again)
    assert again.read_text() == demo_release.read_text()
    ingest_paths(db2, [again], workers=1)
    for table in DATA_TABLES:
        assert table_rows(db1, table) == table_rows(db2, table), table


def test_release_in_loads_runs_epochs_and_evals_per_arch(demo_release, tmp_path):
    db = tmp_path / "r.duckdb"
    summary = ingest_paths(db, [demo_release], workers=1)
    n = len(demo_release.read_text().splitlines())
    assert summary.runs == n
    assert query(db, "select kind, status, message from files") == [("release", "ok", f"release file: {n} archs")]
    assert query(db, "select distinct site from runs") == [("unknown",)]
    assert query(db, "select count(*) from epochs where lr is not null") == [(0,)]
    assert query(db, "select count(*) from evals where run_id is null") == [(0,)]
    paths = query(db, "select source_path from runs order by arch_id limit 1")[0][0]
    assert paths.startswith(str(demo_release) + "#arch_id=")


def test_release_in_checks_without_their_inputs_say_they_cannot_run(demo_release, tmp_path):
    db = tmp_path / "r.duckdb"
    ingest_paths(db, [demo_release], workers=1)
    result = CliRunner().invoke(app, ["check", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    assert lines["config_drift"].startswith("cannot run: no row holds epochs.lr, run_settings.value")
    assert lines["duplicate_archs"].startswith("cannot run: no row holds runs.site")
    assert not lines["best_epoch"].startswith("cannot run")
    assert (query(db, "select requires from view_versions where view_name = 'check_config_drift_v1'")
            == [(["epochs.lr", "run_settings.value"],)])


def release_line(arch_id: int, **test) -> str:
    train = {"seed": 0, "gpu_type": "NVIDIA GeForce RTX 3090", "timestamp": "2023-03-0%d" % (arch_id % 9 + 1),
             "training_time": 1.5,
             "best_epoch": 1, "train_loss": [2.0, 1.5, 1.4], "train_acc": [20.0, 30.0, 31.0], "val_loss": [1.9, 1.4, 1.5],
             "val_acc": [30.0, 50.0, 49.0], "pgd": [20.0, 40.0, 39.0], "pgd_stable": [80.0, 81.0, 82.0],
             "pgd_lip": [1.0, 2.0, 3.0], "pgd_loss": [2.1, 1.6, 1.7], "cw": [19.0, 39.0, 38.0],
             "cw_stable": [79.0, 80.0, 81.0], "cw_lip": [1.5, 2.5, 3.5], "cw_loss": [2.2, 1.7, 1.8]}
    record = {"arch_id": arch_id, "arch": {"D1": 4, "W1": 8, "D2": 5, "W2": 10, "D3": 7, "W3": 12},
              "MACs": 100.0 + arch_id, "Params": 1.0, "train": [train], "test_best": [test]}
    return json.dumps(record)


def test_release_in_reads_base_aa_and_corruptions_of_test_best(tmp_path):
    corruptions = {"fog": {"1": {"acc": 80.0, "loss": 0.5}, "2": {"acc": 70.0, "loss": 0.7}}}
    path = tmp_path / "rel" / "cifar10.jsonl"
    path.parent.mkdir()
    path.write_text(release_line(7, test_clean_acc=60.0, test_loss=1.1, Linf_fgsm_acc=40.0, Linf_pgd_acc=35.0,
                                 Linf_cw_acc=34.0, Linf_aa_acc=30.0, corruptions=corruptions) + "\n"
                    + release_line(8) + "\n")
    db = tmp_path / "r.duckdb"
    ingest_paths(db, [path.parent], workers=1)
    assert query(db, "select arch_id, gpu, best_epoch, best_cw40_acc, final_cw40_acc, epochs_planned, started_at::varchar "
                     "from runs order by 1") == [
        (7, "NVIDIA GeForce RTX 3090", 1, 39.0, 38.0, 3, "2023-03-08 00:00:00"),
        (8, "NVIDIA GeForce RTX 3090", 1, 39.0, 38.0, 3, "2023-03-09 00:00:00"),
    ]
    assert query(db, "select arch_id, norm, attack, clean_acc, cw40_acc, aa_acc, corruption_mean_acc, finished "
                     "from evals order by attack") == [
        (7, "Linf", "AA", None, None, 30.0, None, True),
        (7, "Linf", "Base", 60.0, 34.0, None, None, True),
        (7, None, "cifar10c", None, None, None, 75.0, True),
    ]
    assert query(db, "select corruption, level, acc, loss from corruptions order by level") == [("fog", 1, 80.0, 0.5),
                                                                                                ("fog", 2, 70.0, 0.7)]
    assert query(db, "select gpu, n_runs from gpus") == [("NVIDIA GeForce RTX 3090", 2)]


def test_release_in_skips_unreadable_lines_and_says_so(tmp_path):
    path = tmp_path / "cifar10.jsonl"
    path.write_text(release_line(7) + "\n{not json\n" + json.dumps({"arch_id": 99999}) + "\n")
    db = tmp_path / "r.duckdb"
    ingest_paths(db, [path], workers=1)
    status, message = query(db, "select status, message from files")[0]
    assert status == "partial" and message.startswith("release file: 1 archs; 2 unreadable lines skipped (first: line 2:")
    path.write_text("garbage\n")
    ingest_paths(db, [path], workers=1)
    assert query(db, "select status from files") == [("error",)]
    assert query(db, "select count(*) from runs") == [(0,)]


def test_release_in_changed_file_replaces_its_rows(tmp_path):
    path = tmp_path / "cifar10.jsonl"
    path.write_text(release_line(7, test_clean_acc=60.0) + "\n" + release_line(8) + "\n")
    db = tmp_path / "r.duckdb"
    ingest_paths(db, [path], workers=1)
    path.write_text(release_line(8, test_clean_acc=61.0) + "\n")
    ingest_paths(db, [path], workers=1)
    assert query(db, "select arch_id, count(*) from runs group by all") == [(8, 1)]
    assert query(db, "select count(*) from epochs") == [(3,)]
    assert query(db, "select arch_id, clean_acc from evals") == [(8, 61.0)]


def test_release_in_site_from_the_sites_file_paths(tmp_path):
    path = tmp_path / "msu" / "cifar10.jsonl"
    path.parent.mkdir()
    path.write_text(release_line(7) + "\n")
    sites = tmp_path / "sites.toml"
    sites.write_text('[sites.MSU]\nauthors = []\npaths = ["msu/**"]\n')
    db = tmp_path / "r.duckdb"
    ingest_paths(db, [tmp_path], sites_file=sites, workers=1)
    assert query(db, "select distinct site from runs") == [("MSU",)]


# --- other SQL engines --------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["spark", "trino", "postgres"])
def test_views_dialect_prints_every_view_or_says_why_not(dialect):
    from warehouse.dialects import transpile_views
    from warehouse.viewfiles import load_view_files

    result = CliRunner().invoke(app, ["views", "--dialect", dialect])
    assert result.exit_code == 0, result.output
    names = {f.view_name for f in load_view_files()} | {f.name for f in load_view_files()}
    views = transpile_views(dialect)
    assert {v.view_name for v in views} == names
    for v in views:
        if v.portable:
            assert f"create or replace view {v.view_name} as\n" in result.output
            sqlglot_parse = __import__("sqlglot").parse_one(v.sql, read=dialect)
            assert sqlglot_parse is not None
        else:
            assert f"-- not portable: {v.view_name} " in result.output


def test_views_dialect_lists_duckdb_only_functions_as_not_portable():
    from warehouse.dialects import transpile_views

    blocked = {v.view_name: v.reason for v in transpile_views("spark") if not v.portable}
    assert blocked == {
        "check_duplicate_paired_v1": "uses DuckDB-only functions: hash, lgamma, list_position",
        "check_duplicate_paired": "selects from check_duplicate_paired_v1, which is not portable",
        "check_explain_v1": "uses DuckDB-only functions: bit_count, bitstring_agg, hash",
        "check_explain_v2": "reads check_explain_v1, which is not portable",
        "check_explain": "selects from check_explain_v2, which is not portable",
    }


@pytest.mark.parametrize("sql, dialect, expected", [
    ("select id, unnest([1, 2]) as x, unnest(['a', 'b']) as y from t", "spark",
     "SELECT id, INLINE(ARRAYS_ZIP(ARRAY(1, 2), ARRAY('a', 'b'))) AS (x, y) FROM t"),
    ("select id, unnest([1, 2]) as x from t", "spark", "SELECT id, EXPLODE(ARRAY(1, 2)) AS x FROM t"),
    (r"select regexp_replace(v, '(a)(b)', '\2\1', 'g') from t", "spark", "SELECT REGEXP_REPLACE(v, '(a)(b)', '$2$1') FROM t"),
    (r"select regexp_replace(v, '(a)(b)', '\2\1', 'g') from t", "trino", "SELECT REGEXP_REPLACE(v, '(a)(b)', '$2$1') FROM t"),
])
def test_dialect_rewrites(sql, dialect, expected):
    import sqlglot

    from warehouse.dialects import REWRITES

    tree = sqlglot.parse_one(sql, read="duckdb")
    for rewrite in REWRITES[dialect]:
        tree = rewrite(tree)
    assert tree.sql(dialect=dialect) == expected


def test_views_dialect_unknown_is_one_line():
    result = CliRunner().invoke(app, ["views", "--dialect", "oracle"])
    assert result.exit_code == 1 and "unknown dialect 'oracle'" in result.output


# --- an older DuckDB release --------------------------------------------------------------------

OLD_DUCKDB = "1.1.3"   # the last 1.1 release: reads storage v1.0.0, which warehouse/connect.py writes
OLD_DUCKDB_ENV = ROOT / os.environ.get("RNB_OLD_DUCKDB_ENV", f".test-envs/duckdb-{OLD_DUCKDB}")
"""The Python environment holding that release, built by scripts/test-setup (keep its OLD_DUCKDB in step)."""
OLD_READER = """
import json, re, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")  # a query slower than 2 s would draw a bar into stdout
names = [r[0] for r in con.execute("select view_name from view_versions "
                                   "union all select distinct name from view_versions order by 1").fetchall()]
definitions = dict(con.execute("select view_name, sql from duckdb_views() where not internal").fetchall())
alias = re.compile(r"create view \\S+ as select \\* from \\S+;?", re.I)
# a view that only selects from another (the current name, a same-rows alias) gives its rows: it is
# bound here (it opens), the rows are compared once, on the view it names; so are the headline and
# flagged views, which select from their check's view (a headline's bootstrap interval rests on
# DuckDB's hash, which differs between releases)
summaries = {r[0] for r in con.execute("select view_name from view_versions where kind in ('headline', 'flagged')").fetchall()}
aliases = [name for name in names if name in summaries or alias.fullmatch(" ".join(definitions[name].split()))]
for name in aliases:
    con.execute(f"describe select * from {name}").fetchall()
out = {"version": duckdb.__version__, "runs": con.execute("select count(*) from runs").fetchone()[0],
       "aliases": aliases}
# rows as tests/conftest.py rounded_rows makes them (floats nudged off the halfway points, then
# to 6 decimals)
out["views"] = {name: sorted(repr(tuple(round(x * (1 + 1e-12), 6) if isinstance(x, float) else x for x in row))
                             for row in con.execute(f"select * from {name}").fetchall())
                for name in names if name not in aliases}
print(json.dumps(out))
"""


def test_rows_differ_forgives_only_a_last_digit_of_rounding():
    rows = ["('test_cw40', 40, 44.0317, None)", "('val_cw40', 56, 2.5, 'x')"]
    assert not rows_differ(rows, ["('test_cw40', 40, 44.0318, None)", "('val_cw40', 56, 2.5, 'x')"])
    assert rows_differ(rows, ["('test_cw40', 40, 44.0319, None)", "('val_cw40', 56, 2.5, 'x')"])
    assert rows_differ(rows, ["('test_cw40', 40, 44.032, None)", "('val_cw40', 56, 2.5, 'x')"])
    assert rows_differ(rows, ["('test_cw40', 41, 44.0317, None)", "('val_cw40', 56, 2.5, 'x')"])
    assert rows_differ(rows, rows + rows[:1])


@pytest.mark.slow
def test_warehouse_opens_in_an_older_duckdb_release_with_the_same_view_results(demo_db):
    import subprocess

    python = OLD_DUCKDB_ENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"no Python environment with DuckDB {OLD_DUCKDB} at {OLD_DUCKDB_ENV}: run scripts/test-setup")
    result = subprocess.run([str(python), "-c", OLD_READER, str(demo_db)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    old = json.loads(result.stdout)
    assert old["version"] == OLD_DUCKDB
    assert "check_best_epoch" in old["aliases"] and "check_best_epoch_v2" in old["views"]
    assert old["runs"] == query(demo_db, "select count(*) from runs")[0][0]
    # a view that draws bootstrap samples by DuckDB's hash (which differs between releases) gives its
    # rows, as many, with other intervals; every other view gives the same rows
    hashed = {name for name, sql in query(demo_db, "select view_name, sql from duckdb_views() where not internal")
              if "hash(" in sql}
    assert "check_duplicate_paired_v1" in hashed
    for name, rows in old["views"].items():
        now = rounded_rows(query(demo_db, f"select * from {name}"))
        if name in hashed:
            assert len(rows) == len(now), name
        else:  # the rows only one release gives, to tell a real difference from float noise
            assert not rows_differ(rows, now), (name, rows_differ(rows, now)[:6])
