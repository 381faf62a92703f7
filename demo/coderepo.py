"""Write the demo's two code repositories: `code/train` (main.py, trainer.py, util.py) and
`code/eval` (eval.py), beside the logs.

Each replays the dated commits of `codeversions` (authors, times and messages of the benchmark's
public history; scripts from `trainscripts` and `evalscripts`), through the same in-memory history
writer as the log repository, so the commit ids depend on nothing but the facts: the same in every
corpus. They are
separate repositories: the log repository ignores the `code/` folder (its `info/exclude`), and an
ingest, which does not descend into `.git` folders, finds only Python files and READMEs there.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict, List, Sequence

from . import gitrepo
from .codeversions import EVAL_CODES, EVAL_COMMITS, TRAIN_COMMITS, CodeCommit
from .evalscripts import eval_source
from .history import unix_time, utc_offset
from .trainscripts import train_main, trainer_source, util_source

REPOS = {"train": ("code/train", TRAIN_COMMITS), "eval": ("code/eval", EVAL_COMMITS)}
_IDENTITY = {"shihuahuang": "code_shihuahuang", "zaber": "code_zaber"}
_SCRIPTS = {"train": ("main.py", "trainer.py", "util.py"), "eval": ("eval.py",)}


def other_file(path: str, index: int, message: str, when: str) -> str:
    """Files the entry scripts do not include (README, shell scripts, helpers) at a commit."""
    if path.endswith(".md"):
        return (f"# {'NARes-Eval' if 'eval' in path else 'NARes-Train'}\n\n"
                f"Code of the NARes / RobustNASBench benchmark (demo copy).\n\nLast change: {message} ({when[:10]}).\n")
    if path.endswith(".sh"):
        return (f"#!/bin/sh\n# revision {index}: {message}\n"
                "python main.py --config_path ./configs/nasbench/small --version \"$1\"\n")
    if path == ".gitignore":
        return "__pycache__/\nmodels_home/\nattack_log/\n"
    if path == "requirements.txt":
        return "torch\nmlconfig\ntorchprofile\n"
    return f'"""{message} (revision {index})."""\n'


def sources(repo: str, code: str, variant: str) -> Dict[str, str]:
    """The entry scripts of a repository at a code version."""
    if repo == "train":
        return {"main.py": train_main(code, variant), "trainer.py": trainer_source(code), "util.py": util_source(code)}
    return {"eval.py": eval_source(code, variant)}


def _trees(repo: str, commits: Sequence[CodeCommit]) -> List[Dict[str, str]]:
    """The files each commit changes (path -> new text), in commit order."""
    current: Dict[str, str] = {}
    out = []
    for index, commit in enumerate(commits):
        changed = {}
        if commit.code:
            for path, text in sources(repo, commit.code, commit.variant).items():
                if current.get(path) != text:
                    changed[path] = text
        for path in commit.files:
            if path not in _SCRIPTS[repo]:
                changed[path] = other_file(path, index, commit.message, commit.when)
        current.update(changed)
        out.append(changed)
    return out


def write_code_repositories(out: Path) -> Dict[str, List[Dict]]:
    """Write both repositories under `out`; per repository, one dict per commit (for the key file)."""
    info: Dict[str, List[Dict]] = {}
    for repo, (folder, commits) in REPOS.items():
        root = out / folder
        # a plain `git init` (the log repository's tuning for gigabytes of logs is not needed here)
        subprocess.run(["git", "init", "-q", "--template=", "-b", gitrepo.BRANCH, str(root)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        history = gitrepo.History(root)
        files: Dict[str, str] = {}
        entries = []
        for commit, changed in zip(commits, _trees(repo, commits)):
            identity = _IDENTITY[commit.author]
            ops = [("M", history.blob(text.encode()), path) for path, text in sorted(changed.items())]
            sha = history.commit(identity, unix_time(identity, commit.ms), utc_offset(identity, commit.ms),
                                 commit.message + "\n", ops)
            files.update(changed)
            entries.append({"sha": sha, "date": commit.when + " +0800", "author": commit.author,
                            "message": commit.message, "code_version": _label(repo, commit.code),
                            "changed": sorted(changed), "scripts_changed": commit.script})
        history.close()
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        gitrepo.finish_worktree(root, [], refresh=False)
        info[repo] = entries
    return info


def _label(repo: str, code: str):
    if not code:
        return None
    return code if repo == "train" else EVAL_CODES[code].label
