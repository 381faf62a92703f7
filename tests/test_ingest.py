"""Ingest of log folders into the warehouse: exact rows, incremental runs, bad input, the CLI."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import BASE_LINF, ROOT, TRAIN_LOG, query
from test_parallel import fail_on, raise_boom
from typer.testing import CliRunner

from cli import app
from ingest import parallel
from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.migrate import latest_version, migrations
from warehouse.update import ingest_paths

runner = CliRunner()



def content_hash(db: Path) -> dict[str, str]:
    """A hash of every table's rows (ordered), ignoring when files were read and their mtimes."""
    out = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        for (table,) in con.execute("select table_name from duckdb_tables() "
                                    "where database_name = current_database() order by 1").fetchall():
            if table in ("ingests", "migrations", "meta"):
                continue
            cols = "* exclude (ingested_at, ingest_id, mtime_ns)" if table == "files" else "*"
            cols = "* exclude (installed_at)" if table == "view_versions" else cols
            rows = con.execute(f"select {cols} from {table} order by all").fetchall()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    finally:
        con.close()
    return out


def test_samples_load_with_exact_values(samples, db_path):
    summary = ingest_paths(db_path, [samples], workers=1)
    assert (summary.seen, summary.loaded, summary.partial, summary.skipped, summary.errors) == (6, 6, 1, 0, 0)
    assert (summary.runs, summary.epochs, summary.evals) == (2, 6, 3)
    runs = query(db_path, "select arch_id, best_epoch, best_cw40_acc, finished, epochs_logged, epochs_completed, "
                          "resumed, has_nan, gpu, site, started_at::varchar from runs order by arch_id")
    assert runs == [
        (2, 3, 50.0, True, 4, 4, False, False, None, "unknown", "2026-11-23 19:06:22.905"),
        (6006, 0, 7.0, False, 2, 1, False, False, None, "unknown", "2026-11-23 19:16:31.481"),
    ]
    epoch = query(db_path, "select lr, train_loss, train_acc, val_loss, val_acc, pgd20_acc, cw40_acc, cw40_lip "
                           "from epochs join runs using (run_id) where arch_id = 2 and epoch = 1")
    assert epoch == [(0.1, 0.9993, 67.41, 39.6825, 37.0, 37.0, 37.0, 388.3875)]
    evals = query(db_path, "select arch_id, norm, attack, clean_acc, fgsm_acc, pgd20_acc, cw40_acc, aa_acc, "
                           "finished, link_method from evals order by arch_id, attack")
    assert evals == [
        (2, "Linf", "AA-Compact", 66.0, None, None, None, 50.0, True, "best_cw40_match"),
        (2, "Linf", "Base", 67.0, 52.0, 49.5, 49.0, None, True, "best_cw40_match"),
        (170, "L2", "Base", 68.5, None, 68.5, 68.5, None, True, None),
    ]
    assert (query(db_path, "select link_note from evals where arch_id = 170")
            == [("no training run of arch 170 in the warehouse",)])
    assert query(db_path, "select arch_id, d1, w1, d2, w2, d3, w3, size_class from archs order by 1") == [
        (2, 4, 1, 4, 1, 4, 1, "small"), (170, 5, 1, 4, 2, 4, 1, "small"), (6006, 7, 1, 5, 1, 4, 2, "medium")]


def test_eval_links_to_the_run_in_its_own_folder(samples, db_path):
    # the same evaluation kept beside its run (one extra newline: not a byte-identical copy)
    (samples / "train" / "arch_2_eval_Linf_Base.log").write_text(
        (samples / "eval" / "arch_2_eval_Linf_Base.log").read_text() + "\n")
    ingest_paths(db_path, [samples], workers=1)
    rows = query(db_path, "select e.source_path like '%/train/%', e.link_method from evals e "
                          "where arch_id = 2 and attack = 'Base' order by 1")
    assert rows == [(False, "best_cw40_match"), (True, "same_folder")]


def test_reingest_unchanged_reads_nothing_and_keeps_tables(ingested_samples):
    samples, db_path = ingested_samples
    before = content_hash(db_path)
    mtime = db_path.stat().st_mtime_ns
    summary = ingest_paths(db_path, [samples], workers=1)
    assert (summary.loaded, summary.unchanged, summary.bytes_read, summary.wrote) == (0, 6, 0, False)
    assert db_path.stat().st_mtime_ns == mtime
    assert content_hash(db_path) == before


