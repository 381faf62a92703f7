"""What leaves the warehouse (warehouse/export.py), read back by its consumers: the release file by a
faithful copy of the benchmark's loader, the Parquet export by DuckDB (Spark: tests/test_spark.py),
the arch-id lists as the checks' flagged runs. All read the session's demo warehouse (two sites,
every finding; tests/conftest.py), never writing it. The release file read back in is in
tests/test_interop.py."""
from __future__ import annotations

import datetime
import fcntl
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import query
from typer.testing import CliRunner

from application.errors import SIGPIPE_EXIT
from cli import app
from warehouse.errors import WarehouseError
from warehouse.export import export_parquet, export_release, flagged_arch_ids, write_arch_list
from warehouse.viewfiles import flagged_checks


@pytest.fixture
def demo_db(demo_warehouse) -> Path:
    return demo_warehouse.db


def same_rows(a: list[tuple], b: list[tuple]) -> bool:
    """Equal as multisets, NaN equal to NaN (compared through repr)."""
    return sorted(map(repr, a)) == sorted(map(repr, b))


# --- arch-list ----------------------------------------------------------------------------------

def test_arch_list_is_the_archs_the_check_flags(demo_db):
    expected = [r[0] for r in query(demo_db, "select distinct arch_id from check_best_epoch where early order by 1")]
    assert expected and flagged_arch_ids(demo_db, "best_epoch") == expected


def test_arch_list_site_keeps_that_sites_archs(demo_db):
    expected = [r[0] for r in query(
        demo_db, "select distinct arch_id from check_robust_overfitting where overfits and site = 'MSU' order by 1")]
    assert flagged_arch_ids(demo_db, "robust_overfitting", site="MSU") == expected
    assert flagged_arch_ids(demo_db, "robust_overfitting", site="SUSTech") == []


@pytest.mark.parametrize("check", flagged_checks())
def test_arch_list_query_runs_for_every_listed_check(demo_db, check):
    ids = flagged_arch_ids(demo_db, check)
    assert ids == sorted(set(ids))


