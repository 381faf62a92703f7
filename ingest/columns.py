"""The warehouse type of every column the ingest writes, and the fitting of a file's values into them.

A value that does not fit its column used to fail the whole chunk (Arrow) or the whole load
(DuckDB's cast): a seed of 10^20, a lone surrogate in a GPU name. The parsers' rows are typed
here, in the parser processes, with exactly the warehouse's types: a chunk whose values all fit
converts at C speed in one go (`arrow_table`), and only a chunk that fails is gone through value
by value (`fit_row`), where an integer too wide for its column becomes NULL with a note, invalid
text is escaped, and anything else that cannot be stored is the file's error.

The types mirror the migrations (sql/migrations/); tests/test_columns.py compares them with
the schema of a migrated warehouse, so a migration that changes a column fails the tests until
this table follows. A key not listed here is converted as Arrow infers it (DuckDB casts it).
"""
from __future__ import annotations

from datetime import datetime
from operator import itemgetter

import pyarrow as pa

from ingest.text import is_valid, readable

WAREHOUSE_COLUMNS = {
    "files": "file_id bigint, path varchar, root varchar, rel_path varchar, name varchar, kind varchar, "
             "arch_id integer, size bigint, mtime_ns bigint, sha256 varchar, status varchar, message varchar, "
             "line_no integer, duplicate_of varchar, parser_version varchar",
    "runs": "run_id bigint, file_id bigint, arch_id integer, gpu varchar, gpu_list varchar[], seed integer, "
            "source_path varchar, exp_name varchar, config_path varchar, started_at timestamp, finished_at timestamp, "
            "last_logged_at timestamp, running_cost_days double, epochs_planned integer, epochs_logged integer, "
            "epochs_completed integer, last_epoch integer, best_epoch integer, best_cw40_acc double, "
            "best_pgd20_acc double, best_val_acc double, final_cw40_acc double, finished boolean, resumed boolean, "
            "n_segments integer, resume_epochs integer[], has_nan boolean, lr_milestones integer[], d1 integer, "
            "w1 integer, d2 integer, w2 integer, d3 integer, w3 integer, params_mb double, macs_m double, "
            "pytorch_version varchar, stop_reason varchar, step_lines bigint, grad_norm_nonfinite bigint, "
            "grad_norm_median double, steps_per_second double, argument_names varchar[], code_fingerprint varchar, "
            "val_images integer",
    "epochs": "run_id bigint, epoch integer, segment integer, started_at timestamp, step_lines integer, "
              "grad_norm_nonfinite integer",
    "run_settings": "run_id bigint, parameter varchar, value varchar, source varchar",
    "evals": "eval_id bigint, file_id bigint, arch_id integer, gpu varchar, gpu_list varchar[], norm varchar, "
             "attack varchar, attack_choice varchar, aa_type varchar, epsilon double, step_size double, device varchar, "
             "seed integer, n_test integer, n_batches integer, clean_correct integer, clean_acc double, "
             "test_loss double, fgsm_acc double, fgsm_stable double, pgd20_acc double, pgd20_stable double, "
             "pgd20_lip double, cw40_acc double, cw40_stable double, cw40_lip double, aa_acc double, "
             "corruption_mean_acc double, ckpt_best_pgdcw_acc double, ckpt_best_pgd_acc double, "
             "ckpt_global_step bigint, ckpt_epochs integer, checkpoint_path varchar, d1 integer, w1 integer, "
             "d2 integer, w2 integer, d3 integer, w3 integer, params_mb double, macs_m double, "
             "pytorch_version varchar, started_at timestamp, finished_at timestamp, running_cost_days double, "
             "finished boolean, source_path varchar, cw40_stable_logged double, counts_truncated boolean, "
             "cw40_stable_is_natural boolean, argument_names varchar[], code_fingerprint varchar",
    "corruptions": "eval_id bigint, corruption varchar, level integer, acc double, loss double",
}
"""Columns the ingest writes, as the migrations declare them (the epochs' metric columns, all
double, are typed where the epoch rows are unpacked: ingest/read.py)."""

