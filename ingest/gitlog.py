"""Who added and who last changed each file of a log repository, from one pass over its git history.

One `git log --reverse --name-status -M` over the whole repository (never one process per file:
there are tens of thousands of files), replayed in order: an `A` starts a file's history, `M`
extends it, `R` carries it to the new path (a renamed log keeps the author who added it), `D` ends
it. A folder outside git, a broken repository (a missing object, say), a shallow clone or a
missing git binary give a warning and no history; attribution then falls back to the sites file's
path globs.

Git stores names, emails and paths as raw bytes and dates as any number: what is not valid UTF-8
is kept with `\\xNN` escapes (ingest/text.py: the same readable form the files' paths get), a date
that is no date (after year 9999, before year 1, garbled) is NULL; `RepoHistory.warning` says so,
in one line. Nothing git writes makes reading the history raise.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from ingest.gitrun import GIT_TIMEOUT, run_git, start_git
from ingest.text import is_valid, readable


@dataclass
class FileHistory:
    added_commit: str
    added_author: str
    added_email: str
    added_at: datetime | None  # None: git's date is not a date (after year 9999, garbled)
    last_commit: str
    last_author: str
    last_email: str
    last_at: datetime | None
    n_commits: int = 1
    later_authors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RepoHistory:
    root: Path | None
    head: str | None
    files: dict[str, FileHistory]
    warning: str | None = None


_LOG = ["-c", "core.quotepath=off", "log", "--reverse", "-z", "--name-status", "-M",
        "--format=%x01%H%x1f%an%x1f%ae%x1f%aI"]


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return run_git(args, cwd)


@dataclass
class StartedLog:
    """A `git log` of a whole repository started ahead of its reading, writing into unnamed
    temporary files: with no pipe to drain it runs to its end while the caller does other work."""

    process: subprocess.Popen
    stdout: IO[bytes]
    stderr: IO[bytes]

    def result(self) -> subprocess.CompletedProcess:
        """Wait for git and return what it wrote, as `subprocess.run` would."""
        try:
            self.process.wait(timeout=GIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        self.stdout.seek(0)
        self.stderr.seek(0)
        out, err = self.stdout.read(), self.stderr.read()
        self.stop()
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, err)

    def stop(self) -> None:
        """End git if it still runs, and free its output."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.stdout.close()
        self.stderr.close()


def start_log(root: Path) -> StartedLog | None:
    """Start the `git log` that `read_history` reads, for a repository found by `repo_root`."""
    stdout, stderr = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    try:
        process = start_git(_LOG, root, stdout, stderr)
    except OSError:
        stdout.close()
        stderr.close()
        return None
    return StartedLog(process, stdout, stderr)


def _utc(text: str) -> datetime | None:
    """An ISO date as naive UTC; None when it is none (git prints `%aI` itself for a date it cannot
    show, and years past 9999 that Python cannot hold)."""
    try:
        return datetime.fromisoformat(text).astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None


_REPOSITORY_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM")
"""Variables that change where git looks for a repository: with any of them set, git is asked."""


def _git_entry_above(folder: Path) -> Path | None:
    """The nearest `.git` (folder or file) in `folder` or above it: where git would look."""
    return next((p / ".git" for p in (folder, *folder.parents) if (p / ".git").exists()), None)


def _no_repository_above(folder: Path) -> bool:
    """No `.git` in `folder` or above it, and none of git's discovery variables set: git would find
    no repository there."""
    if any(name in os.environ for name in _REPOSITORY_ENV):
        return False
    try:
        return _git_entry_above(folder.absolute()) is None
    except OSError:
        return False


def repo_root(path: Path) -> tuple[Path | None, str | None]:
    """Top of the git work tree holding `path`, and a warning when git cannot tell."""
    folder = path if path.is_dir() else path.parent
    if _no_repository_above(folder):
        return None, None  # what git would say, without starting it (an ingest asks for every root)
    try:
        result = _git(["rev-parse", "--show-toplevel"], folder)
    except FileNotFoundError:
        return None, "git is not installed: no history, sites come from path globs"
    except subprocess.TimeoutExpired:
        return None, f"git timed out in {folder}: no history, sites come from path globs"
    if result.returncode != 0:
        err = readable(result.stderr.decode(errors="replace")).strip().splitlines()
        if err and "not a git repository" in err[0]:
            dot_git = _git_entry_above(folder)
            if dot_git is None:
                return None, None
            return None, f"broken git repository at {dot_git.parent} ({err[0]}): no history, sites come from path globs"
        return None, f"git failed in {folder} ({err[0] if err else 'no message'}): no history, sites come from path globs"
    top = result.stdout.decode("utf-8", "surrogateescape").strip()
    if not is_valid(top):
        return None, (f"git repository at {readable(top)} has a path that is not valid UTF-8: "
                      "no history, sites come from path globs")
    return Path(top).resolve(), None


def head_commit(root: Path) -> str | None:
    """The commit HEAD names, when it can be read (None: no commits, or a damaged repository)."""
    try:
        result = _git(["rev-parse", "--verify", "-q", "HEAD^{commit}"], root)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.decode(errors="replace").strip() or None if result.returncode == 0 else None


