"""Running git on repositories that may come from elsewhere: the one way the tool starts git.

A log repository or a code repository can arrive with its own `.git/config` (a tarball of a
clone, a copied folder). That config can name programs git runs on its own: with
`log.showSignature` every `git log` runs `gpg.program` on each signed commit; a partial clone
fetches missing objects through `core.sshCommand`; `core.fsmonitor` runs a hook. The tool only
reads histories, so every git it starts gets these switched off on its command line, which wins
over any config file, and no transport at all (`GIT_ALLOW_PROTOCOL` overrides every
`protocol.*.allow` of the config): a missing object is an error, never a fetch.
"""
from __future__ import annotations

import os
import subprocess
from itertools import chain
from pathlib import Path
from typing import IO

GIT_TIMEOUT = 600
"""Seconds one git command may take (a `git log` of a very large repository takes seconds)."""

_SAFE_CONFIG = (
    "log.showSignature=false", "gpg.program=false", "gpg.ssh.program=false", "gpg.x509.program=false",
    "core.fsmonitor=false", "core.sshCommand=false", "core.hooksPath=/dev/null", "diff.external=",
    "log.mailmap=false", "core.pager=cat",
)
_SAFE_ENV = {"GIT_ALLOW_PROTOCOL": "none", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"}


def git_argv(args: list[str]) -> list[str]:
    """The command line of `git <args>` with the programs a repository's config could name switched off."""
    return ["git", "--no-pager", *chain.from_iterable(("-c", setting) for setting in _SAFE_CONFIG), *args]


def git_env() -> dict[str, str]:
    """The environment of a git the tool starts: this process's, with no transport and no prompt."""
    return {**os.environ, **_SAFE_ENV}


def run_git(args: list[str], cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run `git <args>` in `cwd` to its end (at most GIT_TIMEOUT s), its output captured."""
    return subprocess.run(git_argv(args), cwd=cwd, input=stdin, capture_output=True, timeout=GIT_TIMEOUT,
                          env=git_env())


def start_git(args: list[str], cwd: Path, stdout: IO[bytes], stderr: IO[bytes]) -> subprocess.Popen:
    """Start `git <args>` in `cwd`, writing into the given files; the caller waits for it."""
    return subprocess.Popen(git_argv(args), cwd=cwd, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                            env=git_env())
