"""Read a batch of files into Arrow tables, one per warehouse table. Runs in worker processes.

Every file ends as exactly one `files` row: parsed (`ok`/`partial`), `skipped` (not a log), or
`error` with a one-line reason; no exception escapes for a bad file, and a bad file never fails
the others of its batch. What can go wrong with one file, and what becomes of it:

- it cannot be opened or read, is larger than `max_bytes` (its kind has no streaming reader), or
  its parse raises: an `error` row with the reason;
- its reading and parsing take longer than `seconds` (ingest/budget.py): an `error` row, "took
  longer than N s";
- a value does not fit its warehouse column (ingest/columns.py): an integer too wide or text that
  is not valid UTF-8 is stored as NULL or escaped, with a note in the file's message; a value of
  the wrong kind makes the file an `error` row and drops its records;
- its path is not valid UTF-8 (ingest/discover.py): stored escaped, and the message says so.

The records of a file only ever carry that file's own id.
"""
from __future__ import annotations

import hashlib
import os
import struct
from array import array
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

import pyarrow as pa

from ingest.budget import FileClock, OverBudget
from ingest.columns import COLUMN_TYPES, CONVERSION_ERRORS, Unstorable, arrow_columns, arrow_table, fit_row, fit_value
from ingest.discover import FoundFile
from ingest.errors import ParseError
from ingest.ids import file_id
from ingest.kinds import parse_file, parser_version
from ingest.logtext import log_time
from ingest.records import EPOCH_COLUMNS, EPOCH_INT_COLUMNS, INT_NULL, ROW_WORDS, epoch_table
from ingest.release import parse_release_stream
from ingest.text import one_line

PARSED_KINDS = ("train", "eval", "corruption", "config", "release")
MAX_FILE_BYTES = 1 << 30
"""A log larger than this is not read (a release file is read as a stream, whatever its size)."""
FILE_SECONDS = 120.0
"""Wall time one file may take to read and parse (a full-size log takes milliseconds)."""


