"""The one error type every parser raises."""
from __future__ import annotations


class ParseError(Exception):
    """A file that cannot be read as the kind of log its name promises.

    The ingest never lets it escape: it becomes a `files` row with status `error`, this message and
    the line number, so one bad file never stops a run over tens of thousands.
    """

    def __init__(self, path: str, line_no: int | None, reason: str):
        self.path = path
        self.line_no = line_no
        self.reason = reason
        where = f"{path}:{line_no}" if line_no else path
        super().__init__(f"{where}: {reason}")
