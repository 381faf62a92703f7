"""New view versions that claim "same rows as v<N>" (rewritten for speed) return exactly the rows of
the version they replace (whose name is now an alias of the new one: its old SQL is kept as the
oracle in tests/sql_oracles/<name>_v<N>.sql): on small corpora built for the edge cases (the first and last archs with
fewer neighbours, every low_arch.window from none to more than all archs, tied levels, duplicated
and missing settings) and on an ingested demo repository. Rows are compared as ordered lists with
==, floats included: a rewrite that changes a single value fails.
"""
from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest
from views_corpus import GPU, NAN, base_eval, build, rows, run, settings

from warehouse.connect import connect
from warehouse.update import ingest_paths
from warehouse.viewfiles import parse_header, view_paths

MSU, SUS = "MSU", "SUSTech"
# (old, new): every view whose version line says "same rows as" the old one
SAME_ROWS = [
    ("run_neighbours_v1", "run_neighbours_v2"),
    ("check_vertical_lines_v1", "check_vertical_lines_v2"),
    ("check_gpu_accuracy_v1", "check_gpu_accuracy_v2"),
    ("check_config_drift_v1", "check_config_drift_v2"),
]
NEIGHBOUR_VIEWS = SAME_ROWS[:3]
# check_params settings the neighbour views are compared under; None sets the value to NULL
PARAMS = [
    {},
    {"low_arch.window": 1},
    {"low_arch.window": 2},
    {"low_arch.window": 2.5},
    {"low_arch.window": 0},
    {"low_arch.window": -3},
    {"low_arch.window": 39},
    {"low_arch.window": 40},
    {"low_arch.window": 1000},
    {"low_arch.window": None},
    {"low_arch.window": 3, "low_arch.min_drop": 0},
    {"low_arch.window": 4, "low_arch.min_drop": 2, "vertical_lines.max_gap": 0, "vertical_lines.min_low": 1},
    {"low_arch.min_drop": None},
    {"gpu_accuracy.max_low_share": 0, "gpu_accuracy.min_runs": 1},
]


def set_params(con, params: dict) -> None:
    con.execute("update check_params set value = default_value")
    for name, value in params.items():
        con.execute("update check_params set value = ? where name = ?", [value, name])


def comparable(rows_: list[tuple]) -> list[tuple]:
    """NaN (a run whose best CW-40 is NaN reaches the site means) made equal to itself."""
    return [tuple("NaN" if isinstance(x, float) and math.isnan(x) else x for x in r) for r in rows_]


ORACLES = Path(__file__).resolve().parent / "sql_oracles"
ORACLE_ORDER = ["run_neighbours_v1", "check_vertical_lines_v1", "check_gpu_accuracy_v1", "check_config_drift_v1",
                "check_explain_v1"]
"""The old SQL of each alias version, and of each version rewritten in place (REWRITTEN_IN_PLACE),
in an order in which each comes after the oracles it reads."""
REWRITTEN_IN_PLACE = {"check_explain_v1"}
"""Versions whose SQL a same-rows rewrite replaced in place (a newer version reads them, so they
are not aliases of a newer one)."""


def oracle(con, view: str) -> str:
    """The temp view of `view`'s old SQL on this connection (created with those it reads), or `view`
    itself when it has no oracle file."""
    if not (ORACLES / f"{view}.sql").exists():
        return view
    for name in ORACLE_ORDER:
        sql = (ORACLES / f"{name}.sql").read_text()
        for other in ORACLE_ORDER:
            sql = re.sub(rf"\b{other}\b", f"oracle_{other}", sql)
        con.execute(f"create or replace temp view oracle_{name} as {sql}")
    return f"oracle_{view}"


def test_every_alias_version_has_its_old_sql_as_oracle():
    aliases = {f"{name}_v{version}" for name, version, _, path in view_paths()
               if parse_header(path.read_text(), path).changes.startswith("alias of")}
    assert aliases | REWRITTEN_IN_PLACE == set(ORACLE_ORDER) == {p.stem for p in ORACLES.glob("*.sql")}
    assert not aliases & REWRITTEN_IN_PLACE


def assert_same_rows(con, old: str, new: str) -> list[tuple]:
    expected = comparable(rows(con, f"select * from {oracle(con, old)}"))
    assert comparable(rows(con, f"select * from {new}")) == expected, f"{new} differs from {old}"
    return expected


