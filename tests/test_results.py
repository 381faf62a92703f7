"""Results kept between commands (warehouse/results.py): a kept check headline or report query's
rows is read only while every input it was computed from is unchanged, and then equals what
computing it again gives. Each test has a cache folder of its own, so what is kept is known."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

import warehouse.checks as checks_module
import warehouse.results as results_module
from application.commands import ingest
from reports.data import ReportData, parameterless_queries
from warehouse.checks import check_warehouse, run_checks
from warehouse.query import open_for_reading
from warehouse.results import FINGERPRINTS, RESULTS, KeptResults, table_fingerprints
from warehouse.swap import file_identity
from warehouse.update import ingest_paths


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "nares"


def kept_files(cache: Path) -> list[Path]:
    return sorted((cache / RESULTS).glob("*.json")) if (cache / RESULTS).exists() else []


def headlines(db: Path, kept: bool = True) -> dict[str, tuple[str, int]]:
    con = open_for_reading(db)
    try:
        report = run_checks(con, kept=KeptResults(con, db) if kept else None)
    finally:
        con.close()
    return {r.name: (r.headline, r.findings) for r in report.results}


def refuse(*args, **kwargs):
    """Stands in for what computes a result: what still works was read from the kept results."""
    raise AssertionError("computed, not read from the kept results")


def test_kept_headlines_equal_computed_ones_and_are_read_the_second_time(demo_warehouse_copy, own_cache, monkeypatch):
    computed = headlines(demo_warehouse_copy, kept=False)
    assert kept_files(own_cache) == []
    first = headlines(demo_warehouse_copy)
    assert first == computed
    assert len(kept_files(own_cache)) == len(computed)
    monkeypatch.setattr(checks_module, "run_check", refuse)
    assert headlines(demo_warehouse_copy) == computed


def test_a_parameter_changed_in_the_duckdb_shell_is_computed_again(demo_warehouse_copy):
    before = headlines(demo_warehouse_copy)
    con = duckdb.connect(str(demo_warehouse_copy))  # as the duckdb shell writes it
    con.execute("update check_params set value = 0.3 where name = 'best_epoch.early_fraction'")
    con.close()
    after = headlines(demo_warehouse_copy)
    assert after == headlines(demo_warehouse_copy, kept=False)
    assert after["best_epoch"] != before["best_epoch"]


@pytest.mark.slow
def test_rows_deleted_in_the_duckdb_shell_are_never_answered_from_the_kept(demo_warehouse_copy):
    headlines(demo_warehouse_copy)
    con = duckdb.connect(str(demo_warehouse_copy))
    con.execute("delete from runs where site = 'MSU'")
    con.close()
    after = headlines(demo_warehouse_copy)
    assert after == headlines(demo_warehouse_copy, kept=False)
    assert "MSU" not in after["best_epoch"][0]


def nares_ingest(logs: Path, db: Path) -> None:
    """`nares ingest logs --db db` (application/commands.py: the ingest, then the check headlines kept)."""
    output = ingest([logs], db, None, 1, [], False, False, False, print)
    assert output.exit_code == 0


@pytest.mark.slow
def test_the_ingest_keeps_what_the_next_check_reads_until_its_inputs_change(samples, db_path, own_cache, monkeypatch):
    nares_ingest(samples, db_path)
    computed = headlines(db_path, kept=False)
    record = json.loads(next((own_cache / "fingerprints").glob("*.json")).read_text())
    assert record["identity"] == json.loads(json.dumps(file_identity(db_path)))
    assert {"runs", "evals", "epochs", "check_params"} <= record["tables"].keys()
    with monkeypatch.context() as m:
        m.setattr(checks_module, "run_check", refuse)
        assert {r.name: (r.headline, r.findings) for r in check_warehouse(db_path).results} == computed

    # a newline at the end of a training log: files and ingests change, no check's input does
    train = samples / "train" / "arch_2.log"
    with open(train, "ab") as handle:
        handle.write(b"\n")
    kept_before = kept_files(own_cache)
    nares_ingest(samples, db_path)
    assert kept_files(own_cache) == kept_before  # the ingest found every headline kept
    with monkeypatch.context() as m:
        m.setattr(checks_module, "run_check", refuse)
        assert {r.name: (r.headline, r.findings) for r in check_warehouse(db_path).results} == computed

    # the training log gone: the runs change, so the headlines are computed again (by the ingest)
    train.unlink()
    nares_ingest(samples, db_path)
    assert len(kept_files(own_cache)) > len(kept_before)
    assert headlines(db_path) == headlines(db_path, kept=False) != computed


def test_an_interrupt_while_the_ingest_computes_the_headlines_keeps_the_ingest(samples, db_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(checks_module, "run_checks", interrupted)
        output = ingest([samples], db_path, None, 1, [], False, False, False, print)
    assert output.exit_code == 130
    assert any("interrupted while computing the check headlines; the ingest is complete" in text
               for text, to_stderr, _ in output.parts if to_stderr)
    assert check_warehouse(db_path).results  # swapped in: the check reads it


def test_kept_fingerprints_of_another_version_of_the_file_are_not_taken(samples, db_path, own_cache):
    ingest_paths(db_path, [samples], workers=1)
    record_path = next((own_cache / "fingerprints").glob("*.json"))
    record = json.loads(record_path.read_text())
    # the kept record claims other content for the file as it is now: its last ingest does not match
    record["tables"] = {table: "0:0" for table in record["tables"]}
    record["last_ingest"] = ["1", "1", "2000-01-01 00:00:00"]
    record_path.write_text(json.dumps(record))
    con = open_for_reading(db_path)
    try:
        kept = KeptResults(con, db_path)
        assert kept.fingerprints({"runs"})["runs"] == table_fingerprints(con, ["runs"])["runs"] != "0:0"
    finally:
        con.close()


def test_the_fingerprints_folder_keeps_the_most_recently_written_within_its_limit(samples, db_path, own_cache,
                                                                                   monkeypatch):
    """One record per warehouse path, never read back into a mark of use: the least recently
    written go first once the folder passes KEPT_FINGERPRINT_BYTES (made small here)."""
    folder = own_cache / FINGERPRINTS
    folder.mkdir(parents=True)
    for i in range(3):  # the records of three warehouses written long ago
        (folder / f"old{i}.json").write_text("{}" + " " * 2000)
        os.utime(folder / f"old{i}.json", (i, i))
    monkeypatch.setattr(results_module, "KEPT_FINGERPRINT_BYTES", 3000)
    ingest_paths(db_path, [samples], workers=1)
    files = list(folder.glob("*.json"))
    olds = sorted(p.name for p in files if p.name.startswith("old"))
    assert len(files) - len(olds) == 1  # the new record stays
    assert sum(p.stat().st_size for p in files) <= 3000
    assert olds == ["old0.json", "old1.json", "old2.json"][3 - len(olds):] and len(olds) < 3  # the oldest went


def test_damaged_kept_files_are_computed_again(demo_warehouse_copy, own_cache):
    computed = headlines(demo_warehouse_copy)
    for path in kept_files(own_cache):
        path.write_bytes(b'{"headline": 1, "findings": "x"' if path.name < "8" else b"\xff\x00")
    assert headlines(demo_warehouse_copy) == computed
    assert all(json.loads(p.read_text())["headline"] for p in kept_files(own_cache))


def test_a_copy_of_the_file_elsewhere_does_not_read_the_results_kept_for_the_original(demo_warehouse_copy, tmp_path,
                                                                                      monkeypatch):
    other = tmp_path / "elsewhere.duckdb"
    shutil.copyfile(demo_warehouse_copy, other)
    computed = headlines(demo_warehouse_copy)
    monkeypatch.setattr(checks_module, "run_check", refuse)
    assert headlines(demo_warehouse_copy) == computed
    with pytest.raises(AssertionError, match="computed, not read"):
        headlines(other)


def test_report_rows_read_from_the_kept_equal_the_computed(demo_warehouse_copy, own_cache, monkeypatch):
    views = ["check_duplicate_paired", "run_summary"]
    con = open_for_reading(demo_warehouse_copy)
    try:
        live = ReportData(con)
        live.prefetch(parameterless_queries(), views, ["best_epoch"])
        computed = {name: live.rows(name) for name in parameterless_queries()}
        computed |= {name: live.view(name) for name in views}
        curves = live.rows("arch_curves", arch_ids=[computed["curve_archs"][0]["arch_id"]])

        first = ReportData(con, KeptResults(con, demo_warehouse_copy))
        first.prefetch(parameterless_queries(), views, ["best_epoch"])
        assert first.rows("arch_curves", arch_ids=[computed["curve_archs"][0]["arch_id"]]) == curves
        assert len(kept_files(own_cache)) == len(computed) + 2  # + the check's headline and the curves
        monkeypatch.setattr(ReportData, "_fetch", refuse)
        monkeypatch.setattr("reports.data.run_check", refuse)
        again = ReportData(con, KeptResults(con, demo_warehouse_copy))
        assert again.prefetch(parameterless_queries(), views, ["best_epoch"])[0].headline == \
            headlines(demo_warehouse_copy)["best_epoch"][0]
        assert {name: again.rows(name) for name in parameterless_queries()} | \
            {name: again.view(name) for name in views} == computed
        assert again.rows("arch_curves", arch_ids=[computed["curve_archs"][0]["arch_id"]]) == curves
    finally:
        con.close()


@pytest.mark.slow
def test_a_reader_still_open_on_an_older_version_never_mixes_it_with_the_newer(samples, db_path):
    """In one process (a notebook), a Warehouse left open keeps DuckDB's database of the version
    it opened, which a Warehouse opened later may be handed too: its kept fingerprints (the newer
    version's, from the ingest) are not taken, and what it keeps is keyed by what it reads."""
    from application.reading import open_warehouse

    (samples / "eval").rename(samples.parent / "later")
    ingest_paths(db_path, [samples], workers=1)
    older = open_warehouse(db_path)
    try:
        before = {r.name: (r.headline, r.findings) for r in older.checks().results}
        (samples.parent / "later").rename(samples / "eval")
        ingest_paths(db_path, [samples], workers=1)
        again = open_warehouse(db_path)
        try:
            seen = {r.name: (r.headline, r.findings) for r in again.checks().results}
            live = {r.name: (r.headline, r.findings) for r in run_checks(again.con).results}
            assert seen == live
        finally:
            again.close()
    finally:
        older.close()
    newer = headlines(db_path)
    assert newer == headlines(db_path, kept=False) != before
