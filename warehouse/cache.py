"""The user's cache folder for what only the tool's version decides (the empty warehouse of
warehouse/template.py, the renderings of the tool's views of warehouse/trust.py and of its tables
of warehouse/connect.py, what the view files read, the report's Vega bundle) and what `check` and
`report` keep between commands (warehouse/results.py, reports/outputs.py; pruned by size,
`prune_when_due`): made again whenever it is missing, so deleting it is always safe."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

from ingest.write import write_whole


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/nares, else ~/.cache/nares."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nares"


def keep(path: Path, text: str) -> None:
    """Write `text` (UTF-8, no newline translation) to a file of the cache folder, whole or not at
    all: a reader never sees half of it. A folder that cannot be written is only a slower next run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, text)
    except OSError:
        pass


def kept_lists(path: Path, make: Callable[[], dict[str, list[str]]]) -> dict[str, list[str]]:
    """The name -> list of strings kept in the cache file `path`, else what `make` returns, kept
    there: a missing, damaged or foreign file is made again (an error of `make` is the caller's)."""
    try:
        kept = json.loads(path.read_text())
        if isinstance(kept, dict) and all(isinstance(v, list) and all(isinstance(x, str) for x in v)
                                          for v in kept.values()):
            return kept
    except (OSError, ValueError):
        pass
    made = make()
    keep(path, json.dumps(made))  # no cache folder: made again next time
    return made


def keep_json(path: Path, value: object) -> None:
    """Keep `value` as JSON in the cache file `path` when it reads back exactly as it is (a
    value JSON would change, such as a tuple or a non-text key, is not kept)."""
    try:
        text = json.dumps(value)
        if json.loads(text) != value:
            return
    except (TypeError, ValueError):
        return
    keep(path, text)


def kept_json(path: Path) -> object | None:
    """The value of a cache file `keep_json` wrote, or None; marked recently used for `prune`."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        os.utime(path)
    except (OSError, ValueError):
        return None
    return value


PRUNE_EVERY_SECONDS = 3600
"""How often `prune_when_due` looks through a folder: what is written in between may pass its limit."""
PRUNED_MARK = ".last-prune"
"""The empty file whose mtime says when a folder was last pruned."""


def prune_when_due(folder: Path, limit: int) -> None:
    """`prune` the folder when it was not pruned in the last PRUNE_EVERY_SECONDS. Looking through
    it lists every file: with the results of a few months of commands (16,000 files) that was 72 ms
    of every ingest and check; the mark costs one stat."""
    mark = folder / PRUNED_MARK
    try:
        if 0 <= time.time() - mark.stat().st_mtime < PRUNE_EVERY_SECONDS:
            return  # (a mark dated in the future, by a clock set back, is due now)
    except OSError:  # never pruned (or no folder): due now
        pass
    prune(folder, limit)
    try:
        mark.touch()
    except OSError:
        pass


def prune(folder: Path, limit: int) -> None:
    """Remove the least recently used files of `folder` (by mtime: a reader touches what it
    uses) until the rest hold at most `limit` bytes."""
    try:
        entries = [(e.stat().st_mtime_ns, e.stat().st_size, e.path) for e in os.scandir(folder)
                   if e.is_file() and e.name != PRUNED_MARK]
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        try:
            os.unlink(path)
        except OSError:
            pass
        total -= size