def neighbour_corpus() -> tuple[list[dict], list[dict]]:
    """41 archs with gaps in their ids, levels from a few values (ties, even and odd neighbour
    counts), two runs for some archs, unfinished and NaN runs, three sites and several GPUs."""
    rng = random.Random(7)
    runs, evals = [], []
    arch_ids = sorted(rng.sample(range(1, 400), 41))
    low = set(arch_ids[10:14]) | set(arch_ids[20:23]) | {arch_ids[0], arch_ids[-1]}
    run_id = 0
    for arch in arch_ids:
        for copy in range(rng.choice([1, 1, 2])):
            run_id += 1
            top = rng.choice([30.0, 32.0, 40.0, 44.0, 45.0, 45.0, 45.5])
            if arch in low:
                top = rng.choice([20.0, 25.0, 30.0])
            site = [SUS, MSU, "unknown"][(arch + copy) % 3]
            gpu = ["RTX 3090", "A6000", None][arch % 3]
            runs.append(run(run_id, arch, site, [top - 10, top - 5, top, top - 1], gpu=gpu))
            if run_id % 4 == 0:
                evals.append(base_eval(1000 + run_id, run_id, arch, site, clean=80.0 + run_id % 3, cw40=top + 1))
    runs.append(run(900, arch_ids[5], SUS, [30, None], finished=False))      # unfinished: not a neighbour
    nan_run = run(901, 999, MSU, [20, 30, 35, 36])                            # best CW-40 NaN: left out
    nan_run["run"]["best_cw40_acc"] = NAN
    runs.append(nan_run)
    return runs, evals


@pytest.fixture(scope="module")
def neighbours_db(tmp_path_factory):
    runs, evals = neighbour_corpus()
    con = build(tmp_path_factory.mktemp("versions") / "w.duckdb", runs, evals)
    yield con
    con.close()


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "defaults")
def test_neighbour_views_v2_same_rows_as_v1(neighbours_db, params):
    set_params(neighbours_db, params)
    for old, new in NEIGHBOUR_VIEWS:
        assert_same_rows(neighbours_db, old, new)


@pytest.mark.parametrize("window, expected", [(25, [25, 26, 40, 25]), (2.5, [2, 3, 4, 2]), (0, [0, 0, 0, 0]),
                                              (-3, [0, 0, 0, 0]), (1000, [40, 40, 40, 40])])
def test_neighbours_v2_first_and_last_archs_have_fewer_neighbours(neighbours_db, window, expected):
    set_params(neighbours_db, {"low_arch.window": window})
    got = rows(neighbours_db, """
        select n_neighbours from (select distinct arch_rank, n_neighbours from run_neighbours_v2)
        where arch_rank in (1, 2, 21, 41) order by arch_rank""")
    assert [n for (n,) in got] == expected
    assert_same_rows(neighbours_db, "run_neighbours_v1", "run_neighbours_v2")


@pytest.mark.slow
def test_neighbours_v2_ties_and_no_neighbours(tmp_path):
    tied = [run(a, a, SUS, [30, 40, 45, 44]) for a in range(1, 7)] + [run(7, 7, MSU, [20, 25, 30, 29])]
    con = build(tmp_path / "tied.duckdb", tied, params={"low_arch.window": 2})
    expected = assert_same_rows(con, "run_neighbours_v1", "run_neighbours_v2")
    assert [(r[5], r[7], r[8], r[10]) for r in expected] == [
        (1, 45.0, 2, False), (2, 45.0, 3, False), (3, 45.0, 4, False), (4, 45.0, 4, False),
        (5, 45.0, 4, False), (6, 45.0, 3, False), (7, 45.0, 2, True),
    ]
    alone = build(tmp_path / "alone.duckdb", [run(1, 10, SUS)])
    assert assert_same_rows(alone, "run_neighbours_v1", "run_neighbours_v2")[0][7:] == (None, 0, None, False)
    empty = build(tmp_path / "empty.duckdb")
    for old, new in SAME_ROWS:
        assert_same_rows(empty, old, new)


