"""The rules of ingest/_scan.c (the epoch records of a training log) stated again in plain Python.

This is the oracle of tests/test_scan.py: slow, short, written for reading, and independent of the
compiled scanner's code. The bytes are decoded as Latin-1 so that every byte is one character and
string offsets are byte offsets; no ASCII literal can match a byte above 0x7F.
"""
from __future__ import annotations

import math
import re

from ingest.records import EPOCH_COLUMNS, EpochRows

MARK = "====================Training Epoch "
EVAL = "Eval Epoch "
MAX_EPOCH = 2**31 - 1
VALUE_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-+.")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3}")
NUMBER = re.compile(r"([+-]?)(?:(nan)|(inf|infinity)|([0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?)", re.I)
TOKENS = EPOCH_COLUMNS[5:20]  # lr .. cw40_stable: the values read as text
BLOCK = ("natural_acc", "acc", "loss", "lip", "stable")


def number(token: str | None, shift: int = 0) -> float | None:
    """A value as a decimal number times 10^shift, nan or inf; None for anything else."""
    match = NUMBER.fullmatch(token) if token is not None else None
    if not match:
        return None
    sign, nan, inf, digits, exponent = match.groups()
    if nan:
        return math.nan
    if inf:
        return -math.inf if sign == "-" else math.inf
    return float(f"{sign}{digits}e{int(exponent or 0) + shift}")


def epoch_number(digits: str) -> int | None:
    if not digits or not all(c in "0123456789" for c in digits) or len(digits.lstrip("0")) > 10:
        return None
    value = int(digits)
    return value if value <= MAX_EPOCH else None


def record_start(text: str, pos: int, end: int) -> int | None:
    """Position after a record's 24-character prefix (23 characters without a newline, a space)."""
    if end - pos < 24 or text[pos + 23] != " " or "\n" in text[pos:pos + 23]:
        return None
    return pos + 24


def value_at(text: str, pos: int, end: int) -> tuple[str, int] | None:
    stop = pos
    while stop < end and text[stop] in VALUE_CHARS:
        stop += 1
    return (text[pos:stop], stop) if stop > pos else None


def field(text: str, start: int, end: int, key: str) -> str | None:
    at = text.find(key, start, end)
    if at < 0:
        return None
    found = value_at(text, at + len(key), end)
    if not found or (found[1] < end and text[found[1]] not in "\t \r"):
        return None
    return found[0]


def line_end(text: str, pos: int, end: int) -> int | None:
    while pos < end and text[pos] in " \t\r":
        pos += 1
    return pos + 1 if pos < end and text[pos] == "\n" else None


def eol(text: str, pos: int, end: int) -> int:
    found = text.find("\n", pos, end)
    return end if found < 0 else found


class Lines:
    """A cursor over the lines of an epoch's piece of text: each method reads one kind of line."""

    def __init__(self, text: str, pos: int, end: int):
        self.text, self.pos, self.end = text, pos, end

    def record(self, pattern: str) -> tuple | None:
        """The record at the cursor whose message matches `pattern` (groups: values) up to its line end."""
        start = record_start(self.text, self.pos, self.end)
        if start is None:
            return None
        stop = eol(self.text, start, self.end)
        if stop >= self.end:
            return None
        match = re.fullmatch(pattern + r"[ \t\r]*", self.text[start:stop])
        if not match:
            return None
        self.pos = stop + 1
        return match.groups()


V = r"([-+.0-9A-Za-z_]+)"
COUNT = r"[0-9]+/[0-9]+"


def message(lines: Lines) -> tuple[int, int] | None:
    """The span of the message of the record at the cursor, when its line ends before the piece does."""
    start = record_start(lines.text, lines.pos, lines.end)
    if start is None:
        return None
    stop = eol(lines.text, start, lines.end)
    return None if stop >= lines.end else (start, stop)


def tail_value(text: str, pos: int, stop: int) -> str | None:
    """A value at pos followed only by spaces, tabs or carriage returns to the line's end."""
    found = value_at(text, pos, stop)
    if not found or text[found[1]:stop].strip(" \t\r"):
        return None
    return found[0]


def labelled(lines: Lines, key: str, then: str) -> str | None:
    """`<label><key><count><then><value>`: the label is whatever comes before the first `key`."""
    span = message(lines)
    if span is None:
        return None
    start, stop = span
    at = lines.text.find(key, start, stop)
    if at <= start:
        return None
    match = re.compile(rf"{COUNT}{re.escape(then)}").match(lines.text, at + len(key), stop)
    value = tail_value(lines.text, match.end(), stop) if match else None
    if value is not None:
        lines.pos = stop + 1
    return value


