"""Integrity invariants: checked inside every write before the swap, by `cli.py verify` on any
warehouse; `ingest --rebuild` builds a warehouse anew from the logs."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from conftest import ROOT, query
from test_ingest import content_hash
from typer.testing import CliRunner

from cli import app
from warehouse.errors import WarehouseError
from warehouse.update import ingest_paths

runner = CliRunner()


@pytest.fixture
def loaded(ingested_samples):
    return ingested_samples


def edit(db, *statements: str) -> None:
    """Change the file behind the tool's back, as a user in the duckdb shell could."""
    con = duckdb.connect(str(db))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


TRAIN = "(select file_id from files where kind = 'train' and status = 'ok' order by path limit 1)"
BASE = "(select min(eval_id) from evals where attack = 'Base')"

# (what a faulty write does to the new version, the first problem line it must produce)
VIOLATIONS = [
    (f"insert into files select * from files where file_id = {TRAIN}",
     "files: 2 rows for path {train} (one expected)"),
    (f"delete from runs where file_id = {TRAIN}",
     "runs: training log {train} holds 0 runs (one expected)"),
    (f"insert into runs select * from runs where file_id = {TRAIN}",
     "runs: training log {train} holds 2 runs (one expected)"),
    ("insert into epochs (run_id, epoch) values (42, 0)",
     "epochs: 1 rows of run 42, which is not in runs"),
    (f"update files set status = 'error' where file_id = {TRAIN}",
     "files: {train} (train, not loaded) holds 1 runs and 0 evaluations (none expected)"),
    ("update evals set run_id = 42 where eval_id = (select min(eval_id) from evals)",
     "evals: evaluation {eval_id} is linked to run 42, which is not in runs"),
    # an earlier run of an appended evaluation log (<path>#line=<n>) carries xor(file_id, n)
    (f"insert into evals select * replace (eval_id + 2 as eval_id, source_path || '#line=1' as source_path) "
     f"from evals where eval_id = {BASE}",
     "evals: evaluation {base_plus_2} of {base_path}#line=1 does not carry xor(file_id, line) of its file_id {base}"),
    (f"insert into evals select * replace (eval_id + 2 as eval_id, source_path || '#run=1' as source_path) "
     f"from evals where eval_id = {BASE}",
     "evals: evaluation log {base_path} holds 1 evaluations whose source_path is neither its path nor <path>#line=<n>"),
    ("insert into corruptions (eval_id, corruption, level) values (7, 'fog', 1)",
     "corruptions: 1 rows of evaluation 7, which is not in evals"),
    ("update files set status = 'unchanged' where kind = 'other'",
     None),  # no other file in the samples: nothing happens, the write goes through
]


@pytest.mark.parametrize("violation, problem", VIOLATIONS)
def test_a_write_that_breaks_an_invariant_stops_before_the_swap(loaded, monkeypatch, violation, problem):
    samples, db = loaded
    train, train_id = query(db, f"select path, file_id from files where file_id = {TRAIN}")[0]
    eval_id = query(db, "select min(eval_id) from evals")[0][0]
    base, base_path = query(db, f"select eval_id, source_path from evals where eval_id = {BASE}")[0]
    before = content_hash(db)
    (samples / "train" / "arch_2.log").write_text((samples / "train" / "arch_2.log").read_text() + "\n")
    import warehouse.pipeline as update

    real = update.run_steps

    def faulty(con, ingest_id=None, everything=False):
        real(con, ingest_id, everything)
        con.execute(violation)

    monkeypatch.setattr(update, "run_steps", faulty)
    if problem is None:
        assert ingest_paths(db, [samples], workers=1).wrote
        return
    with pytest.raises(WarehouseError) as info:
        ingest_paths(db, [samples], workers=1)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"integrity check failed, {db} is unchanged: "
                              + problem.format(train=train, train_id=train_id, eval_id=eval_id, base=base,
                                               base_plus_2=base + 2, base_path=base_path))
    assert message.endswith("`nares ingest --rebuild PATH...` rebuilds the warehouse from the logs")
    assert content_hash(db) == before
    assert not list(db.parent.glob("*.tmp-*"))


def test_verify_passes_on_what_the_tool_writes(loaded):
    samples, db = loaded
    result = runner.invoke(app, ["verify", "--db", str(db)])
    assert (result.exit_code, result.output) == (0, f"{db}: every check holds (6 files, 2 runs, 3 evaluations)\n")


