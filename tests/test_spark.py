"""The checks on Spark: the Parquet export read by PySpark (local mode), every portable view created
from `cli.py views --dialect spark`, and each view's rows compared with DuckDB's."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import query, rounded_rows, rows_differ

from demo import write_demo_repository
from warehouse.dialects import transpile_views
from warehouse.export import export_parquet
from warehouse.update import ingest_paths

VERSIONED = tuple(f"_v{n}" for n in range(1, 10))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("spark")
    write_demo_repository(root / "logs", archs=40, epochs=8, seed=5)
    db = root / "wh.duckdb"
    ingest_paths(db, [root / "logs"], workers=1)
    export_parquet(db, root / "parquet")
    return db, root / "parquet"


@pytest.fixture(scope="module")
def spark(warehouse, pyspark_java):
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]").appName("rnb-views")
        # Spark's 1 GB default heap ran out once while analysing the largest views (CI, 2 workers)
        .config("spark.driver.memory", "3g")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("OFF")
    _, parquet = warehouse
    for table in sorted(p.name for p in parquet.iterdir() if not p.name.startswith("_")):
        session.read.option("basePath", str(parquet / table)).parquet(str(parquet / table)).createOrReplaceTempView(table)
    yield session
    session.stop()


@pytest.mark.slow
def test_spark_views_give_the_same_rows_as_duckdb(warehouse, spark):
    db, _ = warehouse
    compared = []
    for view in transpile_views("spark"):
        if not view.portable:
            continue
        spark.sql(f"create or replace temp view {view.view_name} as {view.sql}")
        if view.view_name.startswith("check_") and view.view_name.endswith(VERSIONED):  # aliases: same rows
            rows = [tuple(r) for r in spark.sql(f"select * from {view.view_name}").collect()]
            assert not rows_differ(rounded_rows(rows), rounded_rows(query(db, f"select * from {view.view_name}"))), \
                view.view_name
            compared.append(view.view_name)
    assert "check_best_epoch_v2" in compared and "check_duplicate_archs_v1" in compared
    assert len(compared) == len([v for v in transpile_views("spark")
                                 if v.portable and v.view_name.startswith("check_") and v.view_name.endswith(VERSIONED)])


@pytest.mark.slow
def test_spark_reads_the_site_partitions_of_the_parquet_export(warehouse, spark):
    db, _ = warehouse
    rows = spark.sql("select site, count(*) from runs group by site").collect()
    assert sorted(tuple(r) for r in rows) == sorted(query(db, "select site, count(*) from runs group by site"))
