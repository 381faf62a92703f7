"""Reliability of the warehouse file: killed ingests, readers during an ingest, two writers, full disks."""
from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
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
            "select (select count(*) from files), (select count(*) from runs), "
            "(select count(*) from epochs), (select count(*) from evals)"
        ).fetchone())
    finally:
        con.close()


def grown_corpus(tmp_path: Path, first: int, more: int, epochs: int = 60):
    """A warehouse of `first` runs (state A) and a corpus grown by `more` runs (state B, not ingested yet)."""
    logs = tmp_path / "logs"
    db = tmp_path / "wh.duckdb"
    make_corpus(logs / "a", 1, first, epochs)
    ingest_paths(db, [logs], workers=1)
    state_a = counts(db)
    make_corpus(logs / "b", 1000, more, epochs)
    reference = tmp_path / "reference.duckdb"
    shutil.copy(db, reference)
    ingest_paths(reference, [logs], workers=2)
    return logs, db, state_a, counts(reference)


@pytest.fixture
def grown(tmp_path: Path):
    """20 runs ingested, 200 more on disk: ingests that take a while (for kills at random times)."""
    return grown_corpus(tmp_path, 20, 200)


@pytest.fixture
def small(made_once):
    """4 runs ingested, 8 more on disk: for tests that stop a writer at a named point (made once
    per test process, conftest.py `made_once`)."""
    return made_once("small", lambda folder: grown_corpus(folder, 4, 8, epochs=5))


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


PAUSING_CLI = [sys.executable, str(ROOT / "tests" / "pausing_cli.py")]


