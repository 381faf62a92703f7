"""The header every benchmark log starts with: argument lines, `Config([...])` lines, environment.

Training logs: `Namespace(...)`, the seed, one `name: value` line per argument, the model printout,
the config lines (`epochs: 100`, `model: Config([...])`, ...), `param size = ...MB`, `flops: ...M`,
`PyTorch Version: ...`, `GPU List: [...]`. Evaluation logs: the argument lines, then the same.
Everything here reads the log's bytes; the records themselves are found by the compiled
`ingest._scan.header_records`.
"""
from __future__ import annotations

import ast
from functools import lru_cache

from ingest._scan import find, header_records
from ingest.pyliteral import Config, read_config, read_literal, syntax_tree

Record = tuple[int, str, str]
"""A header record: (byte offset of its line, key, value)."""

_FIRST_CONFIG_KEY = "num_classes"


def header_values(records: list[Record]) -> dict[str, str]:
    """Key -> value of the records, first occurrence of each key winning; `Config([...])` values are
    left to `config_entries` (evaluation logs print both `model: arch_2`, an argument, and
    `model: Config([...])`, the config, under the same key)."""
    values: dict[str, str] = {}
    for _, key, value in records:
        if not value.startswith("Config("):
            values.setdefault(key, value)
    return values


def argument_names(records: list[Record], after: int = -1) -> list[str]:
    """The names of the argument lines of a header, in the order they were logged.

    The benchmark's scripts log `for arg in vars(args): logger.info("%s: %s" % (arg, value))`: the
    argparse options in declaration order, then what the code set after parsing. They are the
    consecutive records whose key is a Python identifier, from the first one after `after` (the
    `Namespace(` record of a training log) to a record that is not one (`param size`, `GPU List`,
    `Average Accuracy`) or that starts the config lines (`num_classes: 10`, the first key of every
    config of the benchmark; the model printout between them is no record). The `Namespace(...)`
    line is not used: before Python 3.9 argparse printed it sorted by name.
    """
    names: list[str] = []
    for offset, key, _ in records:
        if offset <= after:
            continue
        if key == _FIRST_CONFIG_KEY or not key.isidentifier():
            if names:
                break
            continue
        names.append(key)
    return names


def namespace_names(data: bytes, start: int) -> list[str]:
    """The option names of the `Namespace(a=1, b='x')` at `start` (in its order), read without
    evaluating it (a fallback for a log without argument lines)."""
    line_end = data.find(b"\n", start)
    source = data[start: line_end if line_end >= 0 else len(data)].decode("utf-8", errors="replace")
    try:
        call = syntax_tree(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [k.arg for k in call.keywords if k.arg] if isinstance(call, ast.Call) else []


_CONFIG_MARK = b": Config(["
PRINTOUT = b" PreActRobustNetwork(\n"
"""The first line of the model printout, after the record's timestamp."""


def after_printout(data: bytes, end: int | None = None) -> int:
    """Where the multi-line model printout (`PreActRobustNetwork(` ... `)`) before `end` ends, 0 when
    there is none: the printout is most of a header, and nothing the parsers look for is in it, so
    their searches start after it."""
    end = len(data) if end is None else end
    start = find(data, PRINTOUT, 0, end)
    if start < 0:
        return 0
    stop = find(data, b"\n)\n", start, end)
    return stop + 3 if stop >= 0 else 0


def config_entries(data: bytes, end: int | None = None, keys: frozenset[str] | None = None,
                   start: int = 0) -> dict[str, Config]:
    """The `Config([...])` header lines (model, criterion, dataset, ...) in data[start:end] as dicts,
    first of each key; with `keys`, only those (the search stops once all are read). Unreadable ones
    are left out: the caller reports what it needed."""
    end = len(data) if end is None else end
    configs: dict[str, Config] = {}
    pos = find(data, _CONFIG_MARK, start, end)
    while pos >= 0:
        line_start = data.rfind(b"\n", 0, pos) + 1
        line_end = data.find(b"\n", pos)
        key = data[line_start:pos].rsplit(b" ", 1)[-1].decode("utf-8", errors="replace")
        if key.isidentifier() and key not in configs and (keys is None or key in keys):
            value = data[pos + 2: line_end if line_end >= 0 else len(data)].decode("utf-8", errors="replace").rstrip()
            try:
                configs[key] = read_config(value)
            except ValueError:
                pass
            if keys is not None and len(configs) == len(keys):
                break
        pos = find(data, _CONFIG_MARK, pos + 1, end)
    return configs


@lru_cache(maxsize=1024)
def _gpu_names(value: str) -> tuple[str, ...] | None:
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


def read_header(data: bytes, end: int) -> list[Record]:
    """The header records of data[:end]."""
    return header_records(data, 0, end)
