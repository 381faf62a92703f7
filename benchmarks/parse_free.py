"""How fast could the full ingest be with faster parsers? The same ingest with parsing made free.

    python -m benchmarks.parse_free --corpus bench-corpus/archs15625-xxxx/logs [--kinds eval] [--runs 2]

Parses every log of the given kinds once beforehand, then runs full ingests into empty warehouses
in which the parser processes hand back those parsed results instead of parsing again (they are
forked from this process and see the results in their copy of its memory). Everything else runs
as in `nares ingest`: reading, hashing, building the rows, Arrow, loading, the steps. The ingest
without free parsing is measured in the same run, alternating with it, so that both see the same
period of the machine. A measurement tool only: it changes nothing on disk but its warehouses.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ingest.read  # noqa: E402  (read_batch calls ingest.read.parse_file for each file)
from ingest.discover import discover  # noqa: E402
from ingest.errors import ParseError  # noqa: E402
from ingest.kinds import parse_file  # noqa: E402
from warehouse.update import ingest_paths  # noqa: E402

PARSED = ("train", "eval", "corruption")


def parse_beforehand(corpus: Path, kinds: set[str]) -> dict:
    """Path -> parsed log, for every log of `kinds` that parses (the others are parsed in the ingest)."""
    parsed = {}
    for found in discover([corpus]):
        if found.kind.kind not in kinds:
            continue
        try:
            parsed[found.path] = parse_file(Path(found.open_path).read_bytes(), found.path, found.kind)
        except (OSError, ParseError):
            continue
    return parsed


@contextmanager
def parsing_from(results: dict) -> Iterator[None]:
    """Inside the block, the ingest takes a log's parsed result from `results` when it is there (the
    parser processes forked inside it see them too) and parses the others as always."""
    real_parse = ingest.read.parse_file

    def parse_free(data: bytes, path: str, kind):
        done = results.get(path)
        return done if done is not None else real_parse(data, path, kind)

    ingest.read.parse_file = parse_free
    try:
        yield
    finally:
        ingest.read.parse_file = real_parse


def timed_ingest(corpus: Path, folder: Path, workers: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its parser processes) of a full ingest."""
    db = folder / "warehouse.duckdb"
    for path in folder.iterdir():
        path.unlink()
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    started = time.perf_counter()
    ingest_paths(db, [corpus], workers=workers)
    wall = time.perf_counter() - started
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before))
    return wall, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="Folder of logs (e.g. a kept benchmark corpus)")
    parser.add_argument("--kinds", default=",".join(PARSED), help="Kinds whose parsing is made free (default: all)")
    parser.add_argument("--runs", type=int, default=2, help="Pairs of ingests, as it is and parsing free, in turn (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="Parser processes (default 2)")
    args = parser.parse_args(argv)
    kinds = {kind for kind in args.kinds.split(",") if kind}
    started = time.perf_counter()
    results = parse_beforehand(args.corpus, kinds)
    print(f"parsed {len(results)} logs ({', '.join(sorted(kinds))}) beforehand in {time.perf_counter() - started:.1f} s")
    folder = Path(tempfile.mkdtemp(prefix="parse-free-"))
    try:
        for run in range(args.runs):
            for label, given in (("as it is", {}), ("parsing free", results)):
                with parsing_from(given):
                    wall, cpu = timed_ingest(args.corpus, folder, args.workers)
                print(f"run {run + 1} {label:13s} wall {wall:6.2f} s  CPU {cpu:6.2f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