def drift_corpus() -> tuple[list[dict], list[dict]]:
    """Settings logged by some runs only, as NULL and as the literal '(not logged)', under the names
    of the settings the view adds itself (gpu: the run's own GPU and another; observed.*), for runs
    of no known site, of a site with only an unfinished run, and for a run_id without a run. A run
    logs each setting once (invariant one_setting_per_run)."""
    runs = [
        run(1, 70, SUS), run(2, 71, SUS), run(3, 72, MSU, decays=[2]), run(4, 73, "unknown"),
        run(5, 74, MSU, [30, None], finished=False), run(6, 75, "Lab3", [30, None], finished=False),
        run(7, 76, MSU, decays=[1, 3]), run(8, 77, SUS, gpu=None),
    ]
    common = dict(epochs="4", optimizer__lr="0.1", model__depth_configs="[4, 4, 4]")
    values = (
        settings(1, exp_name="./x/small/r1/arch_70", config_path="cfg/small/a.yaml", dataset__num_of_workers="8",
                 native_amp="False", **common)
        + settings(1, gpu=GPU) + settings(2, gpu="0")                          # as the view's gpu, and not
        + settings(3, observed__lr_decay_on_schedule="yes")
        + settings(2, exp_name="./x/medium/r1/arch_71", config_path="cfg/smaller/a.yaml",
                   dataset__num_of_workers="8", native_amp="False", **common)
        + settings(3, exp_name="./x/large/r1/arch_72", version="arch_72/large", dataset__num_of_workers="4", **common)
        + settings(4, exp_name="./x/small/r1/arch_73", dataset__num_of_workers="8", native_amp="False",
                   epochs="4", optimizer__lr="0.2")
        + settings(5, exp_name="./x/small/r1/arch_74", native_amp="(not logged)", **common)
        + settings(6, exp_name="./x/small/r1/arch_75", **common)
        + settings(7, exp_name="arch_76", native_amp="True", **common)
        + settings(8, optimizer__lr="0.1")
        + settings(999, orphan_only="1")                                      # no such run
        + [{"run_id": 7, "parameter": "dataset.num_of_workers", "value": None, "source": "config"},
           {"run_id": 8, "parameter": "native_amp", "value": None, "source": "argument"}]
    )
    return runs, values


def test_config_drift_v2_same_rows_as_v1(tmp_path):
    runs, values = drift_corpus()
    con = build(tmp_path / "w.duckdb", runs, run_settings=values)
    got = assert_same_rows(con, "check_config_drift_v1", "check_config_drift_v2")
    assert ("native_amp", MSU, "(not logged)", 2, True, "argument", 3, pytest.approx(2 / 3)) in got
    assert ("gpu", SUS, "0", 1, True, "argument", 3, pytest.approx(1 / 3)) in got
    assert ("gpu", SUS, GPU, 2, True, "argument", 3, pytest.approx(2 / 3)) in got
    # observed settings are of finished runs only (observed.lr_decay_on_schedule is named by a header too)
    assert not any(r[0] in ("observed.lr_decay_epochs", "observed.lr_decay_fractions") and r[1] == "Lab3" for r in got)
    only_sus = build(tmp_path / "sus.duckdb", [r for r in runs if r["run"]["site"] == SUS],
                     run_settings=[v for v in values if v["run_id"] in (1, 2, 8)])
    assert_same_rows(only_sus, "check_config_drift_v1", "check_config_drift_v2")


EXPLAIN_PARAMS = [
    {},
    {"explain.max_order": 1},
    {"explain.max_order": 2, "explain.min_gain": 0, "explain.min_support": 0.05, "explain.min_outliers": 1,
     "explain.min_risk_ratio": 1, "explain.confounders_checked": 1},
]


def chunked_corpus() -> tuple[list[dict], list[dict]]:
    """4,500 archs: two chunks of 4,096 runs per outcome in check_explain_v1's bitmaps, so that
    a combination's counts add up over chunks. Low with probability 0.1, 0.45 on an A6000 with
    batch size 64 (a cause of two values), and a few overfit or peak early."""
    from test_explain import FINE, LOW

    rng = random.Random(11)
    gpus = ["NVIDIA GeForce RTX 3090", "NVIDIA RTX A6000", "Tesla V100-SXM2-32GB"]
    runs, run_settings = [], []
    for i in range(1, 4501):
        gpu, batch = rng.choice(gpus), rng.choice(["64", "128"])
        low = rng.random() < (0.45 if gpu == gpus[1] and batch == "64" else 0.1)
        cw = LOW if low else FINE
        if rng.random() < 0.05:
            cw = [30.0, 46.0, 40.0, 38.0]  # peaks early and overfits
        runs.append(run(i, i, rng.choice([SUS, MSU]), list(cw), gpu=gpu))
        run_settings += settings(i, batch_size=batch, warmup=rng.choice(["0", "1"]))
    return runs, run_settings


@pytest.fixture(scope="module")
def explain_dbs(tmp_path_factory):
    """Warehouses for the check_explain_v1 comparison: each corpus of tests/test_explain.py, and
    chunked_corpus."""
    from test_explain import confounder_corpus, gpu_corpus, interaction_corpus, noise_corpus

    folder = tmp_path_factory.mktemp("explain")
    corpora = {"gpu": gpu_corpus(), "interaction": interaction_corpus(), "confounder": (confounder_corpus(), []),
               "noise": noise_corpus(1, a6000_low=0.2), "chunked": chunked_corpus()}
    cons = {name: build(folder / f"{name}.duckdb", runs, run_settings=values) for name, (runs, values) in corpora.items()}
    yield cons
    for con in cons.values():
        con.close()


