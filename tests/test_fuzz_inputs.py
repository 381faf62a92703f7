"""Property-based tests of everything around the logs: file names, numbers, release lines, git
histories, sites files. Each case: the ingest (or the reader) finishes, every file found has
exactly one `files` row with a status and a one-line message, and the good files still load.

The case counts appear in the pytest summary (tests/conftest.py).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import BASE_LINF, TRAIN_LOG, git, query
from conftest import FUZZ_CASES as CASES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_gitlog import raw_commit

from ingest.discover import discover
from ingest.gitlog import read_history
from ingest.ids import file_id
from ingest.read import read_batch
from ingest.sites import UNKNOWN, SitesFileError, attribute_sites, read_sites_file
from warehouse.update import ingest_paths

TRAIN = TRAIN_LOG.read_text()
STATUSES = {"ok", "partial", "error", "skipped"}
WIDTHS = [0, 1, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**20, 10**400]
NUMBERS = st.one_of(st.sampled_from(WIDTHS + [-n for n in WIDTHS]), st.integers(), st.integers(-(2**70), 2**70))
"""Integers at and beyond every width: int32, int64, uint64, 10^20 and beyond, negative too."""
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check_batch(folder: Path, good: list[str]) -> dict[str, dict]:
    """Read a folder as a parser process does, assert the invariants, return the rows by name."""
    found = discover([folder])
    batch = read_batch(found)
    tables = batch.tables()
    assert [row["file_id"] for row in batch.files] == [file_id(f.path) for f in found]
    assert len({row["path"] for row in batch.files}) == len(found)
    for row in batch.files:
        assert row["status"] in STATUSES, row
        assert row["message"] and "\n" not in row["message"] and "\r" not in row["message"], row
        row["message"].encode("utf-8")
        row["path"].encode("utf-8")
    by_name = {row["rel_path"]: row for row in batch.files}
    loaded = set(tables["runs"].column("file_id").to_pylist()) if "runs" in tables else set()
    for name in good:
        assert by_name[name]["status"] == "ok", by_name[name]
        assert by_name[name]["file_id"] in loaded
    return by_name


name_bytes = (st.binary(min_size=1, max_size=24).map(lambda b: b.replace(b"/", b"_").replace(b"\x00", b"_"))
              .filter(lambda b: b not in (b".", b"..")))


@settings(FAST, max_examples=60)
@given(names=st.lists(st.tuples(st.lists(name_bytes, max_size=2), name_bytes,
                                st.sampled_from(["train", "junk", "empty"])), min_size=1, max_size=5))
def test_fuzz_file_names_of_any_bytes(names):
    """Names and folders of arbitrary bytes (invalid UTF-8, control characters, `arch_` lookalikes)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "arch_1.log").write_text(TRAIN.replace("arch_2", "arch_1"))
        for folders, name, content in names:
            folder = os.path.join(os.fsencode(root), *folders) if folders else os.fsencode(root)
            path = os.path.join(folder, name)
            if path == os.path.join(os.fsencode(root), b"arch_1.log"):
                continue
            try:  # an earlier entry may have made a file where this one wants a folder, or the reverse
                os.makedirs(folder, exist_ok=True)
                with open(path, "wb") as handle:
                    handle.write(TRAIN.encode() if content == "train" else b"\xff\x00junk" if content == "junk" else b"")
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                continue
        check_batch(root, good=["arch_1.log"])
    CASES["names"] += 1