def steps_line(lines: Lines) -> str | None:
    """`<label> with <n> steps Loss Avg: <value>`: the first ` steps Loss Avg: ` of the line."""
    span = message(lines)
    if span is None:
        return None
    start, stop = span
    text = lines.text
    at = text.find(" steps Loss Avg: ", start, stop)
    if at <= start:
        return None
    with_ = at
    while with_ > start and text[with_ - 1] in "0123456789.":
        with_ -= 1
    if with_ == at or with_ - start < 6 or text[with_ - 6:with_] != " with ":
        return None
    value = tail_value(text, at + len(" steps Loss Avg: "), stop)
    if value is not None:
        lines.pos = stop + 1
    return value


def attack_block(lines: Lines) -> tuple[int | None, list[str]] | None:
    """One attack block at the cursor: (kind, five value texts) or None, reading all of it or nothing."""
    saved = lines.pos
    kind = None
    start = record_start(lines.text, lines.pos, lines.end)
    if start is not None and lines.text.startswith("---- ", start):
        stop = eol(lines.text, start, lines.end)
        tail = lines.text.find(" attacking results ----", start + 5, stop)
        after = line_end(lines.text, tail + 23, lines.end) if tail >= 0 else None
        if after is None:
            return None
        kind = {"PGD": 0, "PGD-CW": 1}.get(lines.text[start + 5:tail])
        lines.pos = after
    parts = [
        lines.record(rf"Natural Correct Count: {COUNT} Acc: {V}"),
        labelled(lines, " Correct Count: ", " Acc: "),
        steps_line(lines),
        lines.record(rf"LIP Avg: {V}"),
        lines.record(rf"Stable Count: {COUNT} StableAcc: {V}"),
    ]
    parts = [p[0] if isinstance(p, tuple) else p for p in parts]
    if any(p is None for p in parts):
        lines.pos = saved
        return None
    start = record_start(lines.text, lines.pos, lines.end)
    if start is not None and lines.text.startswith("Best ", start):
        stop = eol(lines.text, start, lines.end)
        name_end = lines.text.find(" accuracy: ", start + 5, stop)
        if name_end > start + 5 and stop < lines.end:
            name = lines.text[start + 5:name_end]
            if kind is None:
                kind = 1 if name.startswith("PGDCW") else (0 if name.startswith("PGD") else None)
            lines.pos = stop + 1
    return kind, parts


def evaluation(text: str, section: int, end: int) -> tuple[int | None, dict]:
    """The `Eval Epoch` section at `section`: its epoch number (None: no section) and values."""
    pos = section + len(EVAL)
    digits_end = pos
    while digits_end < end and text[digits_end].isdigit() and text[digits_end].isascii():
        digits_end += 1
    if digits_end == pos or not text.startswith("=" * 20, digits_end) or digits_end + 20 > end:
        return None, {}
    after = line_end(text, digits_end + 20, end)
    if after is None:
        return None, {}
    number_ = epoch_number(text[pos:digits_end])
    epoch = -1 if number_ is None else number_
    lines = Lines(text, after, end)
    while True:  # validation step lines
        start = record_start(text, lines.pos, end)
        if start is None or not text.startswith("epoch=", start) or start + 6 > end:
            break
        stop = eol(text, start, end)
        if stop >= end:
            break
        lines.pos = stop + 1
    values: dict[str, str] = {}
    loss = lines.record(rf"Eval Loss:{V}\tEval acc: {V}")
    if loss is None:
        return epoch, values
    values["val_loss"], values["val_acc"] = loss
    filled = set()
    for position in (0, 1):
        block = attack_block(lines)
        if block is None:
            break
        kind, texts = block
        kind = position if kind is None else kind
        if kind in filled:
            continue
        filled.add(kind)
        prefix = ("pgd20_", "cw40_")[kind]
        values.update({prefix + name: t for name, t in zip(BLOCK, texts)})
    return epoch, values


def step_fields(message: str) -> dict[str, str]:
    """The fields of a step line after `epoch=`: tab-separated `key=value`, the first of each key,
    values without trailing spaces and carriage returns."""
    fields: dict[str, str] = {}
    for part in message.split("\t"):
        if "=" in part:
            key, _, value = part.partition("=")
            fields.setdefault(key, value.rstrip(" \r"))
    return fields


def token(value: str | None) -> str | None:
    """A field's value when every character is a value character."""
    return value if value and all(c in VALUE_CHARS for c in value) else None


def steps(text: str, start: int, stop: int) -> dict:
    """The step-line figures of [start, stop) and the last step line's values."""
    out = {"steps": 0, "nonfinite": 0, "norms": [], "rates": [], "values": {}}
    pos = start
    while pos < stop:
        end = eol(text, pos, stop)
        begin = record_start(text, pos, end)
        if begin is not None and text.startswith("epoch=", begin) and begin + 6 <= end:
            fields = step_fields(text[begin + 6:end])
            if token(fields.get("acc_avg")) is not None:
                out["steps"] += 1
                gn = number(token(fields.get("|gn|")))
                if gn is not None:
                    if math.isfinite(gn):
                        out["norms"].append(gn)
                    else:
                        out["nonfinite"] += 1
                rate = fields.get("time")
                if rate is not None and len(rate) > 4 and rate.endswith("it/s"):
                    value = number(rate[:-4])
                    if value is not None and math.isfinite(value):
                        out["rates"].append(value)
                out["values"] = {"lr": token(fields.get("lr")), "train_loss": token(fields.get("loss_avg")),
                                 "train_acc": token(fields.get("acc_avg"))}
        pos = end + 1
    return out


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2.0


