"""Tests of the demo's git writing (`demo/packs.py`, `demo/gitrepo.py`) against git itself.

Packs and idx files written in Python must be accepted by `git fsck --full --strict` and read back
byte for byte; the history writer must give the very commit ids `git fast-import` gives for the
same commits; and a generated corpus must be an ordinary, deterministic repository.
"""
from __future__ import annotations

import ast
import json
import os
import struct
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest
from code_names import T3, T4, T6, T7, T9, log_names

import demo
from demo import gitrepo, write_demo_repository
from demo.packs import PackWriter, index_bytes, stored_zlib


def _git(repo: Path, *args: str, stdin: bytes = None) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, check=True,
                          capture_output=True).stdout


def _fsck(repo: Path) -> None:
    result = subprocess.run(["git", "-C", str(repo), "fsck", "--full", "--strict", "--no-dangling"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stderr and "missing" not in result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    gitrepo.init_repository(path)
    return path


BLOBS = [b"", b"hello\n", b"x" * 65535, b"y" * 65536, os.urandom(200_000), os.urandom(5_000_000), b"hello\n"]


# ----------------------------------------------------------------------------- packs
def test_pack_blobs_read_back_exactly(repo):
    writer = PackWriter(gitrepo.pack_dir(repo), expected=len(BLOBS))
    ids = [writer.add(blob) for blob in BLOBS]
    pack = writer.close()
    _fsck(repo)
    for blob, oid in zip(BLOBS, ids):
        assert _git(repo, "hash-object", "--stdin", stdin=blob).decode().strip() == oid
        assert _git(repo, "cat-file", "blob", oid) == blob
    listing = _git(repo, "verify-pack", "-v", str(pack.with_suffix(".idx"))).decode()
    assert "non delta: 6 objects" in listing  # the second b"hello\n" is stored once


def test_pack_name_is_its_checksum_and_content_is_deterministic(tmp_path):
    names = []
    for run in ("a", "b"):
        writer = PackWriter(tmp_path / run, expected=3)
        for blob in BLOBS[1:4]:
            writer.add(blob)
        names.append(writer.close())
    assert names[0].name == names[1].name
    assert names[0].read_bytes() == names[1].read_bytes()
    assert names[0].name == f"pack-{names[0].read_bytes()[-20:].hex()}.pack"
    assert names[0].with_suffix(".idx").read_bytes() == names[1].with_suffix(".idx").read_bytes()


def test_pack_refuses_more_objects_than_announced(tmp_path):
    writer = PackWriter(tmp_path, expected=1)
    writer.add(b"one")
    writer.add(b"two")
    with pytest.raises(ValueError, match="more than"):
        writer.close()
    assert list(tmp_path.iterdir()) == []


def test_stored_zlib_is_a_zlib_stream():
    import zlib
    for data in BLOBS:
        assert zlib.decompress(b"".join(stored_zlib(data))) == data


def test_index_puts_large_offsets_in_the_64_bit_table():
    entries = {bytes([1]) * 20: (11, 12), bytes([2]) * 20: (22, 3 << 31), bytes([3]) * 20: (33, 5 << 31)}
    idx = index_bytes(entries, b"\0" * 20)
    n = 3
    body = idx[8 + 256 * 4:]
    offsets = struct.unpack(">3I", body[n * 24:n * 28])
    large = struct.unpack(">2Q", body[n * 28:n * 28 + 16])
    assert offsets == (12, 0x80000000, 0x80000001)
    assert large == (3 << 31, 5 << 31)
    assert struct.unpack(">256I", idx[8:8 + 1024])[1:4] == (1, 2, 3)


# ----------------------------------------------------------------------------- history
def _fast_import(repo: Path, blobs: List[bytes], commits: List[Dict]) -> str:
    """The same history through `git fast-import`: the reference for the commit ids."""
    lines = []
    for i, blob in enumerate(blobs, 1):
        lines.append(b"blob\nmark :%d\ndata %d\n%s\n" % (i, len(blob), blob))
    for c in commits:
        text = c["message"].encode()
        lines.append(b"commit refs/heads/main\nauthor zaber <zaber@mail.sustech.edu.cn> %d +0800\n"
                     b"committer zaber <zaber@mail.sustech.edu.cn> %d +0800\ndata %d\n%s\n"
                     % (c["time"], c["time"], len(text), text))
        for op in c["ops"]:
            if op[0] == "M":
                lines.append(b"M 100644 :%d %s\n" % (op[1] + 1, op[2].encode()))
            else:
                lines.append(b"R %s %s\n" % (op[1].encode(), op[2].encode()))
        lines.append(b"\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(lines), check=True)
    return _git(repo, "rev-parse", "main").decode().strip()


HISTORY = [
    {"message": "first\n", "time": 1_680_000_000,
     "ops": [("M", 0, "a.txt"), ("M", 1, "logs/x/1.log"), ("M", 2, "logs/x-y/2.log"), ("M", 3, "logs.txt")]},
    {"message": "second\n", "time": 1_680_003_600,
     "ops": [("M", 4, "logs/x/0.log"), ("M", 1, "logs/x"), ("R", "logs/x-y/2.log", "tmp/2.log")]},
    {"message": "third\n", "time": 1_680_007_200,
     "ops": [("R", "tmp/2.log", "logs/x-y/2.log"), ("M", 2, "a.txt"), ("M", 3, "b/c/d/e.txt")]},
]


def test_history_gives_fast_import_commit_ids(tmp_path):
    blobs = [b"a\n", b"b\n", b"c\n", b"d\n", b"e\n"]
    reference = tmp_path / "reference"
    gitrepo.init_repository(reference)
    expected = _fast_import(reference, blobs, HISTORY)
    mine = tmp_path / "mine"
    gitrepo.init_repository(mine)
    history = gitrepo.History(mine)
    ids = [history.blob(blob) for blob in blobs]
    for c in HISTORY:
        ops = [("M", ids[op[1]], op[2]) if op[0] == "M" else op for op in c["ops"]]
        history.commit("zaber", c["time"], 480, c["message"], ops)
    assert history.close() == expected
    _fsck(mine)
    assert _git(mine, "rev-list", "main") == _git(reference, "rev-list", "main")
    assert "{logs/x-y => tmp}/2.log" in _git(mine, "show", "--stat", "main~1").decode()


# ----------------------------------------------------------------------------- corpus
@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_git") / "corpus"
    write_demo_repository(out, archs=12, epochs=4, seed=5)
    return out


def test_corpus_passes_fsck_and_git_reads_it(corpus):
    _fsck(corpus)
    log = _git(corpus, "log", "--format=%H %an", "main").decode().splitlines()
    assert len(log) == int(_git(corpus, "rev-list", "--count", "main"))
    assert {line.split()[1] for line in log} >= {"zaber", "shihuahuang"}
    shown = _git(corpus, "show", "--stat", "main").decode()
    assert shown.startswith("commit ")


def test_corpus_tracked_files_match_the_worktree(corpus):
    assert _git(corpus, "diff", "--stat", "main").decode() == ""
    tracked = _git(corpus, "ls-files").decode().split("\n")[0]
    assert _git(corpus, "cat-file", "blob", f"main:{tracked}") == (corpus / tracked).read_bytes()


def test_packs_do_not_depend_on_the_number_of_workers(tmp_path):
    packs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        write_demo_repository(out, archs=70, epochs=4, seed=2, workers=workers)
        packs.append(sorted(p.name for p in gitrepo.pack_dir(out).iterdir()))
    assert len([name for name in packs[0] if name.endswith(".pack")]) == 3  # two groups of runs, history
    assert packs[0] == packs[1]


def _earlier_demo(out: Path) -> None:
    """A folder as an earlier run of the demo leaves it (its key file), with one more file in it."""
    out.mkdir()
    (out / "demo_key.json").write_text("{}")
    (out / "old.txt").write_text("old")


def test_overwrite_replaces_the_folder_and_leaves_nothing_beside_it(tmp_path):
    out = tmp_path / "corpus"
    _earlier_demo(out)
    write_demo_repository(out, archs=5, epochs=4, overwrite=True)
    assert not (out / "old.txt").exists() and (out / "demo_key.json").read_text() != "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_overwrite_leaves_a_folder_that_is_no_demo_corpus(tmp_path):
    """`nares demo --out ~ --overwrite`: a folder without the demo's key file is not deleted, whatever it holds."""
    out = tmp_path / "home"
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "thesis.tex").write_text("years of work")
    with pytest.raises(ValueError, match="holds no demo_key.json: --overwrite replaces only an earlier demo corpus"):
        write_demo_repository(out, archs=5, epochs=4, overwrite=True)
    assert (out / "notes" / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_failed_overwrite_leaves_no_old_files(tmp_path, monkeypatch):
    out = tmp_path / "corpus"
    _earlier_demo(out)

    def broken(task):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "render_group", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_demo_repository(out, archs=5, epochs=4, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]
    assert not (out / "old.txt").exists()


# ----------------------------------------------------------------------------- code repositories
def script_names(source: str) -> tuple:
    """What an ingest reads from an entry script: argparse dests in declaration order, then the
    attributes the script sets on `args` after parsing that are no option (in order of appearance)."""
    nodes = sorted((n for n in ast.walk(ast.parse(source)) if hasattr(n, "lineno")),
                   key=lambda n: (n.lineno, n.col_offset))   # source order (ast.walk is breadth first)
    dests, added = [], []
    for node in nodes:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"
                and node.args and isinstance(node.args[0], ast.Constant)):
            dests.append(node.args[0].value.lstrip("-").replace("-", "_"))
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == "args" and target.attr not in dests + added):
                    added.append(target.attr)
    return tuple(dests + added)


def test_code_repositories_replay_the_code_history(corpus):
    key = json.loads((corpus / "demo_key.json").read_text())
    for repo, script in (("train", "main.py"), ("eval", "eval.py")):
        root = corpus / key["code"][repo]["path"]
        _fsck(root)
        log = _git(root, "log", "--reverse", "--format=%H|%ad|%an", "--date=format:%Y-%m-%d %H:%M:%S %z").decode()
        commits = key["code"][repo]["commits"]
        assert [line.split("|") for line in log.splitlines()] == [
            [c["sha"], c["date"], c["author"]] for c in commits]
        assert _git(root, "status", "--porcelain").decode() == ""
        for commit in commits:
            changed = _git(root, "show", "--format=", "--name-only", commit["sha"]).decode().split()
            assert sorted(changed) == commit["changed"]
            scripts = [p for p in changed if p in ("main.py", "trainer.py", "util.py", "eval.py")]
            assert bool(scripts) == commit["scripts_changed"]
            if commit["code_version"]:
                ast.parse(_git(root, "show", f"{commit['sha']}:{script}").decode())
    # the log repository's history holds none of it
    assert not [p for p in _git(corpus, "ls-files").decode().split() if p.startswith("code/")]
    assert "code" not in _git(corpus, "status", "--porcelain").decode()


def test_code_commits_of_every_log_follow_the_rule(corpus):
    """A log's `code_commits`: the commits whose entry script has the log's argument names in order,
    whose result-line templates match the log's (for evaluations: ` Test Loss:` and the CW ` LIP:`
    from 2024-04-18 on; the training code's templates match every training log), dated no later than
    the log's first timestamp. Checked here from the repositories themselves."""
    key = json.loads((corpus / "demo_key.json").read_text())
    found = 0
    for repo, script, logs in (("train", "main.py", key["runs"]), ("eval", "eval.py", key["evals"])):
        root = corpus / key["code"][repo]["path"]
        commits = [(c["sha"], c["date"][:19], _git(root, "show", f"{c['sha']}:{script}").decode())
                   for c in key["code"][repo]["commits"] if c["code_version"]]
        names = {sha: script_names(source) for sha, _, source in commits}
        for entry in logs:
            if entry.get("attack") == "cifar10c":
                assert entry["code_commits"] == []
                continue
            text = (corpus / entry["path"]).read_text()
            mine = log_names(text)
            base = entry.get("attack") == "Base"
            expected = [sha for sha, date, source in commits
                        if names[sha] == mine and date <= text[:19]
                        and (not base or ("Test Loss:" in source) == (" Test Loss: " in text))]
            assert entry["code_commits"] == expected, entry["path"]
            assert set(entry["code_commits_exact"]) <= set(expected) and entry["code_commits_exact"]
            found += 1
    assert found


#: (date, argparse names) of the real commits that changed the training scripts from 0424b536 (T3) on,
#: and of those that changed eval.py from 302e308 (E1) on: SPEC section 8 and the notes on the history
_E1 = ("seed", "model", "model_path", "attack_choice", "norm", "load_best_model", "epsilon", "step_size", "aa_type",
       "progress_bar", "device")
_E2 = ("seed", "model", "model_path", "attack_choice", "norm", "load_best_model", "aa_type", "progress_bar",
       "epsilon", "step_size", "device")
_E2B = _E2[:3] + ("log_path",) + _E2[3:]
HISTORY_FACTS = {
    "train": [("2022-12-18 17:11:19", T3), ("2022-12-18 20:35:39", T4), ("2022-12-19 07:22:01", T4),
              ("2022-12-19 07:47:54", T4), ("2022-12-19 21:56:35", T6), ("2022-12-20 19:41:26", T7),
              ("2023-01-02 11:41:11", T7), ("2024-06-13 17:00:53", T9)],
    "eval": [("2023-11-12 23:55:30", _E1), ("2023-11-23 23:35:45", _E2), ("2023-11-26 17:03:40", _E2B),
             ("2023-11-26 18:21:42", _E2B), ("2023-12-05 10:36:16", _E2B), ("2024-01-07 01:40:58", _E2B),
             ("2024-01-18 17:22:04", _E2B), ("2024-02-26 12:04:01", _E2B), ("2024-04-18 04:41:10", _E2B),
             ("2024-04-18 22:29:58", _E2B)],
}


def test_code_repositories_change_their_scripts_when_the_real_code_did(corpus):
    for repo, scripts, entry in (("train", ("main.py", "trainer.py", "util.py"), "main.py"), ("eval", ("eval.py",), "eval.py")):
        root = corpus / "code" / repo
        log = _git(root, "log", "--reverse", "--format=%H %ad", "--date=format:%Y-%m-%d %H:%M:%S", "--", *scripts)
        dated = [line.split(" ", 1) for line in log.decode().splitlines()]
        later = [(sha, date) for sha, date in dated if date >= HISTORY_FACTS[repo][0][0]]
        assert [date for _, date in later] == [date for date, _ in HISTORY_FACTS[repo]]
        for (sha, _), (_, names) in zip(later, HISTORY_FACTS[repo]):
            assert script_names(_git(root, "show", f"{sha}:{entry}").decode()) == names, (repo, sha)
