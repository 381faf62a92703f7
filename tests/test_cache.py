"""warehouse/cache.py: the cache folder keeps whole files, reads back only what it kept, and is
pruned to its size by least recent use; what a process makes meanwhile is waited for maker by maker."""
from __future__ import annotations

import json
import os
import sys
import time

import meanwhile_makers
import pytest
from conftest import ROOT

from warehouse import cache
from warehouse.cache import (
    PRUNE_EVERY_SECONDS,
    PRUNED_MARK,
    cache_dir,
    keep,
    keep_json,
    kept_json,
    kept_lists,
    made_meanwhile,
    make_meanwhile,
    prune,
    prune_when_due,
)


def test_a_kept_value_reads_back_and_one_json_would_change_is_not_kept(tmp_path):
    keep_json(tmp_path / "a.json", {"x": [1, 2.5, "µ"]})
    assert kept_json(tmp_path / "a.json") == {"x": [1, 2.5, "µ"]}
    keep_json(tmp_path / "b.json", {"x": (1, 2)})  # a tuple comes back a list
    keep_json(tmp_path / "c.json", {1: "a"})  # a number key comes back text
    assert not (tmp_path / "b.json").exists() and not (tmp_path / "c.json").exists()
    (tmp_path / "d.json").write_text("{not json")
    assert kept_json(tmp_path / "d.json") is None and kept_json(tmp_path / "missing.json") is None


def test_a_damaged_or_foreign_list_file_is_made_again(tmp_path):
    made = []

    def make():
        made.append(1)
        return {"t": ["create table t (a int)"]}

    path = tmp_path / "tables.json"
    for content in (None, "[1, 2]", '{"t": [3]}', "\xff"):
        if content is not None:
            path.write_text(content)
        assert kept_lists(path, make) == {"t": ["create table t (a int)"]}
    assert len(made) == 4
    assert kept_lists(path, make) == {"t": ["create table t (a int)"]} and len(made) == 4  # kept now


def test_a_folder_that_cannot_be_written_is_only_a_slower_next_run(tmp_path):
    (tmp_path / "a-file").write_text("mine")
    keep(tmp_path / "a-file" / "inside.json", "{}")  # the folder is a file: nothing raised
    assert (tmp_path / "a-file").read_text() == "mine"


def test_prune_removes_the_least_recently_used_files_until_the_rest_fit(tmp_path):
    for i, name in enumerate(["old", "used", "new", "newest"]):
        (tmp_path / name).write_bytes(b"x" * 100)
        os.utime(tmp_path / name, ns=(i * 10**9, i * 10**9))
    keep_json(tmp_path / "used", ["read"])  # 8 bytes, then read: now the most recently used
    os.utime(tmp_path / "used", ns=(1 * 10**9, 1 * 10**9))
    assert kept_json(tmp_path / "used") == ["read"]
    (tmp_path / "a-folder").mkdir()
    prune(tmp_path, 150)  # 308 bytes: the two oldest go (100 + 100), the file just read stays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder", "newest", "used"]
    prune(tmp_path, 10**6)  # within the limit: nothing goes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder", "newest", "used"]
    prune(tmp_path / "missing", 0)  # no folder: nothing to do, nothing raised
    assert json.loads((tmp_path / "used").read_text()) == ["read"]


def test_a_folder_is_looked_through_at_most_once_in_a_while(tmp_path):
    """`prune_when_due` prunes a folder never pruned, then not again until its mark is older than
    PRUNE_EVERY_SECONDS (the mark's time is set, nothing waits), and never removes the mark."""
    def fill() -> None:
        for i, name in enumerate(("a", "b", "c")):
            (tmp_path / name).write_bytes(b"x" * 100)
            os.utime(tmp_path / name, ns=(i * 10**9, i * 10**9))  # c the most recently used

    fill()
    prune_when_due(tmp_path, 100)
    assert sorted(p.name for p in tmp_path.iterdir()) == [PRUNED_MARK, "c"]
    fill()
    prune_when_due(tmp_path, 100)  # pruned just now: over its limit, left as it is
    assert sorted(p.name for p in tmp_path.iterdir()) == [PRUNED_MARK, "a", "b", "c"]
    old = time.time() - PRUNE_EVERY_SECONDS - 5
    os.utime(tmp_path / PRUNED_MARK, (old, old))
    prune_when_due(tmp_path, 100)  # due again
    assert sorted(p.name for p in tmp_path.iterdir()) == [PRUNED_MARK, "c"]
    assert (tmp_path / PRUNED_MARK).stat().st_mtime > old
    fill()
    future = time.time() + 10 * PRUNE_EVERY_SECONDS  # a clock set back since the last prune
    os.utime(tmp_path / PRUNED_MARK, (future, future))
    prune_when_due(tmp_path, 100)
    assert sorted(p.name for p in tmp_path.iterdir()) == [PRUNED_MARK, "c"]
    prune_when_due(tmp_path / "missing", 0)  # no folder: nothing raised


