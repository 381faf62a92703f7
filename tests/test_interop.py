"""Interoperability: arch-id lists, Parquet, the release file in and out (with the benchmark's loader)."""
from __future__ import annotations

import datetime
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from demo import write_demo_repository
from warehouse.errors import WarehouseError
from warehouse.export import export_parquet, export_release, flagged_arch_ids
from warehouse.viewfiles import flagged_checks
from warehouse.update import ingest_paths

from conftest import ROOT, query

DATA_TABLES = ("runs", "epochs", "evals", "corruptions", "archs", "gpus")
# columns that name where a row came from (ids are hashes of paths), not what it says
PROVENANCE = {"run_id", "eval_id", "file_id", "source_path", "checkpoint_path", "link_method", "link_note"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """The demo corpus (two sites, every finding) ingested once for the module."""
    root = tmp_path_factory.mktemp("demo")
    write_demo_repository(root / "logs", archs=40, epochs=8, seed=3)
    db = root / "wh.duckdb"
    ingest_paths(db, [root / "logs"], workers=1)
    return db


@pytest.fixture(scope="module")
def release_file(demo_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "cifar10.jsonl"
    export_release(demo_db, out)
    return out


def same_rows(a: list[tuple], b: list[tuple]) -> bool:
    """Equal as multisets, NaN equal to NaN (compared through repr)."""
    return sorted(map(repr, a)) == sorted(map(repr, b))


def table_rows(db: Path, table: str) -> list[tuple]:
    """A table's rows without provenance columns, sorted: what two warehouses must agree on."""
    columns = [r[0] for r in query(db, "select column_name from duckdb_columns() where table_name = ? order by column_index", [table])]
    keep = [c for c in columns if c not in PROVENANCE]
    return sorted(map(repr, query(db, f"select {', '.join(keep)} from {table}")))


# --- arch-list ----------------------------------------------------------------------------------

def test_arch_list_is_the_archs_the_check_flags(demo_db):
    expected = [r[0] for r in query(demo_db, "select distinct arch_id from check_best_epoch where early order by 1")]
    assert expected and flagged_arch_ids(demo_db, "best_epoch") == expected


def test_arch_list_site_keeps_that_sites_archs(demo_db):
    expected = [r[0] for r in query(
        demo_db, "select distinct arch_id from check_robust_overfitting where overfits and site = 'MSU' order by 1")]
    assert flagged_arch_ids(demo_db, "robust_overfitting", site="MSU") == expected
    assert flagged_arch_ids(demo_db, "robust_overfitting", site="SUSTech") == []


@pytest.mark.parametrize("check", flagged_checks())
def test_arch_list_query_runs_for_every_listed_check(demo_db, check):
    ids = flagged_arch_ids(demo_db, check)
    assert ids == sorted(set(ids))


def test_arch_list_cli_writes_one_id_per_line(demo_db, tmp_path):
    out = tmp_path / "retrain.txt"
    result = CliRunner().invoke(app, ["export", "arch-list", "--check", "best_epoch", "--site", "MSU", "--db", str(demo_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [str(i) for i in flagged_arch_ids(demo_db, "best_epoch", "MSU")]


def test_arch_list_cli_unknown_check_or_site_is_one_line(demo_db):
    result = CliRunner().invoke(app, ["export", "arch-list", "--check", "config_drift", "--db", str(demo_db)])
    assert result.exit_code == 1 and "does not flag archs" in result.output
    result = CliRunner().invoke(app, ["export", "arch-list", "--check", "best_epoch", "--site", "Mars", "--db", str(demo_db)])
    assert result.exit_code == 1 and "no runs of site 'Mars'" in result.output


# --- Parquet ------------------------------------------------------------------------------------

def test_export_parquet_reads_back_every_table(demo_db, tmp_path):
    out = tmp_path / "pq"
    result = export_parquet(demo_db, out)
    tables = [r[0] for r in query(demo_db, "select table_name from duckdb_tables() where schema_name = 'main' order by 1")]
    assert sorted(result.tables) == tables
    con = duckdb.connect()
    for table in tables:
        columns = [r[0] for r in query(demo_db, "select column_name from duckdb_columns() where table_name = ? order by column_index", [table])]
        select = ", ".join(columns)
        back = con.execute(f"select {select} from read_parquet('{out}/{table}/**/*.parquet', hive_partitioning = true)").fetchall()
        assert same_rows(back, query(demo_db, f"select {select} from {table}")), table


def test_export_parquet_partitions_by_site_and_records_schema_version(demo_db, tmp_path):
    out = tmp_path / "pq"
    export_parquet(demo_db, out)
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["site=MSU", "site=SUSTech", "site=unknown"]
    assert (out / "epochs" / "data.parquet").exists()
    version = int(query(demo_db, "select value from meta where key = 'schema_version'")[0][0])
    assert json.loads((out / "_meta" / "schema.json").read_text())["schema_version"] == version
    kv = duckdb.connect().execute(
        f"select distinct decode(value) from parquet_kv_metadata('{out}/runs/**/*.parquet') where decode(key) = 'schema_version'"
    ).fetchall()
    assert kv == [(str(version),)]


def test_export_parquet_refuses_a_folder_with_files(demo_db, tmp_path):
    (tmp_path / "pq").mkdir()
    (tmp_path / "pq" / "keep.txt").write_text("x")
    with pytest.raises(WarehouseError, match="not empty"):
        export_parquet(demo_db, tmp_path / "pq")
    # --overwrite replaces only a previous export: this folder is someone else's
    result = CliRunner().invoke(app, ["export", "parquet", str(tmp_path / "pq"), "--db", str(demo_db), "--overwrite"])
    assert result.exit_code == 1 and "does not look like a Parquet export" in result.output
    assert [p.name for p in (tmp_path / "pq").iterdir()] == ["keep.txt"]
    export_parquet(demo_db, tmp_path / "pq2")
    result = CliRunner().invoke(app, ["export", "parquet", str(tmp_path / "pq2"), "--db", str(demo_db), "--overwrite"])
    assert result.exit_code == 0 and "schema version" in result.output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pq")] == []


def test_export_parquet_overwrite_keeps_the_old_export_until_the_new_one_is_complete(demo_db, tmp_path, monkeypatch):
    import warehouse.export as export

    out = tmp_path / "pq"
    export_parquet(demo_db, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # the warehouse cannot be read: nothing of the old export goes
    result = CliRunner().invoke(app, ["export", "parquet", str(out), "--db", str(tmp_path / "none.duckdb"), "--overwrite"])
    assert result.exit_code == 1 and "no warehouse at" in result.output
    # the export fails halfway (after some tables were written): the old export stays as it was
    real, written = export._write_table, []

    def fails_third(con, table, target, version):
        if len(written) == 2:
            raise duckdb.IOException("IO Error: disk on fire")
        written.append(table)
        return real(con, table, target, version)

    monkeypatch.setattr(export, "_write_table", fails_third)
    with pytest.raises(WarehouseError, match=f"Parquet export failed, {out} is unchanged: IO Error: disk on fire"):
        export_parquet(demo_db, out, overwrite=True)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pq"]


# --- release file: the benchmark's loader -------------------------------------------------------
# A faithful minimal re-implementation of NASBenchR_CIFAR10_Dataset.__init__ (the benchmark's
# dataset.py, SPEC section 6): orjson (no NaN), exactly one train and one test_best entry per arch,
# test_best an object, per-epoch lists indexed by best_epoch, corruptions optional.

@dataclass
class LoadedRecord:
    arch_id: int
    arch: tuple
    macs: float
    params: float
    seed: int
    gpu_type: str | None
    timestamp: datetime.date
    training_time: float
    best_epoch: int
    val_clean_acc: float
    val_pgd_acc: float
    val_cw_acc: float
    test: dict
    corruption_avg: float | None


def _strict_json(line: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON (orjson refuses it)")
    return json.loads(line, parse_constant=refuse)


def benchmark_loader(path: Path) -> dict[tuple, LoadedRecord]:
    dataset = {}
    for line in path.read_text().splitlines():
        raw = _strict_json(line)
        a = raw["arch"]
        arch = (a["D1"], a["W1"], a["D2"], a["W2"], a["D3"], a["W3"])
        assert len(raw["train"]) == 1 and len(raw["test_best"]) == 1, f"arch_{raw['arch_id']}"
        train, test = raw["train"][0], raw["test_best"][0]
        assert test is not None
        best = train["best_epoch"]
        corruptions = test.get("corruptions", {})
        accs = [e["acc"] for levels in corruptions.values() for e in levels.values()]
        dataset[arch] = LoadedRecord(
            arch_id=raw["arch_id"], arch=arch, macs=raw["MACs"], params=raw["Params"],
            seed=train["seed"], gpu_type=train["gpu_type"],
            timestamp=datetime.date(*[int(x) for x in train["timestamp"].split("-")]),
            training_time=train["training_time"], best_epoch=best,
            val_clean_acc=train["val_acc"][best], val_pgd_acc=train["pgd"][best], val_cw_acc=train["cw"][best],
            test={k: test.get(k) for k in ("test_clean_acc", "test_loss", "Linf_fgsm_acc", "Linf_pgd_acc", "Linf_cw_acc", "Linf_aa_acc")},
            corruption_avg=sum(accs) / len(accs) if accs else None,
        )
    return dataset


def test_release_export_loads_in_the_benchmark_loader_with_the_same_values(demo_db, release_file):
    loaded = benchmark_loader(release_file)
    runs = {r[0]: r for r in query(demo_db, """
        select r.arch_id, r.best_epoch, r.best_val_acc, r.best_pgd20_acc, r.best_cw40_acc, r.seed, r.gpu,
               r.started_at::date, r.running_cost_days, r.macs_m, r.params_mb, s.test_clean_acc, s.test_cw40_acc, s.test_aa_acc
        from runs as r inner join run_summary as s using (run_id)
        where r.run_id in (select run_id from runs where finished)""")}
    assert len(loaded) == len({r[0] for r in query(demo_db, "select arch_id from runs where finished and best_epoch is not null")})
    for record in loaded.values():
        r = runs[record.arch_id]
        assert (record.best_epoch, record.val_clean_acc, record.val_pgd_acc, record.val_cw_acc) == r[1:5]
        assert (record.seed, record.gpu_type, record.timestamp, record.training_time, record.macs, record.params) == r[5:11]
        assert (record.test["test_clean_acc"], record.test["Linf_cw_acc"], record.test["Linf_aa_acc"]) == r[11:14]


def test_release_export_corruptions_average_matches_the_warehouse(demo_db, release_file):
    loaded = {r.arch_id: r for r in benchmark_loader(release_file).values()}
    means = query(demo_db, """
        select e.arch_id, avg(c.acc) from evals as e inner join corruptions as c using (eval_id)
        where e.attack = 'cifar10c' and e.finished
            and e.run_id in (select run_id from runs where finished and arch_id in (select arch_id from runs group by 1 having count(*) = 1))
        group by e.arch_id""")
    assert means
    for arch_id, mean in means:
        assert math.isclose(loaded[arch_id].corruption_avg, mean)


def test_release_export_excludes_runs_a_check_flags(demo_db, tmp_path):
    out = tmp_path / "clean.jsonl"
    result = CliRunner().invoke(app, ["export", "release", str(out), "--exclude-check", "incomplete_runs", "--exclude-check", "best_epoch", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    flagged = set(query(demo_db, "select run_id from check_incomplete_runs union select run_id from check_best_epoch where early"))
    kept = {json.loads(line)["arch_id"] for line in out.read_text().splitlines()}
    flagged_archs = {r[0] for r in query(demo_db, """
        select arch_id from runs where run_id in (select run_id from check_best_epoch where early)
        and arch_id not in (select arch_id from runs where finished and run_id not in (select run_id from check_best_epoch where early))""")}
    assert flagged and kept.isdisjoint(flagged_archs)
    assert "runs flagged by the excluded checks left out" in result.output


# --- release file: in, and the round trip -------------------------------------------------------

def test_release_round_trip_in_out_in_leaves_the_tables_identical(release_file, tmp_path):
    db1, db2 = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    ingest_paths(db1, [release_file], workers=1)
    again = tmp_path / "again" / "cifar10.jsonl"
    again.parent.mkdir()
    export_release(db1, again)
    assert again.read_text() == release_file.read_text()
    ingest_paths(db2, [again], workers=1)
    for table in DATA_TABLES:
        assert table_rows(db1, table) == table_rows(db2, table), table


def test_release_in_loads_runs_epochs_and_evals_per_arch(release_file, tmp_path):
    db = tmp_path / "r.duckdb"
    summary = ingest_paths(db, [release_file], workers=1)
    n = len(release_file.read_text().splitlines())
    assert summary.runs == n
    assert query(db, "select kind, status, message from files") == [("release", "ok", f"release file: {n} archs")]
    assert query(db, "select distinct site from runs") == [("unknown",)]
    assert query(db, "select count(*) from epochs where lr is not null") == [(0,)]
    assert query(db, "select count(*) from evals where run_id is null") == [(0,)]
    paths = query(db, "select source_path from runs order by arch_id limit 1")[0][0]
    assert paths.startswith(str(release_file) + "#arch_id=")


def test_release_in_checks_without_their_inputs_say_they_cannot_run(release_file, tmp_path):
    db = tmp_path / "r.duckdb"
    ingest_paths(db, [release_file], workers=1)
    result = CliRunner().invoke(app, ["check", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    assert lines["config_drift"].startswith("cannot run: no row holds epochs.lr, run_settings.value")
    assert lines["duplicate_archs"].startswith("cannot run: no row holds runs.site")
    assert not lines["best_epoch"].startswith("cannot run")
    assert query(db, "select requires from view_versions where view_name = 'check_config_drift_v1'") == [(["epochs.lr", "run_settings.value"],)]


def release_line(arch_id: int, **test) -> str:
    train = {"seed": 0, "gpu_type": "NVIDIA GeForce RTX 3090", "timestamp": "2023-03-0%d" % (arch_id % 9 + 1), "training_time": 1.5,
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
    assert query(db, "select arch_id, gpu, best_epoch, best_cw40_acc, final_cw40_acc, epochs_planned, started_at::varchar from runs order by 1") == [
        (7, "NVIDIA GeForce RTX 3090", 1, 39.0, 38.0, 3, "2023-03-08 00:00:00"),
        (8, "NVIDIA GeForce RTX 3090", 1, 39.0, 38.0, 3, "2023-03-09 00:00:00"),
    ]
    assert query(db, "select arch_id, norm, attack, clean_acc, cw40_acc, aa_acc, corruption_mean_acc, finished from evals order by attack") == [
        (7, "Linf", "AA", None, None, 30.0, None, True),
        (7, "Linf", "Base", 60.0, 34.0, None, None, True),
        (7, None, "cifar10c", None, None, None, 75.0, True),
    ]
    assert query(db, "select corruption, level, acc, loss from corruptions order by level") == [("fog", 1, 80.0, 0.5), ("fog", 2, 70.0, 0.7)]
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
        "check_explain": "selects from check_explain_v1, which is not portable",
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
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")  # a query slower than 2 s would draw a bar into stdout
names = [r[0] for r in con.execute("select view_name from view_versions union all select distinct name from view_versions order by 1").fetchall()]
out = {"version": duckdb.__version__, "runs": con.execute("select count(*) from runs").fetchone()[0]}
out["views"] = {name: sorted(repr(tuple(round(x, 6) if isinstance(x, float) else x for x in row))
                             for row in con.execute(f"select * from {name}").fetchall()) for name in names}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_warehouse_opens_in_an_older_duckdb_release_with_the_same_view_results(demo_db):
    import subprocess

    python = OLD_DUCKDB_ENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"no Python environment with DuckDB {OLD_DUCKDB} at {OLD_DUCKDB_ENV}: run scripts/test-setup")
    result = subprocess.run([str(python), "-c", OLD_READER, str(demo_db)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    old = json.loads(result.stdout)
    assert old["version"] == OLD_DUCKDB
    assert old["runs"] == query(demo_db, "select count(*) from runs")[0][0]
    for name, rows in old["views"].items():
        now = sorted(repr(tuple(round(x, 6) if isinstance(x, float) else x for x in row)) for row in query(demo_db, f"select * from {name}"))
        assert rows == now, name
