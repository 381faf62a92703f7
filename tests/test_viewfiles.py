"""warehouse/viewfiles.py keeps what each view file's query reads in the cache folder: a later
command reads the view files without parsing them with sqlglot, gets the same answer, and a cache
file that is missing, damaged or wrong in shape is only a slower start."""
from __future__ import annotations

import json
import shutil

import pytest

from warehouse import viewfiles
from warehouse.cache import cache_dir
from warehouse.errors import WarehouseError
from warehouse.viewfiles import SQL_DIR, load_check_queries, load_view_files


def _forget() -> None:
    """Empty the in-process memories of what was parsed, as in a new command."""
    for cached in (viewfiles._known_reads, viewfiles._parsed_reads, viewfiles._checked_view_file,
                   viewfiles._checked_check_query):
        cached.cache_clear()
    viewfiles._unsaved_reads.clear()


@pytest.fixture
def fresh_process(tmp_path, monkeypatch):
    """A cache folder of its own, and the in-process memories emptied, as in a new command."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _forget()
    yield _forget
    _forget()


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    """What the view files and check queries read, parsed once for the module with an empty cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        _forget()
        loaded = _loaded()
        _forget()
    return loaded


def _loaded(sql_dir=SQL_DIR):
    return ([(f.view_name, f.reads) for f in load_view_files(sql_dir)],
            [(q.view_name, q.reads) for q in load_check_queries(sql_dir)])


def _count_parsing(monkeypatch) -> list:
    """The paths parse_query is called with from now on (Path() for a query parsed by its text)."""
    parsed_paths = []
    parse = viewfiles.parse_query

    def counted(sql, path):
        parsed_paths.append(path)
        return parse(sql, path)
    monkeypatch.setattr(viewfiles, "parse_query", counted)
    return parsed_paths


def _no_parsing(monkeypatch):
    def refuse(sql, path):
        raise AssertionError(f"parsed {path} again")
    monkeypatch.setattr(viewfiles, "parse_query", refuse)


def test_a_later_command_reads_the_view_files_without_parsing(fresh_process, parsed, monkeypatch):
    assert _loaded() == parsed
    stored = json.loads((cache_dir() / "view-reads.json").read_text())
    assert len(stored) == len(parsed[0]) + len(parsed[1])
    fresh_process()
    _no_parsing(monkeypatch)
    assert _loaded() == parsed


@pytest.mark.parametrize("content", ["", "{", "[1, 2]", '{"k": 3}', '{"k": [1]}', '{"k": null, "j": ["a", 2]}',
                                     "\x00\xff"])
def test_a_damaged_cache_file_holds_nothing_known(fresh_process, content):
    (cache_dir() / "view-reads.json").parent.mkdir(parents=True)
    (cache_dir() / "view-reads.json").write_text(content, errors="surrogateescape")
    assert viewfiles._known_reads() == ({"k": None} if '"k": null' in content else {})


def test_a_damaged_cache_file_is_parsed_past_and_replaced(fresh_process, parsed):
    (cache_dir() / "view-reads.json").parent.mkdir(parents=True)
    (cache_dir() / "view-reads.json").write_text("\x00{", errors="surrogateescape")
    assert _loaded() == parsed
    assert len(json.loads((cache_dir() / "view-reads.json").read_text())) == len(parsed[0]) + len(parsed[1])


def test_only_a_damaged_entry_is_parsed_again(fresh_process, parsed, monkeypatch):
    _loaded()
    fresh_process()
    stored = json.loads((cache_dir() / "view-reads.json").read_text())
    stored[next(iter(stored))] = [1]
    (cache_dir() / "view-reads.json").write_text(json.dumps(stored))
    parsed_paths = _count_parsing(monkeypatch)
    assert _loaded() == parsed
    assert len(parsed_paths) == 1


def test_a_cache_folder_that_cannot_be_written_changes_nothing(fresh_process, parsed, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    (tmp_path / "not-a-folder").write_text("a file")
    assert _loaded() == parsed


def test_a_changed_query_is_parsed_and_checked_again(fresh_process, tmp_path, monkeypatch):
    """The cache is keyed by the query's text: a file whose reads no longer match its header still
    fails, naming the file, after its old text was cached."""
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    _loaded(sql_dir)
    fresh_process()
    view = sql_dir / "checks" / "best_epoch" / "v1.sql"
    view.write_text(view.read_text().replace("    from runs as r", "    from evals as r"))
    with pytest.raises(WarehouseError, match=r"checks/best_epoch/v1\.sql.*header says it reads"):
        load_view_files(sql_dir)
