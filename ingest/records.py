"""The records a parser produces for one file, before they become warehouse rows."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ParsedLog:
    """Everything one log file says.

    `status` is `ok` or `partial` (an unfinished run or evaluation); a file that cannot be read at
    all raises `ParseError` instead. `message` is one line for the `files` table.
    """

    kind: str
    status: str = "ok"
    message: str = ""
    run: dict | None = None
    epochs: dict[str, list] | None = None
    settings: list[tuple[str, str, str]] = field(default_factory=list)
    eval: dict | None = None
    corruptions: list[tuple[str, int, float | None, float | None]] = field(default_factory=list)
    # a release file (ingest/release.py) holds many runs: one part per run or evaluation, each with
    # its own arch and source (`<file>#arch_id=<id>`), from which its stable id is derived
    arch_id: int | None = None
    source_path: str | None = None
    parts: list["ParsedLog"] = field(default_factory=list)
