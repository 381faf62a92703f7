"""Transformations that keep derived columns and dimension tables right after every load.

They are plain SQL files in `warehouse/steps/`, run in name order inside the ingest's transaction:
duplicates, sites of runs and evaluations, eval-to-run links, the archs and gpus dimensions.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

STEPS_DIR = Path(__file__).resolve().parent / "steps"


def steps() -> list[Path]:
    return sorted(STEPS_DIR.glob("*.sql"))


def run_steps(con: duckdb.DuckDBPyConnection) -> None:
    for step in steps():
        con.execute(step.read_text())
