"""The forked parser processes (ingest/parallel.py) on the real sample logs: files are cut into
chunks in order, each file once; the parsers hand back, in chunk order, exactly the tables a
serial read makes; a parser that fails or dies stops the read with one line (and the parser's
traceback kept aside); however the reading block ends, no parser process is left.

Through the whole ingest (the warehouse unchanged by a failed parser, serial and parallel ingests
writing the same file): tests/test_ingest.py."""
from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from ingest import parallel
from ingest.discover import discover
from ingest.parallel import ParserProcessError, chunks, parsing, read_chunk


@pytest.fixture
def files(samples):
    return discover([samples])


def same_tables(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[name].equals(b[name]) for name in a)


def test_chunks_keep_every_file_once_in_order_with_its_known_hash(files, monkeypatch):
    known = {files[0].path: "a" * 64, files[3].path: "b" * 64, "/elsewhere/arch_1.log": "c" * 64}
    assert len(chunks(files, known)) == 1
    monkeypatch.setattr(parallel, "CHUNK_FILES", 4)
    cut = chunks(files, known)
    assert [len(c[0]) for c in cut] == [4, len(files) - 4]
    assert [f for c in cut for f in c[0]] == files
    assert [c[1] for c in cut] == [{files[0].path: "a" * 64, files[3].path: "b" * 64}, {}]


def test_chunks_end_at_the_byte_budget(files, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)
    cut = chunks(files, {})
    assert [c[0] for c in cut] == [[f] for f in files]


def test_a_few_files_are_cut_into_equal_shares_for_every_parser(files):
    """Files of less than CHUNKS_PER_WORKER full chunks per parser: about that many chunks of
    equal bytes, so that no parser reads most of them while the other waits."""
    total = sum(f.size for f in files)
    assert len(chunks(files, {}, workers=1)) == 1  # one parser reads them in order anyway
    cut = chunks(files, {}, workers=2)
    share = -(-total // (2 * parallel.CHUNKS_PER_WORKER))
    assert [f for c in cut for f in c[0]] == files
    # each chunk ends with the file that reaches the share: less than a share and one file more
    assert all(sum(f.size for f in c[0][:-1]) < share for c in cut)
    assert len(cut) > 2


@pytest.mark.parametrize("workers", [1, 2])
def test_parsers_give_the_serial_tables_in_chunk_order(files, monkeypatch, workers):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)  # one file a chunk: two parsers take turns
    cut = chunks(files, {})
    serial = [read_chunk(c) for c in cut]
    with parsing(cut, workers) as results:
        if workers == 1:
            assert multiprocessing.active_children() == []  # the serial read forks nothing
        got = list(results)
    assert len(got) == len(serial) == len(files)
    for (tables, n, nbytes), (want, want_n, want_bytes) in zip(got, serial):
        assert (n, nbytes) == (want_n, want_bytes) == (1, nbytes) and same_tables(tables, want)
    assert sum(nbytes for _, _, nbytes in got) == sum(f.size for f in files)
    assert multiprocessing.active_children() == []


def fail_on(name: str, how):
    """A read_chunk that calls `how()` in the parser process that reads the file `name`."""
    real = parallel.read_chunk

    def read_chunk(chunk):
        if any(f.name == name for f in chunk[0]):
            how()
        return real(chunk)
    return read_chunk


def raise_boom():
    raise ValueError("boom\nsecond line")


def test_a_parser_that_raises_stops_the_read_with_one_line_and_its_traceback(files, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)
    monkeypatch.setattr(parallel, "read_chunk", fail_on("arch_2_eval_Linf_Base.log", raise_boom))
    with pytest.raises(ParserProcessError) as caught:
        with parsing(chunks(files, {}), 2) as results:
            list(results)
    assert str(caught.value) == "a parser process failed: ValueError: boom"
    assert "Traceback" in caught.value.details and "second line" in caught.value.details
    assert multiprocessing.active_children() == []


def test_a_parser_that_dies_stops_the_read_saying_which_chunk_was_not_read(files, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)
    monkeypatch.setattr(parallel, "read_chunk", lambda chunk: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(ParserProcessError, match=rf"a parser process ended before reading chunk 1 of {len(files)} "
                                                 r"\(exit codes -9, -9; killed for lack of memory\?\)") as caught:
        with parsing(chunks(files, {}), 2) as results:
            list(results)
    assert "\n" not in str(caught.value)
    assert multiprocessing.active_children() == []


def test_leaving_the_block_early_ends_every_parser(files, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)
    with parsing(chunks(files, {}), 2) as results:
        first = next(results)
        assert first[1] == 1
    assert multiprocessing.active_children() == []
    with pytest.raises(KeyError):
        with parsing(chunks(files, {}), 2):
            raise KeyError("the caller failed")
    assert multiprocessing.active_children() == []


def test_an_ingest_of_a_few_megabytes_reads_them_in_its_own_process(samples, tmp_path, monkeypatch):
    """Without a number of parsers asked for, logs under PARALLEL_MIN_BYTES are read in the
    ingesting process (forking parsers cost more than they save), more with one parser per core;
    a number asked for is the number used."""
    import warehouse.pipeline as pipeline
    from warehouse.update import ingest_paths

    used = []
    real = pipeline.parsing

    def counted(all_chunks, workers):
        used.append(workers)
        return real(all_chunks, workers)

    monkeypatch.setattr(pipeline, "parsing", counted)
    size = sum(f.size for f in discover([samples]))
    assert 0 < size < parallel.PARALLEL_MIN_BYTES
    ingest_paths(tmp_path / "a.duckdb", [samples])
    ingest_paths(tmp_path / "b.duckdb", [samples], workers=2)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", size)  # the same logs, now "many"
    ingest_paths(tmp_path / "c.duckdb", [samples])
    assert used == [1, 2, os.cpu_count() or 1]
    assert parallel.parser_count(size - 1) == 1
