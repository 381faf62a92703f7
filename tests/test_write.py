"""ingest/write.py: a file the tool writes is there whole or not at all."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import write as write_module
from ingest.write import write_whole


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_text_is_written_as_utf8_with_the_mode_a_plain_write_gives(tmp_path):
    old = os.umask(0o027)
    try:
        path = write_whole(tmp_path / "report.md", "µ line\r\n")
    finally:
        os.umask(old)
    assert path.read_bytes() == "µ line\r\n".encode()  # no newline translation
    assert path.stat().st_mode & 0o777 == 0o640
    write_whole(path, b"\x89PNG")
    assert path.read_bytes() == b"\x89PNG" and leftovers(tmp_path) == []


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_a_write_stopped_halfway_leaves_the_old_file_and_no_part(tmp_path, monkeypatch, stop):
    path = tmp_path / "figure.svg"
    path.write_text("the last report's figure")
    real_fdopen = os.fdopen

    class HalfWritten:
        def __init__(self, fd, mode):
            self.handle = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, body):
            self.handle.write(body[: len(body) // 2])
            self.handle.flush()
            raise stop

    monkeypatch.setattr(write_module.os, "fdopen", HalfWritten)
    with pytest.raises(type(stop) if isinstance(stop, BaseException) else stop):
        write_whole(path, "<svg>" + "x" * 1000 + "</svg>")
    assert path.read_text() == "the last report's figure"
    assert leftovers(tmp_path) == []


def test_an_error_names_the_file_asked_for_not_the_hidden_one(tmp_path):
    folder = tmp_path / "list.txt"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as raised:
        write_whole(folder, "1\n")
    assert raised.value.filename == str(folder) and raised.value.filename2 is None
    assert leftovers(tmp_path) == []
    with pytest.raises(FileNotFoundError) as raised:
        write_whole(tmp_path / "missing" / "list.txt", "1\n")
    assert raised.value.filename == str(tmp_path / "missing" / "list.txt")


def test_a_pipe_or_a_device_is_written_through(tmp_path):
    """`--out /dev/stdout` or a shell's `>(gzip > ids.gz)` names no file that could be replaced."""
    assert write_whole("/dev/null", "1\n2\n") == Path("/dev/null")
    assert Path("/dev/null").is_char_device() and leftovers(Path("/dev")) == []
    fifo = tmp_path / "ids"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the reading end first: the write then never waits
    try:
        write_whole(fifo, "1\n2\n")
        assert os.read(reader, 100) == b"1\n2\n"
    finally:
        os.close(reader)
    assert fifo.is_fifo() and leftovers(tmp_path) == []


def test_a_symbolic_link_stays_and_the_file_it_names_is_replaced(tmp_path):
    (tmp_path / "kept").mkdir()
    real = tmp_path / "kept" / "report.md"
    real.write_text("old")
    link = tmp_path / "report.md"
    link.symlink_to(real)
    write_whole(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new" and leftovers(tmp_path) == leftovers(tmp_path / "kept") == []


ROOT = Path(__file__).resolve().parents[1]


def test_dev_stdout_and_dev_fd_write_through_this_process_descriptors(tmp_path):
    """`--out /dev/stdout > file` (or `>>`): the bytes go where the shell sent them, after what was
    printed before, appended when appending; the link /dev/stdout is not touched. Replaced as a
    file, it was the link that got replaced (the tool runs as root in containers)."""
    out = tmp_path / "out.txt"
    out.write_bytes(b"earlier\n")
    other = tmp_path / "fd3.txt"
    code = ("import os, sys; from ingest.write import write_whole; print('printed', flush=False); "
            "write_whole('/dev/stdout', 'written\\n'); write_whole('/dev/fd/' + sys.argv[1], 'three\\n'); "
            "print(os.path.islink('/dev/stdout'), file=sys.stderr)")
    with open(out, "ab") as stdout, open(other, "wb") as third:
        done = subprocess.run([sys.executable, "-c", code, str(third.fileno())], stdout=stdout, stderr=subprocess.PIPE,
                              pass_fds=(third.fileno(),), cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == b"earlier\nprinted\nwritten\n"
    assert other.read_bytes() == b"three\n"
    assert done.stderr == b"True\n"


def test_a_descriptor_path_of_no_open_descriptor_is_a_path_and_a_failing_one_is_named():
    with pytest.raises(OSError) as raised:
        write_whole("/dev/fd/987654", "1\n")
    assert raised.value.filename == "/dev/fd/987654"
    reading, writing = os.pipe()
    try:
        with pytest.raises(OSError) as raised:  # open, but for reading: the write fails, naming the path
            write_whole(f"/dev/fd/{reading}", "1\n")
        assert raised.value.filename == f"/dev/fd/{reading}"
    finally:
        os.close(reading)
        os.close(writing)
