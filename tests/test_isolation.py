"""One bad file never stops an ingest and never fails another file: it ends as its own `files` row.

Values too wide for their column, text that is not UTF-8, file names that are not UTF-8, a parser
that never returns, a file over its size budget, records a buggy parser typed wrongly: each ends
as a note or an error on that file's row, while the other files of the same chunk load.
"""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest
from conftest import BASE_LINF, TRAIN_LOG, query

import ingest.kinds as kinds
import ingest.parallel as parallel
import ingest.read as read
import ingest.train_log
from ingest.discover import discover
from ingest.ids import file_id
from ingest.read import read_batch
from warehouse.update import ingest_paths

TRAIN = TRAIN_LOG.read_text()
BASE = BASE_LINF.read_text()


def train_log(arch: int, **header: str) -> str:
    """The real training log as another arch, with header values replaced (`seed="99"`)."""
    text = TRAIN.replace("arch_2", f"arch_{arch}")
    for key, value in header.items():
        text = re.sub(rf"(?m)^(\S+ \S+ {key}): .*$", lambda m, value=value: f"{m.group(1)}: {value}", text)
    return text


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def rows(db: Path) -> dict[str, tuple]:
    return {name: (status, message) for name, status, message in query(db, "select name, status, message from files")}


@pytest.mark.parametrize("workers", [1, 2])
def test_integers_too_wide_for_their_column_become_null_with_a_note(tmp_path, db_path, workers, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 2)
    logs = tmp_path / "logs"
    write(logs, "arch_1.log", train_log(1, seed="99999999999999999999"))
    write(logs, "arch_3.log", train_log(3, seed="-2147483649", epochs="9223372036854775808"))
    write(logs, "arch_4.log", train_log(4, seed="2147483647"))
    write(logs, "arch_5.log", train_log(5))
    ingest_paths(db_path, [logs], workers=workers)
    found = rows(db_path)
    assert found["arch_1.log"] == ("ok", "finished run, 4 epochs; seed 99999999999999999999 out of range: stored as NULL")
    assert found["arch_3.log"][1].endswith("seed -2147483649 out of range: stored as NULL; "
                                           "epochs_planned 9223372036854775808 out of range: stored as NULL")
    assert query(db_path, "select arch_id, seed, epochs_planned from runs order by arch_id") == [
        (1, None, 4), (3, None, None), (4, 2147483647, 4), (5, 0, 4)]
    assert query(db_path, "select count(*) from epochs") == [(16,)]


def test_arch_id_beyond_every_integer_width_in_a_name_is_one_error_row(tmp_path, db_path):
    logs = tmp_path / "logs"
    write(logs, "arch_99999999999999999999.log", train_log(7))
    write(logs, "arch_2147483648_eval_Linf_Base.log", BASE)
    write(logs, "arch_1.log", train_log(1))
    summary = ingest_paths(db_path, [logs], workers=1)
    assert summary.errors == 2
    assert query(db_path, "select name, status, arch_id, message from files where status = 'error' order by name") == [
        ("arch_2147483648_eval_Linf_Base.log", "error", None,
         "arch id 2147483648 outside 1..15625; arch_id 2147483648 out of range: stored as NULL"),
        ("arch_99999999999999999999.log", "error", None,
         "arch id 99999999999999999999 outside 1..15625; arch_id 99999999999999999999 out of range: stored as NULL"),
    ]
    assert query(db_path, "select arch_id from runs") == [(1,)]