def test_verify_reports_one_line_per_problem_and_unknown_objects(loaded):
    samples, db = loaded
    train, train_id = query(db, f"select path, file_id from files where file_id = {TRAIN}")[0]
    edit(db,
         f"insert into files select * from files where file_id = {train_id}",
         "insert into epochs (run_id, epoch) values (42, 0), (42, 1)",
         f"insert into epochs select * from epochs where run_id = {train_id} and epoch = 0",
         f"insert into run_settings select * from run_settings where run_id = {train_id} and parameter = 'seed'",
         "update files set file_id = 12345 where kind = 'eval' and path like '%AA-Compact%'",
         "create view my_runs as select * from runs",
         "create or replace view check_best_epoch as select 1 as run_id",
         "create macro pct(a, b) as 100.0 * a / b",
         "create table notes (text varchar)",
         "create sequence ids")
    result = runner.invoke(app, ["verify", "--db", str(db)])
    assert result.exit_code == 1
    aa = query(db, "select path from files where file_id = 12345")[0][0]
    assert result.output.splitlines() == [
        f"files: {aa} has file_id 12345, "
        f"the id of its path is {query(db, 'select eval_id from evals where source_path = ?', [aa])[0][0]}",
        f"files: 2 rows for path {train} (one expected)",
        f"files: 2 rows with file_id {train_id} (one expected)",
        f"evals: evaluation log {aa} holds 0 evaluations with its path as source_path (one expected: its last run)",
        f"evals: evaluation {query(db, 'select eval_id from evals where source_path = ?', [aa])[0][0]} has no files row",
        "epochs: 2 rows of run 42, which is not in runs",
        f"epochs: run {train_id} has 1 epochs more than once (one row per epoch expected)",
        f"run_settings: run {train_id} has 1 settings more than once (one row per setting expected)",
        "view check_best_epoch is missing or not as the tool defines it (sql/): `nares ingest` reinstalls it",
        "view my_runs is not one of the tool's views",
        "table notes is not one of the tool's tables",
        "macro pct is not the tool's (it installs no macros)",
        "sequence ids is not the tool's (it creates no sequences)",
    ]


def test_verify_reports_a_table_that_is_not_the_tools(loaded):
    samples, db = loaded
    edit(db, "alter table runs add column note varchar")
    result = runner.invoke(app, ["verify", "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.startswith("table runs has columns run_id BIGINT, ")
    assert "note VARCHAR; the tool's has run_id BIGINT" in result.output


@pytest.mark.slow
def test_a_broken_warehouse_is_refused_and_rebuilt_from_the_logs(loaded, tmp_path):
    """The damage of issue 17 (two files rows per path, runs gone) made every later ingest say
    'unchanged'. Now it stops with one line, and `--rebuild` gives what one ingest of the logs
    gives, keeping the thresholds the user set."""
    samples, db = loaded
    edit(db, "insert into files select * from files",
         "delete from runs where arch_id = 6006",
         "update check_params set value = 0.5 where name = 'best_epoch.early_fraction'")
    result = runner.invoke(app, ["ingest", str(samples), "--db", str(db)])   # nothing changed on disk
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith(f"error: integrity check failed, {db} is unchanged: files: 2 rows for path")
    (samples / "eval" / "arch_2_eval_Linf_Base.log").unlink()                  # something did: a write
    result = runner.invoke(app, ["ingest", str(samples), "--db", str(db)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith(f"error: integrity check failed, {db} is unchanged: files: 2 rows for path")
    (samples / "train" / "arch_2.log").write_text((samples / "train" / "arch_2.log").read_text() + "\n")
    result = runner.invoke(app, ["ingest", "--rebuild", str(samples), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("files seen 5 / loaded 5 / unchanged 0")
    fresh = tmp_path / "fresh.duckdb"
    ingest_paths(fresh, [samples], workers=1)
    edit(fresh, "update check_params set value = 0.5 where name = 'best_epoch.early_fraction'")
    assert content_hash(db) == content_hash(fresh)
    assert runner.invoke(app, ["verify", "--db", str(db)]).exit_code == 0
    assert query(db, "select count(*) from ingests") == [(1,)]


def test_rebuild_drops_the_files_of_folders_not_given(loaded, tmp_path):
    samples, db = loaded
    other = tmp_path / "other"
    other.mkdir()
    (other / "arch_77.log").write_text((samples / "train" / "arch_2.log").read_text() + "\n")
    ingest_paths(db, [other], workers=1)
    assert query(db, "select count(*) from runs") == [(3,)]
    summary = ingest_paths(db, [samples], workers=1, rebuild=True)
    assert (summary.runs, summary.wrote) == (2, True)
    assert query(db, "select count(*) from files where path like ?", [f"{other}%"]) == [(0,)]


@pytest.mark.slow
def test_killed_rebuild_leaves_the_old_file(loaded):
    samples, db = loaded
    before = content_hash(db)
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "pausing_cli.py"), "checked", "ingest", "--rebuild",
                             str(samples), "--db", str(db)], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline() == "paused at checked\n"
    proc.kill()
    proc.wait()
    assert content_hash(db) == before
