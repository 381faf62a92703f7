"""Write a new version of the warehouse beside the old one and swap it in atomically.

DuckDB lets one process write a file or many read it, never both; and an ingest killed halfway must
not leave a half-written warehouse. So every write happens on a copy (`<db>.tmp-<pid>`) and, only
once it is complete and closed, `os.replace` puts it in place. Readers that opened the old file keep
reading it; new readers see the new one. A lock file (`<db>.lock`) keeps two writers apart; a
writer reads what the warehouse holds only once it has the lock (warehouse/pipeline.py).

    with write_lock(db, wait=None) as target:      # stops at once when another writer has it
        warnings = clean_stale(target)             # copies and spill folders of killed writers
        with new_version(target) as tmp:           # the copy; replaces `target` when the block ends
            ...

`target` is the file the write replaces: `db` itself, or the file a symlinked `db` points at (the
link stays a link). The new version keeps the old file's permission bits. SIGTERM (like Ctrl-C)
during a write unwinds it: the copy is removed and the old file stays as it was.
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import stat
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from warehouse.connect import check_duckdb_file
from warehouse.errors import WarehouseError
from warehouse.points import reached

POLL_SECONDS = 0.1
"""How often a waiting writer (`ingest --wait`) tries the lock again."""


class Terminated(BaseException):
    """SIGTERM arrived during a write. Raised like KeyboardInterrupt (which SIGINT raises) so that
    every `finally` runs: the copy is removed, parser processes are stopped, the old file stays."""


def warehouse_target(db: Path) -> Path:
    """The file a write of `db` replaces: `db`, or what it points at when it is a symbolic link."""
    return Path(os.path.realpath(db))


def lock_path(target: Path) -> Path:
    return target.with_name(target.name + ".lock")


def _copy_path(target: Path) -> Path:
    return target.with_name(f"{target.name}.tmp-{os.getpid()}")


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


# POSIX record locks belong to a process, not a thread, and closing any descriptor of the lock file
# drops the process' lock. So writers in threads of one process are kept apart here, and the lock
# file is opened only by a thread that will hold it.
_held: dict[str, object] = {}
_held_guard = threading.Lock()


def _try_lock(path: Path) -> bool:
    key = str(path)
    with _held_guard:
        if key in _held:
            return False
        try:
            handle = open(path, "a+")
        except OSError as exc:
            raise WarehouseError(
                f"cannot write in {path.parent} ({exc.strerror or exc}): the warehouse's folder must be "
                "writable, its lock file and new versions are written there"
            ) from None
        try:
            # lockf, not flock: parser processes forked while it is held do not keep it alive
            fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        _held[key] = handle
        return True


def _unlock(path: Path) -> None:
    with _held_guard:
        handle = _held.pop(str(path), None)
        if handle is not None:
            handle.close()


def _acquire(db: Path, target: Path, wait: float | None, on_wait: Callable[[str], None] | None) -> None:
    """Take the lock now, or (with `wait` seconds, `inf` for no limit) as soon as it is free."""
    path = lock_path(target)
    deadline = None if wait is None else time.monotonic() + wait
    said = False
    while not _try_lock(path):
        if deadline is None:
            raise WarehouseError(
                f"another ingest is writing {db} (lock {path}); wait for it to finish, or pass --wait"
            )
        if time.monotonic() >= deadline:
            raise WarehouseError(f"another ingest is still writing {db} (lock {path}) after {wait:g} s of waiting")
        if not said and on_wait is not None:
            on_wait(f"another ingest is writing {db}: waiting for it to finish")
            said = True
        reached("lock_busy", target)
        time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))


@contextmanager
def _signals_unwind() -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated (once) instead of ending the process at once.

    Only the main thread receives signals; elsewhere (a writer in a thread) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []

    def terminate(signum, frame):
        if not fired:
            fired.append(signum)
            raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def write_lock(db: Path, wait: float | None = None,
               on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the warehouse's writer lock for a block; yield the file the write replaces.

    With `wait=None` a second writer stops at once with one line; with a number of seconds (`inf`:
    no limit) it says so through `on_wait`, then waits its turn.
    """
    target = warehouse_target(Path(db))
    if not target.parent.is_dir():
        raise WarehouseError(f"folder {target.parent} of the database does not exist")
    check_duckdb_file(target)
    with _signals_unwind():
        _acquire(Path(db), target, wait, on_wait)
        try:
            reached("locked", target)
            yield target
        finally:
            _unlock(lock_path(target))


