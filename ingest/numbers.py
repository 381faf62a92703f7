"""Numbers as the benchmark's code prints them, and their conversion to warehouse values."""
from __future__ import annotations

NUM = r"(?>[-+]?+(?:\d++(?:\.\d*+)?+(?:[eE][-+]?+\d++)?+|\.\d++|nan|inf))"
"""A number as Python prints it, nan and inf included (group-free, atomic: once it has matched,
nothing backtracks into it, so a line of 40,000 digits costs one pass)."""


def to_float(text: str | bytes | None) -> float | None:
    """A logged number, or None when there is none or it is garbled."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def to_int(text: str | bytes | None) -> int | None:
    """A logged integer (`3`, or `3.0`), or None."""
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        value = to_float(text)
        return int(value) if value is not None and value.is_integer() else None


def size_in(text: str | None, unit: str) -> float | None:
    """`0.369498MB` -> 0.369498 (unit 'MB'); `55.2148M` -> 55.2148 (unit 'M')."""
    if text is None:
        return None
    text = text.strip()
    if text.endswith(unit):
        text = text[: -len(unit)]
    return to_float(text)


NUM_BYTES = NUM.encode()
"""NUM for patterns over bytes."""
