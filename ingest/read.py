"""Read a batch of files into Arrow tables, one per warehouse table. Runs in worker processes.

Every file ends as exactly one `files` row: parsed (`ok`/`partial`), `skipped` (not a log), or
`error` with a one-line reason; no exception escapes for a bad file. The records of a file only
ever carry that file's own id.
"""
from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ingest import ParseError, parse_file, parser_version
from ingest.discover import FoundFile
from ingest.records import epoch_table
from ingest.text import log_time

PARSED_KINDS = ("train", "eval", "corruption", "config", "release")
MAX_FILE_BYTES = 1 << 30


def file_id(path: str) -> int:
    """Stable 63-bit id of a path: the same warehouse whatever order folders are ingested in."""
    return int.from_bytes(hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=8).digest(), "big") >> 1


def _read_file(path: str, size: int) -> bytes:
    """The bytes of a file, read with one system call when it is the size `stat` said (no file
    object: ~5 us a file at full scale); a file that grew since is read to its end."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        parts = [data]
        while True:
            more = os.read(fd, 1 << 20)
            if not more:
                return b"".join(parts)
            parts.append(more)
    finally:
        os.close(fd)


def _table(rows: list[dict]) -> pa.Table:
    """Rows -> Arrow, with every key of every row as a column.

    `pa.Table.from_pylist` takes the columns of the first row only: a batch starting with a
    corruption evaluation would lose the accuracy columns of every Base evaluation after it.
    """
    keys = list(dict.fromkeys(key for row in rows for key in row))
    return pa.table({key: [row.get(key) for row in rows] for key in keys})


_ID = struct.Struct("<q")


@dataclass
class Batch:
    """Rows read from a batch of files, as lists; `tables()` turns them into Arrow."""

    files: list[dict] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)
    epoch_run_ids: list[bytes] = field(default_factory=list)
    epoch_rows: list[bytes] = field(default_factory=list)
    settings: dict[str, list] = field(default_factory=lambda: {"run_id": [], "parameter": [], "value": [], "source": []})
    evals: list[dict] = field(default_factory=list)
    corruptions: dict[str, list] = field(default_factory=lambda: {"eval_id": [], "corruption": [], "level": [], "acc": [], "loss": []})
    bytes_read: int = 0

    def tables(self) -> dict[str, pa.Table]:
        out = {"files": _table(self.files)}
        if self.runs:
            out["runs"] = _table(self.runs)
            out["epochs"] = epoch_table(b"".join(self.epoch_run_ids), b"".join(self.epoch_rows))
            out["run_settings"] = pa.table(self.settings)
        if self.evals:
            out["evals"] = _table(self.evals)
            if self.corruptions["eval_id"]:
                out["corruptions"] = pa.table(self.corruptions)
        return out


def _add_records(batch: Batch, found: FoundFile, fid: int, parsed, record_id: int | None = None) -> None:
    """Rows of one parsed file; a release file's parts each get an id of their own (`record_id`)
    derived from `<file>#arch_id=<id>#<part>`, while `file_id` stays the release file's."""
    for part in parsed.parts:
        suffix = "train" if part.run is not None else f"eval_{part.eval['norm'] or ''}_{part.eval['attack']}"
        _add_records(batch, found, fid, part, file_id(f"{part.source_path}#{suffix}"))
    rid = record_id if record_id is not None else fid
    arch_id = parsed.arch_id if parsed.arch_id is not None else found.kind.arch_id
    source_path = parsed.source_path or found.path
    if parsed.run is not None:
        run = dict(parsed.run)
        for key in ("started_at", "finished_at", "last_logged_at"):
            run[key] = log_time(run[key])
        gpus = run.get("gpu_list")
        batch.runs.append({
            "run_id": rid, "file_id": fid, "arch_id": arch_id, "source_path": source_path,
            "gpu": gpus[0] if gpus else None, **run,
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
            "gpu": gpus[0] if gpus else None, **evaluation,
        })
        if parsed.corruptions:
            batch.corruptions["eval_id"].extend([rid] * len(parsed.corruptions))
            for name, values in zip(("corruption", "level", "acc", "loss"), zip(*parsed.corruptions)):
                batch.corruptions[name].extend(values)


def read_batch(files: list[FoundFile], known_sha256: dict[str, str] | None = None) -> Batch:
    """Hash and parse each file. A file whose hash equals `known_sha256[path]` is not parsed again:
    its row comes back with status `unchanged` so that only its size and mtime are updated."""
    known_sha256 = known_sha256 or {}
    batch = Batch()
    for found in files:
        fid = file_id(found.path)
        row = {
            "file_id": fid, "path": found.path, "root": found.root, "rel_path": found.rel_path,
            "name": found.name, "kind": found.kind.kind, "arch_id": found.kind.arch_id,
            "size": found.size, "mtime_ns": found.mtime_ns, "sha256": None,
            "status": "skipped", "message": "not a benchmark log file name", "line_no": None,
            "parser_version": parser_version(found.kind.kind),
        }
        batch.files.append(row)
        if found.kind.kind not in PARSED_KINDS:
            continue
        try:
            if found.size > MAX_FILE_BYTES:
                raise ParseError(found.path, None, f"file of {found.size} bytes is too large for a log")
            data = _read_file(found.path, found.size)
        except OSError as exc:
            row.update(status="error", message=f"cannot read: {exc.strerror or exc}")
            continue
        except ParseError as exc:
            row.update(status="error", message=exc.reason)
            continue
        batch.bytes_read += len(data)
        row["size"] = len(data)
        row["sha256"] = hashlib.sha256(data).hexdigest()
        if known_sha256.get(found.path) == row["sha256"]:
            row["status"] = "unchanged"
            continue
        try:
            parsed = parse_file(data, found.path, found.kind)
        except ParseError as exc:
            row.update(status="error", message=exc.reason, line_no=exc.line_no)
            continue
        except Exception as exc:  # a parser bug must not stop an ingest of thousands of files
            row.update(status="error", message=f"parser failed: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        row.update(status=parsed.status, message=parsed.message)
        _add_records(batch, found, fid, parsed)
    return batch
