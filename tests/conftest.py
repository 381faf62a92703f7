"""Shared fixtures: the real sample logs, a fresh warehouse path, and builders of broken copies."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "fixtures" / "samples"
TRAIN_LOG = SAMPLES / "train" / "arch_2.log"
TRUNCATED_LOG = SAMPLES / "truncated" / "arch_6006.log"
BASE_LINF = SAMPLES / "eval" / "arch_2_eval_Linf_Base.log"
BASE_L2 = SAMPLES / "eval" / "arch_170_eval_L2_Base.log"
AA_COMPACT = SAMPLES / "eval" / "arch_2_eval_Linf_AA-Compact.log"
HISTORY = Path(__file__).resolve().parent / "fixtures" / "history"
"""Real logs written by older versions of the benchmark's code (their README says which)."""
FUZZ_CASES = {"count": 0}


def pytest_terminal_summary(terminalreporter):
    """Say how many damaged files the fuzz tests read (issue: report how many cases ran)."""
    if FUZZ_CASES["count"]:
        terminalreporter.write_line(f"fuzz: {FUZZ_CASES['count']} damaged log files read, each ended as one files row")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A private copy of the real sample logs (tests may modify it)."""
    target = tmp_path / "logs"
    shutil.copytree(SAMPLES, target)
    return target


def git(repo: Path, *args: str, author: str = "zaber", email: str = "zaber@example.org", date: str = "2023-03-01T10:00:00+00:00") -> str:
    """Run git in `repo` as a given author at a fixed date."""
    env = {
        "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date,
        "HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    result = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return result.stdout


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a warehouse file, opened read-only like a user's shell would."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
