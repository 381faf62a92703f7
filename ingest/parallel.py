"""Parse the files of an ingest in chunks, in forked parser processes, and hand back Arrow tables.

The parsers depend on nothing the ingesting process does after it forked them:

- each takes the next chunk number from a shared counter (the chunks themselves are in its copy of
  the forking process' memory, `_FORKED_CHUNKS`);
- each writes a chunk's tables as Arrow IPC streams into an anonymous file (`memfd`, or an unlinked
  temporary file where there is none) and passes its descriptor over its own socket; the ingesting
  process maps that file and reads the tables in place, with no copy and no unpickling.

A parser process never fails for what a file holds: each file is read within its budgets (time:
`ingest.read.FILE_SECONDS`, a timer in the parser process; size: `MAX_FILE_BYTES`) and typed into
the warehouse's columns alone when its chunk does not convert (ingest/read.py). What is left for
`ParserProcessError` is the process itself failing: a bug outside the per-file handling, or memory.

`concurrent.futures.ProcessPoolExecutor` sent each task and received each result through threads
of the ingesting process. Those threads need the GIL, which the ingest's own Python work (views,
site attribution, loading) held for long stretches: at full scale each parser stood idle ~1.2 s of
its ~8 s waiting for work, and unpickling the results cost the ingesting process ~0.5 s of CPU.
"""
from __future__ import annotations

import ctypes
import gc
import mmap
import os
import signal
import tempfile
import traceback
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import recv_handle, send_handle
from typing import Iterator

import pyarrow as pa

from ingest.discover import FoundFile
from ingest.memory import keep_freed_memory
from ingest.read import read_batch

CHUNK_BYTES = 24 << 20
CHUNK_FILES = 256
CHUNKS_PER_WORKER = 4
PARALLEL_MIN_BYTES = 8 << 20
"""Below this many bytes to read, one parser in the ingesting process is as fast as forking more
(2 cores: 1 MB of logs took 6 ms in process and 24 ms with two parsers, 8 MB 28 against 37 ms;
they caught up at ~16 MB), and forks nothing."""

Chunk = tuple[list[FoundFile], dict[str, str]]
"""Files to read, with the sha256 the warehouse recorded for those of them it already holds."""

Parsed = tuple[dict[str, pa.Table], int, int]
"""The tables of one chunk (warehouse table name -> rows), its number of files, the bytes read."""


class ParserProcessError(RuntimeError):
    """A parser process failed or ended before reading all of its chunks. Bad files never cause it
    (they become `files` rows with status `error`): a bug, or a process killed for lack of memory."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details  # the parser's traceback, when it had one


def chunks(files: list[FoundFile], known: dict[str, str], workers: int = 1) -> list[Chunk]:
    """Files in order, cut into chunks of CHUNK_FILES files or CHUNK_BYTES bytes, whichever comes
    first. For more than one parser, files of fewer bytes than CHUNKS_PER_WORKER full chunks per
    parser are cut into about that many chunks of equal bytes: the few changed logs of a re-ingest,
    cut as one 24 MB chunk and the rest, left one parser reading five sixths of them alone."""
    total = sum(f.size for f in files)
    budget = CHUNK_BYTES if workers <= 1 else min(CHUNK_BYTES, -(-total // (workers * CHUNKS_PER_WORKER)))
    out: list[Chunk] = []
    chunk: list[FoundFile] = []
    size = 0
    for f in files:
        chunk.append(f)
        size += f.size
        if size >= budget or len(chunk) >= CHUNK_FILES:
            out.append((chunk, {g.path: known[g.path] for g in chunk if g.path in known}))
            chunk, size = [], 0
    if chunk:
        out.append((chunk, {g.path: known[g.path] for g in chunk if g.path in known}))
    return out


def parser_count(total_bytes: int) -> int:
    """Parsers for reading `total_bytes` when the caller asks for no number: one per core, or
    the ingesting process alone below PARALLEL_MIN_BYTES."""
    return 1 if total_bytes < PARALLEL_MIN_BYTES else (os.cpu_count() or 1)


def read_chunk(chunk: Chunk) -> Parsed:
    files, known = chunk
    batch = read_batch(files, known)
    return batch.tables(), len(files), batch.bytes_read


@contextmanager
def parsing(all_chunks: list[Chunk], workers: int) -> Iterator[Iterator[Parsed]]:
    """Start reading the chunks now; the block iterates over their results in chunk order.

    With more than one worker and more than one chunk, `workers` processes are forked on entry, so
    a thread the caller starts inside the block is never copied into them (a lock it held would
    stay locked there). On exit, however the block ends, no parser process is left running.
    """
    if workers <= 1 or len(all_chunks) <= 1:
        yield (read_chunk(chunk) for chunk in all_chunks)
        return
    context = get_context("fork")
    counter = context.Value("q", 0)
    processes, connections = [], []
    _FORKED_CHUNKS[:] = all_chunks
    try:
        for _ in range(min(workers, len(all_chunks))):
            ours, theirs = context.Pipe()
            process = context.Process(target=_parser_main, args=(counter, theirs), daemon=True)
            process.start()
            theirs.close()
            processes.append(process)
            connections.append(ours)
        _FORKED_CHUNKS.clear()  # the parsers have their copy
        yield _results(connections, processes, len(all_chunks))
    finally:
        _FORKED_CHUNKS.clear()
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join()
        for connection in connections:
            connection.close()


_FORKED_CHUNKS: list[Chunk] = []
"""The chunks of the running ingest, for the parser processes to read from their copy of memory:
sending them (53,838 FoundFile objects at full scale) through pipes cost the ingesting process
~0.15 s of CPU in pickling alone."""


def _results(connections: list[Connection], processes: list, n_chunks: int) -> Iterator[Parsed]:
    """Each chunk's result in chunk order (the parsers finish them in any order)."""
    ready: dict[int, Parsed] = {}
    live = dict(zip(connections, processes))
    for index in range(n_chunks):
        while index not in ready:
            if not live:
                codes = ", ".join(str(p.exitcode) for p in processes)
                raise ParserProcessError(
                    f"a parser process ended before reading chunk {index + 1} of {n_chunks} "
                    f"(exit codes {codes}; killed for lack of memory?)"
                )
            for connection in wait(list(live)):
                try:
                    message = connection.recv()
                except EOFError:  # that parser is done, or died
                    live[connection].join()
                    del live[connection]
                    continue
                if message[0] == "error":
                    raise ParserProcessError(f"a parser process failed: {message[1]}", details=message[2])
                _, chunk, n_files, nbytes, layout = message
                ready[chunk] = (_read_tables(recv_handle(connection), layout), n_files, nbytes)
        yield ready.pop(index)


