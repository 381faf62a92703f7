"""What every benchmark log shares: Python-logging records and the header of `key: value` lines.

Every record starts `YYYY-MM-DD HH:MM:SS,mmm `; a record whose message has newlines (the model
printout, `Namespace(...)`) continues on lines without a timestamp. Parsers scan the whole text with
compiled patterns anchored on that prefix instead of looping over lines in Python: a Python loop
over every line runs at ~25 MB/s, a compiled scan at several hundred.
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from ingest.errors import ParseError
from ingest.pyliteral import Config, read_config

try:  # ingest/_scan.c, built by `pip install -e .`
    from ingest._scan import count as _compiled_count
    from ingest._scan import find as _compiled_find
    from ingest._scan import header_values as _compiled_header_values
    from ingest._scan import rfind as _compiled_rfind
except ImportError:
    _compiled_header_values = _compiled_count = _compiled_find = _compiled_rfind = None

find = _compiled_find or str.find
"""`find(text, needle, start, end)`: what `text.find(needle, start, end)` returns, with glibc's memmem
for ASCII text (2-4x faster than CPython's search on a 30 KB evaluation log)."""
rfind = _compiled_rfind or str.rfind
"""`rfind(text, needle, start, end)`: what `text.rfind(needle, start, end)` returns, as `find`."""
count = _compiled_count or str.count
"""`count(text, needle, start, end)`: what `text.count(needle, start, end)` returns, as `find`."""


def search(pattern: re.Pattern, text: str, literal: str, start: int = 0) -> re.Match | None:
    """`pattern.search(text, start)` for a pattern whose every match begins with `literal`: each
    place the literal occurs (found by `find`) is tried in order, so the first match is the same."""
    pos = find(text, literal, start)
    while pos >= 0:
        match = pattern.match(text, pos)
        if match:
            return match
        pos = find(text, literal, pos + 1)
    return None

TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
"""The timestamp of a logging record (group-free, to embed in other patterns)."""

NUM = r"(?:[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|-?nan|-?inf)"
"""A number as Python prints it, including nan and inf (group-free)."""

_RECORD_START = re.compile(rf"^({TS}) ", re.M)
_LAST_TS = re.compile(rf"^({TS}) ", re.M)

BINARY_PROBE = 8192


def decode_log(data: bytes, path: str) -> str:
    """Bytes of a log file as text; empty and binary files are refused with a one-line reason."""
    if not data or data.isspace():  # (isspace stops at the first other byte; strip would copy the file)
        raise ParseError(path, None, "empty file")
    head = data[:BINARY_PROBE]
    if b"\x00" in head:
        raise ParseError(path, None, "binary file (NUL bytes), not a text log")
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd", 0, BINARY_PROBE) > 64:
        raise ParseError(path, None, "binary or non-UTF-8 file, not a text log")
    return text


def line_no(text: str, pos: int) -> int:
    """1-based line number of a character offset (for error messages)."""
    return text.count("\n", 0, pos) + 1


_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:[,.][0-9]{3})?")


def log_time(stamp: str | None) -> datetime | None:
    """A record's `2023-03-01 10:00:00,123` (or a release file's `2023-03-01 00:00:00`) as a datetime;
    None when absent or not a valid date and time: a garbled `2023-13-01` would otherwise stop the
    whole load when DuckDB casts it."""
    if not stamp or not _STAMP.fullmatch(stamp):
        return None
    try:
        return datetime(int(stamp[:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]),
                        int(stamp[14:16]), int(stamp[17:19]), int(stamp[20:23] or 0) * 1000)
    except ValueError:
        return None


def first_timestamp(text: str) -> str | None:
    match = _RECORD_START.search(text)
    return match.group(1) if match else None


def last_timestamp(text: str) -> str | None:
    """Timestamp of the last record: scan only the tail, the file may be megabytes (the last record
    of a log is nearly always within its last 512 characters)."""
    for window in (512, 4096, 65536, len(text)):
        found = _LAST_TS.findall(text, max(0, len(text) - window))
        if found:
            return found[-1]
    return None


_PRINTOUT = " PreActRobustNetwork(\n"
_HEADER_RECORD = re.compile(rf"^{TS} ([A-Za-z_][\w ]*?)(?:: | = )([^\n]*)", re.M)


