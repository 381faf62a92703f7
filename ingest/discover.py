"""Find the files of a log repository: every file at any depth, with size and mtime (and its kind, by name, when asked).

Only names and `stat` results are gathered here; whether a file is read again is decided by
comparing them with what the warehouse recorded. `.git` folders are not descended into.

A name holding bytes that are not UTF-8 (`notes\\xff.txt`, a folder `d\\xfe/`) cannot be stored
as it is: its `path` (and `rel_path`, `name`, `root`) is the readable form with `\\xNN` escapes
(ingest/text.py), its `os_path` the one that opens it, and its `note` says so.
"""
from __future__ import annotations

import os
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from ingest._scan import walk_files
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
    os_path: str = ""  # the path to open, when `path` had to be escaped
    note: str | None = None  # what the files row should say about the path itself
    skip: str | None = None  # why it is not read: a symbolic link (not followed), a FIFO, socket or device

    @property
    def open_path(self) -> str:
        return self.os_path or self.path

    @property
    def kind(self) -> FileKind:
        """What its name says it holds, classified when first asked (ingest/kinds.py `classify`,
        which keeps its answers): a re-ingest asks only of the files it reads."""
        return classify(self.name)


def discover(roots: list[Path]) -> list[FoundFile]:
    """All files under the roots (a root may also be a single file), sorted by path; a file under
    two roots given is the first root's.

    Symbolic links are not followed: a link is listed as it is, with `skip` saying why it is not
    read (it may point anywhere, e.g. a folder from elsewhere linking to a local file), and so are
    FIFOs, sockets and devices. Only names and `stat` results are gathered, by the compiled
    walk (ingest/_scan.c `walk_files`), which makes the FoundFile tuples itself, in the order of
    their paths' bytes: a re-ingest of tens of thousands of unchanged files finds them in a
    fraction of a second, and sorting them by path (the order of their text) is one pass.
    """
    found: dict[str, FoundFile] = {}
    walked: list[FoundFile] = []
    for root in roots:
        root_s = str(Path(root).resolve())
        if os.path.isfile(root_s):  # a file given as a root is its own root
            st = os.stat(root_s)
            name = os.path.basename(root_s)
            found[root_s] = FoundFile(root_s, root_s, name, name, st.st_size, st.st_mtime_ns)
        elif len(roots) == 1:
            walked = walk_files(root_s, FoundFile)
        else:  # a file under two roots is the first root's
            for f in walk_files(root_s, FoundFile):
                found.setdefault(f.path, f)
    walked.extend(found.values())
    walked.sort()  # the text's order (the walk's is the bytes'): the same but for undecodable bytes
    return _readable_paths(walked)


def _readable_paths(files: list[FoundFile]) -> list[FoundFile]:
    """Files whose path is not valid text get its readable form (unique: a real file may already
    bear that name, then a suffix tells them apart)."""
    if all(map(str.isascii, map(attrgetter("path"), files))):  # in C: ~5 ms for 50,000 files, not ~30
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
