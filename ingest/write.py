"""Files the tool writes for people and for its next run (report figures and text, exported lists
and release files, cache entries): each one whole or not at all.

A file written in place and interrupted (Ctrl-C, a full disk, a killed process) is left cut short,
and the next report would keep a figure it believes drawn. So the bytes go to a hidden file beside
the target (`.<name>.<pid>.<n>.part`), which replaces the target once it is complete: the folder
holds the old file or the new one, never part of one. A pipe or a device named as the target
(`/dev/stdout`, a shell's `>(...)`) is written through, and `-` is the standard output.
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
    if str(path) == STDOUT:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(path)
    if _is_stream(path):  # it cannot be replaced: written through
        with open(path, "wb") as handle:
            yield handle
        return
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{next(_serial)}.part")
    try:
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
            os.replace(scratch, path)
        except BaseException:
            scratch.unlink(missing_ok=True)
            raise
    except OSError as exc:
        if exc.errno is None:  # not a system call's error: as it is
            raise
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None


def write_whole(path: Path | str, data: bytes | str) -> Path:
    """Write `data` (text as UTF-8) to `path` through `open_whole`."""
    with open_whole(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


STDOUT = "-"
"""The target that names the standard output (a file named `-` is `./-`)."""


def writes_through(path: Path | str) -> bool:
    """Whether `open_whole` writes `path` through rather than replacing a file: `-`, a pipe, a
    device. What a command says of such a write goes to stderr, not into the written stream."""
    return str(path) == STDOUT or _is_stream(Path(path))


def _is_stream(path: Path) -> bool:
    """Whether `path` names something other than a file or a folder: a pipe, a device, a socket."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))