_ARROW = {
    "bigint": pa.int64(), "integer": pa.int32(), "double": pa.float64(), "varchar": pa.string(),
    "timestamp": pa.timestamp("us"), "boolean": pa.bool_(),
    "varchar[]": pa.list_(pa.string()), "integer[]": pa.list_(pa.int32()),
}
COLUMN_TYPES: dict[str, dict[str, pa.DataType]] = {
    table: {name: _ARROW[kind] for name, kind in (column.split() for column in spec.split(", "))}
    for table, spec in WAREHOUSE_COLUMNS.items()
}
"""table -> column -> the Arrow type of the warehouse column."""

CONVERSION_ERRORS = (pa.ArrowException, OverflowError, TypeError, ValueError, UnicodeError)
"""What Arrow raises for a value its column cannot hold."""

_RANGES = {pa.int32(): (-(1 << 31), (1 << 31) - 1), pa.int64(): (-(1 << 63), (1 << 63) - 1)}


class Unstorable(ValueError):
    """A value that no column of its type can hold (text where a number belongs, ...): its file is an error."""


def arrow_table(table: str, rows: list[dict]) -> pa.Table:
    """Rows -> Arrow with the warehouse's types, every key of every row as a column (a row
    without a key has NULL there). Raises one of CONVERSION_ERRORS when a value does not fit."""
    types = COLUMN_TYPES.get(table, {})
    first = rows[0].keys() if rows else {}.keys()
    if all(row.keys() == first for row in rows):  # the usual batch: every row has the same keys, taken at C speed
        return pa.table({key: pa.array(list(map(itemgetter(key), rows)), types.get(key)) for key in first})
    keys = dict.fromkeys(key for row in rows for key in row)
    return pa.table({key: pa.array([row.get(key) for row in rows], types.get(key)) for key in keys})


def arrow_columns(table: str, columns: dict[str, list]) -> pa.Table:
    """Columns (name -> values) -> Arrow with the warehouse's types."""
    types = COLUMN_TYPES.get(table, {})
    return pa.table({key: pa.array(values, types.get(key)) for key, values in columns.items()})


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def fit_value(column: str, value, kind: pa.DataType | None):
    """A value as its column can hold it, and a note when it changed (None: unchanged).

    Raises Unstorable when no value of the column's type can stand for it.
    """
    if value is None or kind is None:
        return value, None
    if kind in _RANGES:
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is not int:
            raise Unstorable(f"{column} {_show(value)} is not an integer")
        low, high = _RANGES[kind]
        if not low <= value <= high:
            return None, f"{column} {_show(value)} out of range: stored as NULL"
        return value, None
    if kind == pa.float64():
        if type(value) is float:
            return value, None
        if type(value) is not int:
            raise Unstorable(f"{column} {_show(value)} is not a number")
        try:
            return float(value), None
        except OverflowError:
            return None, f"{column} {_show(value)} out of range: stored as NULL"
    if kind == pa.string():
        if type(value) is not str:
            raise Unstorable(f"{column} {_show(value)} is not text")
        return (value, None) if is_valid(value) else (readable(value), f"{column} held invalid text: stored escaped")
    if kind == pa.bool_():
        if type(value) is not bool:
            raise Unstorable(f"{column} {_show(value)} is not true or false")
        return value, None
    if kind == pa.timestamp("us"):
        if not isinstance(value, datetime):
            raise Unstorable(f"{column} {_show(value)} is not a date and time")
        return value, None
    if pa.types.is_list(kind):
        if not isinstance(value, (list, tuple)):
            raise Unstorable(f"{column} {_show(value)} is not a list")
        fitted = [fit_value(column, item, kind.value_type) for item in value]
        notes = [note for _, note in fitted if note]
        return [item for item, _ in fitted], (notes[0] if notes else None)
    return value, None


def fit_row(table: str, row: dict, strict: bool = True) -> list[str]:
    """Fit every value of a row into its column, in place; the notes of what changed.

    With `strict=False` (a `files` row, which must always be stored) a value that cannot be
    stored becomes NULL with a note instead of raising Unstorable.
    """
    types = COLUMN_TYPES.get(table, {})
    notes = []
    for key, value in row.items():
        try:
            fitted, note = fit_value(key, value, types.get(key))
        except Unstorable as exc:
            if strict:
                raise
            fitted, note = None, f"{exc}: stored as NULL"
        if note:
            row[key] = fitted
            notes.append(note)
    return notes