def test_arch_list_cli_writes_one_id_per_line(demo_db, tmp_path):
    out = tmp_path / "retrain.txt"
    result = CliRunner().invoke(app, ["export", "arch-list", "--check", "best_epoch", "--site", "MSU",
                                      "--db", str(demo_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [str(i) for i in flagged_arch_ids(demo_db, "best_epoch", "MSU")]


def test_arch_list_dash_is_the_standard_output_and_the_count_goes_to_stderr(demo_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["export", "arch-list", "--check", "best_epoch", "--db", str(demo_db), "--out", "-"])
    assert result.exit_code == 0, result.output
    ids = flagged_arch_ids(demo_db, "best_epoch")
    assert ids and result.stdout.splitlines() == [str(i) for i in ids]
    assert result.stderr == f"wrote {len(ids)} arch ids -> standard output\n"
    assert not (tmp_path / "-").exists()


def test_arch_list_cli_unknown_check_or_site_is_one_line(demo_db):
    result = CliRunner().invoke(app, ["export", "arch-list", "--check", "config_drift", "--db", str(demo_db)])
    assert result.exit_code == 1 and "does not flag archs" in result.output
    result = CliRunner().invoke(app, ["export", "arch-list", "--check", "best_epoch", "--site", "Mars", "--db", str(demo_db)])
    assert result.exit_code == 1 and "no runs of site 'Mars'" in result.output


# --- Parquet ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_export_parquet_reads_back_every_table(demo_db, tmp_path):
    out = tmp_path / "pq"
    result = export_parquet(demo_db, out)
    tables = [r[0] for r in query(demo_db, "select table_name from duckdb_tables() where schema_name = 'main' order by 1")]
    assert sorted(result.tables) == tables
    con = duckdb.connect()
    for table in tables:
        columns = [r[0] for r in query(demo_db, "select column_name from duckdb_columns() "
                                                "where table_name = ? order by column_index", [table])]
        select = ", ".join(columns)
        back = con.execute(f"select {select} from read_parquet('{out}/{table}/**/*.parquet', "
                           "hive_partitioning = true)").fetchall()
        assert same_rows(back, query(demo_db, f"select {select} from {table}")), table


def test_export_parquet_partitions_by_site_and_records_schema_version(demo_db, tmp_path):
    out = tmp_path / "pq"
    export_parquet(demo_db, out)
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["site=MSU", "site=SUSTech", "site=unknown"]
    assert (out / "epochs" / "data.parquet").exists()
    version = int(query(demo_db, "select value from meta where key = 'schema_version'")[0][0])
    assert json.loads((out / "_meta" / "schema.json").read_text())["schema_version"] == version
    kv = duckdb.connect().execute(
        f"select distinct decode(value) from parquet_kv_metadata('{out}/runs/**/*.parquet') where decode(key) = 'schema_version'"
    ).fetchall()
    assert kv == [(str(version),)]


def test_export_parquet_refuses_a_folder_with_files(demo_db, tmp_path):
    (tmp_path / "pq").mkdir()
    (tmp_path / "pq" / "keep.txt").write_text("x")
    with pytest.raises(WarehouseError, match="not empty"):
        export_parquet(demo_db, tmp_path / "pq")
    # --overwrite replaces only a previous export: this folder is someone else's
    result = CliRunner().invoke(app, ["export", "parquet", str(tmp_path / "pq"), "--db", str(demo_db), "--overwrite"])
    assert result.exit_code == 1 and "does not look like a Parquet export" in result.output
    assert [p.name for p in (tmp_path / "pq").iterdir()] == ["keep.txt"]
    export_parquet(demo_db, tmp_path / "pq2")
    result = CliRunner().invoke(app, ["export", "parquet", str(tmp_path / "pq2"), "--db", str(demo_db), "--overwrite"])
    assert result.exit_code == 0 and "schema version" in result.output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pq")] == []


def test_export_parquet_overwrite_keeps_the_old_export_until_the_new_one_is_complete(demo_db, tmp_path, monkeypatch):
    import warehouse.export as export

    out = tmp_path / "pq"
    export_parquet(demo_db, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # the warehouse cannot be read: nothing of the old export goes
    result = CliRunner().invoke(app, ["export", "parquet", str(out), "--db", str(tmp_path / "none.duckdb"), "--overwrite"])
    assert result.exit_code == 1 and "no warehouse at" in result.output
    # the export fails halfway (after some tables were written): the old export stays as it was
    real, written = export._write_table, []

    def fails_third(con, table, target, version):
        if len(written) == 2:
            raise duckdb.IOException("IO Error: disk on fire")
        written.append(table)
        return real(con, table, target, version)

    monkeypatch.setattr(export, "_write_table", fails_third)
    with pytest.raises(WarehouseError, match=f"Parquet export failed, {out} is unchanged: IO Error: disk on fire"):
        export_parquet(demo_db, out, overwrite=True)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pq"]


# --- release file: the benchmark's loader -------------------------------------------------------
# A faithful minimal re-implementation of NASBenchR_CIFAR10_Dataset.__init__ (the benchmark's
# dataset.py, SPEC section 6): orjson (no NaN), exactly one train and one test_best entry per arch,
# test_best an object, per-epoch lists indexed by best_epoch, corruptions optional.

@dataclass
class LoadedRecord:
    arch_id: int
    arch: tuple
    macs: float
    params: float
    seed: int
    gpu_type: str | None
    timestamp: datetime.date
    training_time: float
    best_epoch: int
    val_clean_acc: float
    val_pgd_acc: float
    val_cw_acc: float
    test: dict
    corruption_avg: float | None


def _strict_json(line: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON (orjson refuses it)")
    return json.loads(line, parse_constant=refuse)


def benchmark_loader(path: Path) -> dict[tuple, LoadedRecord]:
    dataset = {}
    for line in path.read_text().splitlines():
        raw = _strict_json(line)
        a = raw["arch"]
        arch = (a["D1"], a["W1"], a["D2"], a["W2"], a["D3"], a["W3"])
        assert len(raw["train"]) == 1 and len(raw["test_best"]) == 1, f"arch_{raw['arch_id']}"
        train, test = raw["train"][0], raw["test_best"][0]
        assert test is not None
        best = train["best_epoch"]
        corruptions = test.get("corruptions", {})
        accs = [e["acc"] for levels in corruptions.values() for e in levels.values()]
        dataset[arch] = LoadedRecord(
            arch_id=raw["arch_id"], arch=arch, macs=raw["MACs"], params=raw["Params"],
            seed=train["seed"], gpu_type=train["gpu_type"],
            timestamp=datetime.date(*[int(x) for x in train["timestamp"].split("-")]),
            training_time=train["training_time"], best_epoch=best,
            val_clean_acc=train["val_acc"][best], val_pgd_acc=train["pgd"][best], val_cw_acc=train["cw"][best],
            test={k: test.get(k) for k in ("test_clean_acc", "test_loss", "Linf_fgsm_acc", "Linf_pgd_acc",
                                           "Linf_cw_acc", "Linf_aa_acc")},
            corruption_avg=sum(accs) / len(accs) if accs else None,
        )
    return dataset


def test_release_export_loads_in_the_benchmark_loader_with_the_same_values(demo_db, demo_release):
    loaded = benchmark_loader(demo_release)
    runs = {r[0]: r for r in query(demo_db, """
        select r.arch_id, r.best_epoch, r.best_val_acc, r.best_pgd20_acc, r.best_cw40_acc, r.seed, r.gpu,
               r.started_at::date, r.running_cost_days, r.macs_m, r.params_mb, s.test_clean_acc, s.test_cw40_acc, s.test_aa_acc
        from runs as r inner join run_summary as s using (run_id)
        where r.run_id in (select run_id from runs where finished)""")}
    assert len(loaded) == len({r[0] for r in query(demo_db, "select arch_id from runs "
                                                            "where finished and best_epoch is not null")})
    for record in loaded.values():
        r = runs[record.arch_id]
        assert (record.best_epoch, record.val_clean_acc, record.val_pgd_acc, record.val_cw_acc) == r[1:5]
        assert (record.seed, record.gpu_type, record.timestamp, record.training_time, record.macs, record.params) == r[5:11]
        assert (record.test["test_clean_acc"], record.test["Linf_cw_acc"], record.test["Linf_aa_acc"]) == r[11:14]


def test_release_export_corruptions_average_matches_the_warehouse(demo_db, demo_release):
    loaded = {r.arch_id: r for r in benchmark_loader(demo_release).values()}
    means = query(demo_db, """
        select e.arch_id, avg(c.acc) from evals as e inner join corruptions as c using (eval_id)
        where e.attack = 'cifar10c' and e.finished
            and e.run_id in (select run_id from runs where finished
                             and arch_id in (select arch_id from runs group by 1 having count(*) = 1))
        group by e.arch_id""")
    assert means
    for arch_id, mean in means:
        assert math.isclose(loaded[arch_id].corruption_avg, mean)


def test_release_export_says_how_many_cw_stable_values_faulty_evaluation_code_left_null(demo_db, tmp_path):
    """The demo's older evaluation code printed the natural accuracy as CW Stable: the release
    carries null there, and the export's line says for how many archs and why."""
    out = tmp_path / "cifar10.jsonl"
    result = CliRunner().invoke(app, ["export", "release", str(out), "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    natural = {r[0] for r in query(demo_db, "select e.arch_id from chosen_evals c join evals e using (eval_id) "
                                            "where c.norm = 'Linf' and c.attack = 'Base' and e.cw40_stable_is_natural")}
    # a CW-40 accuracy without its Stable: the evaluation code printed the natural accuracy there
    faulty = [r["arch_id"] for r in records
              if r["test_best"][0]["Linf_cw_acc"] is not None and r["test_best"][0]["Linf_cw_stable"] is None]
    assert faulty and set(faulty) <= natural
    assert f"Linf_cw_stable is null for {len(faulty)} of them: their evaluation code printed the natural accuracy" \
        in " ".join(result.output.split())


CLI = [sys.executable, str(Path(__file__).resolve().parents[1] / "cli.py")]


def test_release_to_standard_output_is_json_lines_only(demo_db, demo_release, tmp_path):
    """`-` writes the release to stdout; its summary line goes to stderr, never into the stream a
    reader parses (before, it followed the last record)."""
    done = subprocess.run([*CLI, "export", "release", "-", "--db", str(demo_db)], cwd=tmp_path,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == demo_release.read_bytes()
    assert done.stderr.decode().startswith(f"wrote {len(done.stdout.splitlines())} archs -> standard output")
    assert not (tmp_path / "-").exists()


def test_release_to_dev_stdout_redirected_to_a_file_holds_the_records_only(demo_db, demo_release, tmp_path):
    """`nares export release /dev/stdout > cifar10.jsonl`: the records reach the shell's file and the
    summary goes to stderr (as a file, /dev/stdout itself was replaced and the file stayed empty)."""
    out = tmp_path / "cifar10.jsonl"
    with open(out, "wb") as stdout:
        done = subprocess.run([*CLI, "export", "release", "/dev/stdout", "--db", str(demo_db)], cwd=tmp_path,
                              stdout=stdout, stderr=subprocess.PIPE, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == demo_release.read_bytes()
    assert done.stderr.decode().startswith("wrote ") and Path("/dev/stdout").is_symlink()


def test_a_reader_that_stops_early_ends_the_export_quietly(demo_db, demo_release, tmp_path):
    """`nares export release - | head`: the closed pipe ends the command without a line on stderr,
    with the code a shell gives a command SIGPIPE killed."""
    proc = subprocess.Popen([*CLI, "export", "release", "-", "--db", str(demo_db)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # more than the pipe holds: the writer meets the closed end whenever the reader closes it
    assert demo_release.stat().st_size > fcntl.fcntl(proc.stdout, fcntl.F_GETPIPE_SZ)
    assert proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == SIGPIPE_EXIT
    assert err == b""


def test_release_export_excludes_runs_a_check_flags(demo_db, tmp_path):
    out = tmp_path / "clean.jsonl"
    result = CliRunner().invoke(app, ["export", "release", str(out), "--exclude-check", "incomplete_runs",
                                      "--exclude-check", "best_epoch", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    flagged = set(query(demo_db, "select run_id from check_incomplete_runs "
                                 "union select run_id from check_best_epoch where early"))
    kept = {json.loads(line)["arch_id"] for line in out.read_text().splitlines()}
    flagged_archs = {r[0] for r in query(demo_db, """
        select arch_id from runs where run_id in (select run_id from check_best_epoch where early)
        and arch_id not in (select arch_id from runs where finished
                            and run_id not in (select run_id from check_best_epoch where early))""")}
    assert flagged and kept.isdisjoint(flagged_archs)
    assert "runs flagged by the excluded checks left out" in result.output


# --- the release file of the real sample logs ----------------------------------------------------

def test_release_of_the_real_samples_carries_their_logged_values(samples_warehouse, tmp_path):
    """arch 2 of tests/fixtures/samples: its training log (best epoch 3) and its Linf Base and
    AA evaluations, as the benchmark's loader reads them."""
    db = samples_warehouse
    out = tmp_path / "cifar10.jsonl"
    result = export_release(db, out)
    loaded = {r.arch_id: r for r in benchmark_loader(out).values()}
    assert result.archs == len(loaded) and 2 in loaded
    run = query(db, "select best_epoch, best_val_acc, best_pgd20_acc, best_cw40_acc from runs where arch_id = 2")[0]
    record = loaded[2]
    assert (record.best_epoch, record.val_clean_acc, record.val_pgd_acc, record.val_cw_acc) == run
    base = query(db, "select clean_acc, cw40_acc from evals where arch_id = 2 and norm = 'Linf' and attack = 'Base'")[0]
    assert (record.test["test_clean_acc"], record.test["Linf_cw_acc"]) == base


def test_release_and_parquet_refuse_a_missing_folder_or_unknown_check_with_one_line(demo_db, tmp_path):
    for call in (lambda: export_release(demo_db, tmp_path / "missing" / "cifar10.jsonl"),
                 lambda: export_parquet(demo_db, tmp_path / "missing" / "pq")):
        with pytest.raises(WarehouseError, match="missing does not exist") as caught:
            call()
        assert "\n" not in str(caught.value)
    result = CliRunner().invoke(app, ["export", "release", str(tmp_path / "c.jsonl"), "--exclude-check", "nonsense",
                                      "--db", str(demo_db)])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "nonsense" in result.output
    assert list(tmp_path.iterdir()) == []


def test_write_arch_list_text_is_the_flagged_ids_one_per_line(demo_db, tmp_path):
    text, n = write_arch_list(demo_db, "best_epoch", tmp_path / "ids.txt", site="MSU")
    ids = flagged_arch_ids(demo_db, "best_epoch", "MSU")
    assert n == len(ids) > 0 and text == "".join(f"{i}\n" for i in ids) == (tmp_path / "ids.txt").read_text()


@pytest.mark.parametrize("command, said", [
    (["report", "--out", "{file}"], "{file} exists and is not a folder: choose another folder for the report (--out)"),
    (["report", "--out", "{file}/inside"], "cannot write the report into {file}/inside: Not a directory"),
    (["export", "release", "{folder}"], "{folder} is a folder: name the release file to write"),
    (["export", "arch-list", "--check", "eval_code", "--out", "{folder}"], "{folder}: Is a directory"),
    (["export", "arch-list", "--check", "eval_code", "--out", "{missing}/ids.txt"],
     "{missing}/ids.txt: No such file or directory"),
])
def test_an_output_path_the_command_cannot_write_is_one_line(samples_warehouse, tmp_path, command, said):
    paths = {"file": tmp_path / "a-file", "folder": tmp_path / "a-folder", "missing": tmp_path / "missing"}
    paths["file"].write_text("mine\n")
    paths["folder"].mkdir()
    args = [part.format(**paths) for part in command]
    result = CliRunner().invoke(app, [*args, "--db", str(samples_warehouse)])
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and result.output.startswith(f"error: {said.format(**paths)}"), result.output
    assert paths["file"].read_text() == "mine\n" and sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "a-folder"]


@pytest.mark.parametrize("command, target", [
    (["check"], "application.reading.Warehouse.checks"),
    (["export", "arch-list", "--check", "eval_code"], "warehouse.export.flagged_arch_ids"),
    (["sql", "select 1"], "application.reading.Warehouse.rows"),
])
def test_ctrl_c_ends_a_command_with_one_line(samples_warehouse, monkeypatch, command, target):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(target, interrupted)
    result = CliRunner().invoke(app, [*command, "--db", str(samples_warehouse)])
    assert (result.exit_code, result.output) == (130, "error: interrupted\n")


def test_a_release_export_stopped_halfway_leaves_the_last_file_and_one_to_a_pipe_is_written_through(
        samples_warehouse, tmp_path, monkeypatch):
    import os

    import warehouse.export as export_module

    out = tmp_path / "cifar10.jsonl"
    export_release(samples_warehouse, out)
    before = out.read_bytes()
    real_dumps, calls = export_module.json.dumps, []

    def full_disk_at_the_last(record, **kwargs):  # the records before it are written to the part file
        calls.append(1)
        if len(calls) == before.count(b"\n"):
            raise OSError(28, "No space left on device")
        return real_dumps(record, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(export_module.json, "dumps", full_disk_at_the_last)
        with pytest.raises(OSError) as raised:
            export_release(samples_warehouse, out)
    assert raised.value.filename == str(out) and out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar10.jsonl"]
    fifo = tmp_path / "release"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        export_release(samples_warehouse, fifo)
        assert os.read(reader, len(before) + 1) == before
    finally:
        os.close(reader)
