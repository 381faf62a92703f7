"""Reliability of the warehouse file: killed ingests, readers during an ingest, two writers, full disks."""
from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import BASE_LINF, ROOT, TRAIN_LOG
from warehouse.errors import WarehouseError
from warehouse.update import ingest_paths

CLI = [sys.executable, str(ROOT / "cli.py")]


def make_corpus(folder: Path, first: int, count: int, epochs: int = 60) -> None:
    """`count` distinct training logs (each with `epochs` epochs) and their Base evaluations."""
    text = TRAIN_LOG.read_text()
    head = text[: text.index("2026-11-23 19:06:24,094 ====")]
    block = text[text.index("2026-11-23 19:06:24,094 ===="): text.index("2026-11-23 19:06:42,158 ====")]
    body = "".join(block.replace("Epoch 0", f"Epoch {e}").replace("epoch=0", f"epoch={e}") for e in range(epochs))
    evaluation = BASE_LINF.read_text()
    folder.mkdir(parents=True, exist_ok=True)
    for arch in range(first, first + count):
        (folder / f"arch_{arch}.log").write_text(
            head.replace("arch_2", f"arch_{arch}") + body + "2026-11-23 19:07:30,168 Running Cost 0.00 Days\n")
        (folder / f"arch_{arch}_eval_Linf_Base.log").write_text(evaluation.replace("arch_2", f"arch_{arch}"))


def counts(db: Path) -> tuple[int, int, int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(
            "select (select count(*) from files), (select count(*) from runs), (select count(*) from epochs), (select count(*) from evals)"
        ).fetchone())
    finally:
        con.close()


@pytest.fixture
def grown(tmp_path: Path):
    """A warehouse of 20 runs (state A) and a corpus grown to 220 runs (state B, not ingested yet)."""
    logs = tmp_path / "logs"
    db = tmp_path / "wh.duckdb"
    make_corpus(logs / "a", 1, 20)
    ingest_paths(db, [logs], workers=1)
    state_a = counts(db)
    make_corpus(logs / "b", 1000, 200)
    reference = tmp_path / "reference.duckdb"
    shutil.copy(db, reference)
    ingest_paths(reference, [logs], workers=2)
    return logs, db, state_a, counts(reference)


@pytest.mark.slow
def test_killed_ingest_leaves_old_or_new_state(grown):
    logs, db, state_a, state_b = grown
    delays = [0.05, 0.2, 0.4, 0.6, 0.8, 1.0, 1.3, 1.7, 2.2]
    seen = set()
    for delay in delays:
        proc = subprocess.Popen([*CLI, "ingest", str(logs), "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = counts(db)
        assert state in (state_a, state_b), (delay, state)
        seen.add(state)
        if state == state_b:
            break
    assert state_a in seen  # at least one kill landed before the swap
    result = subprocess.run([*CLI, "ingest", str(logs), "--db", str(db)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert counts(db) == state_b
    assert not list(db.parent.glob("*.tmp-*"))


@pytest.mark.slow
def test_readers_are_never_refused_during_an_ingest(grown):
    logs, db, state_a, state_b = grown
    cli = shutil.which("duckdb", path=os.path.dirname(sys.executable)) or shutil.which("duckdb")
    assert cli, "the duckdb CLI (pip package duckdb-cli) is needed"
    proc = subprocess.Popen([*CLI, "ingest", str(logs), "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = []
    while proc.poll() is None or not seen:
        seen.append(counts(db))
        shell = subprocess.run([cli, "-readonly", "-csv", "-noheader", str(db), "select count(*) from runs"],
                               capture_output=True, text=True)
        assert shell.returncode == 0, shell.stderr
        assert int(shell.stdout.strip()) in (state_a[1], state_b[1])
    assert proc.wait() == 0
    assert set(seen) <= {state_a, state_b}
    assert counts(db) == state_b


@pytest.mark.slow
def test_second_writer_stops_with_a_clear_message(grown):
    logs, db, state_a, state_b = grown
    first = subprocess.Popen([*CLI, "ingest", str(logs), "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    second = subprocess.run([*CLI, "ingest", str(logs), "--db", str(db)], capture_output=True, text=True)
    out, err = first.communicate()
    assert first.returncode == 0, err
    if second.returncode != 0:
        assert second.stderr.startswith("error: another ingest is writing")
        assert second.stderr.count("\n") == 1
    assert counts(db) == state_b


def test_full_disk_while_copying_leaves_the_file(grown, monkeypatch):
    logs, db, state_a, state_b = grown
    before = db.read_bytes()
    import warehouse.swap as swap

    def no_space(src, dst):
        Path(dst).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(swap.shutil, "copyfile", no_space)
    with pytest.raises(WarehouseError, match="disk full"):
        ingest_paths(db, [logs], workers=1)
    assert db.read_bytes() == before
    assert not list(db.parent.glob("*.tmp-*"))


def test_corrupt_database_is_refused_untouched(tmp_path):
    make_corpus(tmp_path / "logs", 1, 2, epochs=3)
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [tmp_path / "logs"], workers=1)
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xff" * 4096   # damage the database header blocks
    db.write_bytes(bytes(data))
    with pytest.raises(WarehouseError):
        ingest_paths(db, [tmp_path / "logs"], workers=1)
    assert db.read_bytes() == bytes(data)
