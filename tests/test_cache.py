"""warehouse/cache.py: the cache folder keeps whole files, reads back only what it kept, and is
pruned to its size by least recent use."""
from __future__ import annotations

import json
import os
import time

from warehouse.cache import PRUNE_EVERY_SECONDS, PRUNED_MARK, keep, keep_json, kept_json, kept_lists, prune, prune_when_due


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
