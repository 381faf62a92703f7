"""The user's cache folder for what only the tool's version decides (the empty warehouse of
warehouse/template.py, the renderings of the tool's views of warehouse/trust.py and of its tables
of warehouse/connect.py, what the view files read, the report's Vega bundle): made again whenever
it is missing, so deleting it is always safe."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/nares, else ~/.cache/nares."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nares"


def keep(path: Path, text: str) -> None:
    """Write `text` (UTF-8, no newline translation) to a file of the cache folder, whole or not at
    all: a reader never sees half of it. A folder that cannot be written is only a slower next run."""
    part = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, prefix=path.name, suffix=".part") as part:
            part.write(text.encode("utf-8"))
        os.replace(part.name, path)
    except OSError:
        if part is not None:
            Path(part.name).unlink(missing_ok=True)
