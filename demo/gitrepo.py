"""Write the corpus' git history: blobs, trees and commits as packs, without `git fast-import`.

The render workers store each run's files as blobs in packs of their own (`packs`); this module
adds the rest: the other files' blobs, every commit's trees and the commits themselves, in one
more pack, then points `main` at the last commit. Objects are stored uncompressed
(`core.compression=0`: the logs are written once and read by the ingest, so CPU time matters more
than disk), hashed with `hashlib.sha1`. Commit ids depend only on content, names, emails, dates
and messages, all of which the plan fixes, so the same seed gives the same ids; the objects are
the ones `git fast-import` wrote for the same stream (tree entries in git's order, commits as
`tree`, `parent`, `author`, `committer`, blank line, message).
"""
from __future__ import annotations

import bisect
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from .packs import PackWriter, object_id
from .specs import IDENTITIES

BRANCH = "main"


def _git(repo: Path, *args: str, stdin: Optional[bytes] = None) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout


def init_repository(repo: Path) -> None:
    """An empty repository on branch `main`, without hooks, templates or the user's config."""
    subprocess.run(["git", "init", "-q", "--template=", "-b", BRANCH, str(repo)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _git(repo, "config", "core.compression", "0")
    _git(repo, "config", "pack.compression", "0")
    _git(repo, "config", "gc.auto", "0")


def pack_dir(repo: Path) -> Path:
    return repo / ".git" / "objects" / "pack"


class _Tree:
    """One directory of the branch: entries in git's order, and its id while unchanged.

    Git sorts a tree's entries by name, a subdirectory's name as if it ended in `/`; the entries
    are kept sorted (keys and `mode name\0id` bytes side by side), so a commit that adds a few files
    to a directory of 17,000 rewrites that tree with one join, without sorting it again.
    """

    __slots__ = ("keys", "values", "children", "oid")

    def __init__(self) -> None:
        self.keys: List[str] = []
        self.values: List[bytes] = []
        self.children: Dict[str, _Tree] = {}     # name -> subdirectory
        self.oid: Optional[bytes] = None         # None: changed since last written

    def has(self, key: str) -> bool:
        i = bisect.bisect_left(self.keys, key)
        return i < len(self.keys) and self.keys[i] == key

    def put(self, key: str, entry: bytes) -> None:
        i = bisect.bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            self.values[i] = entry
        else:
            self.keys.insert(i, key)
            self.values.insert(i, entry)
        self.oid = None

    def drop(self, key: str) -> None:
        i = bisect.bisect_left(self.keys, key)
        del self.keys[i]
        del self.values[i]
        self.oid = None


class History:
    """The branch's objects, built in memory and written as one pack by `close`.

    `blob(data)` returns a blob id; `commit` applies ("M", blob id, path) and ("R", old, new) ops
    to the branch's tree and records a commit on top of the previous one.
    """

    def __init__(self, repo: Path):
        self._repo = repo
        self._objects: List[Tuple[bytes, str, bytes]] = []
        self._stored: Set[bytes] = set()
        self._root = _Tree()
        self._files: Dict[str, bytes] = {}   # path -> blob id (20 bytes)
        self._head: Optional[str] = None

    def _store(self, data: bytes, kind: str) -> bytes:
        oid = object_id(data, kind)
        if oid not in self._stored:   # a tree can come back, a file can repeat another
            self._stored.add(oid)
            self._objects.append((data, kind, oid))
        return oid

    def blob(self, data: bytes) -> str:
        return self._store(data, "blob").hex()

    def _set(self, path: str, oid: bytes) -> None:
        """Add or change a file; like fast-import, a file replaces a directory and vice versa."""
        *dirs, name = path.split("/")
        tree = self._root
        for depth, part in enumerate(dirs):
            tree.oid = None
            child = tree.children.get(part)
            if child is None:
                if tree.has(part):
                    tree.drop(part)
                    del self._files["/".join(dirs[:depth + 1])]
                child = tree.children[part] = _Tree()
            tree = child
        if name in tree.children:
            del tree.children[name]
            if tree.has(name + "/"):
                tree.drop(name + "/")
            inside = path + "/"
            for gone in [p for p in self._files if p.startswith(inside)]:
                del self._files[gone]
        tree.put(name, b"100644 %s\0%s" % (name.encode(), oid))
        self._files[path] = oid

    def _remove(self, path: str) -> bytes:
        *dirs, name = path.split("/")
        trail = [self._root]
        for part in dirs:
            trail.append(trail[-1].children[part])
        trail[-1].drop(name)
        for parent, part, child in zip(reversed(trail[:-1]), reversed(dirs), reversed(trail[1:])):
            parent.oid = None
            if not child.keys:   # git has no empty trees: the directory goes too
                if parent.has(part + "/"):
                    parent.drop(part + "/")
                del parent.children[part]
        return self._files.pop(path)

    def _write_tree(self, tree: _Tree) -> bytes:
        """The tree's id, storing it (and changed subtrees) if it changed since last time."""
        if tree.oid is None:
            for name, child in tree.children.items():
                if child.oid is None:
                    tree.put(name + "/", b"40000 %s\0%s" % (name.encode(), self._write_tree(child)))
            tree.oid = self._store(b"".join(tree.values), "tree")
        return tree.oid

    def commit(self, identity: str, unix_time: int, offset_minutes: int, message: str,
               ops: Sequence[Tuple]) -> str:
        """ops: ("M", blob id, path) to add or change a file, ("R", old, new) to rename one."""
        for op in ops:
            if op[0] == "M":
                self._set(op[2], bytes.fromhex(op[1]))
            elif op[0] == "R":
                self._set(op[2], self._remove(op[1]))
        name, email, _ = IDENTITIES[identity]
        sign = "+" if offset_minutes >= 0 else "-"
        zone = "%s%02d%02d" % (sign, abs(offset_minutes) // 60, abs(offset_minutes) % 60)
        who = f"{name} <{email}> {unix_time} {zone}"
        lines = [f"tree {self._write_tree(self._root).hex()}"]
        if self._head is not None:
            lines.append(f"parent {self._head}")
        lines += [f"author {who}", f"committer {who}", "", message]
        self._head = self._store("\n".join(lines).encode(), "commit").hex()
        return self._head

    def close(self) -> Optional[str]:
        """Write the pack and point the branch at the last commit; returns its id."""
        if self._objects:
            pack = PackWriter(pack_dir(self._repo), len(self._objects), name="history")
            for data, kind, oid in self._objects:
                pack.add(data, kind, oid)
            pack.close()
            self._objects = []
        if self._head is not None:
            _git(self._repo, "update-ref", f"refs/heads/{BRANCH}", self._head)
        return self._head


def finish_worktree(repo: Path, untracked_exclude: List[str], refresh: bool) -> None:
    """Point the index at `main` (the files are already on disk) and hide the key file from status.

    `refresh` also records the files' stat data, which means hashing every file once more: worth it
    for a small corpus (an instant `git status`), not for gigabytes (`git status` does it lazily).
    """
    _git(repo, "read-tree", BRANCH)
    if refresh:
        subprocess.run(["git", "-C", str(repo), "update-index", "-q", "--refresh"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    exclude = repo / ".git" / "info"
    exclude.mkdir(parents=True, exist_ok=True)
    (exclude / "exclude").write_text("".join(f"/{p}\n" for p in untracked_exclude))