def _parser_main(counter, connection: Connection) -> None:
    """Body of a parser process: claim chunks until none is left, send each one's tables."""
    _init_parser_process()
    try:
        while True:
            with counter.get_lock():
                index = counter.value
                counter.value = index + 1
            if index >= len(_FORKED_CHUNKS):
                break
            tables, n_files, nbytes = read_chunk(_FORKED_CHUNKS[index])
            fd, layout = _write_tables(tables)
            try:
                connection.send(("ok", index, n_files, nbytes, layout))
                send_handle(connection, fd, os.getppid())
            finally:
                os.close(fd)
    except BaseException as exc:
        try:
            connection.send(("error", f"{type(exc).__name__}: {exc}".splitlines()[0], traceback.format_exc()))
        except OSError:
            pass  # the ingesting process is gone
    finally:
        connection.close()


def _init_parser_process() -> None:
    """Set up a parser process (Linux; elsewhere each step is skipped).

    - It ends when the ingest that started it is killed (PR_SET_PDEATHSIG).
    - glibc keeps freed memory (ingest/memory.py): each file's text is a fresh 200 KB buffer.
    - Python's cycle collector runs every 50,000 allocations instead of 700, over the objects made
      after the fork only: parsing makes millions of short-lived tuples and dicts, which are freed by
      reference counting, and the collections that walked them were ~3% of an ingest's CPU samples.
    """
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    gc.enable()  # the ingest forks with it off (warehouse/pipeline.py `without_cycle_collection`)
    keep_freed_memory()
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _anonymous_file() -> int:
    """A file descriptor of a file with no name: its memory is freed when the last descriptor closes."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("robustnasbench-chunk", os.MFD_CLOEXEC)
    with tempfile.TemporaryFile() as handle:
        return os.dup(handle.fileno())


def _write_tables(tables: dict[str, pa.Table]) -> tuple[int, list[tuple[str, int, int]]]:
    """Write each table as an Arrow IPC stream into one anonymous file: (its fd, [(table, offset, length)])."""
    fd = _anonymous_file()
    layout, offset = [], 0
    try:
        for name, table in tables.items():
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            view = memoryview(sink.getvalue())
            written = 0
            while written < len(view):
                written += os.write(fd, view[written:])
            layout.append((name, offset, len(view)))
            offset += len(view)
    except BaseException:
        os.close(fd)
        raise
    return fd, layout


def _read_tables(fd: int, layout: list[tuple[str, int, int]]) -> dict[str, pa.Table]:
    """Map an anonymous file written by `_write_tables` and read its tables in place."""
    try:
        size = os.fstat(fd).st_size
        whole = pa.py_buffer(mmap.mmap(fd, size, prot=mmap.PROT_READ)) if size else pa.py_buffer(b"")
    finally:
        os.close(fd)
    return {name: pa.ipc.open_stream(whole.slice(offset, length)).read_all() for name, offset, length in layout}
