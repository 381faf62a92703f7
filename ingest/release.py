"""Reader of the published release file (`cifar10.jsonl`, SPEC section 6): one JSON object per arch.

Each line becomes the records a log repository would give for that arch: one training run with its
epochs (from `train[0]`) and up to three evaluations of its best checkpoint (from `test_best[0]`):
a Linf Base evaluation, a Linf AutoAttack one when `Linf_aa_acc` is present, and a cifar10c one
with its corruption rows when `corruptions` is present. The release has no step lines and no
header lines, so the learning rate, observed decays and training settings stay unknown (NULL), and
the site is whatever the sites file says about the release file itself.

Every record's `source_path` is `<file>#arch_id=<id>`; the reader in ingest/read.py derives the
stable run and eval ids from it.

Each line stands alone: a line that is not an object of the right types is skipped and counted,
the others load (the files row says `partial`, how many lines were skipped, and the first reason).
Lines are read as a stream, one at a time, within budgets that bound the time and memory of each:
MAX_LINE_BYTES per line (a longer one is skipped without being kept), MAX_LIST_VALUES per list,
MAX_CORRUPTION_ROWS per line, and the JSON reader's own nesting limit. An integer too wide for its
column is stored as NULL, with a note.

>>> log = parse_release(b'{"arch_id": 2, "arch": {"D1": 4, "W1": 8, "D2": 4, "W2": 8, "D3": 4, "W3": 8}, '
...     b'"MACs": 1.0, "Params": 2.0, "train": [{"seed": 0, "gpu_type": null, "timestamp": "2023-03-01", '
...     b'"training_time": 0.5, "best_epoch": 0, "cw": [40.0]}], "test_best": [{}]}', "r.jsonl")
>>> [(p.kind, p.source_path, p.run["best_cw40_acc"]) for p in log.parts]
[('train', 'r.jsonl#arch_id=2', 40.0)]
"""
from __future__ import annotations

import io
import json
import math
from array import array
from typing import BinaryIO, Iterator

from ingest.errors import ParseError
from ingest.records import EPOCH_COLUMNS, EpochRows, ParsedLog
from ingest.space import MAX_ARCH_ID

MAX_LINE_BYTES = 4 << 20
"""A release line of 100 epochs is ~10-30 KB; a longer line than this is skipped unread."""
MAX_LIST_VALUES = 10_000
MAX_CORRUPTION_ROWS = 1_000
_INTEGER = (-(1 << 31), (1 << 31) - 1)
_BLOCK = 1 << 20

# release per-epoch list -> epochs column
EPOCH_LISTS = {
    "train_loss": "train_loss",
    "train_acc": "train_acc",
    "val_loss": "val_loss",
    "val_acc": "val_acc",
    "pgd": "pgd20_acc",
    "pgd_stable": "pgd20_stable",
    "pgd_lip": "pgd20_lip",
    "pgd_loss": "pgd20_loss",
    "cw": "cw40_acc",
    "cw_stable": "cw40_stable",
    "cw_lip": "cw40_lip",
    "cw_loss": "cw40_loss",
}
# release test_best key -> evals column of the Linf Base evaluation
BASE_KEYS = {
    "test_clean_acc": "clean_acc",
    "test_loss": "test_loss",
    "Linf_fgsm_acc": "fgsm_acc",
    "Linf_fgsm_stable": "fgsm_stable",
    "Linf_pgd_acc": "pgd20_acc",
    "Linf_pgd_stable": "pgd20_stable",
    "Linf_pgd_lip": "pgd20_lip",
    "Linf_cw_acc": "cw40_acc",
    "Linf_cw_stable": "cw40_stable",
    "Linf_cw_lip": "cw40_lip",
}
ARCH_KEYS = ("D1", "W1", "D2", "W2", "D3", "W3")
EVAL_COLUMNS = (
    "norm", "attack_choice", "aa_type", "epsilon", "step_size", "device", "seed", "checkpoint_path",
    "params_mb", "macs_m", "pytorch_version", "gpu_list", "started_at", "finished_at", "running_cost_days",
    "d1", "w1", "d2", "w2", "d3", "w3", "clean_correct", "n_test", "clean_acc", "test_loss", "fgsm_acc",
    "fgsm_stable", "pgd20_acc", "pgd20_stable", "pgd20_lip", "cw40_acc", "cw40_stable", "cw40_lip", "aa_acc",
    "ckpt_best_pgdcw_acc", "ckpt_best_pgd_acc", "ckpt_global_step", "ckpt_epochs", "attack", "n_batches",
    "finished", "corruption_mean_acc",
)


