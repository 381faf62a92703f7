"""Training logs (`arch_<id>.log`): one run, its header settings and one record per epoch.

Layout of a log (SPEC section 3): a header (`Namespace(...)`, argument lines, the model printout,
`Config([...])` lines, param size, flops, PyTorch version, optional `GPU List`), then per epoch a
`Training Epoch e` marker, step lines, an `Eval Epoch e` marker and the clean / PGD-20 / CW-40
validation blocks; `Running Cost` ends a finished run. A resumed run appends a second header to the
same file; an epoch logged twice keeps its later record whole.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right

from ingest.errors import ParseError
from ingest.logrecords import (
    NUM,
    TS,
    architecture,
    config_entries,
    decode_log,
    first_timestamp,
    gpu_list,
    log_time,
    header_values,
    last_timestamp,
    size_in,
    to_int,
)
from ingest.records import EPOCH_COLUMNS, EpochRows, ParsedLog, timestamp_us
from ingest.pyliteral import Config

try:  # the compiled epoch records (ingest/_scan.c), built by `pip install -e .`
    from ingest._scan import epoch_rows as _compiled_epoch_rows
    from ingest._scan import header_starts as _compiled_header_starts
except ImportError:  # a source tree that was never built: the Python parser alone, slower
    _compiled_epoch_rows = _compiled_header_starts = None

_NAMESPACE_TEXT = "Namespace("
_MARK = "====================Training Epoch "
_STARTING = re.compile(r"Starting Epoch: (\d+)")
_GPU = re.compile(r"GPU List: (\[[^\n]*\])")
_RUNNING_COST = re.compile(rf"Running Cost ({NUM}) Days")
_V = r"([-+.\w]+)"  # a logged number; validated when converted
_LINE = r"[^\n]{23} "  # the timestamp of a continuation record
_END = r"[ \t]*\n"
_STEP_TAIL = re.compile(rf"\tacc_avg={_V}\tloss=[^\t\n]*\tloss_avg={_V}\tlr={_V}\t\|gn\|=")
_TS_AT = re.compile(TS)


def _attack_block(name: str, best: str) -> str:
    """One `---- <name> attacking results ----` block; groups: natural, acc, loss, lip, stable."""
    return (
        rf"{_LINE}---- {name} attacking results ----{_END}"
        rf"{_LINE}Natural Correct Count: \d+/\d+ Acc: {_V}{_END}"
        rf"{_LINE}{name} Correct Count: \d+/\d+ Acc: {_V}{_END}"
        rf"{_LINE}{name} with [\d.]+ steps Loss Avg: {_V}{_END}"
        rf"{_LINE}LIP Avg: {_V}{_END}"
        rf"{_LINE}Stable Count: \d+/\d+ StableAcc: {_V}{_END}"
        rf"(?:{_LINE}Best {best} accuracy: [^\n]*\n)?+"
    )


# One eval section; each later part is optional so that a run killed mid-evaluation keeps what it logged.
# The quantifiers are possessive (`?+`, `*+`): a part either matches whole or not at all, so there is
# nothing to backtrack into, and the engine saves no backtracking state (about 15% faster).
_EVAL = re.compile(
    rf"Eval Epoch (\d+)={{20}}{_END}"
    rf"(?:{_LINE}epoch=[^\n]*\n)*+"
    rf"(?:{_LINE}Eval Loss:{_V}\tEval acc: {_V}{_END}"
    rf"(?:{_attack_block('PGD', 'PGD-20')}"
    rf"(?:{_attack_block('PGD-CW', 'PGDCW-40')})?+)?+)?+"
)

_EMPTY_EVAL = [None] * (len(EPOCH_COLUMNS) - 6)


MAX_EPOCH = 2**31 - 1
"""The largest epoch number `epochs.epoch` (INTEGER) holds; a marker with a larger one is garbled."""


def _epoch_number(digits: str) -> int | None:
    """The number of an epoch marker: ASCII digits up to MAX_EPOCH, else None (not a marker)."""
    if not (digits.isascii() and digits.isdigit()) or len(digits.lstrip("0")) > 10:
        return None
    number = int(digits)
    return number if number <= MAX_EPOCH else None


def _epoch_records(text: str, headers: list[int]) -> dict[int, list]:
    """Epoch number -> record (values still text), one per `Training Epoch` marker.

    The markers cut the text into pieces, each holding exactly one epoch's lines: its last step
    line gives lr / train loss / train acc, its `Eval Epoch` section the validation results. A later
    piece for the same epoch (a resumed run) replaces the earlier one whole. The number after a
    marker must be followed by `=` (a file cut right after `Training Epoch 12` has no epoch 12), and
    be an epoch number (`_epoch_number`).

    This loop runs ~1.5 million times at full scale, so each piece costs a few C calls: `str.find`
    and anchored matches bounded by the piece's end, without copying the text into pieces.
    """
    records: dict[int, list] = {}
    mark_len = len(_MARK)
    step_tail = _STEP_TAIL.match
    eval_section = _EVAL.match
    find, rfind = text.find, text.rfind
    one_segment = len(headers) == 1
    previous_start = 0
    marker = find(_MARK)
    while marker >= 0:
        start = marker + mark_len
        following = find(_MARK, start)
        end = following if following >= 0 else len(text)
        equals = find("=", start, end)
        digits = text[start:equals]
        epoch = _epoch_number(digits) if equals >= 0 else None
        if epoch is not None:
            stamp = text[marker - 24:marker - 1] if marker - 24 >= previous_start else None
            if stamp and not (stamp[4] == "-" and stamp[19] == "," and stamp[:4].isdigit()):
                stamp = None
            segment = 0 if one_segment else max(bisect_right(headers, start) - 1, 0)
            step = rfind("\tacc_avg=", start, end)
            match = step_tail(text, step, end) if step >= 0 else None
            if match:
                acc, loss, lr = match.groups()
                record = [epoch, stamp, segment, lr, loss, acc]
            else:
                record = [epoch, stamp, segment, None, None, None]
            section = find("Eval Epoch ", start, end)
            match = eval_section(text, section, end) if section >= 0 else None
            if match and _epoch_number(match.group(1)) == epoch:
                record += match.groups()[1:]
            else:
                record += _EMPTY_EVAL
            records[epoch] = record
        previous_start = start
        marker = following
    return records


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _numbers(values: tuple) -> list:
    """Text column -> floats; garbled values become None (fast path first: C-level map)."""
    try:
        return list(map(float, values))
    except (TypeError, ValueError):
        return [_number(v) for v in values]


def _columns(epochs: dict[int, list]) -> dict[str, list]:
    """Epoch records -> typed columns, by epoch: values as floats (train accuracies in percent),
    timestamps in microseconds (None when not a valid date and time)."""
    rows = [epochs[e] for e in sorted(epochs)]
    columns = {name: list(values) for name, values in zip(EPOCH_COLUMNS, zip(*rows))} if rows else {n: [] for n in EPOCH_COLUMNS}
    for name in EPOCH_COLUMNS[3:]:
        columns[name] = _numbers(columns[name])
    columns["train_acc"] = [None if v is None else round(v * 100.0, 10) for v in columns["train_acc"]]
    stamps = [log_time(stamp) for stamp in columns["started_at"]]
    columns["started_at"] = [None if stamp is None else timestamp_us(stamp) for stamp in stamps]
    return columns


def epoch_rows(text: str, headers: list[int], compiled: bool = True) -> EpochRows:
    """The epoch records of a log, packed (train accuracies in percent).

    The compiled scanner (`ingest._scan`) packs the same rows as `_columns(_epoch_records(...))`
    about five times faster; it declines (None) any text it does not handle exactly as they do: text
    that is not ASCII, values that are not plain decimal numbers (NaN, garbled), and those go here
    through the Python functions. `compiled=False` forces the Python path (the tests compare both).
    """
    found = _compiled_epoch_rows(text, headers) if compiled and _compiled_epoch_rows else None
    if found is not None:
        return EpochRows(*found)  # the compiled path declines NaN: has_nan is False
    return EpochRows.from_columns(_columns(_epoch_records(text, headers)))


def _best(cw40: list) -> tuple[int | None, int | None]:
    """Index of the best epoch (first epoch whose CW-40 equals the run's maximum) and of the last evaluated one."""
    best_i = last_i = None
    best = -math.inf
    for i, cw in enumerate(cw40):
        if cw is None or cw != cw:
            continue
        last_i = i
        if cw > best:
            best, best_i = cw, i
    return best_i, last_i


def _settings(values: dict[str, str], configs: dict[str, Config]) -> list[tuple[str, str, str]]:
    """Every training setting the header records: argument lines as printed, Config entries as `<config>.<key>`."""
    environment = ("param size", "flops", "PyTorch Version", "GPU List")
    settings = [(k, v, "argument") for k, v in values.items() if " " not in k and k not in environment]
    for config, entries in configs.items():
        settings.extend((f"{config}.{name}", text, "config") for name, text in entries.reprs())
    for key in environment:
        if key in values:
            settings.append((key.lower().replace(" ", "_"), values[key], "environment"))
    return settings


def _header_starts(text: str, compiled: bool = True) -> list[int]:
    """Offsets of the `Namespace(` records that start a header (one per run segment).

    Found with `str.find` (a regex search would step through every character of the epochs), or
    for ASCII text by the compiled scanner, which looks only at the rare `(`.
    """
    if compiled and _compiled_header_starts:
        found = _compiled_header_starts(text)
        if found is not None:
            return found
    starts = []
    pos = text.find(_NAMESPACE_TEXT)
    while pos >= 0:
        if _TS_AT.fullmatch(text, pos - 24, pos - 1):
            starts.append(pos)
        pos = text.find(_NAMESPACE_TEXT, pos + 1)
    return starts


def parse_train_log(data: bytes, path: str) -> ParsedLog:
    """Parse one training log; raise ParseError when the file is not a training log at all."""
    text = decode_log(data, path)
    headers = _header_starts(text)
    if not headers:
        if _MARK in text:
            raise ParseError(path, 1, "training records without the Namespace(...) header: header lost or file garbled")
        raise ParseError(path, 1, "no Namespace(...) header and no epoch records: not a training log")

    first_epoch = text.find(_MARK, headers[0])
    header_end = headers[1] if len(headers) > 1 else len(text)
    if first_epoch >= 0:
        header_end = min(header_end, first_epoch)
    values = header_values(text, header_end)
    configs = config_entries(text, header_end)
    epochs = epoch_rows(text, headers)
    cw40 = epochs.column("cw40_acc")
    best_i, last_i = _best(cw40)

    # header facts live in the header segments: search only there, not through every epoch
    segment_ends = [text.find(_MARK, h) for h in headers]
    regions = [(h, e if e >= 0 else len(text)) for h, e in zip(headers, segment_ends)]
    starts = [int(m.group(1)) for h, e in regions[1:] for m in _STARTING.finditer(text, h, e)]
    gpu_match = _GPU.search(text, 0, regions[0][1])
    gpus = gpu_list(gpu_match.group(1)) if gpu_match else None
    cost = None
    finished_at = None
    for match in _RUNNING_COST.finditer(text, max(0, len(text) - 4096)):
        cost = float(match.group(1))
        finished_at = text[match.start() - 24:match.start() - 1]
    finished = cost is not None
    nan = epochs.has_nan
    model = configs.get("model", {})
    scheduler = configs.get("scheduler", {})
    milestones = scheduler.get("milestones")
    epochs_planned = to_int(values.get("epochs"))
    n_epochs = epochs.n
    incomplete_evals = cw40.count(None)

    run = {
        "seed": to_int(values.get("seed")),
        "exp_name": values.get("exp_name"),
        "config_path": values.get("config_path"),
        "started_at": first_timestamp(text),
        "finished_at": finished_at if finished else None,
        "last_logged_at": last_timestamp(text),
        "running_cost_days": cost,
        "epochs_planned": epochs_planned,
        "epochs_logged": n_epochs,
        "epochs_completed": n_epochs - incomplete_evals,
        "last_epoch": epochs.value("epoch", n_epochs - 1) if n_epochs else None,
        "best_epoch": epochs.value("epoch", best_i) if best_i is not None else None,
        "best_cw40_acc": cw40[best_i] if best_i is not None else None,
        "best_pgd20_acc": epochs.value("pgd20_acc", best_i) if best_i is not None else None,
        "best_val_acc": epochs.value("val_acc", best_i) if best_i is not None else None,
        "final_cw40_acc": cw40[last_i] if last_i is not None else None,
        "finished": finished,
        "resumed": len(headers) > 1,
        "n_segments": len(headers),
        "resume_epochs": [e for e in starts if e > 0] if len(headers) > 1 else [],
        "has_nan": nan,
        "gpu_list": gpus,
        "params_mb": size_in(values.get("param size"), "MB"),
        "macs_m": size_in(values.get("flops"), "M"),
        "pytorch_version": values.get("PyTorch Version"),
        "lr_milestones": [int(m) for m in milestones] if isinstance(milestones, list) else None,
        **architecture(model),
    }
    problems = []
    if not finished:
        where = f"last epoch {run['last_epoch']}" if n_epochs else "no epoch logged"
        problems.append(f"unfinished run: no 'Running Cost' line ({where})")
    if incomplete_evals and finished:
        problems.append(f"{incomplete_evals} epoch(s) without CW-40 results")
    if "model" not in configs:
        problems.append("no readable model Config line")
    if nan:
        problems.append("NaN values")
    if run["resumed"]:
        problems.append(f"resumed {len(headers) - 1} time(s)")
    status = "ok" if finished else "partial"
    message = "; ".join(problems) if problems else f"finished run, {n_epochs} epochs"
    return ParsedLog(
        kind="train",
        status=status,
        message=message,
        run=run,
        epochs=epochs,
        settings=_settings(values, configs),
    )

