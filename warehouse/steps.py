"""Transformations that keep derived columns and dimension tables right after every load.

They are plain SQL files in `sql/steps/` (header `-- step: name`, `-- does: what it derives`), run in
name order inside the ingest's transaction: duplicates, lr drops, sites of runs and evaluations,
eval-to-run links, the archs and gpus dimensions, the code versions.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.sqlfiles import SQL_DIR, read_sql, sql_paths

STEPS_DIR = SQL_DIR / "steps"


def steps() -> list[Path]:
    return sql_paths("step")


def run_steps(con: duckdb.DuckDBPyConnection) -> None:
    for step in steps():
        con.execute(read_sql("step", step))
