"""The project's error types: the one a user acts on, and the one every parser raises.

`UserError` lives here, in the lowest layer, so that every layer can raise it: the warehouse's
`WarehouseError`, a sites file's `SitesFileError` and the application layer's own refusals are all
UserErrors, and cli.py (`Commands.invoke`) catches that one type in one place and prints its message as one
line (`error: ...`) with a non-zero exit.
"""
from __future__ import annotations


class UserError(Exception):
    """Something the user can act on (a missing folder, a foreign file, a bad sites file, a lock):
    its message is one complete line, shown as is. `exit_code`: the command's exit status."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ParseError(Exception):
    """A file that cannot be read as the kind of log its name promises.

    The ingest never lets it escape: it becomes a `files` row with status `error`, this message and
    the line number, so one bad file never stops a run over tens of thousands. (Not a UserError:
    a user never sees it raised.)
    """

    def __init__(self, path: str, line_no: int | None, reason: str):
        self.path = path
        self.line_no = line_no
        self.reason = reason
        where = f"{path}:{line_no}" if line_no else path
        super().__init__(f"{where}: {reason}")
