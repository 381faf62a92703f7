"""Readers of the benchmark's log files. They yield records and never open the database.

The registry below is the one place that knows which file names hold which kind of log and which
parser reads it; `parse_file` is the single entry point the loader calls.

>>> classify("arch_0042_eval_Linf_AA-Compact.log")
FileKind(kind='eval', arch_id=42, norm='Linf', attack='AA-Compact')
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ingest.corruption_log import parse_corruption_log
from ingest.errors import ParseError
from ingest.eval_log import parse_eval_log
from ingest.records import ParsedLog
from ingest.release import parse_release
from ingest.train_log import parse_train_log

MAX_ARCH_ID = 15625


@dataclass(frozen=True)
class FileKind:
    kind: str
    arch_id: int | None = None
    norm: str | None = None
    attack: str | None = None


@dataclass(frozen=True)
class LogKind:
    """A kind of benchmark file: its name pattern, the parser that reads it (None: recorded, not
    parsed) and that parser's version.

    The version is recorded with every file it read (`files.parser_version`); raising it makes the
    next ingest read those files again, so a fix reaches existing warehouses without a rebuild.
    """

    kind: str
    pattern: re.Pattern
    parser: Callable[..., ParsedLog] | None
    description: str
    version: int = 1

    @property
    def parser_version(self) -> str:
        return f"{self.kind}:{self.version}"


REGISTRY: tuple[LogKind, ...] = (
    # version 2: every historical format of the training code, step-line figures (SPEC section 8)
    LogKind("train", re.compile(r"arch_(\d+)\.log"), parse_train_log, "training log of one run", 2),
    LogKind(
        "eval",
        re.compile(r"arch_(\d+)_eval_(Linf|L2)_(Base|AA|AA-Compact)\.log"),
        parse_eval_log,
        "test-set evaluation of a best checkpoint (Base or AutoAttack)",
        2,  # version 2: result lines without Test Loss or CW LIP, truncated counts, CW Stable = natural
    ),
    LogKind("corruption", re.compile(r"arch_(\d+)_eval_cifar10c_level\.log"), parse_corruption_log,
            "corruption evaluation (CIFAR-10-C, 19 corruptions x 5 levels)", 2),  # 2: Running Cost in hours
    LogKind("config", re.compile(r"arch_(\d+)\.yaml"), None, "saved run config (the training log repeats it)"),
    LogKind("release", re.compile(r"[^/]+\.jsonl"), parse_release,
            "published release file (cifar10.jsonl): one JSON object per arch, SPEC section 6"),
)


def classify(name: str) -> FileKind:
    """Kind of a file from its name alone; anything else is `other` (counted, not read)."""
    for entry in REGISTRY:
        match = entry.pattern.fullmatch(name)
        if match:
            groups = match.groups()
            arch_id = int(groups[0]) if groups else None
            return FileKind(entry.kind, arch_id, *(groups[1:3] if entry.kind == "eval" else (None, None)))
    return FileKind("other")


PARSERS = {entry.kind: entry for entry in REGISTRY}


def parser_version(kind: str) -> str | None:
    """The version of the parser of a kind of file (`train:2`), None for kinds that are not read."""
    entry = PARSERS.get(kind)
    return entry.parser_version if entry is not None else None


def parse_file(data: bytes, path: str, kind: FileKind) -> ParsedLog:
    """Parse the bytes of one file of a known kind; raise ParseError when it cannot be read."""
    entry = PARSERS[kind.kind]
    if kind.kind == "release":
        return entry.parser(data, path)
    if kind.arch_id is None or not 1 <= kind.arch_id <= MAX_ARCH_ID:
        raise ParseError(path, None, f"arch id {kind.arch_id} outside 1..{MAX_ARCH_ID}")
    if entry.parser is None:
        return ParsedLog(kind=kind.kind, status="ok", message=entry.description + ": recorded, not parsed")
    if kind.kind == "eval":
        return entry.parser(data, path, kind.norm, kind.attack)
    return entry.parser(data, path)


__all__ = ["classify", "parse_file", "parser_version", "ParseError", "ParsedLog", "FileKind", "REGISTRY", "MAX_ARCH_ID"]