def _head_warning(root: Path) -> str:
    """Why a repository has no readable HEAD commit: none yet, or a missing object."""
    try:
        named = _git(["rev-parse", "--verify", "-q", "HEAD"], root).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        named = False
    if named:
        return f"{root}: damaged git repository (the HEAD commit cannot be read): no history, sites come from path globs"
    return f"{root}: git repository without commits: sites come from path globs"


def parse_log(raw: bytes, problems: list[str] | None = None) -> dict[str, FileHistory]:
    """Replay `git log --reverse -z --name-status -M --format=%x01%H%x1f%an%x1f%ae%x1f%aI` output.

    Whatever it holds: a record that is not one is skipped, text is made valid, a date that is not
    one is None; each of those adds a line to `problems`.
    """
    problems = [] if problems is None else problems
    files: dict[str, FileHistory] = {}
    text = raw.decode("utf-8", errors="surrogateescape")
    for chunk in text.split("\x01")[1:]:
        header, _, body = chunk.partition("\x00")
        parts = header.split("\x1f")
        if len(parts) != 4:
            problems.append(f"a git log record that is not one: {readable(header[:60])!r}")
            continue
        commit, author, email, date = (readable(part) for part in parts)
        if author != parts[1] or email != parts[2]:
            problems.append(f"commit {commit[:12]}: author {author} <{email}> is not valid UTF-8, kept with \\x escapes")
        when = _utc(date)
        if when is None:
            problems.append(f"commit {commit[:12]}: author date {date[:40]!r} is not a date, stored as NULL")
        tokens = [readable(token) for token in body.lstrip("\n").split("\x00")]
        i = 0
        while i < len(tokens):
            status = tokens[i]
            if not status:
                i += 1
                continue
            if status[0] in "RC":
                if i + 2 >= len(tokens):
                    problems.append(f"commit {commit[:12]}: a rename without its paths")
                    break
                old, new = tokens[i + 1], tokens[i + 2]
                i += 3
                history = files.pop(old, None) if status[0] == "R" else None
                if history is None:
                    files[new] = FileHistory(commit, author, email, when, commit, author, email, when)
                else:
                    _touch(history, commit, author, email, when)
                    files[new] = history
                continue
            path = tokens[i + 1] if i + 1 < len(tokens) else ""
            i += 2
            if status[0] == "A" or path not in files:
                if status[0] != "D":
                    files[path] = FileHistory(commit, author, email, when, commit, author, email, when)
            elif status[0] == "D":
                files.pop(path, None)
            else:
                _touch(files[path], commit, author, email, when)
    return files


def _touch(history: FileHistory, commit: str, author: str, email: str, when: datetime | None) -> None:
    history.last_commit, history.last_author, history.last_email, history.last_at = commit, author, email, when
    history.n_commits += 1
    history.later_authors.append((author, email))


def read_history(path: Path, with_files: bool = True, started: dict[Path, StartedLog] | None = None) -> RepoHistory:
    """History of every file of the repository holding `path` (empty, with a warning, when unavailable).

    With `with_files=False` only the repository, its HEAD and any warning are found (three quick
    `git rev-parse` calls): enough to tell whether anything changed since the last ingest. A `git log`
    already started for the repository (`started`, by its root) is read instead of running another.
    Never raises: whatever git does, the answer is a history, possibly empty, and a warning.
    """
    try:
        return _read_history(path, with_files, started)
    except Exception as exc:  # an OS error, a timeout, output nothing here expected
        log = (started or {}).get(path)
        if log is not None:
            log.stop()
        reason = readable(f"{type(exc).__name__}: {exc}".splitlines()[0])[:200]
        return RepoHistory(None, None, {},
                           f"git history of {readable(str(path))} could not be read ({reason}): sites come from path globs")


def _read_history(path: Path, with_files: bool, started: dict[Path, StartedLog] | None) -> RepoHistory:
    root, warning = repo_root(path)
    if root is None:
        return RepoHistory(None, None, {}, warning)
    head = head_commit(root)
    if head is None:
        return RepoHistory(root, None, {}, _head_warning(root))
    shallow = _git(["rev-parse", "--is-shallow-repository"], root)
    if shallow.returncode == 0 and shallow.stdout.strip() == b"true":
        return RepoHistory(root, head, {}, f"{root} is a shallow clone: who added a file is unknown, sites come from path globs")
    if not with_files:
        return RepoHistory(root, head, {})
    log = (started or {}).pop(root, None)
    result = log.result() if log is not None else _git(_LOG, root)
    if result.returncode != 0:
        err = readable(result.stderr.decode(errors="replace")).strip().splitlines()
        reason = err[0] if err else "no message"
        return RepoHistory(root, head, {}, f"git log failed in {root} ({reason}): sites come from path globs")
    problems: list[str] = []
    files = parse_log(result.stdout, problems)
    warning = None
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        warning = f"git history of {root}: {problems[0]}{more}"
    return RepoHistory(root, head, files, warning)