@pytest.mark.parametrize("params", EXPLAIN_PARAMS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "defaults")
def test_explain_v1_same_rows_as_its_old_sql(explain_dbs, params):
    for name, con in explain_dbs.items():
        set_params(con, params)
        got = assert_same_rows(con, "check_explain_v1", "check_explain_v1")
        if not params and name != "noise":
            assert got, name  # a planted cause is found: the comparison is of rows, not of two empty lists
    # the chunked corpus' outcomes have runs in two chunks of bits
    assert rows(explain_dbs["chunked"], "select min(n) from (select count(*) as n from run_outcomes_v1 "
                                        "where is_outlier is not null group by outcome)")[0][0] > 4096


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from demo import write_demo_repository

    out = tmp_path_factory.mktemp("demo") / "corpus"
    write_demo_repository(out, archs=80, epochs=8, seed=3)
    db = out.parent / "w.duckdb"
    ingest_paths(db, [out], workers=1)
    con = connect(db)
    yield con
    con.close()


@pytest.mark.parametrize("params", [{}, {"low_arch.window": 3}, {"low_arch.window": 100}])
def test_new_versions_same_rows_as_old_on_ingested_demo(demo_db, params):
    set_params(demo_db, params)
    for old, new in SAME_ROWS + [(view, view) for view in sorted(REWRITTEN_IN_PLACE)]:
        assert_same_rows(demo_db, old, new)
    assert rows(demo_db, "select count(*) from check_vertical_lines_v2")[0][0] >= (1 if not params else 0)


def test_every_same_rows_version_is_compared_here():
    """A version line `N (same rows as vM; ...)` is a promise this file must test."""
    claimed = set()
    for name, version, _, path in view_paths():
        match = re.match(r"same rows as v(\d+)", parse_header(path.read_text(), path).changes or "")
        if match:
            claimed.add((f"{name}_v{match.group(1)}", f"{name}_v{version}"))
    assert claimed == set(SAME_ROWS)


@pytest.mark.slow
def test_neighbours_v2_on_spark_same_rows_as_v1_for_every_window(tmp_path, pyspark_java):
    """Spark's sequence(1, n) counts down for n < 1 (DuckDB's generate_series is empty): v2's offsets
    must still be 1..window, so compare Spark's v2 with DuckDB's v1 for windows <= 0, fractional and
    wider than all archs, not only for the default window that tests/test_spark.py runs."""
    from pyspark.sql import SparkSession

    from warehouse.dialects import transpile_views
    from warehouse.export import export_parquet

    runs, evals = neighbour_corpus()
    db = tmp_path / "w.duckdb"
    build(db, runs, evals).close()
    export_parquet(db, tmp_path / "parquet")
    spark = (
        SparkSession.builder.master("local[2]").appName("rnb-versions")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC").getOrCreate()
    )
    try:
        spark.sparkContext.setLogLevel("OFF")
        parquet = tmp_path / "parquet"
        for table in sorted(p.name for p in parquet.iterdir() if not p.name.startswith("_")):
            spark.read.option("basePath", str(parquet / table)).parquet(str(parquet / table)).createOrReplaceTempView(table)
        wanted = {"chosen_evals_v1", "lr_decays_v1", "params_v1", "run_summary_v1", "run_neighbours_v2"}
        for view in transpile_views("spark"):
            if view.view_name in wanted:
                spark.sql(f"create or replace temp view {view.view_name} as {view.sql}")
        con = connect(db)
        for window in (25, 2.5, 1, 0, -3, 40, 1000, None):
            set_params(con, {"low_arch.window": window})
            params = rows(con, "select name, value from check_params")
            spark.createDataFrame(params, "name string, value double").createOrReplaceTempView("check_params")
            got = [tuple(r) for r in spark.sql("select * from run_neighbours_v2 order by arch_rank, site, run_id").collect()]
            expected = rows(con, f"select * from {oracle(con, 'run_neighbours_v1')}")
            assert [(r[0], r[5], r[8], r[10]) for r in got] == [(r[0], r[5], r[8], r[10]) for r in expected], window
            assert [None if r[7] is None else round(r[7], 9) for r in got] == \
                [None if r[7] is None else round(r[7], 9) for r in expected], window
        con.close()
    finally:
        spark.stop()
