"""Altair, imported on its first use.

A report whose figures are all current builds no chart (reports/figures.py `Drawing`), and
importing Altair (with jsonschema, ~0.5 s of CPU) was then a quarter of its time. Every module of
reports/ takes `alt` from here; the first attribute read (`alt.Chart`, ...) imports Altair.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module `name`, imported on its first attribute read (at once when it is imported already)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


alt = lazy_module("altair")
