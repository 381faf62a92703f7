"""Find the files of a log repository: every file at any depth, classified by name, with size and mtime.

Only names and `stat` results are gathered here; whether a file is read again is decided by
comparing them with what the warehouse recorded. `.git` folders are not descended into.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest import FileKind, classify


@dataclass(frozen=True)
class FoundFile:
    path: str
    root: str
    rel_path: str
    name: str
    size: int
    mtime_ns: int
    kind: FileKind


def _found(path: str, root: str, st: os.stat_result) -> FoundFile:
    name = os.path.basename(path)
    rel = os.path.relpath(path, root) if root != path else name
    return FoundFile(path, root, rel.replace(os.sep, "/"), name, st.st_size, st.st_mtime_ns, classify(name))


def discover(roots: list[Path]) -> list[FoundFile]:
    """All regular files under the roots (a root may also be a single file), sorted by path."""
    found: dict[str, FoundFile] = {}
    for root in roots:
        root_s = str(Path(root).resolve())
        if os.path.isfile(root_s):
            found[root_s] = _found(root_s, root_s, os.stat(root_s))
            continue
        for folder, dirs, names in os.walk(root_s):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            for name in names:
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path, follow_symlinks=False)
                except OSError:
                    continue
                if not os.path.isfile(path) or os.path.islink(path):
                    continue
                found.setdefault(path, _found(path, root_s, st))
    return [found[p] for p in sorted(found)]
