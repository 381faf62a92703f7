"""Transformations that keep derived columns and dimension tables right after every load.

They are plain SQL files in `sql/steps/` (header `-- step: name`, `-- does: what it derives`), run in
name order inside the ingest's transaction: lr drops, duplicates, sites of runs and evaluations,
eval-to-run links, the archs and gpus dimensions, the code versions.

A step may derive again only the rows of the files the ingest loaded (the DuckDB variable
`loaded_by_ingest`, that ingest's id) when what it derives for a file depends on that file's rows
alone: the others' derived rows are still right, as long as these very steps derived them. So the
warehouse records which steps derived its rows (meta `derived_by`: the steps' fingerprint and the
ingest it was written by); when that is not this tool's steps after the last ingest (another
version of the tool wrote since), outside an ingest (an upgrade), and when the ingest asks for
`everything` (a migrated warehouse, whose derived table may be new; provenance or code
repositories that changed for files it did not read), every step derives every row.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import duckdb

from warehouse.sqlfiles import SQL_DIR, read_sql, sql_paths

STEPS_DIR = SQL_DIR / "steps"


def steps() -> list[Path]:
    return sql_paths("step")


MATCHING_SOURCES = ("warehouse/code_windows.py", "ingest/code_facts.py", "ingest/code_history.py")
"""The tool's code that decides each code version's commits, which the code step gives each log:
another version of it may decide other commits."""


@lru_cache(maxsize=1)
def steps_fingerprint() -> str:
    """Of the steps' names and SQL and of MATCHING_SOURCES: rows derived by other steps, or from
    other matched commits, may be derived otherwise."""
    digest = hashlib.sha256()
    for step in steps():
        digest.update(f"{step.name}\0{read_sql('step', step)}\0".encode())
    root = Path(__file__).resolve().parent.parent
    for source in MATCHING_SOURCES:
        digest.update((root / source).read_bytes() + b"\0")
    return digest.hexdigest()


def derived_by_value(ingest_id: int | None) -> str:
    """What meta `derived_by` holds after these steps derived the rows of ingest `ingest_id`."""
    return f"{steps_fingerprint()} ingest {ingest_id}"


def run_steps(con: duckdb.DuckDBPyConnection, ingest_id: int | None = None, everything: bool = False) -> None:
    """Run every step, then record that they derived the rows (meta `derived_by`).

    `ingest_id`: the ingest writing (its ingests row not written yet; None: none, an upgrade). The
    steps derive again only the rows of the files it loaded when the rows were derived by these
    steps after the last ingest, unless `everything`; otherwise every row."""
    last = con.execute("select max(ingest_id) from ingests").fetchone()[0]
    recorded = con.execute("select value from meta where key = 'derived_by'").fetchall()
    scoped = ingest_id is not None and not everything and recorded == [(derived_by_value(last),)]
    con.execute(f"set variable loaded_by_ingest = {int(ingest_id) if scoped else 'null'}")
    for step in steps():
        con.execute(read_sql("step", step))
    con.execute("delete from meta where key = 'derived_by'")
    con.execute("insert into meta values ('derived_by', ?)", [derived_by_value(ingest_id if ingest_id is not None else last)])