def scan(data: bytes, headers: list[int]) -> tuple[EpochRows, dict]:
    """(the packed epoch rows, the run's figures) of a training log's bytes."""
    text = data.decode("latin-1")
    records = []
    previous_start = 0
    marker = text.find(MARK)
    while marker >= 0:
        start = marker + len(MARK)
        following = text.find(MARK, start)
        end = following if following >= 0 else len(text)
        equals = text.find("=", start, end)
        epoch = epoch_number(text[start:equals]) if equals > start else None
        if epoch is not None:
            stamp = None
            if marker - 24 >= previous_start and TIMESTAMP.fullmatch(text, marker - 24, marker - 1) and text[marker - 1] == " ":
                stamp = text[marker - 24:marker - 1]
            segment = 0 if len(headers) == 1 else max(sum(1 for h in headers if h <= start) - 1, 0)
            section = text.find(EVAL, start, end)
            step = steps(text, start, section if section >= 0 else end)
            values = dict(step["values"])
            if section >= 0:
                evaluated, found = evaluation(text, section, end)
                if evaluated == epoch:
                    values.update(found)
            records.append((epoch, len(records), stamp, segment, step, values))
        previous_start = start
        marker = following
    kept = {}
    for record in sorted(records, key=lambda r: (r[0], r[1])):
        kept[record[0]] = record
    columns = {name: [] for name in EPOCH_COLUMNS}
    has_nan = False
    norms, rates = [], []
    totals = {"steps": 0, "nonfinite": 0}
    for epoch, _, stamp, segment, step, values in (kept[e] for e in sorted(kept)):
        columns["epoch"].append(epoch)
        columns["started_at"].append(_microseconds(stamp))
        columns["segment"].append(segment)
        columns["step_lines"].append(step["steps"])
        columns["grad_norm_nonfinite"].append(step["nonfinite"] if step["steps"] else None)
        for name in TOKENS:
            value = number(values.get(name), 2 if name == "train_acc" else 0)
            has_nan = has_nan or (value is not None and math.isnan(value))
            columns[name].append(value)
        columns["grad_norm_median"].append(median(step["norms"]))
        columns["grad_norm_max"].append(max(step["norms"]) if step["norms"] else None)
        columns["steps_per_second"].append(median(step["rates"]))
        norms += step["norms"]
        rates += step["rates"]
        totals["steps"] += step["steps"]
        totals["nonfinite"] += step["nonfinite"]
    rows = EpochRows.from_columns(columns)
    run = {"grad_norm_median": median(norms), "steps_per_second": median(rates), **totals}
    return EpochRows(rows.n, rows.data, has_nan), run


def _microseconds(stamp: str | None) -> int | None:
    from datetime import datetime

    if stamp is None:
        return None
    try:
        moment = datetime.strptime(stamp.replace(",", "."), "%Y-%m-%d %H:%M:%S.%f")
    except ValueError:
        return None
    return (moment - datetime(1970, 1, 1)) // _MICROSECOND


def _one_microsecond():
    from datetime import timedelta

    return timedelta(microseconds=1)


_MICROSECOND = _one_microsecond()


def header_starts(data: bytes) -> list[int]:
    """Offsets of the `Namespace(` records: a timestamp 24 characters before, anything between."""
    text = data.decode("latin-1")
    starts, pos = [], text.find("Namespace(")
    while pos >= 0:
        if pos >= 24 and TIMESTAMP.fullmatch(text, pos - 24, pos - 1):
            starts.append(pos)
        pos = text.find("Namespace(", pos + 1)
    return starts


_HEADER_RECORD = re.compile(r"^(" + TIMESTAMP.pattern + r") ([A-Za-z_][A-Za-z0-9_ ]*?)(?:: | = )([^\n]*)", re.M)
_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def header_records(data: bytes, start: int, stop: int) -> list[tuple[int, str, str]]:
    """`<timestamp> <key>: <value>` / `<timestamp> <key> = <value>` records of lines starting in [start, stop)."""
    text = data[:stop].decode("latin-1")
    if start > 0 and start < stop and text[start - 1] != "\n":
        newline = text.find("\n", start)
        start = stop if newline < 0 else newline + 1
    out = []
    for match in _HEADER_RECORD.finditer(text, min(start, len(text))):
        value = match.group(3).rstrip(_SPACE)
        out.append((match.start(), match.group(2), value.encode("latin-1").decode("utf-8", errors="replace")))
    return out