def test_touched_but_identical_file_is_not_parsed_again(ingested_samples):
    samples, db_path = ingested_samples
    before = content_hash(db_path)
    log = samples / "train" / "arch_2.log"
    os.utime(log, ns=(log.stat().st_atime_ns, log.stat().st_mtime_ns + 10**9))
    summary = ingest_paths(db_path, [samples], workers=1)
    assert (summary.loaded, summary.unchanged) == (0, 6)
    assert content_hash(db_path) == before
    assert query(db_path, f"select mtime_ns from files where path = '{log}'") == [(log.stat().st_mtime_ns,)]


def test_changed_file_replaces_only_its_rows(ingested_samples):
    samples, db_path = ingested_samples
    log = samples / "train" / "arch_2.log"
    log.write_text(log.read_text().replace("PGD-CW Correct Count: 50/100 Acc: 50.00", "PGD-CW Correct Count: 55/100 Acc: 55.00"))
    summary = ingest_paths(db_path, [samples], workers=1)
    assert summary.loaded == 1
    assert query(db_path, "select arch_id, best_cw40_acc from runs order by 1") == [(2, 55.0), (6006, 7.0)]
    assert query(db_path, "select count(*) from epochs") == [(6,)]
    # the evaluations' checkpoint says 50.0 now matches no run of arch 2 except the only one
    assert query(db_path, "select distinct link_method from evals where arch_id = 2") == [("only_run",)]


@pytest.mark.slow
def test_a_changed_log_writes_only_the_rows_that_changed(tmp_path, monkeypatch):
    """A training log that grew by two epochs gets those two epochs rows written; one changed in an
    old epoch has its run's epochs replaced whole; one that got a byte more writes no epochs or
    settings row. Each time the warehouse holds what an ingest from scratch of the folder holds."""
    import warehouse.load

    logs, db = tmp_path / "logs", tmp_path / "wh.duckdb"
    logs.mkdir()
    log = logs / "arch_2.log"
    lines = TRAIN_LOG.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if "Training Epoch 2=" in line)
    log.write_text("".join(lines[:cut]))
    ingest_paths(db, [logs], workers=1)
    assert query(db, "select count(*) from epochs") == [(2,)]
    written: list[dict[str, int]] = []
    real = warehouse.load.replace_child_rows

    def noted(con, file_ids, tables):
        written.append(real(con, file_ids, tables))
        return written[-1]

    monkeypatch.setattr(warehouse.load, "replace_child_rows", noted)

    def rows_written(text: str, name: str) -> dict[str, int]:
        log.write_text(text)
        written.clear()
        ingest_paths(db, [logs], workers=1)
        counts = {table: sum(w[table] for w in written) for table in ("epochs", "run_settings")}
        ingest_paths(tmp_path / f"{name}.duckdb", [logs], workers=1)
        assert content_hash(db) == content_hash(tmp_path / f"{name}.duckdb")
        return counts

    full = "".join(lines)
    assert rows_written(full, "grown")["epochs"] == 2
    assert query(db, "select count(*) from epochs") == [(4,)]
    changed = "".join(line.replace("lr=0.1000", "lr=0.2000") if line.startswith("2026-11-23 19:06:2") else line
                      for line in lines)
    assert changed != full
    assert rows_written(changed, "changed")["epochs"] == 4
    assert rows_written(changed + "\n", "byte") == {"epochs": 0, "run_settings": 0}


def test_removed_file_takes_its_rows(ingested_samples):
    samples, db_path = ingested_samples
    (samples / "truncated" / "arch_6006.log").unlink()
    summary = ingest_paths(db_path, [samples], workers=1)
    assert summary.removed == 1 and "removed 1" in summary.line()
    assert query(db_path, "select arch_id from runs") == [(2,)]
    assert query(db_path, "select count(*) from epochs") == [(4,)]
    assert query(db_path, "select count(*) from files where name = 'arch_6006.log'") == [(0,)]


def test_ingesting_another_folder_keeps_the_first(ingested_samples, tmp_path):
    samples, db_path = ingested_samples
    other = tmp_path / "other"
    other.mkdir()
    (other / "arch_0777.log").write_text((samples / "train" / "arch_2.log").read_text().replace("arch_2", "arch_777"))
    ingest_paths(db_path, [other], workers=1)
    assert query(db_path, "select arch_id from runs order by 1") == [(2,), (777,), (6006,)]


