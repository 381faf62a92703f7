"""The user's cache folder for what only the tool's version decides (the empty warehouse of
warehouse/template.py, the renderings of the tool's views of warehouse/trust.py and of its tables
of warehouse/connect.py, what the view files read, the report's Vega bundle) and what `check` and
`report` keep between commands (warehouse/results.py, reports/outputs.py; pruned by size,
`prune_when_due`): made again whenever it is missing, so deleting it is always safe. A command
that will need several of them may have another process make them meanwhile (`make_meanwhile`)."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
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


class _Meanwhile:
    """The process `make_meanwhile` started: its makers' names, the ones it finished."""

    def __init__(self, names: list[str], process: subprocess.Popen):
        self.names, self.done, self.process = set(names), set(), process
        self.lock = threading.Lock()  # reading threads may wait for a rendering at once


_MEANWHILE: list[_Meanwhile] = []
"""The process this one started last to make cache files meanwhile."""

_MAKE_IN_ORDER = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
                  "from warehouse.cache import make_in_order; make_in_order(sys.argv[2:])")
"""The program of the `make_meanwhile` process, run isolated (`-I`: neither the working folder nor
$PYTHON* variables add to where modules come from): this process' module path, then the makers."""


def _name(make: Callable[[], object]) -> str:
    return f"{make.__module__}:{make.__qualname__}"


def make_meanwhile(makers: list[Callable[[], object]]) -> None:
    """Run `makers` (module-level functions, each keeping its result in the cache folder) one after
    the other in one new process, in that order: a command that needs them later (a first report
    on a machine: the empty warehouse, the renderings, the Vega bundle) does other work meanwhile on
    the other core. Each maker calls `made_meanwhile` with itself first: it waits until that
    process made it, then reads the cache as always (or makes it, should the process have failed).

    The process is a fresh interpreter (~0.3 s of CPU to start), nothing of this one's threads or
    open databases; it prints nothing. One runs at a time: a call while it runs does nothing."""
    if _MEANWHILE and _MEANWHILE[0].process.poll() is None or not sys.executable:
        return
    names = [_name(make) for make in makers]
    path = json.dumps([os.fspath(entry) for entry in sys.path if isinstance(entry, (str, os.PathLike))])
    try:
        process = subprocess.Popen([sys.executable, "-I", "-c", _MAKE_IN_ORDER, path, *names],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return  # the makers make it when asked
    _MEANWHILE[:] = [_Meanwhile(names, process)]


def made_meanwhile(make: Callable[[], object]) -> None:
    """Wait until the process of `make_meanwhile` made `make`'s result or ended; at once when it
    was not asked to make it."""
    name = _name(make)
    if not _MEANWHILE or name not in _MEANWHILE[0].names:
        return
    meanwhile = _MEANWHILE[0]
    with meanwhile.lock:
        results = meanwhile.process.stdout
        while name not in meanwhile.done and not results.closed:
            line = results.readline()
            if line:
                meanwhile.done.add(line.decode("utf-8", "replace").strip())
            else:  # it ended (or failed): what it did not make is made here
                results.close()
                meanwhile.process.wait()


def make_in_order(names: list[str]) -> None:
    """The body of the `make_meanwhile` process: each maker (`module:function`), then its name on
    its own line. Whatever goes wrong (an unwritable cache folder, an interrupt) ends it quietly:
    the waiting process makes what is missing and says what fails."""
    try:
        results = os.fdopen(os.dup(1), "w")  # the names go to the pipe; what a maker prints, nowhere
        with open(os.devnull, "w") as nowhere:
            os.dup2(nowhere.fileno(), 1)
        for name in names:
            module, _, function = name.partition(":")
            try:
                getattr(importlib.import_module(module), function)()
            except Exception:
                pass
            results.write(name + "\n")
            results.flush()
    except BaseException:
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
