"""Logs the evaluation scripts appended several runs to: each run is an evaluation of its own.

The scripts' logger appends, so one file may hold several runs: before 2e6cd80 the standard and the
compact AutoAttack of an arch and norm both wrote `_AA.log`; from e216117 to dc7b847 the level and
the all-levels corruption scripts both wrote `_eval_cifar10c.log`; any script run twice appends.
The last run is the file's evaluation (the file's id, path and status); each run before it is a
part (ingest/records.py `ParsedLog.parts`) with the line it starts on: the reader gives it the
id `file_id XOR line` and the source_path `<path>#line=<line>`.
"""
from __future__ import annotations

from collections.abc import Callable

from ingest._scan import argument_starts, find
from ingest.errors import ParseError
from ingest.logtext import message_starts_record, record_stamp
from ingest.records import ParsedLog

_MAIN_NUMBERS = {
    "AA": [("aa_acc", "AA accuracy")],
    "AA-Compact": [("aa_acc", "AA accuracy")],
    "Base": [("clean_acc", "clean"), ("pgd20_acc", "PGD-20"), ("cw40_acc", "CW-40")],
    "test-loss": [("clean_acc", "clean"), ("test_loss", "test loss"), ("cw40_acc", "CW-40")],
}
_MEAN = [("corruption_mean_acc", "mean accuracy")]


def runs_ended_by_their_cost(data: bytes) -> list[int]:
    """Where each run of a log without a model printout (corruption and re-evaluation logs) starts,
    in file order ([0] for a log of one run).

    A run ends with its `Running Cost` record, and a record after it starts the next run; a run
    killed before its cost ends where the next run's argument lines start (`argument_starts`,
    compiled: ingest/_scan.c states the rule, `seed:` then `model:` records, after the `GPU List:`
    of a GPU run)."""
    starts = {0, *argument_starts(data)}
    at = find(data, b"Running Cost ")
    while at >= 0:
        if message_starts_record(data, at):
            end = data.find(b"\n", at)
            if end < 0:
                break
            if record_stamp(data, end + 1):
                starts.add(end + 1)
        at = find(data, b"Running Cost ", at + 1)
    return sorted(starts)


def summary(evaluation: dict) -> str:
    """A run in a few words with its main numbers: `a finished Linf AA evaluation: AA accuracy 48.25`."""
    numbers = ", ".join(f"{label} {evaluation[column]:g}" for column, label in _MAIN_NUMBERS.get(evaluation["attack"], _MEAN)
                        if evaluation[column] is not None)
    what = " ".join(part for part in ("a finished" if evaluation["finished"] else "an unfinished",
                                      evaluation["norm"], evaluation["attack"], "evaluation") if part)
    return what + (f": {numbers}" if numbers else "")


def read_runs(data: bytes, starts: list[int], path: str, parse_run: Callable[[bytes], ParsedLog]) -> ParsedLog:
    """The parsed log of a file whose runs start at `starts` (in file order, the first at 0): its
    last run, with each run before it as a part, and the file's message listing those. A run before
    the last that `parse_run` cannot read is said in the message and stored nowhere."""
    if len(starts) == 1:
        return parse_run(data)
    lines = [1]
    for start, end in zip(starts, starts[1:]):
        lines.append(lines[-1] + data.count(b"\n", start, end))
    last = parse_run(data[starts[-1]:])
    earlier = []
    for start, end, line in zip(starts, starts[1:], lines):
        try:
            part = parse_run(data[start:end])
        except ParseError as exc:
            part = ParsedLog(kind=last.kind, status="error", message=exc.reason)
        part.run_line, part.source_path = line, f"{path}#line={line}"
        earlier.append(part)
    last.parts = [part for part in earlier if part.eval is not None]
    said = "; ".join(f"line {part.run_line}: " + (summary(part.eval) if part.eval is not None
                                                  else f"not readable: {part.message}") for part in earlier[:3])
    more = f"; and {len(earlier) - 3} more" if len(earlier) > 3 else ""
    last.message += (f"; the file holds {len(starts)} evaluation runs, each stored as an evaluation: the last one (from "
                     f"line {lines[-1]}) with the file's id and status, each before it with source_path "
                     f"<file>#line=<n> ({said}{more})")
    return last