def test_folder_order_does_not_matter(samples, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "arch_3.log").write_text((samples / "train" / "arch_2.log").read_text().replace("arch_2", "arch_3"))
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    ingest_paths(a, [samples, other], workers=1)
    ingest_paths(b, [other], workers=1)
    ingest_paths(b, [samples], workers=1)
    assert content_hash(a) == content_hash(b)


def test_parallel_and_serial_ingest_agree(samples, tmp_path, monkeypatch):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    ingest_paths(a, [samples], workers=1)
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)  # one file a chunk: the parsers take turns
    ingest_paths(b, [samples], workers=2)
    assert content_hash(a) == content_hash(b)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("how, message", [
    (raise_boom, "a parser process failed: ValueError: boom"),
    (lambda: os.kill(os.getpid(), signal.SIGKILL), "a parser process ended before reading chunk"),
])
def test_failed_parser_process_stops_the_ingest_and_keeps_the_warehouse(samples, tmp_path, monkeypatch, how, message):
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [samples / "train"], workers=1)
    before = content_hash(db)
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)
    monkeypatch.setattr(parallel, "read_chunk", fail_on("arch_2_eval_Linf_Base.log", how))
    with pytest.raises(WarehouseError, match=f"ingest failed, .* is unchanged: {message}"):
        ingest_paths(db, [samples], workers=2)
    assert content_hash(db) == before
    assert multiprocessing.active_children() == []
    assert list(tmp_path.glob("w.duckdb.tmp-*")) == []


def test_bad_files_are_recorded_not_fatal(samples, db_path):
    bad = samples / "bad"
    bad.mkdir()
    (bad / "arch_11.log").write_bytes(b"")
    (bad / "arch_12.log").write_bytes(bytes(range(256)) * 50)
    (bad / "arch_13.log").write_text("Traceback (most recent call last):\n  oops\n")
    (bad / "arch_14_eval_Linf_Base.log").write_text("garbage\n" * 10)
    (bad / "arch_0.log").write_text("x\n")
    (bad / "notes.txt").write_text("hello\n")
    (samples / "zz").mkdir()
    (samples / "zz" / "arch_2.log").write_bytes((samples / "train" / "arch_2.log").read_bytes())  # byte-identical copy
    summary = ingest_paths(db_path, [samples], workers=1)
    assert summary.errors == 5 and summary.skipped == 2
    # issue 21: errored and skipped files were counted as loaded too
    assert summary.loaded == query(db_path, "select count(*) from files where status in ('ok', 'partial')")[0][0]
    assert summary.loaded == summary.seen - summary.errors - summary.skipped
    assert f"loaded {summary.loaded} / unchanged 0 / partial" in summary.line()
    rows = dict(query(db_path, "select name, status || ': ' || message from files where path like '%/bad/%'"))
    assert rows["arch_11.log"] == "error: empty file"
    assert rows["arch_12.log"].startswith("error: binary")
    assert rows["arch_13.log"] == "error: no Namespace(...) header and no epoch records: not a training log"
    assert rows["arch_14_eval_Linf_Base.log"].startswith("error: no argument lines")
    assert rows["arch_0.log"] == "error: arch id 0 outside 1..15625"
    assert rows["notes.txt"] == "skipped: not a benchmark log file name"
    copy = query(db_path, "select status, duplicate_of like '%/train/arch_2.log' from files where path like '%/zz/arch_2.log'")
    assert copy == [("skipped", True)]
    assert query(db_path, "select count(*) from runs") == [(2,)]


def test_duplicate_is_loaded_again_when_its_original_goes(samples, db_path):
    copy = samples / "zz" / "arch_2.log"
    copy.parent.mkdir()
    shutil.copy(samples / "train" / "arch_2.log", copy)
    ingest_paths(db_path, [samples], workers=1)
    assert query(db_path, "select count(*) from runs where arch_id = 2") == [(1,)]
    (samples / "train" / "arch_2.log").unlink()
    ingest_paths(db_path, [samples], workers=1)
    assert query(db_path, "select source_path like '%/zz/%' from runs where arch_id = 2") == [(True,)]
    assert query(db_path, f"select status from files where path = '{copy}'") == [("ok",)]


