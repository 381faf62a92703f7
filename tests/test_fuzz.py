"""Property-based tests: any damage to a real log ends as one `files` row with a status and a reason.

Truncation at every line and at random bytes, flipped bytes, duplicated and shuffled lines,
invalid UTF-8, NUL bytes and huge lines. Never an exception, never rows of another file.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import AA_COMPACT, BASE_L2, BASE_LINF, PROBE, TRAIN_LOG, TRUNCATED_LOG
from conftest import FUZZ_CASES as CASES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.discover import FoundFile
from ingest.ids import file_id
from ingest.read import read_batch

SAMPLES = {
    "arch_2.log": TRAIN_LOG.read_bytes(),
    "arch_6006.log": TRUNCATED_LOG.read_bytes(),
    "arch_2_eval_Linf_Base.log": BASE_LINF.read_bytes(),
    "arch_170_eval_L2_Base.log": BASE_L2.read_bytes(),
    "arch_2_eval_Linf_AA-Compact.log": AA_COMPACT.read_bytes(),
    # real logs of the other evaluation scripts (tests/fixtures/probe): a re-evaluation, and a
    # corruption log holding a level run and an all-levels run
    "arch_3_eval_test-loss.log": (PROBE / "776ae25" / "arch_3_eval_test-loss.log").read_bytes(),
    "arch_7_eval_cifar10c.log": (PROBE / "e216117" / "arch_007_eval_cifar10c.log").read_bytes(),
    # and of older code: the standard and compact AutoAttack of 302e308 appended to one _AA.log,
    # and a training run of 3935ccd5 (21 options, native AMP never unscaled)
    "arch_42_eval_Linf_AA.log": (PROBE / "302e308-appended" / "arch_42_eval_Linf_AA.log").read_bytes(),
    "arch_42.log": (PROBE / "3935ccd5" / "arch_42.log").read_bytes(),
}
NAMES = sorted(SAMPLES)
STATUSES = {"ok", "partial", "error"}


def check_one_file(folder: Path, name: str, data: bytes) -> dict:
    """Read one damaged file as the ingest does and assert the invariants."""
    path = folder / name
    path.write_bytes(data)
    found = FoundFile(str(path), str(folder), name, name, len(data), 0)
    batch = read_batch([found])
    CASES["count"] += 1
    assert len(batch.files) == 1
    row = batch.files[0]
    assert row["status"] in STATUSES, row
    assert row["message"] and "\n" not in row["message"], row
    fid = file_id(str(path))
    tables = batch.tables()
    # the last run of an evaluation log carries the file's id and path; each run before it (an
    # appended log) the path <path>#line=<n> and the id fid ^ n
    ids = [fid if e["source_path"] == str(path) else fid ^ int(e["source_path"].removeprefix(f"{path}#line="))
           for e in batch.evals]
    assert [e["eval_id"] for e in batch.evals] == ids and ids.count(fid) == (1 if ids else 0)
    earlier = set(ids)
    for table, key in (("runs", "run_id"), ("epochs", "run_id"), ("run_settings", "run_id"), ("evals", "eval_id"),
                       ("corruptions", "eval_id")):
        if table in tables:
            assert set(tables[table].column(key).to_pylist()) <= {fid} | earlier
    if row["status"] == "error":
        assert not batch.runs and not batch.evals
    return row


@pytest.mark.parametrize("name", NAMES)
def test_truncated_at_every_line(tmp_path, name):
    data = SAMPLES[name]
    cuts = [i + 1 for i, b in enumerate(data) if b == 0x0A]
    for cut in [0] + cuts:
        row = check_one_file(tmp_path, name, data[:cut])
        if 0 < cut < len(data) and name == "arch_2.log" and row["status"] != "error":
            assert row["status"] == "partial"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), cut=st.floats(0, 1))
def test_truncated_at_random_byte(tmp_path, name, cut):
    data = SAMPLES[name]
    check_one_file(tmp_path, name, data[: int(len(data) * cut)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=20))
def test_flipped_bytes(tmp_path, name, flips):
    data = bytearray(SAMPLES[name])
    for where, value in flips:
        data[min(int(where * len(data)), len(data) - 1)] = value
    check_one_file(tmp_path, name, bytes(data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 2**32 - 1),
       mode=st.sampled_from(["duplicate", "shuffle", "reverse", "drop"]))
def test_duplicated_and_shuffled_lines(tmp_path, name, seed, mode):
    rng = random.Random(seed)
    lines = SAMPLES[name].split(b"\n")
    if mode == "duplicate":
        i = rng.randrange(len(lines))
        lines[i:i] = lines[i:i + rng.randint(1, 40)]
    elif mode == "shuffle":
        i = rng.randrange(len(lines))
        part = lines[i:i + 50]
        rng.shuffle(part)
        lines[i:i + 50] = part
    elif mode == "reverse":
        lines.reverse()
    else:
        del lines[rng.randrange(len(lines))::rng.randint(2, 9)]
    check_one_file(tmp_path, name, b"\n".join(lines))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), where=st.floats(0, 1),
       junk=st.sampled_from([b"\xff\xfe\xfd", b"\x00", b"\x00" * 100, b"\xc3\x28", b"\xed\xa0\x80", b"\r", b"\t\t\t"]))
def test_invalid_utf8_and_nul_bytes(tmp_path, name, where, junk):
    data = SAMPLES[name]
    at = int(where * len(data))
    check_one_file(tmp_path, name, data[:at] + junk + data[at:])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [1 << 16, 1 << 22])
def test_huge_lines(tmp_path, name, size):
    data = SAMPLES[name]
    mid = data.index(b"\n", len(data) // 2) + 1
    row = check_one_file(tmp_path, name, data[:mid] + b"2026-11-23 19:06:24,094 " + b"x" * size + b"\n" + data[mid:])
    assert row["status"] in ("ok", "partial")


def test_random_bytes_with_log_names(tmp_path):
    rng = random.Random(7)
    for _ in range(200):
        name = rng.choice(NAMES)
        check_one_file(tmp_path, name, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))))