def _read_file(path: str, size: int, limit: int) -> bytes:
    """The bytes of a file, read with one system call when it is the size `stat` said (no file
    object: ~5 us a file at full scale); a file that grew since is read to its end, or to just
    past `limit`."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        parts, total = [data], len(data)
        while total <= limit:
            more = os.read(fd, 1 << 20)
            if not more:
                break
            parts.append(more)
            total += len(more)
        return b"".join(parts)
    finally:
        os.close(fd)


class _HashingReader:
    """A binary file read through once: its SHA-256 and size come with the reading."""

    def __init__(self, handle: BinaryIO):
        self.handle, self.hash, self.size = handle, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.handle.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


_ID = struct.Struct("<q")
_CODE_VERSIONS = pa.schema([("fingerprint", pa.string()), ("kind", pa.string()), ("argument_names", pa.list_(pa.string())),
                            ("format_markers", pa.string()), ("sample_lines", pa.list_(pa.string())),
                            ("sample_path", pa.string())])


_INTEGER_EPOCH_COLUMNS = [EPOCH_COLUMNS.index(name) for name in EPOCH_INT_COLUMNS if name != "started_at"]


def _fit_epochs(rows: bytes) -> tuple[bytes, list[str]]:
    """Epoch rows with each integer value too wide for INTEGER (epoch, segment, step counts) set to
    NULL, and notes saying so."""
    words = array("q", rows)
    notes = []
    for i in _INTEGER_EPOCH_COLUMNS:
        for k in range(i, len(words), ROW_WORDS):
            if words[k] != INT_NULL and not -(1 << 31) <= words[k] < 1 << 31:
                notes.append(f"{EPOCH_COLUMNS[i]} {words[k]} out of range: stored as NULL")
                words[k] = INT_NULL
    return words.tobytes(), notes


class Mark(NamedTuple):
    """How many records of each kind a Batch held at one moment: a file's records are those
    between the mark before it and the mark after it."""

    runs: int = 0
    evals: int = 0
    epochs: int = 0  # entries of epoch_rows and epoch_run_ids (one per run)
    settings: int = 0
    corruptions: int = 0


class Span(NamedTuple):
    """The records one file added to a Batch."""

    file: int  # its index in Batch.files
    start: Mark
    end: Mark


@dataclass
class Batch:
    """Rows read from a batch of files, as lists; `tables()` turns them into Arrow.

    `spans` says which records each file added, so that one file's rows can be checked, or dropped,
    alone.
    """

    files: list[dict] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)
    epoch_run_ids: list[bytes] = field(default_factory=list)
    epoch_rows: list[bytes] = field(default_factory=list)
    settings: dict[str, list] = field(default_factory=lambda: {"run_id": [], "parameter": [], "value": [], "source": []})
    evals: list[dict] = field(default_factory=list)
    corruptions: dict[str, list] = field(
        default_factory=lambda: {"eval_id": [], "corruption": [], "level": [], "acc": [], "loss": []})
    code_versions: dict[str, dict] = field(default_factory=dict)  # fingerprint -> its first log's format (files in path order)
    bytes_read: int = 0
    spans: list[Span] = field(default_factory=list)

    def add_code(self, parsed, path: str) -> str | None:
        """Keep the code format of a parsed log, the file at `path` (once per fingerprint: the
        batch's files come in path order, so the first by path); returns its fingerprint."""
        if parsed.code is None:
            return None
        code = parsed.code
        key = code.fingerprint
        if key not in self.code_versions:
            self.code_versions[key] = {
                "fingerprint": key, "kind": code.kind, "argument_names": list(code.argument_names),
                "format_markers": code.markers_text, "sample_lines": list(code.lines), "sample_path": path,
            }
        return key

    def mark(self) -> Mark:
        """The lengths of the record lists now."""
        return Mark(len(self.runs), len(self.evals), len(self.epoch_rows), len(self.settings["run_id"]),
                    len(self.corruptions["eval_id"]))

    def truncate(self, mark: Mark) -> None:
        """Drop every record added after `mark` (a file that failed halfway)."""
        del self.runs[mark.runs:], self.evals[mark.evals:]
        del self.epoch_rows[mark.epochs:], self.epoch_run_ids[mark.epochs:]
        for column in self.settings.values():
            del column[mark.settings:]
        for column in self.corruptions.values():
            del column[mark.corruptions:]

    def tables(self) -> dict[str, pa.Table]:
        """The Arrow tables of the batch, typed as the warehouse's columns. Values that do not fit
        fail the fast conversion of the whole batch; then each file is fitted alone (`_fit_each_file`)."""
        try:
            return self._arrow()
        except CONVERSION_ERRORS:
            self._fit_each_file()
        try:
            return self._arrow()
        except CONVERSION_ERRORS as exc:  # not expected: every file was converted alone
            for index, _, _ in self.spans:
                self.files[index].update(status="error", line_no=None,
                                         message=one_line(f"its records cannot be stored: {type(exc).__name__}: {exc}"))
            self.truncate(Mark())
            self.spans = []
            return self._arrow()

    def _arrow(self, start: Mark | None = None, end: Mark | None = None) -> dict[str, pa.Table]:
        """The tables of all records, or of those between two marks."""
        a = start or Mark()
        b = end or self.mark()
        out = {"files": arrow_table("files", self.files) if start is None else pa.table({})}
        if b.runs > a.runs:
            out["runs"] = arrow_table("runs", self.runs[a.runs:b.runs])
            out["epochs"] = epoch_table(b"".join(self.epoch_run_ids[a.epochs:b.epochs]),
                                        b"".join(self.epoch_rows[a.epochs:b.epochs]))
            out["run_settings"] = arrow_columns("run_settings", {k: v[a.settings:b.settings] for k, v in self.settings.items()})
        if b.evals > a.evals:
            out["evals"] = arrow_table("evals", self.evals[a.evals:b.evals])
            if b.corruptions > a.corruptions:
                out["corruptions"] = arrow_columns(
                    "corruptions", {k: v[a.corruptions:b.corruptions] for k, v in self.corruptions.items()})
        if start is None and self.code_versions:
            out["code_versions"] = pa.Table.from_pylist(list(self.code_versions.values()), schema=_CODE_VERSIONS)
        return out

    def _fit_each_file(self) -> None:
        """Fit each file's values into their columns, alone: notes for values stored as NULL or
        escaped, an `error` row (and no records) for a file whose records still cannot be stored."""
        failed = []
        for position, (index, start, end) in enumerate(self.spans):
            row = self.files[index]
            try:
                notes = self._fit_records(start, end)
                self._arrow(start, end)
            except Unstorable as exc:
                reason = f"cannot be stored: {exc}"
            except CONVERSION_ERRORS as exc:
                reason = f"cannot be stored: {type(exc).__name__}: {exc}"
            else:
                if notes:
                    row["message"] = _with_notes(row["message"], notes)
                continue
            row.update(status="error", message=one_line(reason), line_no=None)
            failed.append(position)
        for row in self.files:
            notes = fit_row("files", row, strict=False)
            if notes:
                row["message"] = _with_notes(row["message"] or "", notes)
        if failed:
            self._drop(failed)

    def _fit_records(self, start: Mark, end: Mark) -> list[str]:
        notes = []
        for row in self.runs[start.runs:end.runs]:
            notes += fit_row("runs", row)
        for row in self.evals[start.evals:end.evals]:
            notes += fit_row("evals", row)
        for i in range(start.epochs, end.epochs):
            self.epoch_rows[i], more = _fit_epochs(self.epoch_rows[i])
            notes += more
        for table, columns, a, b in (("run_settings", self.settings, start.settings, end.settings),
                                     ("corruptions", self.corruptions, start.corruptions, end.corruptions)):
            for name, values in columns.items():
                for i in range(a, b):
                    values[i], note = fit_value(name, values[i], COLUMN_TYPES[table].get(name))
                    if note:
                        notes.append(note)
        return notes

    def _drop(self, failed: list[int]) -> None:
        """Remove the records of the files at these positions of `spans` (in order)."""
        dropped = [self.spans[i] for i in failed]

        def keep(values: list, kind: str) -> list:
            out, at = [], 0
            for span in dropped:
                out += values[at:getattr(span.start, kind)]
                at = getattr(span.end, kind)
            return out + values[at:]

        self.runs, self.evals = keep(self.runs, "runs"), keep(self.evals, "evals")
        self.epoch_rows, self.epoch_run_ids = keep(self.epoch_rows, "epochs"), keep(self.epoch_run_ids, "epochs")
        for name in self.settings:
            self.settings[name] = keep(self.settings[name], "settings")
        for name in self.corruptions:
            self.corruptions[name] = keep(self.corruptions[name], "corruptions")
        removed, spans, gone = Mark(), [], set(failed)
        for position, span in enumerate(self.spans):
            if position in gone:
                removed = Mark(*(r + e - s for r, s, e in zip(removed, span.start, span.end)))
                continue
            spans.append(Span(span.file, Mark(*(s - r for s, r in zip(span.start, removed))),
                              Mark(*(e - r for e, r in zip(span.end, removed)))))
        self.spans = spans


def _with_notes(message: str, notes: list[str]) -> str:
    """A files message with what was changed to store the file (the first three notes)."""
    more = f" (and {len(notes) - 3} more)" if len(notes) > 3 else ""
    return one_line(f"{message}; {'; '.join(notes[:3])}{more}" if message else "; ".join(notes[:3]) + more)


def _add_records(batch: Batch, found: FoundFile, fid: int, parsed, record_id: int | None = None) -> None:
    """Rows of one parsed file; the parts of a file each get an id of their own (`record_id`), while
    `file_id` stays the file's: a release file's derived from `<file>#arch_id=<id>#<part>`, an
    earlier run of an evaluation log the file's id XOR the line it starts on."""
    for part in parsed.parts:
        if part.run_line is not None:
            _add_records(batch, found, fid, part, fid ^ part.run_line)
            continue
        suffix = "train" if part.run is not None else f"eval_{part.eval['norm'] or ''}_{part.eval['attack']}"
        _add_records(batch, found, fid, part, file_id(f"{part.source_path}#{suffix}"))
    rid = record_id if record_id is not None else fid
    arch_id = parsed.arch_id if parsed.arch_id is not None else found.kind.arch_id
    source_path = parsed.source_path or found.path
    fingerprint = batch.add_code(parsed, found.path)
    if parsed.run is not None:
        run = dict(parsed.run)
        for key in ("started_at", "finished_at", "last_logged_at"):
            run[key] = log_time(run[key])
        gpus = run.get("gpu_list")
        batch.runs.append({
            "run_id": rid, "file_id": fid, "arch_id": arch_id, "source_path": source_path,
            "gpu": gpus[0] if gpus else None, "code_fingerprint": fingerprint, **run,
        })
        batch.epoch_run_ids.append(_ID.pack(rid) * parsed.epochs.n)
        batch.epoch_rows.append(parsed.epochs.data)
        if parsed.settings:
            batch.settings["run_id"].extend([rid] * len(parsed.settings))
            for name, values in zip(("parameter", "value", "source"), zip(*parsed.settings)):
                batch.settings[name].extend(values)
    if parsed.eval is not None:
        evaluation = dict(parsed.eval)
        evaluation.pop("model", None)
        for key in ("started_at", "finished_at"):
            evaluation[key] = log_time(evaluation[key])
        gpus = evaluation.get("gpu_list")
        batch.evals.append({
            "eval_id": rid, "file_id": fid, "arch_id": arch_id, "source_path": source_path,
            "gpu": gpus[0] if gpus else None, "code_fingerprint": fingerprint, **evaluation,
        })
        if parsed.corruptions:
            batch.corruptions["eval_id"].extend([rid] * len(parsed.corruptions))
            for name, values in zip(("corruption", "level", "acc", "loss"), zip(*parsed.corruptions)):
                batch.corruptions[name].extend(values)


def read_batch(files: list[FoundFile], known_sha256: dict[str, str] | None = None,
               seconds: float | None = None, max_bytes: int | None = None) -> Batch:
    """Hash and parse each file. A file whose hash equals `known_sha256[path]` is not parsed again:
    its row comes back with status `unchanged` so that only its size and mtime are updated.

    `seconds` and `max_bytes` are the per-file budgets (default FILE_SECONDS, MAX_FILE_BYTES)."""
    known_sha256 = known_sha256 or {}
    seconds = FILE_SECONDS if seconds is None else seconds
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    batch = Batch()
    with FileClock(seconds) as clock:
        for found in files:
            _read_one(batch, found, known_sha256.get(found.path), clock, max_bytes)
    return batch


def _read_one(batch: Batch, found: FoundFile, known: str | None, clock: FileClock, max_bytes: int) -> None:
    """The files row of one file, and its records; nothing raised for anything the file holds."""
    fid = file_id(found.path)
    row = {
        "file_id": fid, "path": found.path, "root": found.root, "rel_path": found.rel_path,
        "name": found.name, "kind": found.kind.kind, "arch_id": found.kind.arch_id,
        "size": found.size, "mtime_ns": found.mtime_ns, "sha256": None,
        "status": "skipped", "message": "not a benchmark log file name", "line_no": None,
        "parser_version": parser_version(found.kind.kind),
    }
    batch.files.append(row)
    if found.skip:
        row["message"] = found.skip
    elif found.kind.kind in PARSED_KINDS:
        mark = batch.mark()
        try:
            clock.arm()
            try:
                _parse_into(batch, found, fid, row, known, max_bytes)
            finally:
                clock.disarm()
        except OverBudget:
            batch.truncate(mark)
            row.update(status="error", message=f"took longer than {clock.seconds:g} s to read", line_no=None)
        except Exception as exc:  # a parser bug must not stop an ingest of thousands of files
            batch.truncate(mark)
            row.update(status="error", message=f"parser failed: {type(exc).__name__}: {str(exc)[:200]}", line_no=None)
        if batch.mark() != mark:
            batch.spans.append(Span(len(batch.files) - 1, mark, batch.mark()))
    if found.note:
        row["message"] = f"{row['message']}; {found.note}"
    row["message"] = one_line(row["message"])


def _parse_into(batch: Batch, found: FoundFile, fid: int, row: dict, known: str | None, max_bytes: int) -> None:
    """Read, hash and parse one file into the batch; its failures become its row's status."""
    try:
        if found.kind.kind == "release":
            parsed, sha256, size = _read_release(found)
        else:
            if found.size > max_bytes:
                raise ParseError(found.path, None, f"larger than {max_bytes / (1 << 20):g} MB")
            data = _read_file(found.open_path, found.size, max_bytes)
            if len(data) > max_bytes:
                raise ParseError(found.path, None, f"larger than {max_bytes / (1 << 20):g} MB")
            parsed, sha256, size = None, hashlib.sha256(data).hexdigest(), len(data)
    except OSError as exc:
        row.update(status="error", message=f"cannot read: {exc.strerror or exc}")
        return
    except ParseError as exc:
        row.update(status="error", message=exc.reason, line_no=exc.line_no)
        return
    batch.bytes_read += size
    row.update(size=size, sha256=sha256)
    if known == sha256:
        row["status"] = "unchanged"
        return
    try:
        if parsed is None:
            parsed = parse_file(data, found.path, found.kind)
        elif isinstance(parsed, ParseError):
            raise parsed
    except ParseError as exc:
        row.update(status="error", message=exc.reason, line_no=exc.line_no)
        return
    row.update(status=parsed.status, message=parsed.message)
    _add_records(batch, found, fid, parsed)


def code_format_rows(files: list[FoundFile]) -> list[dict]:
    """The code format (a row of `Batch.code_versions`, with its sample_path) of each file, read
    and parsed again now: none for a file that cannot be read or shows no code format. For the
    lines of a code version's first log when no chunk the ingest parsed held it."""
    return [row for found in files for row in read_batch([found]).code_versions.values()]


def _read_release(found: FoundFile):
    """A release file, read once as a stream: its records (or the ParseError), hash and size."""
    with open(found.open_path, "rb") as handle:
        reader = _HashingReader(handle)
        try:
            parsed = parse_release_stream(reader, found.path)
        except ParseError as exc:
            parsed = exc
        reader.drain()
    return parsed, reader.hash.hexdigest(), reader.size
