"""Git histories of any content: raw bytes in authors, dates git cannot print, damaged repositories.

Each gives a history (or none) and one warning line, never an exception; the files still load.
Commits are written as raw objects (`git hash-object --literally`), so a test can hold any bytes
and any timestamp git itself would refuse to write.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import TRAIN_LOG, git, query

from ingest.gitlog import parse_log, read_history
from warehouse.update import ingest_paths

ENV = {"HOME": "/nonexistent", "PATH": "/usr/bin:/bin:/usr/local/bin", "GIT_CONFIG_NOSYSTEM": "1"}


def raw_commit(repo: Path, author: bytes, stamp: bytes, message: bytes = b"m") -> str:
    """Commit the index with this author line (`Name <email>`) and timestamp (`<seconds> <zone>`)."""
    def run(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", *args], cwd=repo, input=data, env=ENV, capture_output=True,
                              check=True).stdout.decode().strip()
    tree = run("write-tree")
    parent = subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=repo, env=ENV,
                            capture_output=True).stdout.decode().strip()
    body = b"tree " + tree.encode() + b"\n" + (b"parent " + parent.encode() + b"\n" if parent else b"")
    body += b"author " + author + b" " + stamp + b"\ncommitter C <c@x> 1700000000 +0000\n\n" + message + b"\n"
    commit = run("hash-object", "-t", "commit", "-w", "--literally", "--stdin", data=body)
    run("update-ref", "HEAD", commit)
    return commit


def repo_with(tmp_path: Path, commits: list[tuple[str, bytes, bytes]]) -> Path:
    """A repository where each (file, author, stamp) adds a training log in a commit of its own."""
    repo = tmp_path / "logs"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for name, author, stamp in commits:
        (repo / name).write_text(TRAIN_LOG.read_text().replace("arch_2", name[:-4]))
        git(repo, "add", name)
        raw_commit(repo, author, stamp)
    return repo


@pytest.mark.parametrize("author, stamp, expected_author, expected_at, warning", [
    (b"Na\xffme <e\xfe@x>", b"1700000000 +0000", "Na\\xffme", "2023-11-14 22:13:20", "is not valid UTF-8, kept with \\x escapes"),
    (b"zaber <z@x>", b"253402300800 +0000", "zaber", None, "author date '10000-01-01T00:00:00+00:00' is not a date"),
    (b"zaber <z@x>", b"-62135596801 +0000", "zaber", None, "author date '%aI' is not a date"),
    (b"zaber <z@x>", b"1700000000 +9999", "zaber", None, "is not a date"),
    (b"zaber <z@x>", b"abc +0000", "zaber", None, "is not a date"),
])
def test_history_with_any_author_bytes_and_dates_reads_with_a_warning(tmp_path, db_path, author, stamp, expected_author,
                                                                      expected_at, warning):
    repo = repo_with(tmp_path, [("arch_1.log", b"ok <ok@x>", b"1600000000 +0000"), ("arch_3.log", author, stamp)])
    history = read_history(repo)
    assert warning in history.warning and "\n" not in history.warning
    assert history.files["arch_1.log"].added_author == "ok"
    entry = history.files["arch_3.log"]
    assert entry.added_author == expected_author
    assert (entry.added_at and str(entry.added_at)) == expected_at
    summary = ingest_paths(db_path, [repo], workers=1)
    assert summary.errors == 0 and summary.runs == 2
    assert query(db_path, "select name, added_author, added_at::varchar from files where name like 'arch_%' order by name") == [
        ("arch_1.log", "ok", "2020-09-13 12:26:40"), ("arch_3.log", expected_author, expected_at)]


def test_damaged_repository_warns_and_falls_back(tmp_path, db_path):
    """A removed pack (a missing commit object): a warning, no history, the logs still load."""
    repo = repo_with(tmp_path, [("arch_1.log", b"ok <ok@x>", b"1600000000 +0000")])
    git(repo, "gc", "-q")
    for pack in (repo / ".git" / "objects" / "pack").glob("*.pack"):
        pack.unlink()
    quick = read_history(repo, with_files=False)
    assert quick.head is None and "damaged git repository (the HEAD commit cannot be read)" in quick.warning
    assert "damaged git repository" in read_history(repo).warning
    summary = ingest_paths(db_path, [repo], workers=1)
    assert any("damaged git repository" in w for w in summary.warnings)
    assert summary.runs == 1
    assert query(db_path, "select added_commit from files where name = 'arch_1.log'") == [(None,)]


def test_repository_without_commits_is_told_apart_from_a_damaged_one(tmp_path):
    repo = tmp_path / "logs"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    assert "git repository without commits" in read_history(repo).warning


@pytest.mark.parametrize("raw", [
    b"\x01abc",                                      # a header of one field
    b"\x01c\x1fa\x1fe\x1fnot a date\x00\nA\x00",     # a date that is none, an add without its path
    b"\x01c\x1fa\x1fe\x1f2023-01-01T00:00:00+00:00\x00\nR100\x00old",  # a rename without its new path
    b"\x01c\x1f\xff\x1f\xfe\x1f\x00\nM\x00\xff.log\x00",  # invalid bytes everywhere
    bytes(range(256)) * 3,
])
def test_malformed_log_output_never_raises(raw):
    problems: list[str] = []
    files = parse_log(raw, problems)
    for history in files.values():
        for text in (history.added_author, history.added_email):
            text.encode("utf-8")  # valid text
    assert all("\n" not in p for p in problems)


def test_read_history_never_raises_on_a_git_that_fails(tmp_path, monkeypatch):
    """Whatever goes wrong around git (here: a started log that cannot be read), a warning."""
    repo = repo_with(tmp_path, [("arch_1.log", b"ok <ok@x>", b"1600000000 +0000")])

    class Broken:
        def result(self):
            raise OSError("disk gone")

        def stop(self):
            pass
    history = read_history(repo, started={repo.resolve(): Broken()})
    assert history.files == {} and "could not be read (OSError: disk gone)" in history.warning


def test_git_is_started_only_for_a_folder_with_a_git_entry_in_it_or_above(tmp_path, monkeypatch):
    """A root with no `.git` above it is no repository without asking git (an ingest asks for
    every root); a `.git` folder or file above it, or one of git's discovery variables, asks git."""
    from ingest import gitlog

    started = []
    real = gitlog._git
    monkeypatch.setattr(gitlog, "_git", lambda args, cwd: started.append(cwd) or real(args, cwd))
    for name in gitlog._REPOSITORY_ENV:
        monkeypatch.delenv(name, raising=False)
    plain = tmp_path / "plain" / "logs"
    plain.mkdir(parents=True)
    assert gitlog.repo_root(plain) == (None, None) and started == []
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert gitlog.repo_root(plain) == (None, None) and started == [plain]
    monkeypatch.delenv("GIT_CEILING_DIRECTORIES")
    (tmp_path / "plain" / ".git").write_text("gitdir: /nowhere\n")  # a worktree's .git file, broken
    root, warning = gitlog.repo_root(plain)
    assert root is None and "broken git repository" in warning and started == [plain, plain]
    repo = tmp_path / "repo"
    (repo / "logs").mkdir(parents=True)
    git(repo, "init", "-q")
    assert gitlog.repo_root(repo / "logs") == (repo.resolve(), None) and started[-1] == repo / "logs"
