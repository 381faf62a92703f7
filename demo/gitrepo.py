"""Write the corpus' git history with one `git fast-import` process.

One `git add`/`git commit` per file would take minutes for tens of thousands of files; a
fast-import stream writes every blob once, into one pack, with no deltas and no compression
(`--depth=0`, `core.compression=0`: the logs are written once and read by the ingest, so CPU time
matters more than disk). Commit ids depend only on content, names, emails, dates and messages, all
of which the plan fixes, so the same seed gives the same ids.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

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


class FastImport:
    """A running `git fast-import`: `blob` returns a mark, `commit` records one commit."""

    def __init__(self, repo: Path):
        command = ["git", "-C", str(repo), "-c", "core.compression=0", "-c", "pack.compression=0",
                    "fast-import", "--quiet", "--depth=0", "--big-file-threshold=512m", "--done"]
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        self._out = self._proc.stdin
        self._mark = 0
        self._last_commit: Optional[int] = None

    def blob(self, data: bytes) -> int:
        self._mark += 1
        self._out.write(b"blob\nmark :%d\ndata %d\n" % (self._mark, len(data)))
        self._out.write(data)
        self._out.write(b"\n")
        return self._mark

    def commit(self, identity: str, unix_time: int, offset_minutes: int, message: str,
               ops: Sequence[Tuple]) -> None:
        """ops: ("M", mark, path) to add or change a file, ("R", old, new) to rename one."""
        name, email, _ = IDENTITIES[identity]
        sign = "+" if offset_minutes >= 0 else "-"
        zone = "%s%02d%02d" % (sign, abs(offset_minutes) // 60, abs(offset_minutes) % 60)
        who = f"{name} <{email}> {unix_time} {zone}".encode()
        text = message.encode()
        self._mark += 1
        lines = [b"commit refs/heads/" + BRANCH.encode(), b"mark :%d" % self._mark,
                 b"author " + who, b"committer " + who, b"data %d" % len(text), text]
        if self._last_commit is not None:
            lines.append(b"from :%d" % self._last_commit)
        for op in ops:
            if op[0] == "M":
                lines.append(b"M 100644 :%d %s" % (op[1], _quote(op[2])))
            elif op[0] == "R":
                lines.append(b"R %s %s" % (_quote(op[1]), _quote(op[2])))
        self._out.write(b"\n".join(lines) + b"\n\n")
        self._last_commit = self._mark

    def close(self) -> None:
        self._out.write(b"done\n")
        self._out.close()
        if self._proc.wait() != 0:
            raise RuntimeError("git fast-import failed")


def _quote(path: str) -> bytes:
    if any(c in path for c in ' "\n\\'):
        return b'"' + path.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'
    return path.encode()


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


def commit_ids(repo: Path) -> List[str]:
    """Commit ids on `main`, oldest first."""
    out = _git(repo, "rev-list", "--reverse", BRANCH).decode().split()
    return out


def count_commits(repo: Path) -> int:
    return int(_git(repo, "rev-list", "--count", BRANCH).decode().strip() or 0)