# ----------------------------------------------------------------------------- made meanwhile
@pytest.fixture
def meanwhile(tmp_path, monkeypatch):
    """A cache folder of the test's own (inherited by the process `make_meanwhile` starts), and
    no such process started yet in this one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(cache, "_MEANWHILE", [])
    cache_dir().mkdir(parents=True)
    yield cache_dir()
    for started in cache._MEANWHILE:
        started.process.kill()
        started.process.wait()


def test_each_maker_is_waited_for_alone_in_the_order_given(meanwhile):
    os.mkfifo(meanwhile / "go")
    make_meanwhile([meanwhile_makers.make_first, meanwhile_makers.make_after_the_go])
    made_meanwhile(meanwhile_makers.make_first)
    assert (meanwhile / "first").read_text() == "made"
    # the second maker is still waiting for the go: its file cannot be there yet
    assert not (meanwhile / "second").exists()
    made_meanwhile(meanwhile_makers.make_failing)  # not asked of the process: returns at once
    with open(meanwhile / "go", "w") as go:
        go.write("go")
    made_meanwhile(meanwhile_makers.make_after_the_go)
    assert (meanwhile / "second").read_text() == "made"
    started = cache._MEANWHILE[0].process
    started.wait()
    make_meanwhile([meanwhile_makers.make_first])  # that one ended: a new one starts
    assert cache._MEANWHILE[0].process is not started
    made_meanwhile(meanwhile_makers.make_first)


def test_no_second_process_while_one_runs(meanwhile):
    os.mkfifo(meanwhile / "go")
    make_meanwhile([meanwhile_makers.make_after_the_go])
    running = cache._MEANWHILE[0].process
    make_meanwhile([meanwhile_makers.make_first])  # the first still waits for its go
    assert cache._MEANWHILE[0].process is running
    with open(meanwhile / "go", "w") as go:
        go.write("go")
    made_meanwhile(meanwhile_makers.make_after_the_go)
    made_meanwhile(meanwhile_makers.make_first)  # not asked of the running one: at once
    assert not (meanwhile / "first").exists()


def test_a_maker_that_fails_says_nothing_and_the_next_is_made(meanwhile, capfd):
    make_meanwhile([meanwhile_makers.make_failing, meanwhile_makers.make_first])
    made_meanwhile(meanwhile_makers.make_first)
    made_meanwhile(meanwhile_makers.make_failing)
    assert (meanwhile / "first").read_text() == "made"
    assert capfd.readouterr() == ("", "")


def test_a_process_that_dies_leaves_the_rest_to_the_caller(meanwhile):
    make_meanwhile([meanwhile_makers.make_nothing_and_die, meanwhile_makers.make_first])
    made_meanwhile(meanwhile_makers.make_first)  # returns when the process ended: nothing was made
    assert not (meanwhile / "first").exists()
    assert cache._MEANWHILE[0].process.returncode == 3
    made_meanwhile(meanwhile_makers.make_first)  # and again at once


def test_the_process_takes_its_modules_from_where_this_one_does(meanwhile, tmp_path, monkeypatch):
    """Never from the working folder, which may be a folder of logs from elsewhere: an optional
    module a library tries to import is not looked for there."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "nares_planted_module.py").write_text(f"open({str(tmp_path / 'planted-ran')!r}, 'w').close()\n")
    monkeypatch.chdir(work)
    # where this process finds its modules, as a console script has it: no working folder (''); a
    # Path among them, as some tools put there
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")] + [ROOT])
    make_meanwhile([meanwhile_makers.make_with_an_optional_module])
    made_meanwhile(meanwhile_makers.make_with_an_optional_module)
    assert (meanwhile / "first").read_text() == "made"
    assert not (tmp_path / "planted-ran").exists()
