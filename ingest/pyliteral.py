"""Read the Python reprs that the benchmark logs (checkpoint dicts, `Config([...])`, lists).

The logs print `repr()` of dicts whose values newer numpy writes as `np.float64(0.369)` and whose
floats may be `nan` or `inf`. `ast.literal_eval` evaluates no code but knows none of those, so the
wrappers are unwrapped and the special floats mapped to literals first.

`ast.literal_eval` compiles its text to a syntax tree first, ~0.15 ms for a model Config line; a
full-scale ingest reads ~45,000 of them, nearly all different. `_plain_literal` reads the common
case (strings without escapes, decimal numbers, True/False/None, lists and tuples) from one regex
scan, and hands anything else back to `ast.literal_eval`, so both give the same values.

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
_MISSING = object()


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


_TOKEN = re.compile(
    r"[ \t]*(?:'([^'\\\n\r\0]*)'"
    r'|"([^"\\\n\r\0]*)"'
    r"|(-?(?:\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+))(?![\w.])"
    r"|(-?(?:0|[1-9]\d*))(?![\w.])"
    r"|(True|False|None)(?!\w)|([\[\](),])|([^ \t]))",
    re.ASCII,
)
_STRING, _STRING2, _FLOAT, _INT, _NAMED, _PUNCT, _OTHER = range(1, 8)
_NAMED_VALUES = {"True": True, "False": False, "None": None}
_CLOSER = {"[": "]", "(": ")"}


class _NotPlain(Exception):
    """The text is not in the subset `_plain_literal` reads: `ast.literal_eval` decides."""


def _plain_literal(text: str):
    """The value of a literal made of quoted strings without escapes, decimal numbers, True, False,
    None, lists and tuples; raises _NotPlain for any other text (including malformed ones)."""
    frames: list[list] = [["", [], False]]  # opener, items, whether the last token was a value
    commas = [False]
    for match in _TOKEN.finditer(text):
        kind = match.lastindex
        frame = frames[-1]
        if kind == _PUNCT:
            punct = match.group(kind)
            if punct in _CLOSER:
                if frame[2]:
                    raise _NotPlain
                frames.append([punct, [], False])
                commas.append(False)
                continue
            if punct == ",":
                if not frame[2] or not frame[0]:
                    raise _NotPlain
                frame[2] = False
                commas[-1] = True
                continue
            if not frame[0] or _CLOSER[frame[0]] != punct:
                raise _NotPlain
            frames.pop()
            had_comma = commas.pop()
            items = frame[1]
            if punct == "]":
                value = items
            elif len(items) == 1 and not had_comma:
                value = items[0]  # `(x)` is x, `(x,)` a tuple
            else:
                value = tuple(items)
        elif kind == _STRING or kind == _STRING2:
            value = match.group(kind)
        elif kind == _INT:
            value = int(match.group(kind))
        elif kind == _FLOAT:
            value = float(match.group(kind))
        elif kind == _NAMED:
            value = _NAMED_VALUES[match.group(kind)]
        else:
            raise _NotPlain
        frame = frames[-1]
        if frame[2]:  # two values without a comma between them
            raise _NotPlain
        frame[1].append(value)
        frame[2] = True
    if len(frames) != 1 or len(frames[0][1]) != 1:
        raise _NotPlain
    return frames[0][1][0]


def read_literal(text: str):
    """Return the Python value of a logged repr; raise ValueError when it is not a literal."""
    cleaned = _NUMPY_SCALAR.sub(r"\1", text)
    cleaned = _TENSOR.sub(r"\1", cleaned)
    has_special = "nan" in cleaned or "inf" in cleaned
    if has_special:
        cleaned = _SPECIAL.sub(_special, cleaned)
    try:
        value = _plain_literal(cleaned)
    except (_NotPlain, ValueError):  # ValueError: an int longer than int() reads
        value = _MISSING
    try:
        if value is _MISSING:
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
