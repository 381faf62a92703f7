"""The user's cache folder for what only the tool's version decides (the empty warehouse of
warehouse/template.py, the renderings of the tool's views of warehouse/trust.py, the report's
Vega bundle): made again whenever it is missing, so deleting it is always safe."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/nares, else ~/.cache/nares."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nares"
