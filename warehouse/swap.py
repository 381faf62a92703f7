"""Write a new version of the warehouse beside the old one and swap it in atomically.

DuckDB lets one process write a file or many read it, never both; and an ingest killed halfway must
not leave a half-written warehouse. So every write happens on a copy (`<db>.tmp-<pid>`) and, only
once it is complete and closed, `os.replace` puts it in place. Readers that opened the old file keep
reading it; new readers see the new one. A lock file keeps two writers apart.
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from warehouse.connect import check_duckdb_file
from warehouse.errors import WarehouseError


def _lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def write_lock(db: Path) -> Iterator[None]:
    """Hold the warehouse's writer lock; a second writer stops with a clear message.

    A POSIX record lock (`lockf`), not `flock`: it belongs to this process alone, so parser
    processes forked while it is held do not keep it alive after this process is killed.
    """
    lock = open(_lock_path(db), "a+")
    try:
        try:
            fcntl.lockf(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise WarehouseError(
                    f"another ingest is writing {db} (lock {_lock_path(db)}); wait for it to finish"
                ) from None
            raise
        yield
    finally:
        lock.close()


@contextmanager
def writable_copy(db: Path) -> Iterator[Path]:
    """Yield the path of a private copy of `db` to write; on success it replaces `db` atomically.

    On any error (or a kill) the copy is discarded and `db` is untouched.
    """
    db = Path(db)
    folder = db.parent
    if not folder.is_dir():
        raise WarehouseError(f"folder {folder} of the database does not exist")
    check_duckdb_file(db)
    with write_lock(db):
        for stale in folder.glob(db.name + ".tmp-*"):
            _remove(stale)  # left by a killed writer: we hold the lock, nobody else writes them
        tmp = db.with_name(f"{db.name}.tmp-{os.getpid()}")
        try:
            if db.exists():
                shutil.copyfile(db, tmp)
                wal = db.with_name(db.name + ".wal")
                if wal.exists():
                    shutil.copyfile(wal, tmp.with_name(tmp.name + ".wal"))
            yield tmp
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, db)
            _fsync_dir(folder)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise WarehouseError(f"disk full while writing {tmp}; {db} is unchanged") from None
            raise
        finally:
            _remove(tmp)
            _remove(tmp.with_name(tmp.name + ".wal"))
