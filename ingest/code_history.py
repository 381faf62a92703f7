"""The history of a repository of the benchmark's code: every commit, and what its entry scripts print.

One `git log` over the whole repository gives every commit (its date and which files it changed);
one `git cat-file --batch` reads each entry script only at the commits that changed it. The facts of
a script (ingest/code_facts.py) hold until the next commit that changes it, so every commit is known
by the state of its scripts without reading them again.

Entry scripts, by the kind of log they write (SPEC section 8): `main.py` training logs (NARes-Train),
`eval.py` Base and AutoAttack evaluations, `eval_test_loss.py` re-evaluations (`_eval_test-loss.log`),
`eval_corruption_level.py` corruption evaluations per level and `eval_corruption.py` over all levels
(NARes-Eval).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ingest.code_facts import ScriptFacts, script_facts
from ingest.gitrun import run_git

FACTS_VERSION = 2
"""Version of what is read from the entry scripts (ingest/code_facts.py ScriptFacts): 2 added the
names of their log files. A repository a warehouse read with another version is read again."""
ENTRY_SCRIPTS = {"training": "main.py", "evaluation": "eval.py", "re-evaluation": "eval_test_loss.py",
                 "corruption": "eval_corruption_level.py", "corruption-all-levels": "eval_corruption.py"}
_LOG = ["-c", "core.quotepath=off", "log", "--reverse", "-z", "--no-renames", "--name-only",
        "--format=%x01%H%x1f%aI%x1f%an%x1f%ae%x1f%s"]


@dataclass
class CodeCommit:
    sha: str
    authored_at: datetime | None  # the author's wall-clock time, as git shows it in the author's zone
    authored_utc: datetime | None
    author: str
    email: str
    subject: str
    changed: list[str] = field(default_factory=list)


@dataclass
class CodeRepo:
    """A code repository's commits (oldest first) and, per commit, the facts of each entry script
    as they stand at that commit (None when the script does not exist there or is not Python)."""

    root: str
    head: str | None
    commits: list[CodeCommit]
    facts: dict[str, dict[str, ScriptFacts | None]]  # sha -> kind -> facts
    changed_at: dict[str, list[str]]  # kind -> shas of the commits that changed its script
    warning: str | None = None


def _dates(text: str) -> tuple[datetime | None, datetime | None]:
    """(local wall-clock, UTC) of a git ISO date; (None, None) when git wrote something unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, None
    if moment.tzinfo is None:
        return moment, None
    try:
        utc = (moment - moment.utcoffset()).replace(tzinfo=None)
    except OverflowError:
        utc = None
    return moment.replace(tzinfo=None), utc


def parse_log(raw: bytes) -> list[CodeCommit]:
    """Commits of `git log --reverse -z --name-only --format=%x01%H%x1f%aI%x1f%an%x1f%ae%x1f%s`."""
    commits = []
    for chunk in raw.decode("utf-8", errors="replace").split("\x01")[1:]:
        header, _, body = chunk.partition("\x00")
        parts = header.split("\x1f")
        if len(parts) != 5:
            continue
        sha, date, author, email, subject = parts
        local, utc = _dates(date.strip())
        changed = [name.strip("\n") for name in body.split("\x00") if name.strip("\n")]
        commits.append(CodeCommit(sha, local, utc, author, email, subject, changed))
    return commits


def _blobs(root: Path, requests: list[str]) -> dict[str, bytes | None]:
    """`<sha>:<path>` -> content, through one `git cat-file --batch`."""
    if not requests:
        return {}
    result = run_git(["cat-file", "--batch"], root, ("\n".join(requests) + "\n").encode())
    out: dict[str, bytes | None] = {}
    data, pos = result.stdout, 0
    for request in requests:
        end = data.find(b"\n", pos)
        if end < 0:
            break
        header = data[pos:end].split(b" ")
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            out[request] = data[pos:pos + size]
            pos += size + 1
        else:
            out[request] = None  # missing, or not a file
    return out


def read_code_repo(path: Path) -> CodeRepo:
    """The history of the code repository at `path`, with a work tree or bare (a mirror); an empty
    one with a warning when git cannot read it (not a repository, no commits, git missing)."""
    root = Path(path)
    try:
        top = run_git(["rev-parse", "--show-toplevel"], root)
        if top.returncode != 0 and run_git(["rev-parse", "--is-bare-repository"], root).stdout.strip() == b"true":
            top = run_git(["rev-parse", "--absolute-git-dir"], root)  # a bare repository (a mirror): no work tree
        head = run_git(["rev-parse", "--verify", "-q", "HEAD"], root)
    except (FileNotFoundError, NotADirectoryError, subprocess.TimeoutExpired, OSError) as exc:
        return CodeRepo(str(path), None, [], {}, {}, f"code repository {path}: git cannot read it ({type(exc).__name__})")
    if top.returncode != 0 or head.returncode != 0:
        first = (top.stderr or head.stderr).decode(errors="replace").strip().splitlines()
        reason = first[0] if first else "no commits"
        return CodeRepo(str(path), None, [], {}, {}, f"code repository {path}: {reason}")
    root = Path(top.stdout.decode(errors="replace").strip())
    log = run_git(_LOG, root)
    if log.returncode != 0:
        first = log.stderr.decode(errors="replace").strip().splitlines()
        reason = first[0] if first else "no message"
        return CodeRepo(str(root), None, [], {}, {}, f"code repository {root}: git log failed ({reason})")
    commits = parse_log(log.stdout)
    wanted = [(c.sha, kind, script) for c in commits for kind, script in ENTRY_SCRIPTS.items() if script in c.changed]
    contents = _blobs(root, [f"{sha}:{script}" for sha, _, script in wanted])
    facts: dict[str, dict[str, ScriptFacts | None]] = {}
    current: dict[str, ScriptFacts | None] = {kind: None for kind in ENTRY_SCRIPTS}
    changed_at: dict[str, list[str]] = {kind: [] for kind in ENTRY_SCRIPTS}
    for commit in commits:
        for kind, script in ENTRY_SCRIPTS.items():
            if script in commit.changed:
                content = contents.get(f"{commit.sha}:{script}")
                current[kind] = script_facts(content.decode("utf-8", errors="replace")) if content else None
                changed_at[kind].append(commit.sha)
        facts[commit.sha] = dict(current)
    return CodeRepo(str(root), head.stdout.decode().strip(), commits, facts, changed_at)


def repo_head(path: Path) -> str | None:
    """The HEAD commit of a code repository (None when git cannot tell): whether it must be read again."""
    try:
        result = run_git(["rev-parse", "--verify", "-q", "HEAD"], Path(path))
    except (FileNotFoundError, NotADirectoryError, subprocess.TimeoutExpired, OSError):
        return None
    return result.stdout.decode().strip() or None if result.returncode == 0 else None