@pytest.mark.slow
@settings(max_examples=8, deadline=None)
@given(name=name_bytes)
def test_fuzz_file_names_through_a_whole_ingest(name):
    """The same, through the warehouse: one row per path, stable on a second ingest."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        root.mkdir()
        (root / "arch_1.log").write_text(TRAIN.replace("arch_2", "arch_1"))
        path = os.path.join(os.fsencode(root), b"d" + name, b"arch_3" + name + b".log")
        os.makedirs(os.path.dirname(path))
        with open(path, "wb") as handle:
            handle.write(TRAIN.encode())
        db = Path(tmp) / "wh.duckdb"
        summary = ingest_paths(db, [root], workers=1)
        assert summary.seen == 2 and summary.runs >= 1
        assert query(db, "select count(*), count(distinct path) from files") == [(2, 2)]
        assert query(db, "select status from files where name = 'arch_1.log'") == [("ok",)]
        again = ingest_paths(db, [root], workers=1)
        assert (again.loaded, again.removed) == (0, 0)
    CASES["names"] += 1


@settings(FAST, max_examples=80)
@given(number=NUMBERS, where=st.sampled_from(["name", "seed", "epochs", "eval_seed", "n_test"]))
def test_fuzz_numbers_at_every_width_in_names_and_headers(number, where):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "arch_1.log").write_text(TRAIN.replace("arch_2", "arch_1"))
        text = TRAIN.replace("arch_2", "arch_3")
        if where == "name":
            (root / f"arch_{abs(number)}.log").write_text(text) if len(str(abs(number))) < 200 else None
        elif where in ("seed", "epochs"):
            (root / "arch_3.log").write_text(text.replace(f" {where}: ", f" {where}: {number}\n# ", 2))
        else:
            base = BASE_LINF.read_text().replace("arch_2", "arch_3")
            old, new = ((" seed: 0", f" seed: {number}") if where == "eval_seed" else
                        ("Natural Correct Count: 134/200", f"Natural Correct Count: {abs(number)}/{abs(number)}"))
            (root / "arch_3_eval_Linf_Base.log").write_text(base.replace(old, new, 1))
        check_batch(root, good=["arch_1.log"])
    CASES["numbers"] += 1


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, st.floats(allow_nan=True), st.text(max_size=8),
              st.sampled_from(["\ud800", "a\udcffb", "2023-13-45", ""])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=12)
FIELDS = ["arch_id", "arch", "MACs", "Params", "train", "test_best", "train.seed", "train.gpu_type", "train.timestamp",
          "train.training_time", "train.best_epoch", "train.cw", "train.cw[0]", "train.val_acc", "test_best.test_clean_acc",
          "test_best.Linf_aa_acc", "test_best.corruptions", "test_best.corruptions.fog", "test_best.corruptions.fog.1.acc",
          "arch.D1"]


def release_record(arch_id: int) -> dict:
    return {"arch_id": arch_id, "arch": {"D1": 4, "W1": 8, "D2": 5, "W2": 10, "D3": 7, "W3": 12}, "MACs": 100.0, "Params": 1.0,
            "train": [{"seed": 0, "gpu_type": "RTX", "timestamp": "2023-03-01", "training_time": 1.5, "best_epoch": 1,
                       "val_acc": [30.0, 50.0], "cw": [19.0, 39.0]}],
            "test_best": [{"test_clean_acc": 60.0, "Linf_aa_acc": 30.0,
                           "corruptions": {"fog": {"1": {"acc": 80.0, "loss": 0.5}}}}]}


def set_field(record: dict, field: str, value) -> None:
    keys = field.replace("[0]", ".0").split(".")
    target = record
    for key in keys[:-1]:
        target = target[key][0] if isinstance(target[key], list) and key in ("train", "test_best") else target[key]
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


@settings(FAST, max_examples=120)
@given(field=st.sampled_from(FIELDS), value=json_values, size=st.sampled_from([0, 0, 0, 20_000]),
       depth=st.sampled_from([0, 0, 0, 3_000]))
@example(field="train.cw", value=[2**53 + 1], size=0, depth=0)  # an int no double holds exactly: once a file error
@example(field="arch_id", value=3, size=0, depth=0)  # a valid arch id: the bad line's run is arch 3
def test_fuzz_release_lines_of_any_types_sizes_and_nesting(field, value, size, depth):
    bad = release_record(2)
    if size:
        bad["train"][0]["cw"] = [1.5] * size
    set_field(bad, field, value)
    line = json.dumps(bad, ensure_ascii=True)
    if depth:
        line = line[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "cifar10.jsonl").write_text(json.dumps(release_record(1)) + "\n" + line + "\n" + "{" + "\n")
        rows = check_batch(root, good=[])
        row = rows["cifar10.jsonl"]
        assert row["status"] == "partial" and row["message"].startswith("release file: ")
        batch = read_batch(discover([root]))
        archs = set(batch.tables()["runs"].column("arch_id").to_pylist())
        # the bad line's run has arch 2, or the arch id the fuzzed field gave it when it is a valid one
        assert 1 in archs and all(a in (1, 2) or (field == "arch_id" and a == value) for a in archs)
    CASES["release"] += 1


author_bytes = st.binary(min_size=0, max_size=16).map(lambda b: b.replace(b"\n", b" ").replace(b"\x00", b" ")
                                                      .replace(b"<", b"(").replace(b">", b")"))
stamps = st.one_of(st.integers(-(2**40), 2**64).map(lambda n: str(n).encode()), st.sampled_from([b"abc", b"", b"1e9", b"-0"]))
zones = st.one_of(st.sampled_from([b"+0000", b"-1400", b"+9999", b"+2400", b"x", b""]),
                  st.integers(-9999, 9999).map(lambda n: b"%+05d" % n))


@settings(max_examples=20, deadline=None)
@given(name=author_bytes, email=author_bytes, stamp=stamps, zone=zones)
def test_fuzz_git_metadata_of_any_bytes_and_dates(name, email, stamp, zone):
    """Real repositories with a commit of any author, email, timestamp and zone: a history (or
    none) with a one-line warning; the provenance values fit their columns."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "logs"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        (repo / "arch_1.log").write_text(TRAIN.replace("arch_2", "arch_1"))
        git(repo, "add", ".")
        raw_commit(repo, b"ok <ok@x>", b"1600000000 +0000")
        (repo / "arch_3.log").write_text(TRAIN.replace("arch_2", "arch_3"))
        git(repo, "add", ".")
        raw_commit(repo, name + b" <" + email + b">", stamp + b" " + zone)
        history = read_history(repo)
        assert history.warning is None or "\n" not in history.warning
        if history.warning is None or "git log failed" not in history.warning:  # git may refuse its own log
            assert history.files["arch_1.log"].added_author == "ok"
        for entry in history.files.values():
            pa.array([entry.added_author, entry.added_email, entry.last_author, entry.last_email], pa.string())
            pa.array([entry.added_at, entry.last_at], pa.timestamp("us"))
    CASES["git"] += 1


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(name=author_bytes, stamp=stamps, zone=zones)
def test_fuzz_git_metadata_through_a_whole_ingest(name, stamp, zone):
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "logs"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        (repo / "arch_1.log").write_text(TRAIN.replace("arch_2", "arch_1"))
        git(repo, "add", ".")
        raw_commit(repo, name + b" <e@x>", stamp + b" " + zone)
        db = Path(tmp) / "wh.duckdb"
        summary = ingest_paths(db, [repo], workers=1)
        assert summary.runs == 1 and all("\n" not in w for w in summary.warnings)
        assert query(db, "select count(*) from files where status = 'ok'") == [(1,)]
    CASES["git"] += 1