def paused(point: str, *args: str) -> subprocess.Popen:
    """A real `cli.py` process held at a named point of its write (tests/pausing_cli.py): returns
    once it says it is there, so what the test does next happens at exactly that point."""
    proc = subprocess.Popen([*PAUSING_CLI, point, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert line == f"paused at {point}\n", line + proc.stderr.read()
    return proc


@pytest.mark.slow
def test_second_writer_stops_with_a_clear_message(small):
    logs, db, state_a, state_b = small
    first = paused("planned", "ingest", str(logs), "--db", str(db), "--workers", "1")
    second = subprocess.run([*CLI, "ingest", str(logs), "--db", str(db)], capture_output=True, text=True)
    out, err = first.communicate("go\n")
    assert first.returncode == 0, err
    assert second.returncode == 1
    assert second.stderr.startswith(f"error: another ingest is writing {db}") and second.stderr.count("\n") == 1
    assert counts(db) == state_b


@pytest.mark.slow
def test_second_writer_with_wait_waits_its_turn_and_plans_afresh(small):
    logs, db, state_a, state_b = small
    first = paused("checked", "ingest", str(logs), "--db", str(db), "--workers", "1")
    second = subprocess.Popen([*CLI, "ingest", "--wait", str(logs), "--db", str(db)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert second.stderr.readline() == f"note: another ingest is writing {db}: waiting for it to finish\n"
    first.communicate("go\n")
    out, err = second.communicate()
    assert (first.returncode, second.returncode) == (0, 0), err
    assert "loaded 0" in out and out.endswith("(warehouse unchanged)\n")   # planned from the first's result
    assert counts(db) == state_b


@pytest.mark.slow
def test_wait_takes_a_number_of_seconds_among_the_paths(small):
    logs, db, state_a, state_b = small
    first = paused("planned", "ingest", str(logs), "--db", str(db), "--workers", "1")
    second = subprocess.run([*CLI, "ingest", "--wait", "0", str(logs), "--db", str(db)], capture_output=True, text=True)
    first.communicate("go\n")
    assert second.returncode == 1
    assert second.stderr == f"error: another ingest is still writing {db} (lock {db}.lock) after 0 s of waiting\n"
    third = subprocess.run([*CLI, "ingest", str(logs), "--wait", "30", "--db", str(db)], capture_output=True, text=True)
    assert (third.returncode, third.stderr) == (0, "") and third.stdout.endswith("(warehouse unchanged)\n")
    assert counts(db) == state_b


@pytest.mark.parametrize("point", [pytest.param("locked", marks=pytest.mark.slow),
                                   pytest.param("planned", marks=pytest.mark.slow), "copied",
                                   pytest.param("checked", marks=pytest.mark.slow)])
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_an_ingest_leaves_no_copy_and_the_old_file(small, point, sig, code):
    logs, db, state_a, state_b = small
    before = db.read_bytes()
    proc = paused(point, "ingest", str(logs), "--db", str(db), "--workers", "2")
    proc.send_signal(sig)
    out, err = proc.communicate()
    assert proc.returncode == code
    assert err == f"error: ingest interrupted, {db} is unchanged\n"
    assert db.read_bytes() == before
    assert [p.name for p in db.parent.iterdir() if ".tmp-" in p.name] == []


@pytest.mark.slow
@pytest.mark.parametrize("point", [pytest.param("locked", marks=pytest.mark.slow), "planned",
                                   pytest.param("copied", marks=pytest.mark.slow), "checked", "swapped"])
def test_killed_at_each_point_leaves_old_or_new_state(small, point):
    logs, db, state_a, state_b = small
    proc = paused(point, "ingest", str(logs), "--db", str(db), "--workers", "2")
    proc.kill()
    proc.wait()
    assert counts(db) == (state_b if point == "swapped" else state_a)
    result = subprocess.run([*CLI, "ingest", str(logs), "--db", str(db)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert counts(db) == state_b
    assert not list(db.parent.glob("*.tmp-*"))


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


def test_full_disk_met_by_the_early_flush_of_the_copy_leaves_the_file(grown, monkeypatch):
    """The copy's pages are flushed in a thread while the ingest runs (warehouse/swap.py
    `_EarlyFlush`): its failure is the ingest's, one line, and the warehouse stays as it was."""
    logs, db, state_a, state_b = grown
    before = db.read_bytes()
    import warehouse.swap as swap

    real = swap.os.fsync

    def no_space_in_the_flush(fd):
        if threading.current_thread().name == "early-flush":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(swap.os, "fsync", no_space_in_the_flush)
    with pytest.raises(WarehouseError, match="disk full"):
        ingest_paths(db, [logs], workers=1)
    assert db.read_bytes() == before
    assert not list(db.parent.glob("*.tmp-*"))
    assert not [t for t in threading.enumerate() if t.name == "early-flush"]


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


@pytest.mark.slow
def test_stale_copies_and_spill_folders_are_cleaned_and_never_fail_an_ingest(small):
    """What a killed writer leaves: its copy, the copy's WAL and DuckDB's spill folder beside it."""
    logs, db, state_a, state_b = small
    spill = db.with_name(db.name + ".tmp-99999.tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"x" * 4096)
    db.with_name(db.name + ".tmp-99999").write_bytes(b"half a copy")
    db.with_name(db.name + ".tmp-99999.wal").write_bytes(b"its wal")
    result = subprocess.run([*CLI, "ingest", str(logs), "--db", str(db)], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")
    assert counts(db) == state_b
    assert not list(db.parent.glob("*.tmp-*"))


def test_new_version_keeps_the_file_mode(small):
    logs, db, state_a, state_b = small
    os.chmod(db, 0o600)
    ingest_paths(db, [logs], workers=1)
    assert counts(db) == state_b
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


@pytest.mark.slow
def test_symlinked_db_stays_a_link_to_the_new_version(small, tmp_path):
    logs, db, state_a, state_b = small
    elsewhere = tmp_path / "links"
    elsewhere.mkdir()
    link = elsewhere / "current.duckdb"
    link.symlink_to(db)
    result = subprocess.run([*CLI, "ingest", str(logs), "--db", str(link)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.resolve() == db.resolve()
    assert counts(db) == state_b
    assert sorted(p.name for p in elsewhere.iterdir()) == ["current.duckdb"]  # nothing written beside the link


def _make_read_only(folder: Path) -> bool:
    """chmod a folder read-only (root ignores that: then the immutable attribute); True when it is."""
    os.chmod(folder, 0o555)
    probe = folder / ".probe"
    try:
        probe.write_text("")
    except OSError:
        return True
    probe.unlink()
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        return True
    return False


def _make_writable(folder: Path) -> None:
    if shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    os.chmod(folder, 0o755)


def test_read_only_db_folder_gives_one_line(small, tmp_path):
    logs, db, state_a, state_b = small
    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(db, folder / "wh.duckdb")
    if not _make_read_only(folder):
        pytest.skip("cannot make a folder read-only here (neither chmod nor chattr)")
    try:
        result = subprocess.run([*CLI, "ingest", str(logs), "--db", str(folder / "wh.duckdb")], capture_output=True, text=True)
        assert result.returncode == 1
        assert result.stderr.startswith(f"error: cannot write in {folder}") and result.stderr.count("\n") == 1
        assert result.stdout == ""
    finally:
        _make_writable(folder)
    assert counts(folder / "wh.duckdb") == state_a
