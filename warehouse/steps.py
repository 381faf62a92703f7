"""Transformations that keep derived columns and dimension tables right after every load.

They are plain SQL files in `sql/steps/` (header `-- step: name`, `-- does: what it derives`), run in
name order inside the ingest's transaction: lr drops, duplicates, sites of runs and evaluations,
eval-to-run links, the archs and gpus dimensions, the code versions.

A step may derive again only the rows of the files the ingest loaded (the DuckDB variable
`loaded_by_ingest`, that ingest's id) when what it derives for a file depends on that file's rows
alone: the others' derived rows are still right. Without an ingest id (an upgrade, a migrated
warehouse: a derived table may be new) every step derives every row.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.sqlfiles import SQL_DIR, read_sql, sql_paths

STEPS_DIR = SQL_DIR / "steps"


def steps() -> list[Path]:
    return sql_paths("step")


def run_steps(con: duckdb.DuckDBPyConnection, loaded_by_ingest: int | None = None) -> None:
    """Run every step; `loaded_by_ingest`: the id of the ingest whose loaded files changed (None:
    derive every row)."""
    value = "null" if loaded_by_ingest is None else int(loaded_by_ingest)
    con.execute(f"set variable loaded_by_ingest = {value}")
    for step in steps():
        con.execute(read_sql("step", step))