def file_identity(target: Path) -> tuple:
    """What tells one version of the file (and its WAL) from another: inode, size and mtime (not
    ctime: the hard link of `snapshot` changes it). A writer compares it before planning and after
    copying."""
    out = []
    for path in (target, target.with_name(target.name + ".wal")):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


@contextmanager
def snapshot(target: Path) -> Iterator[Path | None]:
    """A private name for the current version of `target` (a hard link, or a copy where links are
    impossible), for the block; None when there is no file yet. Call it holding the lock.

    Why not open `target` itself: DuckDB shares one open database between the connections of a
    process that name the same path, so while any connection of this process (a reader, a test)
    still holds the version that an ingest since replaced, opening `target` again returns that old
    version, and a plan made from it would be applied to the new one. A name nobody else opened
    always shows the file as it is.
    """
    if not target.exists():
        yield None
        return
    link = target.with_name(f"{target.name}.tmp-{os.getpid()}.plan")
    _discard(link)
    try:
        try:
            os.link(target, link)
        except OSError:
            shutil.copyfile(target, link)
        wal = target.with_name(target.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, link.with_name(link.name + ".wal"))
        yield link
    finally:
        _discard(link)


def clean_stale(target: Path) -> list[str]:
    """Remove what killed writers left beside `target`: copies (`<db>.tmp-<pid>`), their WAL files
    and DuckDB's spill folders (`<db>.tmp-<pid>.tmp/`). Call it holding the lock: nobody else
    writes them then. A leftover that cannot be removed gives a warning, never a failure."""
    warnings = []
    for stale in sorted(target.parent.glob(target.name + ".tmp-*")):
        try:
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale)
            else:
                stale.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            warnings.append(f"cannot remove {stale}, left by an earlier ingest: {exc.strerror or exc}")
    return warnings


def _discard(tmp: Path) -> None:
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        _remove(leftover)
    shutil.rmtree(tmp.with_name(tmp.name + ".tmp"), ignore_errors=True)  # DuckDB's spill folder


@contextmanager
def new_version(target: Path, fresh: bool = False) -> Iterator[Path]:
    """Yield the path of a private copy of `target` to write (an empty path with `fresh`); when the
    block ends without error the copy replaces `target` atomically, with `target`'s permission bits.

    Call it holding the lock (`write_lock`). On any error, kill or signal the copy is discarded
    and `target` is untouched.
    """
    check_duckdb_file(target)
    tmp = _copy_path(target)
    mode = stat.S_IMODE(os.stat(target).st_mode) if target.exists() else None
    flush = None
    try:
        try:
            if target.exists() and not fresh:
                shutil.copyfile(target, tmp)
                wal = target.with_name(target.name + ".wal")
                if wal.exists():
                    shutil.copyfile(wal, tmp.with_name(tmp.name + ".wal"))
                flush = _EarlyFlush(tmp)
            reached("copied", target)
            yield tmp
            if mode is not None:
                os.chmod(tmp, mode)
            if flush is not None:
                flush.wait()
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise WarehouseError(f"disk full while writing {tmp}; {target} is unchanged") from None
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise WarehouseError(f"cannot write {tmp} ({exc.strerror}); {target} is unchanged") from None
            raise
        reached("swapped", target)
    finally:
        if flush is not None:
            flush.thread.join()
        _discard(tmp)


class _EarlyFlush:
    """The copy's pages written to disk in a thread, started as soon as it is made (os.fsync
    releases the GIL): the fsync before the swap then writes only what the ingest changed. At full
    scale, the copy and its fsync took 0.2-0.3 s of a re-ingest of a few changed logs. `wait`
    raises what the flush raised (a full disk)."""

    def __init__(self, path: Path) -> None:
        self.error: OSError | None = None
        self.thread = threading.Thread(target=self._flush, args=(path,), name="early-flush", daemon=True)
        self.thread.start()

    def _flush(self, path: Path) -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            self.error = exc

    def wait(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


@contextmanager
def writable_copy(db: Path, wait: float | None = None) -> Iterator[Path]:
    """Lock, clean up after killed writers, and yield a copy of `db` that replaces it on success."""
    with write_lock(db, wait) as target:
        clean_stale(target)
        with new_version(target) as tmp:
            yield tmp
