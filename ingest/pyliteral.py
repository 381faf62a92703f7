"""Read the Python reprs that the benchmark logs (checkpoint dicts, `Config([...])`, lists).

The logs print `repr()` of dicts whose values newer numpy writes as `np.float64(0.369)` and whose
floats may be `nan` or `inf`. `ast.literal_eval` evaluates no code but knows none of those, so the
wrappers are unwrapped and the special floats mapped to literals first.

`ast.literal_eval` compiles its text to a syntax tree first, ~0.1 ms for a model Config line; a
full-scale ingest reads one per arch that no cache helps with. `_canonical_literal` reads the
common case (a Config's list of pairs, a list of GPU names) with the JSON reader and checks it
against the text, and hands anything else back to `ast.literal_eval`, so both give the same values.

>>> read_literal("{'a': np.float64(0.5), 'b': [(0, 15.0)], 'c': nan}")
{'a': 0.5, 'b': [(0, 15.0)], 'c': nan}
"""
from __future__ import annotations

import ast
import json
import math
import re
import warnings
from functools import lru_cache

from ingest.scanning import linear

_NUMPY_TAIL = r"\.(?:float|int|uint|bool_?)\w*+\(([^()]*+)\)"
_NUMPY_SCALAR = linear("pyliteral.numpy_scalar", r"(?<!\w)np" + _NUMPY_TAIL, literal="np.",
                       worst_case=lambda n: "np.float64(" + "1" * (n // 2) + " np." * (n // 8))
_NUMPY_SCALAR_LONG = linear("pyliteral.numpy_scalar_long", r"(?<!\w)numpy" + _NUMPY_TAIL, literal="numpy.",
                            worst_case=lambda n: "numpy.int64" + "x" * (n // 2) + "numpy.uint8(" * (n // 24))
_TENSOR = linear(
    "pyliteral.tensor", r"(?<!\w)tensor\(((?:[^(),]|,(?!\s*+device=))*+)(?:,\s*+device=[^()]*+)?+\)", literal="tensor(",
    worst_case=lambda n: "GPU List: [tensor(" + ", device=x" * (n // 20) + "tensor(" * (n // 14),
)
"""`tensor(0.5)` or `tensor(0.5, device='cuda:0')` -> `0.5`: the value stops at the first `, device=`."""
_SPECIAL = linear("pyliteral.special", r"(?<![\w'\".])(-?)(nan|inf)(?![\w'\"])", use="bounded",
                  worst_case=lambda n: "-nan" * (n // 4))
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


_TO_JSON = str.maketrans({"'": '"', "(": "[", ")": "]"})


def syntax_tree(text: str, mode: str = "eval") -> ast.AST:
    """`ast.parse` of text from a log or a code repository, without the compiler's warnings about
    it: an invalid escape such as `'\\i'` in a string is a SyntaxWarning from Python 3.12, which
    would be printed on the terminal during an ingest (DeprecationWarning before)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(text, mode=mode)


class _NotCanonical(Exception):
    """The text is not the repr of what `_canonical_literal` read from it: `ast.literal_eval` decides."""


def _canonical_literal(text: str):
    """The value of a text that is exactly the `repr()` of a list, or of a list of pairs, of strings,
    numbers, True, False and None; raises _NotCanonical for any other text.

    The text is read as JSON (quotes and parentheses swapped, C speed), then accepted only when the
    `repr()` of the value is the text itself: `ast.literal_eval` of a repr gives that value back, so
    both readings agree whatever the text held (a string with quotes or `True` in it, a tuple where a
    list was read, `NaN`, ... all fail the comparison).
    """
    if not text.startswith("[") or '"' in text or "\\" in text:
        raise _NotCanonical
    document = text.translate(_TO_JSON).replace("True", "true").replace("False", "false").replace("None", "null")
    try:
        value = json.loads(document)
    except ValueError:
        raise _NotCanonical from None
    if text.startswith("[("):  # a list of pairs, as a Config prints them
        value = [tuple(item) if type(item) is list else item for item in value]
    if repr(value) != text:
        raise _NotCanonical
    return value


def read_literal(text: str):
    """Return the Python value of a logged repr; raise ValueError when it is not a literal."""
    # each substitution is tried only where its literal (`np.`, `tensor(`) occurs (ingest/scanning.py)
    cleaned = _TENSOR.sub(r"\1", _NUMPY_SCALAR_LONG.sub(r"\1", _NUMPY_SCALAR.sub(r"\1", text)))
    has_special = "nan" in cleaned or "inf" in cleaned
    if has_special:
        cleaned = _SPECIAL.sub(_special, cleaned)
    try:
        value = _canonical_literal(cleaned)
    except (_NotCanonical, RecursionError):
        try:
            value = ast.literal_eval(syntax_tree(cleaned.lstrip(" \t")))  # what literal_eval parses of a text
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValueError(f"not a Python literal: {reason}") from None
    return _restore_nan(value) if has_special else value


class Config(dict):
    """The entries of a logged `Config([...])`, with the repr of each value kept once computed
    (`reprs`): the training parser stores every entry as text, and read_config's cache hands the
    same object to every run that printed the same line."""

    __slots__ = ("_reprs",)

    def reprs(self) -> tuple[tuple[str, str], ...]:
        """(key, repr(value)) of each entry, in order."""
        try:
            return self._reprs
        except AttributeError:
            self._reprs = tuple((key, repr(value)) for key, value in self.items())
            return self._reprs


@lru_cache(maxsize=4096)
def read_config(text: str) -> Config:
    """`Config([('name', 'SGD'), ('lr', 0.1)])` -> {'name': 'SGD', 'lr': 0.1}.

    Cached: thousands of runs print the same optimizer, scheduler and dataset lines. Callers must
    not modify the returned dict.
    """
    body = text.strip()
    if body.startswith("Config(") and body.endswith(")"):
        body = body[len("Config("):-1]
    pairs = read_literal(body)
    if isinstance(pairs, dict):
        return Config((str(k), v) for k, v in pairs.items())
    if not isinstance(pairs, list) or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
        raise ValueError("not a Config([(key, value), ...]) list")
    return Config((str(k), v) for k, v in pairs)
