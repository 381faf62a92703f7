"""The header every benchmark log starts with: argument lines, `Config([...])` lines, environment.

Training logs: `Namespace(...)`, the seed, one `name: value` line per argument, the model printout,
the config lines (`epochs: 100`, `model: Config([...])`, ...), `param size = ...MB`, `flops: ...M`,
`PyTorch Version: ...`, `GPU List: [...]`. Evaluation logs: the argument lines, then the same.
Everything here reads the log's bytes; the records themselves are found by the compiled
`ingest._scan.header_records` and `header_fields`.
"""
from __future__ import annotations

import ast
from functools import lru_cache

from ingest._scan import find
from ingest._scan import header_fields as _header_fields
from ingest.pyliteral import Config, read_config, read_literal, syntax_tree


def header_fields(data: bytes, end: int, after: int = -1, config_start: int = 0,
                  keys: frozenset[str] | None = None) -> tuple[dict[str, str], list[str], dict[str, Config]]:
    """What a header of data[:end] says, read by the compiled `ingest._scan.header_fields`:

    - key -> value of its records, the first occurrence of each key winning; `Config([...])` values
      are left to the configs (evaluation logs print both `model: arch_2`, an argument, and
      `model: Config([...])`, the config, under the same key);
    - the names of its argument lines, in the order they were logged. The benchmark's scripts log
      `for arg in vars(args): logger.info("%s: %s" % (arg, value))`: the argparse options in
      declaration order, then what the code set after parsing. They are the consecutive records
      whose key is a Python identifier, from the first one after the line at `after` (the
      `Namespace(` record of a training log) to a record that is not one (`param size`, `GPU List`,
      `Average Accuracy`) or that starts the config lines (`num_classes: 10`, the first key of every
      config of the benchmark; the model printout between them is no record). The `Namespace(...)`
      line is not used: before Python 3.9 argparse printed it sorted by name;
    - the `Config([...])` lines (model, criterion, dataset, ...) in data[config_start:end] as dicts,
      first readable one of each key; with `keys`, only those. Unreadable ones are left out: the
      caller reports what it needed.
    """
    values, names, candidates = _header_fields(data, end, after, config_start)
    configs: dict[str, Config] = {}
    for key, value in candidates:
        if key.isidentifier() and key not in configs and (keys is None or key in keys):
            try:
                configs[key] = read_config(value)
            except ValueError:
                pass
            if keys is not None and len(configs) == len(keys):
                break
    return values, names, configs


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
