"""Makers for tests/test_cache.py's `make_meanwhile` tests: module-level functions, so that the
process it starts imports them by name, each keeping a file in the cache folder."""
from __future__ import annotations

import os

from warehouse.cache import cache_dir


def make_first() -> None:
    (cache_dir() / "first").write_text("made")


def make_after_the_go() -> None:
    """Made once the test writes to the FIFO `go` in the cache folder (opening it blocks until then)."""
    with open(cache_dir() / "go") as go:
        go.read()
    (cache_dir() / "second").write_text("made")


def make_failing() -> None:
    print("a maker's own words")
    raise RuntimeError("a maker that fails")


def make_nothing_and_die() -> None:
    os._exit(3)


def make_with_an_optional_module() -> None:
    """Imports, when there is one, a module that no folder of this project or its packages holds
    (as libraries try their optional speed-ups), then keeps `first`."""
    try:
        import nares_planted_module  # noqa: F401
    except ImportError:
        pass
    make_first()
