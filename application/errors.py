"""What ends a command with one line instead of a traceback: a UserError (ingest/errors.py, its
message and exit code), SIGTERM during a write (warehouse/swap.py `Terminated`: the write
unwound and left the old file), Ctrl-C (exit code 130), or a file it could not read or write (an
OSError that reached the command: `file_error`). cli.py catches them in one place."""
from __future__ import annotations

from ingest.errors import UserError
from warehouse.swap import Terminated

STOPPED = UserError("stopped by SIGTERM; the warehouse is unchanged", exit_code=143)
"""What a command stopped by SIGTERM says (an ingest says more: application/commands.py `ingest`)."""
SIGPIPE_EXIT = 141
"""The exit code of a command whose reader closed the pipe (128 + SIGPIPE, what a shell reports for
a command SIGPIPE killed); it prints nothing."""
INTERRUPTED = UserError("interrupted", exit_code=130)
"""What a command interrupted by Ctrl-C says (an ingest and a report say more: application/commands.py)."""



def file_error(exc: OSError) -> UserError:
    """The line of a file a command could not read or write (a folder where a file was named, a
    missing or read-only folder, a full disk): `path: reason`, as other command-line tools say it."""
    where = " -> ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    return UserError(f"{where}: {exc.strerror or exc}" if where else f"{exc.strerror or exc}")


__all__ = ["UserError", "Terminated", "STOPPED", "INTERRUPTED", "SIGPIPE_EXIT", "file_error"]