def test_names_that_are_not_utf8_are_stored_escaped_and_stay_stable(tmp_path, db_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    raw = os.fsencode(logs)
    os.mkdir(raw + b"/d\xfe")
    with open(raw + b"/d\xfe/arch_1.log", "w") as handle:
        handle.write(train_log(1))
    with open(raw + b"/notes\xff.txt", "w") as handle:
        handle.write("notes")
    write(logs, "arch_2.log", train_log(2))
    summary = ingest_paths(db_path, [logs], workers=1)
    assert (summary.errors, summary.skipped, summary.loaded) == (0, 1, 2)   # notes\xff.txt is skipped, not loaded
    escaped = str(logs) + "/d\\xfe/arch_1.log"
    assert query(db_path, "select path, rel_path, status, message from files where name = 'arch_1.log'") == [
        (escaped, "d\\xfe/arch_1.log", "ok", "finished run, 4 epochs; path is not valid UTF-8: stored with \\x escapes")]
    assert query(db_path, "select name, status from files where name like 'notes%'") == [("notes\\xff.txt", "skipped")]
    assert query(db_path, "select source_path, file_id from runs where arch_id = 1") == [(escaped, file_id(escaped))]
    again = ingest_paths(db_path, [logs], workers=1)
    assert (again.loaded, again.unchanged, again.removed) == (0, 3, 0)


@pytest.mark.slow
def test_a_root_whose_name_is_not_utf8_is_ingested_planned_and_recorded_escaped(tmp_path, db_path):
    raw = os.fsencode(tmp_path) + b"/logs\xff"
    os.mkdir(raw)
    for arch in (1, 2):
        with open(raw + f"/arch_{arch}.log".encode(), "w") as handle:
            handle.write(train_log(arch))
    root = Path(os.fsdecode(raw))
    first = ingest_paths(db_path, [root], workers=1)
    assert (first.loaded, first.errors) == (2, 0)
    escaped = str(tmp_path) + "/logs\\xff"
    assert query(db_path, "select distinct root from files") == [(escaped,)]
    assert query(db_path, "select root from roots") == [(escaped,)]
    again = ingest_paths(db_path, [root], workers=1)
    assert (again.wrote, again.unchanged, again.removed) == (False, 2, 0)
    os.remove(raw + b"/arch_2.log")
    after = ingest_paths(db_path, [root], workers=1)
    assert after.removed == 1 and query(db_path, "select arch_id from runs") == [(1,)]


def test_an_escaped_name_never_takes_the_path_of_a_real_file(tmp_path):
    """`a\\xff` (a byte) and `a\\\\xff` (four characters) are two files with two paths."""
    raw = os.fsencode(tmp_path)
    for name in (b"a\xff", b"a\\xff"):
        with open(raw + b"/" + name, "w") as handle:
            handle.write("x")
    paths = [f.path for f in discover([tmp_path])]
    assert len(set(paths)) == 2 and str(tmp_path) + "/a\\xff" in paths


def test_text_that_is_not_valid_utf8_is_stored_escaped(tmp_path, db_path):
    path = write(tmp_path / "rel", "cifar10.jsonl",
                 '{"arch_id": 3, "train": [{"gpu_type": "RTX \\ud800", "cw": [1.0]}], "test_best": [{}]}\n')
    ingest_paths(db_path, [path.parent], workers=1)
    assert query(db_path, "select gpu, gpu_list from runs") == [("RTX \\ud800", ["RTX \\ud800"])]
    assert rows(db_path)["cifar10.jsonl"] == ("ok", "release file: 1 archs; gpu held invalid text: stored escaped; "
                                                     "gpu_list held invalid text: stored escaped")


def _parser_returning(run_update: dict, archs: tuple[int, ...] = (1,)):
    original = kinds.PARSERS["train"].parser

    def parse(data: bytes, path: str):
        parsed = original(data, path)
        if any(f"arch_{arch}." in path or f"arch_{arch}_" in path for arch in archs):
            parsed.run.update(run_update)
        return parsed
    return parse


def _with_parser(monkeypatch, kind: str, parser) -> None:
    monkeypatch.setitem(kinds.PARSERS, kind, dataclasses.replace(kinds.PARSERS[kind], parser=parser))


def test_a_value_of_the_wrong_kind_fails_only_its_file(tmp_path, monkeypatch):
    """A buggy parser puts text where a number belongs: that file is an error, the chunk loads."""
    _with_parser(monkeypatch, "train", _parser_returning({"seed": "abc"}))
    logs = tmp_path / "logs"
    for arch in (1, 2, 3):
        write(logs, f"arch_{arch}.log", train_log(arch))
    write(logs, "arch_1_eval_Linf_Base.log", BASE)
    batch = read_batch(discover([logs]))
    tables = batch.tables()
    status = {row["name"]: (row["status"], row["message"]) for row in batch.files}
    assert status["arch_1.log"] == ("error", "cannot be stored: seed 'abc' is not an integer")
    assert {name for name, (s, _) in status.items() if s == "ok"} == {"arch_2.log", "arch_3.log", "arch_1_eval_Linf_Base.log"}
    run_ids = set(tables["runs"].column("run_id").to_pylist())
    assert run_ids == {file_id(str(logs / f"arch_{a}.log")) for a in (2, 3)}
    assert set(tables["epochs"].column("run_id").to_pylist()) == run_ids
    assert set(tables["run_settings"].column("run_id").to_pylist()) == run_ids
    assert tables["evals"].num_rows == 1


def test_files_that_fail_between_others_drop_only_their_own_records(tmp_path, monkeypatch):
    """Two files of a chunk, apart, hold a value of the wrong kind: the records of the files before,
    between and after them are all kept, each with its own run."""
    _with_parser(monkeypatch, "train", _parser_returning({"seed": "abc"}, archs=(2, 4)))
    logs = tmp_path / "logs"
    for arch in (1, 2, 3, 4, 5):
        write(logs, f"arch_{arch}.log", train_log(arch))
        write(logs, f"arch_{arch}_eval_Linf_Base.log", BASE.replace("model: arch_2", f"model: arch_{arch}"))
    batch = read_batch(discover([logs]))
    tables = batch.tables()
    failed = sorted(row["name"] for row in batch.files if row["status"] == "error")
    assert failed == ["arch_2.log", "arch_4.log"]
    run_ids = {file_id(str(logs / f"arch_{a}.log")) for a in (1, 3, 5)}
    assert tables["runs"].column("run_id").to_pylist() == [file_id(str(logs / f"arch_{a}.log")) for a in (1, 3, 5)]
    assert set(tables["epochs"].column("run_id").to_pylist()) == run_ids
    assert set(tables["run_settings"].column("run_id").to_pylist()) == run_ids
    epoch_runs = tables["epochs"].column("run_id").to_pylist()
    logged = dict(zip(tables["runs"].column("run_id").to_pylist(), tables["runs"].column("epochs_logged").to_pylist()))
    assert {run_id: epoch_runs.count(run_id) for run_id in run_ids} == logged and min(logged.values()) > 0
    assert tables["evals"].num_rows == 5
    assert [span.file for span in batch.spans] == [i for i, row in enumerate(batch.files) if row["status"] != "error"]


def test_a_parser_that_fails_halfway_leaves_no_records(tmp_path, monkeypatch):
    """A parse whose records cannot even be added (here: a run without its epochs) is rolled back."""
    _with_parser(monkeypatch, "train", lambda data, path: dataclasses.replace(
        ingest.train_log.parse_train_log(data, path), epochs=None))
    logs = tmp_path / "logs"
    write(logs, "arch_1.log", train_log(1))
    write(logs, "arch_1_eval_Linf_Base.log", BASE)
    batch = read_batch(discover([logs]))
    assert [row["status"] for row in batch.files] == ["error", "ok"]
    assert batch.files[0]["message"].startswith("parser failed: AttributeError")
    assert batch.runs == [] and batch.epoch_rows == [] and batch.settings["run_id"] == [] and len(batch.evals) == 1


def _forever(data: bytes, path: str):
    while True:
        pass


def _catastrophic(data: bytes, path: str):
    re.match(r"(a+)+b", "a" * 64)  # exponential backtracking: interrupted in the middle of the match


@pytest.mark.parametrize("parser", [_forever, _catastrophic])
def test_a_parse_over_its_time_budget_is_an_error_row(tmp_path, monkeypatch, parser):
    _with_parser(monkeypatch, "train", parser)
    logs = tmp_path / "logs"
    write(logs, "arch_1.log", train_log(1))
    write(logs, "arch_1_eval_Linf_Base.log", BASE)
    batch = read_batch(discover([logs]), seconds=0.05)
    assert [(row["name"], row["status"], row["message"]) for row in batch.files] == [
        ("arch_1.log", "error", "took longer than 0.05 s to read"),
        ("arch_1_eval_Linf_Base.log", "ok", batch.files[1]["message"]),
    ]
    assert batch.runs == [] and len(batch.evals) == 1


def test_the_time_budget_holds_in_the_parser_processes(tmp_path, db_path, monkeypatch):
    _with_parser(monkeypatch, "train", _forever)
    monkeypatch.setattr(read, "FILE_SECONDS", 0.05)
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)
    logs = tmp_path / "logs"
    write(logs, "arch_1.log", train_log(1))
    write(logs, "arch_1_eval_Linf_Base.log", BASE)
    summary = ingest_paths(db_path, [logs], workers=2)
    assert summary.errors == 1
    assert rows(db_path)["arch_1.log"] == ("error", "took longer than 0.05 s to read")
    assert query(db_path, "select count(*) from evals") == [(1,)]


def test_a_file_over_its_size_budget_is_an_error_row(tmp_path):
    logs = tmp_path / "logs"
    write(logs, "arch_1.log", train_log(1) + "x" * (1 << 20))
    write(logs, "arch_1_eval_Linf_Base.log", BASE)
    batch = read_batch(discover([logs]), max_bytes=1 << 20)
    assert [(row["status"], row["message"]) for row in batch.files][0] == ("error", "larger than 1 MB")
    assert batch.files[1]["status"] == "ok"


def test_every_message_is_one_line(tmp_path, monkeypatch):
    def raising(data: bytes, path: str):
        raise ValueError("first line\nsecond line\r\nthird")
    _with_parser(monkeypatch, "train", raising)
    write(tmp_path, "arch_1.log", train_log(1))
    batch = read_batch(discover([tmp_path]))
    assert batch.files[0]["message"] == "parser failed: ValueError: first line second line third"
