"""The header every benchmark log starts with: argument lines, `Config([...])` lines, environment.

Training logs: `Namespace(...)`, the seed, one `name: value` line per argument, the model printout,
the config lines (`epochs: 100`, `model: Config([...])`, ...), `param size = ...MB`, `flops: ...M`,
`PyTorch Version: ...`, `GPU List: [...]`. Evaluation logs: the argument lines, then the same.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache

from ingest.pyliteral import Config, read_config, read_literal
from ingest.text import TS

_PRINTOUT = " PreActRobustNetwork(\n"
_HEADER_RECORD = re.compile(rf"^{TS} ([A-Za-z_][\w ]*?)(?:: | = )([^\n]*+)", re.M)
_ARGUMENT = re.compile(rf"{TS} ([A-Za-z_]\w*+): ")
_RECORD = re.compile(TS + " ")
_FIRST_CONFIG_KEY = "num_classes"


def _header_regions(text: str, end: int | None) -> list[tuple[int, int]]:
    """Spans of the header before `end`, without the multi-line model printout (hundreds of lines)."""
    end = len(text) if end is None else end
    start = text.find(_PRINTOUT, 0, end)
    if start < 0:
        return [(0, end)]
    stop = text.find("\n)\n", start, end)
    return [(0, start)] if stop < 0 else [(0, start), (stop + 3, end)]


def header_values(text: str, end: int | None = None) -> dict[str, str]:
    """`key: value` and `key = value` records before `end`, first occurrence of each key wins.

    `Config([...])` lines are left to `config_entries`: evaluation logs print both `model: arch_2`
    (an argument) and `model: Config([...])` (the config) under the same key. The model printout is
    left out: a pattern anchored at line starts would crawl through its hundreds of lines.

    >>> header_values("2023-01-01 00:00:00,000 seed: 0\\n2023-01-01 00:00:00,000 param size = 1.5MB\\n")
    {'seed': '0', 'param size': '1.5MB'}
    """
    values: dict[str, str] = {}
    for start, stop in _header_regions(text, end):
        for key, value in _HEADER_RECORD.findall(text, start, stop):
            if not value.startswith("Config("):
                values.setdefault(key, value.rstrip())
    return values


def argument_names(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """The names of the argument lines of a header, in the order they were logged.

    The benchmark's scripts log `for arg in vars(args): logger.info("%s: %s" % (arg, value))`: the
    argparse options in declaration order, then what the code set after parsing. They are the
    consecutive `name: value` records (a Python identifier before `: `) from the first one after
    `start` to the record that is not one (the model printout, a result line) or that starts the
    config lines (`num_classes: 10`, the first key of every config of the benchmark; a corruption
    log has no model printout between the two). The `Namespace(...)` line is not used: before
    Python 3.9 argparse printed it sorted by name.

    >>> argument_names("2023-01-01 00:00:00,000 seed: 0\\n2023-01-01 00:00:00,000 model: arch_2\\n"
    ...                "2023-01-01 00:00:00,000 PreActRobustNetwork(\\n")
    ['seed', 'model']
    """
    end = len(text) if end is None else end
    names: list[str] = []
    pos = start
    while pos < end:
        line_end = text.find("\n", pos, end)
        line_end = end if line_end < 0 else line_end
        match = _ARGUMENT.match(text, pos, line_end)
        if match and match.group(1) == _FIRST_CONFIG_KEY:
            break
        if match:
            names.append(match.group(1))
        elif names and _RECORD.match(text, pos, line_end):
            break  # the first record after the arguments
        pos = line_end + 1
    return names


def namespace_names(text: str) -> list[str]:
    """The option names of a `Namespace(a=1, b='x')` line (in its order), read without evaluating it."""
    start = text.find("Namespace(")
    if start < 0:
        return []
    line_end = text.find("\n", start)
    source = text[start: line_end if line_end >= 0 else len(text)]
    try:
        call = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [k.arg for k in call.keywords if k.arg] if isinstance(call, ast.Call) else []


_CONFIG_MARK = ": Config(["


def config_entries(text: str, end: int | None = None, keys: frozenset[str] | None = None) -> dict[str, Config]:
    """The `Config([...])` header lines (model, criterion, dataset, ...) as dicts, first of each key;
    with `keys`, only those (the search stops once all are read).

    Found with `str.find` on `: Config([` (a pattern starting at the key would test every space of
    the model printout). Unreadable ones are left out: the caller reports what it needed.
    """
    end = len(text) if end is None else end
    configs: dict[str, Config] = {}
    pos = text.find(_CONFIG_MARK, 0, end)
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
        pos = text.find(_CONFIG_MARK, pos + 1, end)
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


_GPU_LIST = re.compile(r"GPU List: (\[[^\n]*+)")


def gpu_line(text: str, end: int | None = None) -> list[str] | None:
    """The GPU list of the first `GPU List: [...]` record before `end` (None: a CPU run)."""
    at = text.find("GPU List: [", 0, len(text) if end is None else end)
    if at < 0:
        return None
    match = _GPU_LIST.match(text, at)
    value = match.group(1).rstrip() if match else ""
    return gpu_list(value) if value.endswith("]") else None
