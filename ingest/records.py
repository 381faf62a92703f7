"""The records a parser produces for one file, before they become warehouse rows."""
from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa

from ingest._scan import column_buffers
from ingest.log_format import CodeFormat

EPOCH_INT_COLUMNS = ("epoch", "started_at", "segment", "step_lines", "grad_norm_nonfinite")
"""The integer columns of an epoch record (`started_at` in microseconds since 1970)."""
EPOCH_FLOAT_COLUMNS = (
    "lr", "train_loss", "train_acc", "val_loss", "val_acc",
    "pgd20_natural_acc", "pgd20_acc", "pgd20_loss", "pgd20_lip", "pgd20_stable",
    "cw40_natural_acc", "cw40_acc", "cw40_loss", "cw40_lip", "cw40_stable",
    "grad_norm_median", "grad_norm_max", "steps_per_second",
)
EPOCH_COLUMNS = EPOCH_INT_COLUMNS + EPOCH_FLOAT_COLUMNS
"""The columns of an epoch record, in the order of `EpochRows` (ingest/_scan.c writes the same)."""

ROW_WORDS = len(EPOCH_COLUMNS)
INT_NULL = -(1 << 63)
"""The word of a missing integer value (`started_at` without a valid timestamp, ...)."""
NULL_VALUE_BITS = 0x7FF80000DEADBEEF
"""The bits of a missing float value: a NaN that no parse produces (`float('nan')` has payload 0)."""
_WORD = struct.Struct("<q")
_DOUBLE = struct.Struct("<d")
_EPOCH_START = datetime(1970, 1, 1)
_INTEGER_COLUMNS = len(EPOCH_INT_COLUMNS)


@dataclass(frozen=True)
class EpochRows:
    """The epoch records of one run, packed for loading: `n` rows of EPOCH_COLUMNS, one 8-byte
    little-endian word per value (int64 for the integer columns, float64 for the rest), missing
    values as INT_NULL / NULL_VALUE_BITS.

    Why packed: a full-scale ingest has 1.5 million epoch records; as Python lists they cost more
    to build, pickle and convert to Arrow than to parse. The compiled scanner (ingest/_scan.c)
    writes this layout directly, a release file's runs are packed with `from_columns`, and
    `column` reads one back (tests, run summaries).
    """

    n: int
    data: bytes
    has_nan: bool = False

    @classmethod
    def from_columns(cls, columns: dict[str, list]) -> "EpochRows":
        """Pack typed columns (integers or None, floats or None; `started_at` in microseconds)."""
        n = len(columns["epoch"])
        words = array("q", bytes(8 * n * ROW_WORDS))
        has_nan = False
        for i, name in enumerate(EPOCH_COLUMNS):
            values = columns.get(name, [None] * n)
            if i < _INTEGER_COLUMNS:
                words[i::ROW_WORDS] = array("q", [INT_NULL if v is None else v for v in values])
            else:
                packed = array("d", [0.0 if v is None else v for v in values])
                if name not in ("grad_norm_median", "grad_norm_max", "steps_per_second"):
                    has_nan = has_nan or any(v != v for v in packed)
                bits = array("q", packed.tobytes())
                for k, v in enumerate(values):
                    if v is None:
                        bits[k] = NULL_VALUE_BITS
                words[i::ROW_WORDS] = bits
        return cls(n, words.tobytes(), has_nan)

    def column(self, name: str) -> list:
        """One column as Python values: ints, floats, None for a missing value, `started_at` as a
        naive datetime (UTC as logged)."""
        i = EPOCH_COLUMNS.index(name)
        if not self.n:
            return []
        view = memoryview(self.data)
        words = view.cast("q")[i::ROW_WORDS].tolist()
        if name == "started_at":
            return [None if w == INT_NULL else _EPOCH_START + timedelta(microseconds=w) for w in words]
        if i < _INTEGER_COLUMNS:
            return [None if w == INT_NULL else w for w in words]
        floats = view.cast("d")[i::ROW_WORDS].tolist()
        return [None if w == NULL_VALUE_BITS else f for w, f in zip(words, floats)]

    def value(self, name: str, row: int):
        """One value (as `column` gives it) of one row."""
        i = EPOCH_COLUMNS.index(name)
        bits = _WORD.unpack_from(self.data, (row * ROW_WORDS + i) * 8)[0]
        if name == "started_at":
            return None if bits == INT_NULL else _EPOCH_START + timedelta(microseconds=bits)
        if i < _INTEGER_COLUMNS:
            return None if bits == INT_NULL else bits
        return None if bits == NULL_VALUE_BITS else _DOUBLE.unpack_from(self.data, (row * ROW_WORDS + i) * 8)[0]

    def __getitem__(self, name: str) -> list:
        return self.column(name)


def epoch_table(run_ids: bytes, rows: bytes) -> pa.Table:
    """Packed epoch rows (EpochRows.data) of many runs, with each row's run id (int64 words) -> the
    `epochs` Arrow table, typed as the warehouse's columns.

    Each column's buffers are made in C straight from the rows (ingest/_scan.c `column_buffers`
    reads one word of every row): no Python object per value, no strided copy per column, and no
    pyarrow.compute to import in every parser.
    """
    n = len(run_ids) // 8
    columns = {"run_id": pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(run_ids)])}
    for i, name in enumerate(EPOCH_COLUMNS):
        if name == "started_at":
            kind, null, narrow = pa.timestamp("us"), INT_NULL, False
        elif i < _INTEGER_COLUMNS:
            # the warehouse's INTEGER: a value too wide raises, and the reader fits that file alone
            kind, null, narrow = pa.int32(), INT_NULL, True
        else:
            kind, null, narrow = pa.float64(), NULL_VALUE_BITS, False
        validity, values = column_buffers(rows, null, narrow, i, ROW_WORDS)
        columns[name] = pa.Array.from_buffers(kind, n, [validity and pa.py_buffer(validity), pa.py_buffer(values)])
    return pa.table(columns)


@dataclass
class ParsedLog:
    """Everything one log file says.

    `status` is `ok` or `partial` (an unfinished run or evaluation); a file that cannot be read at
    all raises `ParseError` instead. `message` is one line for the `files` table.
    """

    kind: str
    status: str = "ok"
    message: str = ""
    code: CodeFormat | None = None  # what the log says about the code that wrote it
    run: dict | None = None
    epochs: EpochRows | None = None
    settings: list[tuple[str, str, str]] = field(default_factory=list)
    eval: dict | None = None
    corruptions: list[tuple[str, int, float | None, float | None]] = field(default_factory=list)
    # a release file (ingest/release.py) holds many runs: one part per run or evaluation, each with
    # its own arch and source (`<file>#arch_id=<id>`), from which its stable id is derived; an
    # evaluation log of appended runs (ingest/eval_log.py) holds one part per run before its last,
    # with the line it starts on (`run_line`, source `<file>#line=<n>`): its id is the file's id
    # XOR that line, which SQL can derive again when the rows move to another copy of the file
    arch_id: int | None = None
    source_path: str | None = None
    parts: list["ParsedLog"] = field(default_factory=list)
    run_line: int | None = None
