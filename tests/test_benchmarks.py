"""The benchmark harness end to end at a toy scale: every measure is in the JSON, the corpus is gone."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT

from benchmarks.run import MEASURES


@pytest.mark.slow
def test_run_writes_every_measure(tmp_path):
    out = tmp_path / "bench.json"
    corpus = tmp_path / "corpus"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--archs", "20", "--epochs", "4",
         "--corpus", str(corpus), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("machine: ")
    data = json.loads(out.read_text())
    assert set(data["machine"]) >= {"cores", "ram_gb", "cpu", "disk_free_gb", "python", "duckdb"}
    (point,) = data["points"]
    measures = point["measures"]
    assert [m for m in MEASURES if m not in measures] == []
    assert any(name.startswith("check_view:") for name in measures)
    assert all(measures[m]["value"] is not None for m in MEASURES)
    assert measures["corpus_lines"]["value"] > 0
    assert measures["report_unchanged_redrawn"]["value"] == 0  # a newline more changes no figure's data
    assert 0 < measures["provenance_share"]["value"] < 1
    assert "loaded 1 " in point["ingest_1pct_line"]
    assert len(point["ingest_full_runs"]) == 2  # the faster counts
    assert measures["ingest_full_seconds"]["value"] == pytest.approx(min(point["ingest_full_runs"]), abs=1e-3)
    runs = re.compile(r"runs \d+, epochs \d+, evals \d+")
    assert runs.search(point["ingest_1pct_line"]).group() == runs.search(point["ingest_full_line"]).group()
    assert list(corpus.iterdir()) == []


def test_a_full_ingest_run_finds_none_of_the_results_an_earlier_run_kept(tmp_path, monkeypatch):
    """Each measured full ingest starts without what the runs before it kept (the check headlines of
    the same files); what was kept before the runs stays."""
    from benchmarks.run import forget_kept_since, kept_files
    from warehouse.results import FINGERPRINTS, RESULTS

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folders = [tmp_path / "nares" / name for name in (RESULTS, FINGERPRINTS)]
    for folder in folders:
        folder.mkdir(parents=True)
        (folder / "old.json").write_text("{}")
    before = kept_files()
    for folder in folders:
        (folder / "new.json").write_text("{}")
    assert len(kept_files()) == 4
    forget_kept_since(before)
    assert kept_files() == before == {folder / "old.json" for folder in folders}


def test_scaling_exponent_of_linear_growth_is_one():
    from benchmarks.run import SCALED, scaling

    def point(archs, files, seconds):
        measures = {name: {"value": seconds} for name in SCALED + ["demo_seconds"]}
        measures["corpus_files"] = {"value": files}
        return {"archs": archs, "measures": measures}

    rows = scaling([point(4000, 400, 4.0), point(1000, 100, 1.0)])
    assert {round(r["value"], 6) for r in rows} == {1.0}
    assert all(r["passed"] for r in rows if r["passed"] is not None)


@pytest.mark.slow
def test_run_measured_counts_the_memory_of_every_descendant(tmp_path):
    """A child and a grandchild each hold 200 MB: the tree's RSS counts all three processes.

    The two big processes hold their memory together for 1.5 s, thirty of the sampler's 50 ms
    samples, whatever the start-up of each takes on a busy machine: the parent starts its 1.5 s only
    once the grandchild says it holds, and the grandchild holds until the parent says it is done."""
    import sys

    from benchmarks.proctree import run_measured

    held, done = tmp_path / "grandchild-holds", tmp_path / "parent-done"
    inner = (
        "import pathlib, time; b = bytearray(200 << 20); b[::4096] = b'x' * len(b[::4096]); "
        f"pathlib.Path({str(held)!r}).touch(); "
        f"[time.sleep(0.05) for _ in iter(lambda: pathlib.Path({str(done)!r}).exists(), True)]"
    )
    script = (
        "import pathlib, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', \"import subprocess, sys; \"\n"
        f"    \"subprocess.run([sys.executable, '-c', sys.argv[1]])\", {inner!r}])\n"
        "b = bytearray(200 << 20); b[::4096] = b'x' * len(b[::4096])\n"
        f"while not pathlib.Path({str(held)!r}).exists():\n"
        "    time.sleep(0.05)\n"
        "time.sleep(1.5)\n"
        f"pathlib.Path({str(done)!r}).touch()\n"
        "child.wait()\n"
    )
    measured = run_measured([sys.executable, "-c", script]).check()
    assert measured.tree_rss_mb > 400  # the process and the grandchild (the child in between is small)
    # the kernel's peak of the largest single process: one big process (its exact figure is the
    # kernel's, and a sampled sum need not exceed it); the tree's is what the sampler adds up
    assert measured.maxrss_mb >= 200
    assert measured.tree_pss_mb > 0


def test_parse_free_ingest_stores_what_the_ingest_stores_without_parsing_the_logs_again(tmp_path, monkeypatch):
    """The parse-free floor measures the ingest's own work: same rows, and no log parsed again."""
    import shutil

    from conftest import SAMPLES, query

    import ingest.read
    from benchmarks.parse_free import parse_beforehand, parsing_from
    from warehouse.update import ingest_paths

    logs = tmp_path / "logs"
    shutil.copytree(SAMPLES, logs)
    results = parse_beforehand(logs, {"train", "eval", "corruption"})
    assert len(results) >= 4
    ingest_paths(tmp_path / "parsed.duckdb", [logs], workers=1)
    parsed_again = []
    real_parse = ingest.read.parse_file  # what the ingest calls for each log
    monkeypatch.setattr(ingest.read, "parse_file", lambda *a: parsed_again.append(a[1]) or real_parse(*a))
    with parsing_from(results):
        ingest_paths(tmp_path / "free.duckdb", [logs], workers=1)
    assert [path for path in parsed_again if path in results] == []
    assert len(parsed_again) < len(results)  # the configs and other files are parsed as always
    for table in ("runs", "epochs", "evals", "run_settings", "code_versions"):
        sql = f"select * from {table} order by all"
        assert query(tmp_path / "free.duckdb", sql) == query(tmp_path / "parsed.duckdb", sql), table
