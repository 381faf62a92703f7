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

from ingest._scan import find
from ingest.errors import ParseError
from ingest.logtext import RECORD_PREFIX, message_starts_record, record_stamp
from ingest.records import ParsedLog

_MAIN_NUMBERS = {
    "AA": [("aa_acc", "AA accuracy")],
    "AA-Compact": [("aa_acc", "AA accuracy")],
    "Base": [("clean_acc", "clean"), ("pgd20_acc", "PGD-20"), ("cw40_acc", "CW-40")],
    "test-loss": [("clean_acc", "clean"), ("test_loss", "test loss"), ("cw40_acc", "CW-40")],
}
_MEAN = [("corruption_mean_acc", "mean accuracy")]


_FIRST_ARGUMENT = b"seed: "
_SECOND_ARGUMENT = b"model: "
_GPU_LIST = b"GPU List: "


def argument_starts(data: bytes) -> list[int]:
    """Where a run after the first starts its argument lines, in file order.

    Every version of the evaluation scripts (eval.py from 302e308, eval_corruption.py,
    eval_corruption_level.py, eval_test_loss.py) logs `GPU List: [...]` (on a GPU), then its
    argument lines, `seed: <n>` and `model: arch_<id>` first: those two records in a row start a
    run, at the `GPU List:` record right before them when there is one. The config lines after the
    arguments print `seed` too, but never right before a `model:` that is not a `Config(`."""
    starts = []
    at = find(data, _FIRST_ARGUMENT, RECORD_PREFIX)  # (the compiled search: it reads the whole log)
    while at >= 0:
        start = argument_start(data, at - RECORD_PREFIX)
        if start:  # (0 is the first run's)
            starts.append(start)
        at = find(data, _FIRST_ARGUMENT, at + 1)
    return starts


def argument_start(data: bytes, line: int) -> int | None:
    """Where the run whose argument lines start at `line` starts (its `GPU List:` record, or `line`);
    None when the record at `line` is not a `seed:` record followed by a `model:` record that is no
    `Config(`."""
    seed = line + RECORD_PREFIX
    if not (data.startswith(_FIRST_ARGUMENT, seed) and message_starts_record(data, seed)):
        return None
    end = data.find(b"\n", seed)
    model = end + 1 + RECORD_PREFIX
    if end < 0 or not (data.startswith(_SECOND_ARGUMENT, model) and message_starts_record(data, model)):
        return None
    if data.startswith(b"Config(", model + len(_SECOND_ARGUMENT)):
        return None
    previous = data.rfind(b"\n", 0, line - 1) + 1 if line > 0 else 0
    if previous < line and data.startswith(_GPU_LIST, previous + RECORD_PREFIX) and message_starts_record(
            data, previous + RECORD_PREFIX):
        return previous
    return line


def runs_ended_by_their_cost(data: bytes) -> list[int]:
    """Where each run of a log without a model printout (corruption and re-evaluation logs) starts,
    in file order ([0] for a log of one run).

    A run ends with its `Running Cost` record, and a record after it starts the next run; a run
    killed before its cost ends where the next run's argument lines start (`argument_starts`)."""
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
