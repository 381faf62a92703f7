"""What a report folder holds from the last report: each figure's key and the files written for it.

A figure is drawn again only when its key changed: the hash of everything its files are made
from (what its chart is made from: the chart function and its rows and values, reports/figures.py
`Drawing`; the source of reports/, which turns them into the Vega-Lite spec; Altair's version;
the caption, the formats asked for, the renderer's version and the page template). The key is
known before the chart is built, so the chart of a figure whose files are current is never built.
After an ingest that changed none of a figure's data, `report` keeps its files as they are
(index.html likewise, under the name `index`). The record lives
beside the figures, in `.report-outputs.json`:

    {"renderer": "...", "figures": {"best_epoch_msu": {"key": "3f2a...", "files": ["best_epoch_msu.png", ...]}}}

The record is read as untrusted text: only plain file names (no folder part) with the suffixes
the report writes are ever kept or removed, and a file is kept only when it is still there.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ingest.write import write_whole
from warehouse.cache import cache_dir, keep, kept_json, prune_when_due

RECORD_NAME = ".report-outputs.json"
SPECS = "report-specs"
KEPT_SPEC_BYTES = 1 << 29
"""At most this much of kept specs in the cache folder."""
FIGURE_SUFFIXES = (".png", ".svg", ".html")


@dataclass
class OutputRecord:
    """Figure name -> (key, files) from the last report written into a folder."""

    figures: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def unchanged(self, out: Path, name: str, key: str, files: list[str]) -> bool:
        """Whether the figure's files from the last report are what this one would write."""
        old = self.figures.get(name)
        return old is not None and old == (key, files) and all((out / f).is_file() for f in files)

    def stale(self, drawn: dict[str, tuple[str, list[str]]]) -> list[str]:
        """Files of the last report's figures that this report does not draw at all (e.g. the
        curves of archs an earlier `--arch` chose); a figure drawn in fewer formats keeps its other
        files."""
        keep = {f for _, files in drawn.values() for f in files}
        return sorted({f for name, (_, files) in self.figures.items() if name not in drawn for f in files} - keep)


def _plain_figure_file(name) -> bool:
    return (isinstance(name, str) and name not in ("", ".", "..") and os.sep not in name and "/" not in name
            and "\0" not in name and name.endswith(FIGURE_SUFFIXES))


def read_record(out: Path) -> OutputRecord:
    """The record of the last report in `out`; empty when there is none or it cannot be read."""
    try:
        raw = json.loads((out / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return OutputRecord()
    figures = raw.get("figures") if isinstance(raw, dict) else None
    record = OutputRecord()
    for name, item in (figures.items() if isinstance(figures, dict) else ()):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not isinstance(item.get("files"), list):
            continue
        files = item["files"]
        if files and all(_plain_figure_file(f) for f in files):
            record.figures[name] = (item["key"], files)
    return record


def write_record(out: Path, record: OutputRecord) -> Path:
    """Write the record whole (a half-written record would only cost a redraw, but why)."""
    body = {"figures": {name: {"key": key, "files": files} for name, (key, files) in sorted(record.figures.items())}}
    return write_whole(out / RECORD_NAME, json.dumps(body, indent=1) + "\n")


def remove_stale(out: Path, names: list[str]) -> list[str]:
    """Remove the named figure files of an earlier report (plain names inside `out` only)."""
    removed = []
    for name in names:
        if _plain_figure_file(name):
            try:
                (out / name).unlink()
                removed.append(name)
            except FileNotFoundError:
                pass
    return removed


@lru_cache(maxsize=1)
def reports_source() -> str:
    """The hash of the source of reports/ (its modules, by name): the code that makes every
    figure's spec from its drawing, so a change to it draws every figure again."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def figure_key(made_from, caption: str, formats: tuple[str, ...], renderer: str) -> str:
    """The hash of everything a figure's files are made from (`made_from`: its spec, or what the
    spec is made from, reports/figures.py `Figure.made_from`)."""
    text = json.dumps({"spec": made_from, "caption": caption, "formats": list(formats), "renderer": renderer},
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def _spec_path(key: str) -> Path:
    return cache_dir() / SPECS / f"{key}.json"


def kept_spec(key: str) -> dict | None:
    """The spec kept for a figure key (`keep_spec`), or None: the spec a report that drew the
    figure built, so that a later report rewriting index.html around unchanged figures need not
    build their charts again."""
    spec = kept_json(_spec_path(key))
    return spec if isinstance(spec, dict) else None


def keep_spec(key: str, spec: dict) -> None:
    """Keep a drawn figure's spec (`Figure.unchecked_spec`) under its key in the cache folder (a
    later report builds one that is not kept); `prune_specs` keeps the folder under KEPT_SPEC_BYTES.
    Kept as JSON without `keep_json`'s check that it reads back equal (~0.2 s of CPU at full
    scale): a kept spec is only written into index.html as JSON again, and what JSON changes (a
    tuple read back as a list, a number key as text) gives the same text there."""
    try:
        text = json.dumps(spec)
    except (TypeError, ValueError):  # not JSON: such a spec cannot be in a page either
        return
    keep(_spec_path(key), text)


def prune_specs() -> None:
    prune_when_due(cache_dir() / SPECS, KEPT_SPEC_BYTES)
