"""Progress bars on the terminal for the long commands (ingest, report); silent elsewhere.

The library functions take any object with these methods; these draw them with rich, only when
stderr is a terminal (the CLI decides), and leave no trace in piped output.
"""
from __future__ import annotations

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class _Bar:
    def __init__(self, *columns):
        self.bar = Progress(*columns, transient=True)
        self.task = None

    def finish(self) -> None:
        self.bar.stop()


class IngestProgress(_Bar):
    """Files read, MB read and MB/s of an ingest."""

    def __init__(self):
        super().__init__(TextColumn("ingest"), BarColumn(), TextColumn("{task.fields[files]} files"),
                         DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
        self.total_files = 0
        self.done_files = 0

    def start(self, files: int, total_bytes: int) -> None:
        self.total_files = files
        self.bar.start()
        self.task = self.bar.add_task("ingest", total=total_bytes, files=f"0/{files}")

    def advance(self, files: int, nbytes: int) -> None:
        self.done_files += files
        self.bar.update(self.task, advance=nbytes, files=f"{self.done_files}/{self.total_files}")


class ReportProgress(_Bar):
    """Figures rendered so far, and the one being rendered."""

    def __init__(self):
        super().__init__(TextColumn("report"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                         TextColumn("{task.description}"))

    def start(self, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("", total=total)

    def advance(self, label: str) -> None:
        self.bar.update(self.task, advance=1, description=label)