@pytest.mark.parametrize("folder", ["aa", "zz"])
def test_a_copy_that_appears_later_is_placed_as_an_ingest_from_scratch_places_it(samples, db_path, tmp_path, folder):
    """A copy of a loaded log, found by a later ingest: first by path (aa/), it becomes the
    original and the rows move to it; after it (zz/), it is skipped. Either way one run, and the
    rows equal those of an ingest from scratch."""
    ingest_paths(db_path, [samples], workers=1)
    copy = samples / folder / "arch_2.log"
    copy.parent.mkdir()
    shutil.copy(samples / "train" / "arch_2.log", copy)
    ingest_paths(db_path, [samples], workers=1)
    assert query(db_path, "select source_path from runs where arch_id = 2") == [
        (str(copy if folder == "aa" else samples / "train" / "arch_2.log"),)]
    placed = ["select * from runs order by all", "select * from epochs order by all", "select * from lr_drops order by all",
              "select path, status, duplicate_of, message from files order by all"]
    ingest_paths(tmp_path / "fresh.duckdb", [samples], workers=1)
    assert [query(db_path, q) for q in placed] == [query(tmp_path / "fresh.duckdb", q) for q in placed]


def test_missing_folder_and_foreign_database_fail_cleanly(samples, tmp_path):
    with pytest.raises(WarehouseError, match="no such file or directory"):
        ingest_paths(tmp_path / "w.duckdb", [tmp_path / "nope"])
    assert not (tmp_path / "w.duckdb").exists()
    foreign = tmp_path / "foreign.duckdb"
    foreign.write_text("this is not a database\n" * 10)
    with pytest.raises(WarehouseError, match="not a DuckDB database file"):
        ingest_paths(foreign, [samples])
    assert foreign.read_text() == "this is not a database\n" * 10
    with pytest.raises(WarehouseError, match="does not exist"):
        ingest_paths(tmp_path / "no" / "dir" / "w.duckdb", [samples])


def test_failed_ingest_leaves_previous_warehouse(ingested_samples, monkeypatch):
    samples, db_path = ingested_samples
    before = content_hash(db_path)
    (samples / "train" / "arch_2.log").write_text((samples / "train" / "arch_2.log").read_text() + "\n")
    import warehouse.pipeline as update

    def boom(con, ingest_id=None, everything=False):
        con.execute("select * from no_such_table")

    monkeypatch.setattr(update, "run_steps", boom)
    with pytest.raises(WarehouseError, match="is unchanged"):
        ingest_paths(db_path, [samples], workers=1)
    assert content_hash(db_path) == before
    assert not list(db_path.parent.glob("*.tmp-*"))


@pytest.mark.slow
def test_migrates_a_database_written_by_schema_version_1(samples, db_path):
    con = connect(db_path)
    version, first = migrations()[0]
    con.execute(first.read_text())
    con.execute("insert into meta values ('schema_version', '1')")
    con.execute("insert into migrations values (1, ?, now())", [first.name])
    con.execute("insert into files (file_id, path, kind, status) values (1, '/old/arch_99.log', 'train', 'ok')")
    con.execute("insert into runs (run_id, file_id, arch_id, source_path) values (1, 1, 99, '/old/arch_99.log')")
    con.close()
    summary = ingest_paths(db_path, [samples], workers=1)
    assert summary.wrote
    assert query(db_path, "select max(version) from migrations") == [(latest_version(),)]
    assert query(db_path, "select value from meta where key = 'schema_version'") == [(str(latest_version()),)]
    assert (99,) in query(db_path, "select arch_id from runs")
    assert query(db_path, "select count(*) from duckdb_columns() "
                          "where table_name = 'files' and column_name = 'added_author'") == [(1,)]


def test_every_table_and_column_has_a_comment(samples_warehouse):
    db_path = samples_warehouse
    missing = query(db_path, "select table_name, column_name from duckdb_columns() where database_name = current_database() "
                             "and not internal and (comment is null or comment = '') and table_name in "
                             "(select table_name from duckdb_tables() where database_name = current_database())")
    assert missing == []
    assert query(db_path, "select count(*) from duckdb_tables() "
                          "where database_name = current_database() and (comment is null or comment = '')") == [(0,)]


REPO_PATH_IN_TEXT = re.compile(r"\b(?:sql|warehouse|ingest|reports|application|demo)/[\w./-]+?\.(?:sql|py|toml|c)\b")
"""A file of this repository named in a comment, e.g. sql/steps/20_lr_drops.sql (a name with a
placeholder in brackets, sql/checks/<name>/v<N>.sql, does not match; one numbered NNN_ does)."""