toml_pieces = st.sampled_from([
    "[sites.A]\n", "[sites.B]\n", "[sites]\n", 'authors = ["x", "y"]\n', 'paths = ["msu/**", "**a**a**a**b"]\n',
    "paths = []\n", 'authors = "x"\n', "x = 1\n", '[sites."unknown"]\n', "[[sites.C]]\n", "= =\n", '"\\ud800" = 1\n',
    'paths = ["' + "**a" * 30 + '**b"]\n', "a = [" * 50 + "]" * 50 + "\n", "\x00", "\ufeff", "\\",
])
globs = st.lists(st.sampled_from(["a", "b", "/", "*", "**", "**/", "?", "."]), max_size=12).map("".join)
PATHS = ["msu/arch_1.log", "a" * 200 + "b", "a/" * 50 + "b", "", "x\\xffy/arch_2.log", "**", "sustech/a/b/c/arch_9.log"]


@settings(FAST, max_examples=150)
@given(text=st.one_of(st.lists(toml_pieces, max_size=8).map("".join), st.text(max_size=80)),
       raw=st.one_of(st.none(), st.binary(max_size=40)))
def test_fuzz_sites_files_of_any_text_and_bytes(text, raw):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sites.toml"
        path.write_bytes(raw if raw is not None else text.encode("utf-8", "surrogatepass"))
        try:
            sites = read_sites_file(path)
        except SitesFileError as exc:
            assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        else:
            names = {s.name for s in sites} | {UNKNOWN}
            decided = attribute_sites([{"repo_path": p} for p in PATHS], sites)
            assert len(decided) == len(PATHS) and {d["site"] for d in decided} <= names
    CASES["sites"] += 1


@settings(FAST, max_examples=60)
@given(patterns=st.lists(globs, min_size=1, max_size=50), many=st.sampled_from([1, 1, 100]))
def test_fuzz_sites_globs_pathological_and_many(patterns, many):
    """Globs built from `*`, `**`, `?` and literals, up to 5,000 of them: every path gets a site."""
    from ingest.sites import Site, glob_match

    sites = [Site(f"S{i}", (), tuple(patterns * many)) for i in range(2)]
    decided = attribute_sites([{"repo_path": p} for p in PATHS], sites)
    for path, d in zip(PATHS, decided):
        expected = "S0" if any(glob_match(g, path) for g in patterns) else UNKNOWN
        assert d["site"] == expected
    CASES["sites"] += 1
