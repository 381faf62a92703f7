"""Bulk loading (warehouse/load.py): the Arrow tables read from the real sample logs go into the
warehouse whole; a changed file replaces exactly its own rows, a vanished one takes exactly its
own rows (and its runs' epochs and settings) with it, an unchanged one keeps its rows; parsed
chunks are gathered into loads of LOAD_INPUT_BYTES, whatever their column types per chunk."""
from __future__ import annotations

import os

import pytest

import warehouse.load as load
from ingest.discover import discover
from ingest.ids import file_id
from ingest.read import read_batch
from warehouse.connect import connect
from warehouse.load import delete_file_rows, load_batch, load_parsed, registered
from warehouse.migrate import migrate

DATA = ("files", "runs", "epochs", "run_settings", "evals", "corruptions")


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    migrate(con, tmp_path / "w.duckdb")
    yield con
    con.close()


def counts(con) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in DATA}


def rows(con, sql: str) -> list[tuple]:
    return sorted(map(repr, con.execute(sql).fetchall()))


def parsed_counts(tables) -> dict[str, int]:
    return {t: tables[t].num_rows if t in tables else 0 for t in DATA}


def test_a_batch_loads_every_parsed_row_with_its_ingest(con, samples):
    tables = read_batch(discover([samples])).tables()
    load_batch(con, tables, ingest_id=7)
    assert counts(con) == parsed_counts(tables)
    assert counts(con)["runs"] == 2 and counts(con)["epochs"] > 0 and counts(con)["evals"] == 3
    assert con.execute("select distinct ingest_id, ingested_at is not null from files").fetchall() == [(7, True)]


def test_a_changed_file_replaces_exactly_its_own_rows(con, samples):
    files = discover([samples])
    load_batch(con, read_batch(files).tables(), ingest_id=1)
    train = samples / "train" / "arch_2.log"
    other_files = rows(con, f"select * from files where path <> '{train}'")
    other_runs = rows(con, f"select * from runs where file_id <> {file_id(str(train))}")
    evals = rows(con, "select * from evals")
    n_epochs = con.execute("select count(*) from epochs where run_id in "
                           f"(select run_id from runs where file_id = {file_id(str(train))})").fetchall()[0][0]
    assert other_files and other_runs and evals and n_epochs
    train.write_text(train.read_text() + "\n")
    changed = [f for f in discover([samples]) if f.path == str(train)]
    load_batch(con, read_batch(changed).tables(), ingest_id=2, known_ids={file_id(f.path) for f in files})
    assert con.execute("select count(*) from runs where arch_id = 2").fetchall()[0] == (1,)
    assert con.execute("select count(*) from epochs where run_id in "
                       f"(select run_id from runs where file_id = {file_id(str(train))})").fetchall()[0] == (n_epochs,)
    assert rows(con, f"select * from runs where file_id <> {file_id(str(train))}") == other_runs
    assert rows(con, "select * from evals") == evals
    assert rows(con, f"select * from files where path <> '{train}'") == other_files
    assert con.execute("select path, ingest_id from files where ingest_id = 2").fetchall() == [(str(train), 2)]
    assert con.execute("select count(*) from files").fetchall()[0] == (len(files),)


def test_an_unchanged_file_keeps_its_rows_and_gets_its_new_size_and_mtime(con, samples):
    files = discover([samples])
    load_batch(con, read_batch(files).tables(), ingest_id=1)
    train = samples / "train" / "arch_2.log"
    known = {str(train): con.execute("select sha256 from files where path = ?", [str(train)]).fetchall()[0][0]}
    runs = rows(con, "select * from runs")
    os.utime(train, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    again = [f for f in discover([samples]) if f.path == str(train)]
    tables = read_batch(again, known).tables()
    assert tables["files"].column("status").to_pylist() == ["unchanged"]
    load_batch(con, tables, ingest_id=2, known_ids={file_id(f.path) for f in files})
    assert (con.execute("select mtime_ns, ingest_id from files where path = ?", [str(train)]).fetchall()[0]
            == (1_700_000_000_000_000_000, 1))
    assert rows(con, "select * from runs") == runs


def test_deleting_a_files_rows_takes_its_runs_epochs_and_settings_only(con, samples):
    files = discover([samples])
    load_batch(con, read_batch(files).tables(), ingest_id=1)
    train = file_id(str(samples / "train" / "arch_2.log"))
    run_ids = [r[0] for r in con.execute("select run_id from runs where file_id = ?", [train]).fetchall()]
    assert con.execute("select count(*) from run_settings where run_id in (select unnest(?))", [run_ids]).fetchall()[0][0] > 0
    rest = {t: rows(con, f"select * from {t}") for t in ("evals", "corruptions")}
    other_runs = con.execute("select count(*) from runs where file_id <> ?", [train]).fetchall()[0][0]
    delete_file_rows(con, [train])
    for table in ("epochs", "run_settings"):
        assert con.execute(f"select count(*) from {table} where run_id in (select unnest(?))",
                           [run_ids]).fetchall()[0] == (0,), table
    assert con.execute("select count(*) from runs").fetchall()[0] == (other_runs,) and other_runs > 0
    assert {t: rows(con, f"select * from {t}") for t in rest} == rest
    assert con.execute("select count(*) from files where file_id = ?", [train]).fetchall()[0] == (1,)
    delete_file_rows(con, [train], drop_files=True)
    assert con.execute("select count(*) from files where file_id = ?", [train]).fetchall()[0] == (0,)


@pytest.mark.parametrize("budget, loads", [(1, 6), (load.LOAD_INPUT_BYTES, 1)])
def test_parsed_chunks_are_loaded_in_loads_of_the_input_budget(con, samples, monkeypatch, budget, loads):
    """One chunk per sample file: with a budget of one byte each chunk is a load of its own; with the
    real budget all six are one load, whose tables join chunks where a column is typed in one file
    and all NULL in another (an L2 evaluation has no FGSM accuracy)."""
    files = discover([samples])
    chunks = []
    for found in files:
        batch = read_batch([found])
        chunks.append((batch.tables(), 1, batch.bytes_read))
    expected = {t: sum(c[0][t].num_rows for c in chunks if t in c[0]) for t in DATA}
    calls, seen = [], []
    real = load.load_batch
    monkeypatch.setattr(load, "LOAD_INPUT_BYTES", budget)
    monkeypatch.setattr(load, "load_batch", lambda *args, **kw: (calls.append(args[1]), real(*args, **kw)))
    con.execute("begin transaction")
    load_parsed(con, iter(chunks), ingest_id=3, known_ids=set(), on_chunk=lambda tables, n, nbytes: seen.append((n, nbytes)))
    con.execute("commit")
    assert len(calls) == loads == len([c for c in calls if c])
    assert seen == [(1, c[2]) for c in chunks] and sum(n for _, n in seen) == sum(f.size for f in files)
    assert counts(con) == expected
    assert con.execute("select count(*) from evals "
                       "where norm = 'Linf' and attack = 'Base' and fgsm_acc is not null").fetchall()[0] == (1,)
    assert con.execute("select count(*) from evals where norm = 'L2' and fgsm_acc is null").fetchall()[0] == (1,)


def test_a_registered_table_is_unregistered_and_the_block_error_kept(con):
    import pyarrow as pa

    with pytest.raises(ZeroDivisionError):
        with registered(con, "_t", pa.table({"a": [1, 2]})):
            assert con.execute("select sum(a) from _t").fetchall()[0] == (3,)
            _ = 1 / 0  # fail inside the block: the table must still be unregistered on the way out
    with pytest.raises(Exception, match="_t"):
        con.execute("select * from _t")
