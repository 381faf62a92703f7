"""The ingest as a pipeline (warehouse/pipeline.py): its stages run in order, the plan is typed, a
re-ingest of unchanged files plans nothing and writes nothing, and a stage that fails leaves the
warehouse file exactly as it was."""
from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import ingest_into, query
from test_reliability import make_corpus

import ingest.discover as discover_module
import ingest.kinds as kinds
import warehouse.pipeline as pipeline
from ingest.discover import discover
from ingest.errors import UserError
from warehouse.errors import WarehouseError
from warehouse.plan import RecordedFile, file_kinds_value, make_plan, read_recorded
from warehouse.update import ingest_paths

ORDER = ["plan", "parse", "load", "attribute", "derive", "record"]


def file_bytes(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    """3 training logs and their Base evaluations (real format), not ingested yet."""
    logs = tmp_path / "logs"
    make_corpus(logs, 1, 3, epochs=4)
    return logs, tmp_path / "wh.duckdb"


@pytest.fixture
def ingested_corpus(made_once) -> tuple[Path, Path]:
    """`corpus` and its warehouse after one ingest (conftest.py `made_once`)."""
    return made_once("pipeline", lambda folder: ingest_into(folder, lambda logs: make_corpus(logs, 1, 3, epochs=4)))


def recording(monkeypatch, ran: list[str], fail_after: str | None = None) -> None:
    """Replace STAGES by the same stages noting their names in `ran`; `fail_after`: that stage does
    its work, then fails as a database error would."""
    def noted(stage: pipeline.Stage) -> pipeline.Stage:
        def run(state: pipeline.IngestRun) -> None:
            ran.append(stage.name)
            stage.run(state)
            if stage.name == fail_after:
                raise duckdb.IOException(f"injected failure after {stage.name}")
        return dataclasses.replace(stage, run=run)

    monkeypatch.setattr(pipeline, "STAGES", tuple(noted(s) for s in pipeline.STAGES))


def test_stages_are_listed_in_ingest_order():
    assert [s.name for s in pipeline.STAGES] == ORDER


def test_an_ingest_runs_every_stage_in_order_and_a_reingest_only_plans(corpus, monkeypatch):
    logs, db = corpus
    ran: list[str] = []
    recording(monkeypatch, ran)
    first = ingest_paths(db, [logs], workers=1)
    assert ran == ORDER and first.wrote and first.runs == 3 and first.evals == 3
    before = (file_bytes(db), os.stat(db).st_mtime_ns)

    ran.clear()
    again = ingest_paths(db, [logs], workers=1)
    assert ran == ["plan"]  # nothing to read: no parser started, no copy made
    assert not again.wrote and again.unchanged == again.seen == 6 and again.runs == 3
    assert (file_bytes(db), os.stat(db).st_mtime_ns) == before
    assert again.line().endswith("(warehouse unchanged)")


def test_the_plan_is_typed_from_the_files_rows(ingested_corpus):
    """Against no file found, every files row is one the plan looks at (each gone from disk);
    against the files on disk, none is (nothing changed), and no file is to be read."""
    logs, db = ingested_corpus
    rows = {r[0]: r[1:] for r in query(db, "select path, size, mtime_ns, sha256, status, duplicate_of, file_id, kind, "
                                           "parser_version, root from files")}
    gone = read_recorded(db, [])
    assert set(gone.files) == set(rows) and len(rows) == 6 and gone.to_read == set()
    for path, row in rows.items():
        assert isinstance(gone.files[path], RecordedFile)
        assert tuple(gone.files[path]) == row
    found = discover([logs.resolve()])
    recorded = read_recorded(db, found)
    assert recorded.files == {} and recorded.to_read == set()
    assert recorded.file_ids == gone.file_ids == {row[5] for row in rows.values()}
    roots = [str(logs.resolve())]
    unchanged = make_plan(recorded, found, roots, {})
    assert unchanged.to_read == [] and unchanged.removed_ids == []
    assert unchanged.known_ids == {row[5] for row in rows.values()}
    assert sorted(make_plan(gone, found[:-1], roots, {}).removed_ids) == [rows[found[-1].path][5]]


def test_a_plan_reads_again_a_touched_file_and_one_an_older_parser_read(ingested_corpus, tmp_path):
    logs, db = ingested_corpus
    train = str((logs / "arch_1.log").resolve())
    evaluation = str((logs / "arch_2_eval_Linf_Base.log").resolve())
    os.utime(train, ns=(1, 1))  # touched: same bytes, another mtime
    older = tmp_path / "older.duckdb"  # a copy whose evaluation an older parser read
    shutil.copyfile(db, older)
    con = duckdb.connect(str(older))
    con.execute("update files set parser_version = 'an older parser' where path = ?", [evaluation])
    con.close()
    found = discover([logs.resolve()])
    recorded = read_recorded(older, found)
    assert recorded.to_read == {train, evaluation} and set(recorded.files) == {train, evaluation}
    plan = make_plan(recorded, found, [str(logs.resolve())], {})
    assert [f.path for f in plan.to_read] == sorted([train, evaluation])
    # the touched file keeps its rows when its content hash matches; the older parser's are parsed again
    assert plan.known_sha256[train] == recorded.files[train].sha256
    assert evaluation not in plan.known_sha256
    assert read_recorded(db, found).to_read == {train}  # what the warehouse holds is current
    # the ingest (whose warehouse recorded the current parser everywhere) reads the touched file
    # alone, and finds its content unchanged by its hash: no file loaded anew
    summary = ingest_paths(db, [logs], workers=1)
    assert summary.wrote and summary.bytes_read == os.path.getsize(train)
    assert (summary.unchanged, summary.loaded, summary.runs) == (6, 0, 3)


def test_an_ingest_leaves_the_cycle_collector_as_it_found_it(corpus, monkeypatch):
    """The collector is off while an ingest runs (its tuple per file found is never garbage) and
    as it was once the ingest ends, written or failed."""
    import gc

    logs, db = corpus
    enabled: list[bool] = []
    monkeypatch.setattr(pipeline, "STAGES", tuple(
        dataclasses.replace(s, run=lambda run, s=s: (enabled.append(gc.isenabled()), s.run(run))) for s in pipeline.STAGES))
    assert gc.isenabled()
    assert ingest_paths(db, [logs], workers=1).wrote
    assert gc.isenabled() and enabled == [False] * len(ORDER)
    gc.disable()
    try:
        (logs / "arch_2.log").write_text("changed")
        assert ingest_paths(db, [logs], workers=1).wrote
        assert not gc.isenabled()
    finally:
        gc.enable()
    recording(monkeypatch, [], fail_after="load")
    (logs / "arch_1.log").write_text("changed")
    with pytest.raises(WarehouseError):
        ingest_paths(db, [logs], workers=1)
    assert gc.isenabled()


def test_a_plan_decides_provenance_again_only_where_its_inputs_changed(ingested_corpus):
    """A touched file under a root whose sites file and HEAD are as recorded keeps the provenance
    of the row it replaces; a root whose key changed, or a warehouse whose schema is older (its
    provenance columns may be new), has every file decided again."""
    import dataclasses

    from warehouse.migrate import latest_version

    logs, db = ingested_corpus
    train = str((logs / "arch_1.log").resolve())
    os.utime(train, ns=(1, 1))
    found = discover([logs.resolve()])
    recorded = read_recorded(db, found)
    root = str(logs.resolve())
    assert recorded.version == latest_version()
    plan = make_plan(recorded, found, [root], recorded.roots)
    assert (plan.stale_roots, plan.to_attribute) == ([], [])
    assert plan.keep_attribution == [recorded.files[train].file_id]
    moved = make_plan(recorded, found, [root], {root: (None, None, "another head")})
    assert (moved.stale_roots, moved.to_attribute, moved.keep_attribution) == ([root], found, [])
    older = make_plan(dataclasses.replace(recorded, version=latest_version() - 1), found, [root], recorded.roots)
    assert (older.stale_roots, older.to_attribute, older.keep_attribution) == ([root], found, [])


def set_file_kinds(db: Path, key: str) -> None:
    """Make the warehouse say its files rows were classified by `key` (an older tool's classifier)."""
    con = duckdb.connect(str(db))
    con.execute("update meta set value = ? where key = 'file_kinds'", [key])
    con.close()


def recorded_kinds(db: Path) -> list[tuple]:
    last = query(db, "select max(ingest_id) from ingests")[0][0]
    return [(value == file_kinds_value(last),) for (value,) in
            query(db, "select value from meta where key = 'file_kinds'")]


def counting_classify(monkeypatch) -> list[str]:
    """The names classified from now on (FoundFile.kind asks `classify`, here without its cache)."""
    asked: list[str] = []
    classify = kinds.classify.__wrapped__

    def counted(name: str):
        asked.append(name)
        return classify(name)

    monkeypatch.setattr(discover_module, "classify", counted)
    return asked


def test_a_plan_classifies_only_the_files_it_reads_while_the_kinds_are_the_same(ingested_corpus, tmp_path, monkeypatch):
    """An ingest records the key of the classification its rows were made by; while it is this
    tool's, a file's recorded kind is its kind now and an unchanged file is not classified. The
    rows of a warehouse that another classification wrote, or that a tool not knowing the key
    wrote to since, are compared with their files' kinds now: a name whose kind changed is read again."""
    logs, db = ingested_corpus
    assert recorded_kinds(db) == [(True,)]
    train = str((logs / "arch_1.log").resolve())
    os.utime(train, ns=(1, 1))
    asked = counting_classify(monkeypatch)
    found = discover([logs.resolve()])
    plan = make_plan(read_recorded(db, found), found, [str(logs.resolve())], {})
    assert [f.path for f in plan.to_read] == [train] and asked == []
    assert [f.kind.kind for f in plan.to_read] == ["train"] and asked == ["arch_1.log"]

    evaluation = str((logs / "arch_2_eval_Linf_Base.log").resolve())
    older = tmp_path / "older.duckdb"  # as a classification that took the evaluation for another kind wrote it
    shutil.copyfile(db, older)
    con = duckdb.connect(str(older))
    con.execute("update files set kind = 'other', parser_version = null where path = ?", [evaluation])
    con.execute("update files set mtime_ns = 1 where path = ?", [train])  # the touched file as found
    con.close()
    asked.clear()
    assert read_recorded(older, found).to_read == set()  # its key says the rows' kinds are current: trusted
    assert asked == []
    con = duckdb.connect(str(older))  # a write by a tool that does not know the key: it leaves it
    con.execute("insert into ingests select ingest_id + 1, * exclude (ingest_id) from ingests "
                "where ingest_id = (select max(ingest_id) from ingests)")
    con.close()
    assert read_recorded(older, found).to_read == {evaluation}
    assert sorted(asked) == sorted(f.name for f in found)
    asked.clear()
    shutil.copyfile(db, older)
    con = duckdb.connect(str(older))
    con.execute("update files set kind = 'other', parser_version = null where path = ?", [evaluation])
    con.close()
    set_file_kinds(older, "another classification")
    assert read_recorded(older, found).to_read == {evaluation, train}
    assert sorted(asked) == sorted(f.name for f in found)


@pytest.mark.slow
def test_the_kinds_key_is_recorded_only_when_every_row_was_classified_by_it(tmp_path):
    """Rows under a root the ingest was not given keep the kinds an earlier classification gave
    them: the key is then dropped, and recorded again by an ingest that classified every row."""
    first, second, db = tmp_path / "first", tmp_path / "second", tmp_path / "wh.duckdb"
    make_corpus(first, 1, 2, epochs=2)
    make_corpus(second, 3, 1, epochs=2)
    ingest_paths(db, [first, second], workers=1)
    set_file_kinds(db, "another classification")
    make_corpus(first, 10, 1, epochs=2)
    assert ingest_paths(db, [first], workers=1).wrote
    assert recorded_kinds(db) == []
    make_corpus(first, 11, 1, epochs=2)
    assert ingest_paths(db, [first], workers=1).wrote  # the rows of `second` are still not classified
    assert recorded_kinds(db) == []
    make_corpus(second, 12, 1, epochs=2)
    assert ingest_paths(db, [first, second], workers=1).wrote
    assert recorded_kinds(db) == [(True,)]


@pytest.mark.parametrize("stage", ORDER[1:])
def test_a_failed_stage_leaves_the_warehouse_unchanged(ingested_corpus, monkeypatch, stage):
    logs, db = ingested_corpus
    before = (file_bytes(db), os.stat(db).st_ino)
    beside = sorted(p.name for p in db.parent.iterdir())  # the warehouse, its lock file, the logs
    make_corpus(logs / "more", 10, 2, epochs=4)  # something to write
    ran: list[str] = []
    recording(monkeypatch, ran, fail_after=stage)
    with pytest.raises(WarehouseError) as info:
        ingest_paths(db, [logs], workers=1)
    assert isinstance(info.value, UserError)
    assert str(info.value) == f"ingest failed, {db} is unchanged: injected failure after {stage}"
    assert ran == ORDER[:ORDER.index(stage) + 1]  # no later stage ran
    assert (file_bytes(db), os.stat(db).st_ino) == before
    assert sorted(p.name for p in db.parent.iterdir()) == beside  # no copy left behind
    monkeypatch.undo()
    assert ingest_paths(db, [logs], workers=1).runs == 5  # the next ingest loads what failed
