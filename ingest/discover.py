"""Find the files of a log repository: every file at any depth, classified by name, with size and mtime.

Only names and `stat` results are gathered here; whether a file is read again is decided by
comparing them with what the warehouse recorded. `.git` folders are not descended into.

A name holding bytes that are not UTF-8 (`notes\\xff.txt`, a folder `d\\xfe/`) cannot be stored
as it is: its `path` (and `rel_path`, `name`, `root`) is the readable form with `\\xNN` escapes
(ingest/text.py), its `os_path` the one that opens it, and its `note` says so.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from ingest.kinds import FileKind, classify
from ingest.text import is_valid, readable

NOT_UTF8 = "path is not valid UTF-8: stored with \\x escapes"


class FoundFile(NamedTuple):
    """One file found (a tuple: tens of thousands are made by every ingest, changed or not)."""

    path: str
    root: str
    rel_path: str
    name: str
    size: int
    mtime_ns: int
    kind: FileKind
    os_path: str = ""  # the path to open, when `path` had to be escaped
    note: str | None = None  # what the files row should say about the path itself

    @property
    def open_path(self) -> str:
        return self.os_path or self.path


def _walk(folder: str, root: str, prefix: str, found: dict[str, FoundFile]) -> None:
    """Regular files below `folder`: one `stat` each (the entry's type comes with the listing), in
    the listing's order (`discover` sorts them all by path)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != ".git":
                _walk(entry.path, root, f"{prefix}{entry.name}/", found)
        elif entry.is_file(follow_symlinks=False):
            path, name = entry.path, entry.name
            if path in found:  # under two roots given: the first root's
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            found[path] = FoundFile(path, root, prefix + name, name, st.st_size, st.st_mtime_ns, classify(name))


def discover(roots: list[Path]) -> list[FoundFile]:
    """All regular files under the roots (a root may also be a single file), sorted by path.

    Symbolic links are not followed. Only names and `stat` results are gathered: one system call
    per file, so that a re-ingest of tens of thousands of unchanged files stays well under seconds.
    """
    found: dict[str, FoundFile] = {}
    for root in roots:
        root_s = str(Path(root).resolve())
        if os.path.isfile(root_s):
            st = os.stat(root_s)
            name = os.path.basename(root_s)
            found[root_s] = FoundFile(root_s, root_s, name, name, st.st_size, st.st_mtime_ns, classify(name))
            continue
        _walk(root_s, root_s, "", found)
    return _readable_paths([found[p] for p in sorted(found)])


def _readable_paths(files: list[FoundFile]) -> list[FoundFile]:
    """Files whose path is not valid text get its readable form (unique: a real file may already
    bear that name, then a suffix tells them apart)."""
    if all(f.path.isascii() for f in files):
        return files
    taken = {f.path for f in files if is_valid(f.path)}
    out = []
    for f in files:
        if is_valid(f.path):
            out.append(f)
            continue
        suffix, n = "", 1
        while readable(f.path) + suffix in taken:
            n += 1
            suffix = f" (not UTF-8, {n})"
        taken.add(readable(f.path) + suffix)
        out.append(f._replace(path=readable(f.path) + suffix, root=readable(f.root), rel_path=readable(f.rel_path) + suffix,
                              name=readable(f.name) + suffix, os_path=f.path, note=NOT_UTF8))
    return sorted(out, key=lambda f: f.path)