class _Line:
    """The notes of one line: values stored as NULL because they did not fit their column."""

    def __init__(self, line_no: int, has_booleans: bool):
        self.line_no = line_no
        self.has_booleans = has_booleans
        self.notes: list[str] = []

    def note(self, what: str, value) -> None:
        self.notes.append(f"line {self.line_no}: {what} {_show(value)} out of range: stored as NULL")


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value, what: str, line: _Line) -> float | None:
    if value is None:
        return None
    if type(value) is float:
        return value
    if type(value) is not int:
        raise ValueError(f"{what} is not a number: {_show(value)}")
    try:
        return float(value)
    except OverflowError:
        line.note(what, value)
        return None


def _integer(value, what: str, line: _Line) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise ValueError(f"{what} is not an integer: {_show(value)}")
    if not _INTEGER[0] <= value <= _INTEGER[1]:
        line.note(what, value)
        return None
    return value


def _text(value, what: str) -> str | None:
    if value is not None and type(value) is not str:
        raise ValueError(f"{what} is not text: {_show(value)}")
    return value


def _numbers(values, what: str, line: _Line) -> list:
    """A per-epoch list: numbers or null, at most MAX_LIST_VALUES (checked at C speed when it holds
    only numbers, which the JSON reader can only give as int or float when the line has no booleans)."""
    if type(values) is not list:
        raise ValueError(f"{what} is not a list: {_show(values)}")
    if len(values) > MAX_LIST_VALUES:
        raise ValueError(f"{what} holds {len(values)} values, more than {MAX_LIST_VALUES}")
    if not line.has_booleans:
        try:
            floats = array("d", [0.0 if v is None else v for v in values]).tolist()
        except (TypeError, OverflowError):
            pass
        else:
            # floats, not the values: an integer above 2^53 is a float to store, not an exact int
            return floats if None not in values else [None if v is None else x for v, x in zip(values, floats)]
    return [_number(v, f"{what}[{i}]", line) for i, v in enumerate(values)]


def _epochs(train: dict, line: _Line) -> dict[str, list]:
    lists = {column: _numbers(train[key], f"train.{key}", line)
             for key, column in EPOCH_LISTS.items() if train.get(key) is not None}
    n = max((len(values) for values in lists.values()), default=0)
    columns = {name: [None] * n for name in EPOCH_COLUMNS}
    columns["epoch"] = list(range(n))
    columns["segment"] = [0] * n
    for column, values in lists.items():
        columns[column] = values + [None] * (n - len(values))
    return columns


def _run(record: dict, train: dict, epochs: dict[str, list], line: _Line) -> dict:
    arch = record.get("arch")
    if arch is None:
        arch = {}
    if type(arch) is not dict:
        raise ValueError(f"arch is not an object: {_show(arch)}")
    best = _integer(train.get("best_epoch"), "best_epoch", line)
    n = len(epochs["epoch"])

    def at_best(column: str):
        return epochs[column][best] if best is not None and 0 <= best < n else None

    completed = [i for i in range(n) if epochs["cw40_acc"][i] is not None]
    values = [v for c in EPOCH_LISTS.values() for v in epochs[c] if v is not None]
    day = _text(train.get("timestamp"), "timestamp")
    gpu = _text(train.get("gpu_type"), "gpu_type")
    return {
        "seed": _integer(train.get("seed"), "seed", line),
        "exp_name": None,
        "config_path": None,
        "started_at": f"{day} 00:00:00" if day else None,
        "finished_at": None,
        "last_logged_at": None,
        "running_cost_days": _number(train.get("training_time"), "training_time", line),
        "epochs_planned": n or None,
        "epochs_logged": n,
        "epochs_completed": len(completed),
        "last_epoch": n - 1 if n else None,
        "best_epoch": best,
        "best_cw40_acc": at_best("cw40_acc"),
        "best_pgd20_acc": at_best("pgd20_acc"),
        "best_val_acc": at_best("val_acc"),
        "final_cw40_acc": epochs["cw40_acc"][completed[-1]] if completed else None,
        "finished": True,
        "resumed": False,
        "n_segments": 1,
        "resume_epochs": [],
        "has_nan": any(math.isnan(v) for v in values),
        "gpu_list": [gpu] if gpu else None,
        "params_mb": _number(record.get("Params"), "Params", line),
        "macs_m": _number(record.get("MACs"), "MACs", line),
        "pytorch_version": None,
        "lr_milestones": None,
        **{key.lower(): _integer(arch.get(key), f"arch.{key}", line) for key in ARCH_KEYS},
    }


