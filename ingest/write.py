"""Files the tool writes for people and for its next run (report figures and text, exported lists
and release files, cache entries): each one whole or not at all.

A file written in place and interrupted (Ctrl-C, a full disk, a killed process) is left cut short,
and the next report would keep a figure it believes drawn. So the bytes go to a hidden file beside
the target (`.<name>.<pid>.<n>.part`), which replaces the target once it is complete: the folder
holds the old file or the new one, never part of one. A pipe or a device named as the target
(a shell's `>(...)`) is written through, `/dev/stdout` and `/dev/fd/N` through the process' own
descriptor, and `-` is the standard output; a symbolic link stays, the file it names is replaced.
"""
from __future__ import annotations

import itertools
import os
import stat
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

_serial = itertools.count()


@contextmanager
def open_whole(path: Path | str) -> Iterator[BinaryIO]:
    """A binary handle whose bytes replace `path` only once the block ends without an exception.

    The file gets the mode a plain write gives (0666 less the umask). An OSError names `path`, not
    the hidden file: a folder named as the file, a folder that cannot be written, a full disk."""
    try:
        with _opened(Path(path)) as handle:
            yield handle
    except OSError as exc:
        if exc.errno is None:  # not a system call's error: as it is
            raise
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    if str(path) == STDOUT:  # sys.stdout's own buffer: whatever stands for it (a test's capture too)
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if (fd := _descriptor(path)) is not None:  # /dev/stdout: this process' own descriptor, as it is
        for stream in (sys.stdout, sys.stderr):  # what was printed before comes first
            stream.flush()
        with os.fdopen(os.dup(fd), "wb") as handle:
            yield handle
        return
    if _is_stream(path):  # it cannot be replaced: written through
        with open(path, "wb") as handle:
            yield handle
        return
    # a symbolic link stays: the file it names is replaced (replacing the link would cut it)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    scratch = target.with_name(f".{target.name}.{os.getpid()}.{next(_serial)}.part")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(scratch, target)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise


def write_whole(path: Path | str, data: bytes | str) -> Path:
    """Write `data` (text as UTF-8) to `path` through `open_whole`."""
    with open_whole(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


STDOUT = "-"
"""The target that names the standard output (a file named `-` is `./-`)."""


def target_name(path: Path | str) -> str:
    """How a command's line names where it wrote: the path, or `standard output` for `-`."""
    return "standard output" if str(path) == STDOUT else str(path)


def writes_through(path: Path | str) -> bool:
    """Whether `open_whole` writes `path` through rather than replacing a file: `-`, `/dev/stdout`,
    a pipe, a device. What a command says of such a write goes to stderr, not into the written
    stream."""
    return str(path) == STDOUT or _descriptor(Path(path)) is not None or _is_stream(Path(path))


_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_DESCRIPTOR_FOLDERS = ("/dev/fd/", "/proc/self/fd/")


def _descriptor(path: Path) -> int | None:
    """The open descriptor of this process a path names (`/dev/stdout`, `/dev/fd/3`), or None.

    Written through that descriptor, the output goes where the shell sent it, appended when it
    said `>>`. Opened by name instead, a redirected file is truncated; replaced as a file, the
    link `/dev/stdout` itself was replaced, and the output never reached the shell's file."""
    text = str(path)
    fd = _STANDARD.get(text)
    if fd is None:
        number = next((text[len(f):] for f in _DESCRIPTOR_FOLDERS if text.startswith(f)), "")
        if not (number.isascii() and number.isdigit() and len(number) <= 9):
            return None
        fd = int(number)
    try:
        os.fstat(fd)
    except OSError:  # not open here: the path is taken as a path
        return None
    return fd


def _is_stream(path: Path) -> bool:
    """Whether `path` names something other than a file or a folder: a pipe, a device, a socket."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))
