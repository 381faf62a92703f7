"""The kinds of benchmark files: the one place that knows which file names hold which kind of log
and which parser reads it; `parse_file` is the single entry point the loader calls.

>>> classify("arch_0042_eval_Linf_AA-Compact.log")
FileKind(kind='eval', arch_id=42, norm='Linf', attack='AA-Compact')
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Callable, NamedTuple

from ingest.corruption_log import parse_corruption_log
from ingest.errors import ParseError
from ingest.eval_log import parse_eval_log
from ingest.records import ParsedLog
from ingest.release import parse_release
from ingest.scanning import LinearPattern, linear
from ingest.space import MAX_ARCH_ID
from ingest.train_log import parse_train_log


class FileKind(NamedTuple):
    """What a file's name says it holds (a tuple: every ingest classifies every file found)."""

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
    pattern: LinearPattern
    parser: Callable[..., ParsedLog] | None
    description: str
    version: int = 1

    @cached_property
    def parser_version(self) -> str:
        return f"{self.kind}:{self.version}"


def _name(kind: str, regex: str, worst: str) -> LinearPattern:
    """A file-name pattern, matched against whole names (ASCII digits only: `arch_\u0663.log` is no arch)."""
    return linear(f"names.{kind}", regex, use="fullmatch", worst_case=lambda n: worst * max(1, n // len(worst)))


_ARCH = r"arch_([0-9]++)"
REGISTRY: tuple[LogKind, ...] = (
    # version 2: every historical format of the training code, step-line figures (SPEC section 8);
    # 3: a setting the header records twice under one name is kept once (the first); 4: the NaN exit
    # of a log ending on an epoch marker, none for code older than the exit; a note on attack_step; the
    # config file's top-level keys (epochs, grad_clip) have source config
    LogKind("train", _name("train", rf"{_ARCH}\.log", "arch_1"), parse_train_log, "training log of one run", 4),
    LogKind(
        "eval",
        _name("eval", rf"{_ARCH}_eval_(?:(Linf|L2)_(Base|AA|AA-Compact)|(test-loss))\.log", "arch_1_eval_L2_AA"),
        parse_eval_log,
        "test-set evaluation of a best checkpoint (Base, AutoAttack, or the test-loss re-evaluation)",
        # version 2: result lines without Test Loss or CW LIP, truncated counts, CW Stable = natural;
        # 3: a file of more than one run is read as its last run; 4: its message says what the run
        # before the last one was, with its main numbers; 5: each run before the last is an
        # evaluation of its own, and the re-evaluation script's _eval_test-loss.log is read; 6: a run
        # starts at its argument lines (seed, model; a GPU run at its GPU List), also one killed
        # before its printout or, in a re-evaluation log, before its cost
        6,
    ),
    LogKind("corruption", _name("corruption", rf"{_ARCH}_eval_cifar10c(?:_level)?+\.log", "arch_1_eval_cifar10c_"),
            parse_corruption_log,
            "corruption evaluation (CIFAR-10-C: 19 corruptions x 5 levels, or per corruption over all levels)",
            # 2: Running Cost in hours; 3: the last Average Accuracy of a log of appended runs; 4: the
            # older name _eval_cifar10c.log, the all-levels script's lines (attack cifar10c-all-levels),
            # each run of a log of appended runs an evaluation of its own; 5: a run killed before its
            # cost ends where the next run's argument lines start
            5),
    LogKind("config", _name("config", rf"{_ARCH}\.yaml", "arch_1.yam"), None, "saved run config (the training log repeats it)"),
    LogKind("release", _name("release", r"(?:[^/.]++|\.(?!jsonl\Z))++\.jsonl", "a.jsonl."), parse_release,
            "published release file (cifar10.jsonl): one JSON object per arch, SPEC section 6"),
)


_OTHER = FileKind("other")
_LOG_START, _RELEASE_END = "arch_", ".jsonl"
"""Only names that start like a log or end like a release file are matched against the patterns."""


@lru_cache(maxsize=1 << 17)
def classify(name: str) -> FileKind:
    """Kind of a file from its name alone; anything else is `other` (counted, not read).

    What decides it is in `kinds_key`. A file found is classified when the plan needs its kind: a
    file to read, or every file when the warehouse's rows were classified otherwise (each call
    costs microseconds, and a repository holds tens of thousands of files)."""
    if not name.startswith(_LOG_START) and not name.endswith(_RELEASE_END):
        return _OTHER
    for entry in REGISTRY:
        match = entry.pattern.fullmatch(name)
        if match:
            groups = match.groups()
            arch_id = int(groups[0]) if groups else None
            # an evaluation's norm and attack (a test-loss log names no norm)
            return FileKind(entry.kind, arch_id, *((groups[1], groups[2] or groups[3]) if entry.kind == "eval" else (None, None)))
    return _OTHER


PARSERS = {entry.kind: entry for entry in REGISTRY}


@lru_cache(maxsize=1)
def kinds_key() -> str:
    """What decides the kind of every file from its name (`classify`: the patterns, in order, and
    the names they are tried on) and the version of each kind's parser. An ingest records it (meta
    `file_kinds`) when every files row was classified by it; while it is the same, the kind a row
    records is the kind its file's name has now, and a plan compares unchanged files by that kind
    without classifying them again."""
    digest = hashlib.sha256(f"{_LOG_START}\0{_RELEASE_END}\0".encode())
    for entry in REGISTRY:
        digest.update(f"{entry.kind}\0{entry.pattern.compiled.pattern}\0{entry.parser_version}\0".encode())
    return digest.hexdigest()


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


__all__ = ["classify", "kinds_key", "parse_file", "parser_version", "ParseError", "ParsedLog", "FileKind", "REGISTRY",
           "MAX_ARCH_ID"]