def _header_regions(text: str, end: int | None) -> list[tuple[int, int]]:
    """Spans of the header before `end`, without the multi-line model printout (hundreds of lines)."""
    end = len(text) if end is None else end
    start = find(text, _PRINTOUT, 0, end)
    if start < 0:
        return [(0, end)]
    stop = find(text, "\n)\n", start, end)
    return [(0, start)] if stop < 0 else [(0, start), (stop + 3, end)]


def header_values(text: str, end: int | None = None, compiled: bool = True) -> dict[str, str]:
    """`key: value` and `key = value` records before `end`, first occurrence of each key wins.

    `Config([...])` lines are left to `config_entries`: evaluation logs print both `model: arch_2`
    (an argument) and `model: Config([...])` (the config) under the same key. One `findall` per
    span of the header (C speed), with the model printout left out: a pattern anchored at line
    starts would crawl through it.

    >>> header_values("2023-01-01 00:00:00,000 seed: 0\\n2023-01-01 00:00:00,000 param size = 1.5MB\\n")
    {'seed': '0', 'param size': '1.5MB'}
    """
    values: dict[str, str] = {}
    for start, stop in _header_regions(text, end):
        if compiled and _compiled_header_values and _compiled_header_values(text, start, stop, values):
            continue  # the compiled scanner read the span (ASCII text); `compiled=False` for the tests
        for key, value in _HEADER_RECORD.findall(text, start, stop):
            if not value.startswith("Config("):
                values.setdefault(key, value.rstrip())
    return values


_CONFIG_MARK = ": Config(["
_MODEL_ONLY = frozenset({"model"})


def config_entries(text: str, end: int | None = None, keys: frozenset[str] | None = None) -> dict[str, Config]:
    """The `Config([...])` header lines (model, criterion, dataset, ...) as dicts, first of each key;
    with `keys`, only those (the search stops once all are read).

    Found with `str.find` on `: Config([` (a pattern starting at the key would test every space of
    the model printout). Unreadable ones are left out: the caller reports what it needed.
    """
    end = len(text) if end is None else end
    configs: dict[str, Config] = {}
    pos = find(text, _CONFIG_MARK, 0, end)
    while pos >= 0:
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        key = text[line_start:pos].rsplit(" ", 1)[-1]
        value = text[pos + 2: line_end if line_end >= 0 else len(text)].rstrip()
        if key.isidentifier() and key not in configs and (keys is None or key in keys):
            try:
                configs[key] = read_config(value)
            except ValueError:
                pass
            if keys is not None and len(configs) == len(keys):
                break
        pos = find(text, _CONFIG_MARK, pos + 1, end)
    return configs


def to_float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def to_int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
        return int(value) if value.is_integer() else None


def architecture(model: dict | None) -> dict:
    """Decision vector from a model Config: depth_configs [D1,D2,D3], channel_configs [16,16*W1,32*W2,64*W3]."""
    out = {k: None for k in ("d1", "w1", "d2", "w2", "d3", "w3")}
    if not model:
        return out
    depths = model.get("depth_configs")
    channels = model.get("channel_configs")
    if isinstance(depths, (list, tuple)) and len(depths) == 3:
        out["d1"], out["d2"], out["d3"] = (int(d) if isinstance(d, int) else None for d in depths)
    if isinstance(channels, (list, tuple)) and len(channels) == 4:
        for key, channel, base in (("w1", channels[1], 16), ("w2", channels[2], 32), ("w3", channels[3], 64)):
            if isinstance(channel, int) and channel % base == 0:
                out[key] = channel // base
    return out


def size_in(text: str | None, unit: str) -> float | None:
    """`0.369498MB` -> 0.369498 (unit 'MB'); `55.2148M` -> 55.2148 (unit 'M')."""
    if text is None:
        return None
    text = text.strip()
    if text.endswith(unit):
        text = text[: -len(unit)]
    return to_float(text)


@lru_cache(maxsize=1024)
def _gpu_names(value: str) -> tuple[str, ...] | None:
    from ingest.pyliteral import read_literal

    try:
        parsed = read_literal(value)
    except ValueError:
        return None
    return tuple(str(g) for g in parsed) if isinstance(parsed, (list, tuple)) else None


