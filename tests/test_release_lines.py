"""Release files (cifar10.jsonl): each line stands alone, within bounded time and memory.

A line of the wrong types, too long, too deeply nested or with a list too long is skipped and
counted; numbers too wide for their column are stored as NULL with a note; the good lines load.
"""
from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest
from conftest import query

from ingest.release import MAX_LINE_BYTES, MAX_LIST_VALUES, parse_release, parse_release_stream, release_lines
from warehouse.update import ingest_paths


def line(arch_id, **train) -> str:
    entry = {"seed": 0, "gpu_type": "NVIDIA GeForce RTX 3090", "timestamp": "2023-03-01", "training_time": 1.5,
             "best_epoch": 1, "val_acc": [30.0, 50.0, 49.0], "cw": [19.0, 39.0, 38.0]}
    entry.update(train)
    return json.dumps({"arch_id": arch_id, "arch": {"D1": 4, "W1": 8, "D2": 5, "W2": 10, "D3": 7, "W3": 12},
                       "MACs": 100.0, "Params": 1.0, "train": [entry], "test_best": [{"test_clean_acc": 60.0}]})


def ingest_release(tmp_path: Path, text: str | bytes) -> tuple[Path, tuple]:
    path = tmp_path / "rel" / "cifar10.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    db = tmp_path / "r.duckdb"
    ingest_paths(db, [path.parent], workers=1)
    return db, query(db, "select status, message from files")[0]


WRONG_TYPES = [
    (line(2, seed="abc"), "seed is not an integer: 'abc'"),
    (line(2, gpu_type=3), "gpu_type is not text: 3"),
    (line(2, best_epoch=True), "best_epoch is not an integer: True"),
    (line(2, training_time=[1]), "training_time is not a number: [1]"),
    (line(2, cw=[1.0, "x"]), "train.cw[1] is not a number: 'x'"),
    (line(2, cw={"a": 1}), "train.cw is not a list: {'a': 1}"),
    (line(True), "arch_id True outside 1..15625"),
    (line(2.0), "arch_id 2.0 outside 1..15625"),
    ('{"arch_id": 2, "train": [{}], "test_best": [3]}', "test_best[0] is not an object: 3"),
    ('{"arch_id": 2, "arch": [], "train": [{}]}', "arch is not an object: []"),
    ('[1, 2]', "not a JSON object: [1, 2]"),
    ('{"arch_id": 2, "train": [{}], "test_best": [{"corruptions": {"fog": {"x": {}}}}]}',
     "corruption 'fog': level 'x' is not an integer"),
]


@pytest.fixture(scope="module")
def wrong_types(tmp_path_factory) -> tuple[Path, Path]:
    """One release file per case of WRONG_TYPES (a good line, the case's line, a good line), all
    read by one ingest: each file stands alone, so each case ends as its own files row."""
    root = tmp_path_factory.mktemp("wrong-types")
    for number, (bad, _) in enumerate(WRONG_TYPES):
        folder = root / "rel" / f"case{number:02d}"
        folder.mkdir(parents=True)
        (folder / "cifar10.jsonl").write_text(line(1) + "\n" + bad + "\n" + line(3) + "\n")
    db = root / "r.duckdb"
    ingest_paths(db, [root / "rel"], workers=1)
    return db, root / "rel"


@pytest.mark.parametrize("number, reason", [(n, reason) for n, (_, reason) in enumerate(WRONG_TYPES)],
                         ids=[reason for _, reason in WRONG_TYPES])
def test_a_line_of_the_wrong_types_is_skipped_and_the_others_load(wrong_types, number, reason):
    db, rel = wrong_types
    path = str(rel / f"case{number:02d}" / "cifar10.jsonl")
    status, message = query(db, "select status, message from files where path = ?", [path])[0]
    assert status == "partial"
    assert message == f"release file: 2 archs; 1 unreadable lines skipped (first: line 2: {reason})"
    assert query(db, "select arch_id from runs where source_path like ? order by 1", [path + "#%"]) == [(1,), (3,)]