def names_a_file_of_the_tool(path: str) -> bool:
    """The file exists; for a numbered pattern (sql/migrations/NNN_name.sql) its folder holds such files."""
    if re.search(r"/N+_\w+\.\w+$", path):
        folder, suffix = ROOT / path.rsplit("/", 1)[0], path.rsplit(".", 1)[1]
        return any(re.fullmatch(rf"\d+_[\w-]+\.{suffix}", f.name) for f in folder.glob(f"*.{suffix}"))
    return (ROOT / path).is_file()


def test_every_file_a_table_view_or_column_comment_names_exists(samples_warehouse):
    """The comments the duckdb shell shows send the reader to files of the tool: each one exists."""
    comments = query(samples_warehouse, "select comment from duckdb_tables() where database_name = current_database() "
                                        "union all select comment from duckdb_views() where not internal "
                                        "union all select comment from duckdb_columns() where database_name = current_database()")
    named = {path for (comment,) in comments if comment for path in REPO_PATH_IN_TEXT.findall(comment)}
    assert "sql/steps/20_lr_drops.sql" in named
    assert sorted(path for path in named if not names_a_file_of_the_tool(path)) == []


@pytest.mark.slow
def test_opens_in_the_duckdb_shell_read_only(samples_warehouse):
    cli = shutil.which("duckdb", path=os.path.dirname(sys.executable)) or shutil.which("duckdb")
    if cli is None:
        pytest.fail("the duckdb CLI (pip package duckdb-cli) is not installed")
    db_path = samples_warehouse
    result = subprocess.run([cli, "-readonly", "-csv", str(db_path),
                             "select count(*) from epochs; select comment from duckdb_tables() where table_name = 'runs'"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "6" in result.stdout.splitlines() and "One row per training log" in result.stdout


def test_cli_ingest_and_sql(samples, db_path):
    result = runner.invoke(app, ["ingest", str(samples), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("files seen 6 / loaded 6 / unchanged 0 / partial 1 / skipped 0 / errors 0; "
                                    "runs 2, epochs 6, evals 3")
    result = runner.invoke(app, ["sql", "select arch_id, best_epoch from runs order by 1", "--db", str(db_path),
                                 "--format", "csv"])
    assert (result.exit_code, result.output) == (0, "arch_id,best_epoch\n2,3\n6006,0\n")
    result = runner.invoke(app, ["sql", "select arch_id from runs order by 1", "--db", str(db_path), "--format", "json"])
    assert result.output.replace(" ", "").replace("\n", "") == '[{"arch_id":2},{"arch_id":6006}]'


@pytest.mark.parametrize("statement, message", [
    ("delete from runs", "only queries are allowed"),
    ("create table t (a int)", "only queries are allowed"),
    ("select 1; drop table runs", "only queries are allowed"),
    ("select * from read_csv('/etc/passwd')", "SQL error"),
    ("copy runs to '/tmp/x.csv'", "only queries are allowed"),
    ("selec 1", "SQL error"),
])
def test_cli_sql_refuses_anything_but_queries(samples_warehouse, statement, message):
    db_path = samples_warehouse
    result = runner.invoke(app, ["sql", statement, "--db", str(db_path)])
    assert result.exit_code == 1
    assert message in result.output
    assert query(db_path, "select count(*) from runs") == [(2,)]


def test_cli_errors_are_one_line(tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing"), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and result.output.startswith("error: no such file")
    result = runner.invoke(app, ["sql", "select 1", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no warehouse at" in result.output
    os.mkfifo(tmp_path / "a-fifo")  # given as a folder of logs: neither a folder nor a file
    result = runner.invoke(app, ["ingest", str(tmp_path / "a-fifo"), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1 and result.output == (
        f"error: {tmp_path / 'a-fifo'}: not a folder or a file (a FIFO, socket or device): give log folders or log files\n")
    assert not (tmp_path / "w.duckdb").exists()


def test_rows_of_different_kinds_keep_all_their_columns(tmp_path, db_path):
    """A chunk whose first evaluation is a corruption log still loads the Base accuracies after it."""
    from test_eval_log import corruption_log

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "arch_1_eval_cifar10c_level.log").write_text(corruption_log().replace("arch_2", "arch_1"))
    (logs / "arch_9_eval_Linf_Base.log").write_text(BASE_LINF.read_text().replace("arch_2", "arch_9"))
    ingest_paths(db_path, [logs], workers=1)
    assert query(db_path, "select arch_id, attack, clean_acc, cw40_acc, corruption_mean_acc from evals order by 1") == [
        (1, "cifar10c", None, None, 78.1234), (9, "Base", 67.0, 49.0, None)]


def test_corruption_logs_of_both_scripts_under_the_older_name_are_stored(tmp_path, db_path):
    """`_eval_cifar10c.log` holds the all-levels script's lines (one row per corruption, level NULL,
    attack cifar10c-all-levels) or, from e216117 to dc7b847, the level script's (as `_level.log`)."""
    from conftest import PROBE
    from test_eval_log import all_levels_log, corruption_log

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "arch_1_eval_cifar10c.log").write_text(all_levels_log().replace("arch_2", "arch_1"))
    (logs / "arch_3_eval_cifar10c.log").write_text(corruption_log().replace("arch_2", "arch_3"))
    (logs / "arch_1_eval_cifar10c_level.log").write_text(corruption_log().replace("arch_2", "arch_1"))
    # from e216117 to dc7b847 both scripts appended to it: a level run, then an all-levels run
    (logs / "arch_7_eval_cifar10c.log").write_bytes((PROBE / "e216117" / "arch_007_eval_cifar10c.log").read_bytes())
    summary = ingest_paths(db_path, [logs], workers=1)
    assert (summary.loaded, summary.skipped, summary.evals) == (4, 0, 5)
    assert query(db_path, "select e.arch_id, e.attack, f.name, e.finished, e.corruption_mean_acc, count(c.acc), "
                          "count(c.level) from evals as e join files as f using (file_id) left join corruptions as c "
                          "using (eval_id) group by all order by 1, 2") == [
        (1, "cifar10c", "arch_1_eval_cifar10c_level.log", True, 78.1234, 95, 95),
        (1, "cifar10c-all-levels", "arch_1_eval_cifar10c.log", True, 77.6667, 15, 0),
        (3, "cifar10c", "arch_3_eval_cifar10c.log", True, 78.1234, 95, 95),
        (7, "cifar10c", "arch_7_eval_cifar10c.log", True, 14.0, 95, 95),
        (7, "cifar10c-all-levels", "arch_7_eval_cifar10c.log", True, 10.0, 19, 0)]
    seven = query(db_path, "select file_id, path from files where name = 'arch_7_eval_cifar10c.log'")[0]
    assert query(db_path, "select eval_id, source_path from evals where arch_id = 7 order by attack") == [
        (seven[0] ^ 1, f"{seven[1]}#line=1"), seven]


def test_progress_counts_every_file_and_byte_read(samples, db_path):
    from reports.progress import IngestProgress

    progress = IngestProgress()
    summary = ingest_paths(db_path, [samples], workers=1, progress=progress)
    task = progress.bar.tasks[0]
    assert (progress.done_files, progress.total_files) == (6, 6)
    assert task.completed == summary.bytes_read == task.total


def test_timestamps_that_are_not_dates_become_null_instead_of_failing_the_ingest(tmp_path, db_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    text = TRAIN_LOG.read_text()
    lines = text.splitlines(keepends=True)
    first_epoch = next(i for i, line in enumerate(lines) if "Training Epoch 1=" in line)
    lines[0] = lines[0].replace("2026-11-23", "2026-13-23", 1)  # the run's first record: month 13
    lines[first_epoch] = lines[first_epoch].replace("2026-11-23", "2026-02-30", 1)  # epoch 1: no such day
    (folder / "arch_2.log").write_text("".join(lines))
    (folder / "arch_2_eval_Linf_Base.log").write_text(BASE_LINF.read_text().replace("2026-11-23", "2026-11-32", 1))
    summary = ingest_paths(db_path, [folder])
    assert (summary.runs, summary.epochs, summary.evals, summary.errors) == (1, 4, 1, 0)
    assert query(db_path, "select started_at from runs") == [(None,)]
    stamps = query(db_path, "select epoch, started_at is null from epochs order by epoch")
    assert stamps == [(0, False), (1, True), (2, False), (3, False)]
    assert query(db_path, "select started_at is null, finished_at is not null from evals") == [(True, True)]
