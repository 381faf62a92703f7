"""Check cases as data: `sql/checks/<name>/cases/<case>.toml`, input rows -> the rows the check gives.

A case file holds the rows of a small warehouse and what the check's view (and its headline) must
say about them; tests/test_check_cases.py runs every case of every check folder, so a new check
or case needs no Python. The layout:

    description = "what the case shows"
    params = { "best_epoch.early_fraction" = 0.5 }     # check_params values for the case (optional)

    runs = [                       # views_corpus.run's arguments: a runs row and its epochs rows,
        { run_id = 1, arch_id = 10, site = "MSU", cw = [30, 45, 40, 38] },  # derived as the ingest would
    ]
    evals = [ { eval_id = 101, run_id = 1, arch_id = 10, site = "MSU", cw40 = 43 } ]  # views_corpus.base_eval's
    run_settings = [ { run_id = 1, parameter = "epochs", value = "4", source = "argument" } ]  # rows as stored

    [[expect]]                     # one or more
    query = "select * from check_best_epoch"           # default: select * from check_<name>
    rows = [ [1, 10, "MSU", 1, 4, 3, "planned", true] ]
    headline = "MSU 100% early (2/2) vs SUSTech 0% early (0/1)"   # the check's headline (optional)
    headline_starts = "MSU 100% early"                  # or how it starts (optional)
    findings = 2                                        # and its count of findings (optional)
    params = { "best_epoch.early_fraction" = 0.5 }      # set for this expectation only (optional)
    rel_tolerance = 1e-6           # floats compared within this relative tolerance (default: exactly)

TOML has no null: the string "NULL" stands for a missing value, in inputs and expected rows alike.
Timestamps are TOML local date-times (`2023-06-19T08:00:00`), compared with the view's TIMESTAMP
values as they are.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from views_corpus import base_eval, build, run

CHECKS_DIR = Path(__file__).resolve().parent.parent / "sql" / "checks"
NULL = "NULL"


def case_paths() -> list[Path]:
    """Every case file of every check folder, in name order."""
    return sorted(CHECKS_DIR.glob("*/cases/*.toml"))


def _nulls(value):
    """The case's values with the "NULL" marker turned into None."""
    if value == NULL:
        return None
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    if isinstance(value, dict):
        return {k: _nulls(v) for k, v in value.items()}
    return value


def read_case(path: Path) -> dict:
    """The case file as Python values (None for "NULL")."""
    return _nulls(tomllib.loads(path.read_text()))


def build_case(db: Path, case: dict):
    """A warehouse holding the case's input rows and parameters, views installed; its connection."""
    return build(db, [run(**spec) for spec in case.get("runs", [])], [base_eval(**spec) for spec in case.get("evals", [])],
                 case.get("run_settings", []), case.get("params"))


def check_name(path: Path) -> str:
    """The check a case file belongs to: its folder's name."""
    return path.parent.parent.name


def same_rows(got: list, expected: list, rel_tolerance: float | None) -> bool:
    """Rows equal value by value; floats within rel_tolerance when one is given."""
    if len(got) != len(expected):
        return False
    for row, want in zip(got, expected):
        if len(row) != len(want):
            return False
        for a, b in zip(row, want):
            if rel_tolerance is not None and isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
                if not math.isclose(a, b, rel_tol=rel_tolerance, abs_tol=1e-12):
                    return False
            elif a != b:
                return False
    return True