def test_numbers_too_wide_for_their_column_are_null_with_a_note(tmp_path):
    db, (status, message) = ingest_release(tmp_path, line(1, seed=99999999999999999999, best_epoch=-(2**63) - 1)
                                           + "\n" + line(2, training_time=10**400) + "\n")
    assert status == "ok"
    assert message == ("release file: 2 archs; 3 values stored as NULL "
                       "(first: line 1: best_epoch -9223372036854775809 out of range: stored as NULL)")
    assert query(db, "select arch_id, seed, best_epoch, running_cost_days from runs order by 1") == [
        (1, None, None, 1.5), (2, 0, 1, None)]


def test_a_line_longer_than_its_budget_is_skipped_unread(tmp_path):
    """A 10-million-number list (74 s and 5.3 GB when it was read whole) is skipped while streaming,
    with memory bounded by the line budget; the lines around it load."""
    huge = '{"arch_id": 2, "train": [{"cw": [' + "1," * 5_000_000 + '1]}]}'
    data = (line(1) + "\n" + huge + "\n" + line(3) + "\n").encode()
    tracemalloc.start()
    parsed = parse_release_stream(io.BytesIO(data), "r.jsonl")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert parsed.message == (f"release file: 2 archs; 1 unreadable lines skipped (first: line 2: "
                              f"{len(huge)} bytes, more than {MAX_LINE_BYTES >> 20} MB)")
    assert peak < 3 * MAX_LINE_BYTES
    assert sorted(p.arch_id for p in parsed.parts) == [1, 1, 3, 3]


def test_a_list_longer_than_its_budget_is_skipped(tmp_path):
    long = line(2, cw=[1.0] * (MAX_LIST_VALUES + 1))
    db, (status, message) = ingest_release(tmp_path, line(1) + "\n" + long + "\n")
    assert message == ("release file: 1 archs; 1 unreadable lines skipped "
                       f"(first: line 2: train.cw holds {MAX_LIST_VALUES + 1} values, more than {MAX_LIST_VALUES})")


def test_deep_nesting_is_skipped_and_the_other_lines_load(tmp_path):
    deep = '{"arch_id": 2, "train": [{"x": ' + "[" * 100_000 + "]" * 100_000 + "}]}"
    db, (status, message) = ingest_release(tmp_path, line(1) + "\n" + deep + "\n" + line(3) + "\n")
    assert (status, message) == ("partial", "release file: 2 archs; 1 unreadable lines skipped "
                                            "(first: line 2: JSON nested deeper than the reader allows)")


def test_a_line_that_is_not_utf8_is_skipped(tmp_path):
    db, (status, message) = ingest_release(tmp_path, line(1).encode() + b"\n\xff\xfe{}\n")
    assert message == ("release file: 1 archs; 1 unreadable lines skipped "
                       "(first: line 2: not UTF-8 text: invalid start byte at byte 0)")


def test_no_readable_line_is_an_error_row_and_the_file_is_still_hashed(tmp_path):
    db, (status, message) = ingest_release(tmp_path, "garbage\n")
    assert (status, message) == ("error", "no readable release line (line 1: Expecting value: line 1 column 1 (char 0))")
    assert query(db, "select size, sha256 is not null from files") == [(8, True)]


@pytest.mark.parametrize("data, expected", [
    (b"", []),
    (b"a\nbb\n", [(1, b"a", 1), (2, b"bb", 2)]),
    (b"a\n\nlast", [(1, b"a", 1), (2, b"", 0), (3, b"last", 4)]),
    (b"x" * 10 + b"\nok", [(1, None, 10), (2, b"ok", 2)]),
])
def test_release_lines_split_a_stream_and_refuse_long_lines(data, expected):
    class Trickle(io.BytesIO):  # blocks of 3 bytes: lines cross block boundaries
        def read(self, n=-1):
            return super().read(3)
    assert list(release_lines(Trickle(data), max_bytes=5)) == expected


def test_doctest_example_still_reads():
    log = parse_release(b'{"arch_id": 2, "train": [{"seed": 0, "cw": [40.0], "best_epoch": 0}], "test_best": [{}]}', "r.jsonl")
    assert [(p.kind, p.run["best_cw40_acc"]) for p in log.parts] == [("train", 40.0)]