def gpu_list(value: str | None) -> list[str] | None:
    """`['NVIDIA GeForce RTX 3090', ...]` -> list of names; None when absent (a CPU run).

    Cached: a benchmark has a handful of distinct GPU lists over tens of thousands of logs.
    """
    if value is None:
        return None
    names = _gpu_names(value)
    return list(names) if names is not None else None


_LOADED = re.compile(r"File (\S+) loaded!")
_GPU_LIST = re.compile(r"GPU List: (\[[^\n]*\])")
_RUNNING_COST = re.compile(rf"Running Cost ({NUM}) Days")


def eval_header(text: str, header_end: int) -> dict:
    """Fields every evaluation log (Base, AutoAttack, corruptions) records before its results.

    The argument lines (`model: arch_2`, `norm`, `attack_choice`, `aa_type`, `epsilon`, ...), the
    model Config (depths and widths), param size, flops, PyTorch version, GPU list, the loaded
    checkpoint, and the running cost at the end.
    """
    values = header_values(text, header_end)
    configs = config_entries(text, header_end, _MODEL_ONLY)  # only the architecture is needed here
    gpu_match = search(_GPU_LIST, text, "GPU List: ")
    loaded = search(_LOADED, text, "File ")
    cost = None
    finished_at = None
    for match in _RUNNING_COST.finditer(text, max(0, len(text) - 4096)):
        cost = float(match.group(1))
        finished_at = text[match.start() - 24:match.start() - 1]
    model_name = values.get("model", "")
    return {
        "model": model_name,
        "norm": values.get("norm"),
        "attack_choice": values.get("attack_choice"),
        "aa_type": values.get("aa_type"),
        "epsilon": to_float(values.get("epsilon")),
        "step_size": to_float(values.get("step_size")),
        "device": values.get("device"),
        "seed": to_int(values.get("seed")),
        "checkpoint_path": loaded.group(1) if loaded else None,
        "params_mb": size_in(values.get("param size"), "MB"),
        "macs_m": size_in(values.get("flops"), "M"),
        "pytorch_version": values.get("PyTorch Version"),
        "gpu_list": gpu_list(gpu_match.group(1)) if gpu_match else None,
        "started_at": first_timestamp(text),
        "finished_at": finished_at,
        "running_cost_days": cost,
        **architecture(configs.get("model")),
    }


_CKPT_SCALAR = {
    key: re.compile(rf"'{key}': (?:np\.\w+\()?({NUM})")
    for key in ("best_pgdcw_acc", "best_pgd_acc", "global_step")
}
_CKPT_HISTORY = re.compile(r"'pgdcw_eval_history': \[([^\]]*)\]")


def checkpoint_fields(text: str) -> dict:
    """What the checkpoint dict printed after the results says about the training run it came from.

    `best_pgdcw_acc` is the run's best CW-40 validation accuracy: it identifies the training run.
    The dict is a Python repr (`np.float64(...)` values, kilobytes of histories); only four scalars
    are needed, so they are picked out by key instead of evaluating or parsing the whole literal.
    """
    out = {"ckpt_best_pgdcw_acc": None, "ckpt_best_pgd_acc": None, "ckpt_global_step": None, "ckpt_epochs": None}
    start = rfind(text, " {'")
    if start < 0:
        return out
    end = text.find("\n", start)
    raw = text[start: end if end >= 0 else len(text)]
    for key, column in (("best_pgdcw_acc", "ckpt_best_pgdcw_acc"), ("best_pgd_acc", "ckpt_best_pgd_acc")):
        found = _CKPT_SCALAR[key].search(raw)
        if found:
            out[column] = to_float(found.group(1))
    step = _CKPT_SCALAR["global_step"].search(raw)
    if step:
        out["ckpt_global_step"] = to_int(step.group(1))
    history = _CKPT_HISTORY.search(raw)
    if history:
        out["ckpt_epochs"] = history.group(1).count("(")
    return out


def _as_float(value) -> float | None:
    if isinstance(value, bool):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def _as_int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