def _eval(run: dict, attack: str, norm: str | None, **values) -> dict:
    evaluation = {name: None for name in EVAL_COLUMNS}
    evaluation.update(
        norm=norm, attack=attack, attack_choice=attack, finished=True, seed=run["seed"],
        gpu_list=run["gpu_list"], ckpt_best_pgdcw_acc=run["best_cw40_acc"], ckpt_best_pgd_acc=run["best_pgd20_acc"],
        params_mb=run["params_mb"], macs_m=run["macs_m"],
        **{k: run[k] for k in ("d1", "w1", "d2", "w2", "d3", "w3")},
    )
    evaluation.update(values)
    return evaluation


def _corruption_rows(corruptions, line: _Line) -> list[tuple[str, int, float | None, float | None]]:
    if type(corruptions) is not dict:
        raise ValueError(f"corruptions is not an object: {_show(corruptions)}")
    rows = []
    for name, levels in corruptions.items():
        if type(levels) is not dict:
            raise ValueError(f"corruption {_show(name)}: not an object of levels")
        for level, entry in levels.items():
            if len(level) > 10 or not level.isascii() or not level.lstrip("-").isdigit():
                raise ValueError(f"corruption {_show(name)}: level {_show(level)} is not an integer")
            if type(entry) is not dict:
                raise ValueError(f"corruption {_show(name)} level {level}: not an object")
            what = f"corruptions.{name}.{level}"
            rows.append((name, _integer(int(level), f"{what} level", line),
                         _number(entry.get("acc"), f"{what}.acc", line), _number(entry.get("loss"), f"{what}.loss", line)))
            if len(rows) > MAX_CORRUPTION_ROWS:
                raise ValueError(f"corruptions hold more than {MAX_CORRUPTION_ROWS} rows")
    return rows


def release_record(record: dict, source: str, line: _Line | None = None) -> list[ParsedLog]:
    """The run and evaluations of one release line (train[0] and test_best[0]); raises ValueError
    (with the reason) when the line does not hold the release's fields with their types."""
    line = line or _Line(0, True)
    train_list = record.get("train")
    if type(train_list) is not list or not train_list or type(train_list[0]) is not dict:
        raise ValueError("no train entry")
    train = train_list[0]
    tests = record.get("test_best")
    test = tests[0] if type(tests) is list and tests else None
    if test is not None and type(test) is not dict:
        raise ValueError(f"test_best[0] is not an object: {_show(test)}")
    epochs = _epochs(train, line)
    run = _run(record, train, epochs, line)
    parts = [ParsedLog(kind="train", run=run, epochs=EpochRows.from_columns(epochs), source_path=source)]
    if test is not None:
        base = {column: _number(test.get(key), key, line) for key, column in BASE_KEYS.items()}
        if any(v is not None for v in base.values()):
            done = all(base[c] is not None for c in ("clean_acc", "fgsm_acc", "pgd20_acc", "cw40_acc"))
            parts.append(ParsedLog(kind="eval", source_path=source, eval=_eval(run, "Base", "Linf", finished=done, **base)))
        aa_acc = _number(test.get("Linf_aa_acc"), "Linf_aa_acc", line)
        if aa_acc is not None:
            aa = _eval(run, "AA", "Linf", aa_acc=aa_acc, aa_type="Standard")
            parts.append(ParsedLog(kind="eval", source_path=source, eval=aa))
        if test.get("corruptions"):
            rows = _corruption_rows(test["corruptions"], line)
            accs = [acc for _, _, acc, _ in rows if acc is not None]
            mean = sum(accs) / len(accs) if accs else None
            corruption = _eval(run, "cifar10c", None, corruption_mean_acc=mean, attack_choice=None)
            parts.append(ParsedLog(kind="corruption", source_path=source, eval=corruption, corruptions=rows))
    return parts


