"""Read the Python reprs that the benchmark logs (checkpoint dicts, `Config([...])`, lists).

The logs print `repr()` of dicts whose values newer numpy writes as `np.float64(0.369)` and whose
floats may be `nan` or `inf`. `ast.literal_eval` evaluates no code but knows none of those, so the
wrappers are unwrapped and the special floats mapped to literals first.

>>> read_literal("{'a': np.float64(0.5), 'b': [(0, 15.0)], 'c': nan}")
{'a': 0.5, 'b': [(0, 15.0)], 'c': nan}
"""
from __future__ import annotations

import ast
import math
import re
from functools import lru_cache

_NUMPY_SCALAR = re.compile(r"\b(?:np|numpy)\.(?:float|int|uint|bool_?)\w*\(([^()]*)\)")
_TENSOR = re.compile(r"\btensor\(([^()]*?)(?:,\s*device=[^()]*)?\)")
_SPECIAL = re.compile(r"(?<![\w'\".])(-?)(nan|inf)(?![\w'\"])")
_NAN_SENTINEL = "__nan__"


def _special(match: re.Match) -> str:
    sign, word = match.groups()
    if word == "inf":
        return f"{sign}1e999"
    return f"'{_NAN_SENTINEL}'"


def _restore_nan(value):
    if value == _NAN_SENTINEL:
        return math.nan
    if isinstance(value, dict):
        return {k: _restore_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_nan(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_restore_nan(v) for v in value)
    return value


def read_literal(text: str):
    """Return the Python value of a logged repr; raise ValueError when it is not a literal."""
    cleaned = _NUMPY_SCALAR.sub(r"\1", text)
    cleaned = _TENSOR.sub(r"\1", cleaned)
    has_special = "nan" in cleaned or "inf" in cleaned
    if has_special:
        cleaned = _SPECIAL.sub(_special, cleaned)
    try:
        value = ast.literal_eval(cleaned)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError) as exc:
        raise ValueError(f"not a Python literal: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return _restore_nan(value) if has_special else value


@lru_cache(maxsize=4096)
def read_config(text: str) -> dict:
    """`Config([('name', 'SGD'), ('lr', 0.1)])` -> {'name': 'SGD', 'lr': 0.1}.

    Cached: thousands of runs print the same optimizer, scheduler and dataset lines. Callers must
    not modify the returned dict.
    """
    body = text.strip()
    if body.startswith("Config(") and body.endswith(")"):
        body = body[len("Config("):-1]
    pairs = read_literal(body)
    if isinstance(pairs, dict):
        return pairs
    if not isinstance(pairs, list) or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
        raise ValueError("not a Config([(key, value), ...]) list")
    return {str(k): v for k, v in pairs}