def release_lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, its bytes, its length) of each line of a stream, read in blocks; a line longer
    than `max_bytes` comes as None and is never held in memory whole."""
    parts: list[bytes] = []
    size, line_no = 0, 0
    while True:
        block = stream.read(_BLOCK)
        if not block:
            break
        start = 0
        while True:
            end = block.find(b"\n", start)
            piece = block[start:] if end < 0 else block[start:end]
            size += len(piece)
            if size <= max_bytes:
                parts.append(piece)
            else:
                parts.clear()
            if end < 0:
                break
            line_no += 1
            yield line_no, (b"".join(parts) if size <= max_bytes else None), size
            parts.clear()
            size, start = 0, end + 1
    if size:
        yield line_no + 1, (b"".join(parts) if size <= max_bytes else None), size


def _record(line: bytes, line_no: int, path: str, seen: set[int]) -> tuple[int, list[ParsedLog], list[str]]:
    """The arch id, records and notes of one line; ValueError (or RecursionError) when it is unreadable."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    try:
        record = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested deeper than the reader allows") from None
    if type(record) is not dict:
        raise ValueError(f"not a JSON object: {_show(record)}")
    arch_id = record.get("arch_id")
    if type(arch_id) is not int or not 1 <= arch_id <= MAX_ARCH_ID:
        raise ValueError(f"arch_id {_show(arch_id)} outside 1..{MAX_ARCH_ID}")
    if arch_id in seen:
        raise ValueError(f"arch_id {arch_id} given twice: the first line is kept")
    notes = _Line(line_no, b"true" in line or b"false" in line)
    return arch_id, release_record(record, f"{path}#arch_id={arch_id}", notes), notes.notes


def parse_release_stream(stream: BinaryIO, path: str) -> ParsedLog:
    """All lines of a release file, read from a binary stream; a line that cannot be read is
    skipped and counted (status partial); no readable line at all raises ParseError."""
    parts: list[ParsedLog] = []
    bad: list[str] = []
    notes: list[str] = []
    seen: set[int] = set()
    for line_no, line, size in release_lines(stream):
        if line is None:
            bad.append(f"line {line_no}: {size} bytes, more than {MAX_LINE_BYTES >> 20} MB")
            continue
        if not line.strip():
            continue
        try:
            arch_id, found, line_notes = _record(line, line_no, path, seen)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, MemoryError) as exc:
            bad.append(f"line {line_no}: {str(exc)[:120] or type(exc).__name__}")
            continue
        for part in found:
            part.arch_id = arch_id
        parts.extend(found)
        notes.extend(line_notes)
        seen.add(arch_id)
    if not seen:
        raise ParseError(path, None, f"no readable release line ({bad[0] if bad else 'empty file'})")
    message = f"release file: {len(seen)} archs"
    if bad:
        message += f"; {len(bad)} unreadable lines skipped (first: {bad[0]})"
    if notes:
        message += f"; {len(notes)} values stored as NULL (first: {notes[0]})"
    return ParsedLog(kind="release", status="partial" if bad else "ok", message=message, parts=parts)


def parse_release(data: bytes, path: str) -> ParsedLog:
    """All lines of a release file held in memory (see parse_release_stream)."""
    return parse_release_stream(io.BytesIO(data), path)


__all__ = ["parse_release", "parse_release_stream", "release_lines", "release_record", "EPOCH_LISTS", "BASE_KEYS"]
