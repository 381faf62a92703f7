"""Corruption evaluations on CIFAR-10-C: `arch_<id>_eval_cifar10c_level.log`, and the older name
`arch_<id>_eval_cifar10c.log`.

The level script (eval_corruption_level.py, from e216117 on 2024-05-26) logs, after the argument
lines, one line per corruption and level, `gaussian_noise (level=1): Loss: 0.4321, Acc: 85.12`, then
`Average Accuracy: 78.1234` and `Running Cost <x> Hours` (the corruption scripts count hours, the
others days). Until dc7b847 (2024-05-27) it wrote `_eval_cifar10c.log`, then `_eval_cifar10c_level.log`.

The all-levels script (eval_corruption.py, from d45212d on 2024-02-26) writes `_eval_cifar10c.log`
with one line per corruption over its five severities together, `gaussian_noise: Loss: 0.4321, Acc:
85.1234` (15 corruptions until e216117, then 19), then the same two lines. Its evaluation has attack
`cifar10c-all-levels` and corruption rows with level NULL: its numbers are not per severity.
"""
from __future__ import annotations

from operator import itemgetter

from ingest._scan import corruption_results
from ingest.appended import read_runs, runs_ended_by_their_cost
from ingest.errors import ParseError
from ingest.eval_header import checkpoint_fields, eval_header
from ingest.log_format import corruption_format
from ingest.logtext import RECORD_PREFIX, check_log_bytes, record_stamp
from ingest.numbers import NUM_BYTES, to_float
from ingest.records import ParsedLog
from ingest.scanning import linear

CORRUPTIONS = (
    "gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "defocus_blur", "glass_blur",
    "gaussian_blur", "motion_blur", "zoom_blur", "snow", "frost", "fog", "brightness", "spatter",
    "contrast", "elastic_transform", "pixelate", "jpeg_compression", "saturate",
)
LEVELS = 5
_EXPECTED = frozenset((c, level) for c in CORRUPTIONS for level in range(1, LEVELS + 1))
_KEY = itemgetter(0, 1)
"""(corruption, level) of a row."""
FIRST_CORRUPTIONS = (
    "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
    "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate", "jpeg_compression",
)
"""The corruptions of the all-levels script before e216117 (it evaluates all 19 from then on)."""
ALL_LEVELS = "cifar10c-all-levels"
"""The attack of an all-levels evaluation: per corruption, its five severities together."""
_ALL_LEVELS_LINE = linear(
    "corruption_log.all_levels", rb"([a-z_]++): Loss: (" + NUM_BYTES + rb"), Acc: (" + NUM_BYTES + rb")[ \t\r]*+\n",
    use="match", worst_case=lambda n: b"fog: Loss: 1, Acc: " + b"9" * n + b"X")
_AVERAGE = linear("corruption_log.average", rb"Average Accuracy: (" + NUM_BYTES + rb")[ \t\r]*+\n", use="match",
                  worst_case=lambda n: b"Average Accuracy: " + b"9" * n + b"X")


def _all_levels_rows(data: bytes) -> tuple[list[tuple[str, None, float, float]], int | None]:
    """The rows of the all-levels script's result lines (`<timestamp> <name>: Loss: <v>, Acc: <v>`),
    as `corruption_results` gives those of the level lines, with level None. Each byte is looked at a
    bounded number of times: the line start of each `: Loss: ` is searched for from the one before."""
    found: dict[tuple[str, None], tuple[bytes, bytes]] = {}
    first, line, scanned = None, 0, 0
    at = data.find(b": Loss: ")
    while at >= 0:
        newline = data.rfind(b"\n", scanned, at)
        line = newline + 1 if newline >= 0 else line
        scanned = at
        match = _ALL_LEVELS_LINE.match(data, line + RECORD_PREFIX) if record_stamp(data, line) else None
        if match and match.end(1) == at:
            found[(match.group(1).decode("ascii"), None)] = (match.group(3), match.group(2))
            first = line if first is None else first
        at = data.find(b": Loss: ", at + 1)
    return [(name, None, float(acc), float(loss)) for (name, _), (acc, loss) in sorted(found.items())], first


def parse_corruption_log(data: bytes, path: str) -> ParsedLog:
    """Parse a corruption evaluation: per level, or (no level line in the log) all levels together.
    Of a log of appended runs, each run is an evaluation of its own (ingest/appended.py)."""
    check_log_bytes(data, path)
    return read_runs(data, runs_ended_by_their_cost(data), path, lambda run: _parse_run(run, path))


def _parse_run(data: bytes, path: str) -> ParsedLog:
    """One run of a corruption log (the whole log, or one run of a log of several)."""
    rows, first = corruption_results(data)
    if not rows:
        all_levels, first_all = _all_levels_rows(data)
        if all_levels:
            return _parse_all_levels(data, all_levels, first_all)
    average = _average(data)
    header = eval_header(data, first if first is not None else len(data))
    if not rows and not average and not header["model"]:
        raise ParseError(path, 1, "no corruption result lines and no argument lines: not a corruption evaluation log")
    finished = average is not None and not _EXPECTED.difference(map(_KEY, rows))
    unknown = sorted({row[0] for row in rows} - set(CORRUPTIONS))
    notes = []
    if not finished:
        what = f"{len(rows)} of {len(_EXPECTED)} corruption lines" + ("" if average else ", no Average Accuracy")
        notes.append(f"unfinished corruption evaluation: {what}")
    if unknown:
        notes.append(f"unknown corruptions: {', '.join(unknown)}")
    message = "; ".join(notes) if notes else f"finished corruption evaluation, {len(rows)} results"
    return _evaluation(data, header, first, rows, "cifar10c", finished, average, message, "corruption")


def _parse_all_levels(data: bytes, rows: list, first: int) -> ParsedLog:
    """An evaluation of the all-levels script: finished with its Average Accuracy and at least the
    15 corruptions it always evaluated."""
    average = _average(data)
    header = eval_header(data, first)
    names = {row[0] for row in rows}
    missing = [name for name in FIRST_CORRUPTIONS if name not in names]
    unknown = sorted(names - set(CORRUPTIONS))
    finished = average is not None and not missing
    what = f"all-levels corruption evaluation ({ALL_LEVELS}: each corruption's five severities together, level NULL)"
    if finished:
        notes = [f"finished {what}, {len(rows)} results"]
    else:
        notes = [f"unfinished {what}: {len(rows)} corruption lines" + ("" if average else ", no Average Accuracy")]
    if unknown:
        notes.append(f"unknown corruptions: {', '.join(unknown)}")
    return _evaluation(data, header, first, rows, ALL_LEVELS, finished, average, "; ".join(notes), "corruption-all-levels")


def _average(data: bytes):
    """The last `Average Accuracy:` line (a repeated result line keeps the later too)."""
    at = data.rfind(b"Average Accuracy: ")
    return _AVERAGE.match(data, at) if at >= 0 else None


def _evaluation(data: bytes, header: dict, first: int | None, rows: list, attack: str, finished: bool, average,
                message: str, code_kind: str) -> ParsedLog:
    """The parsed log of one corruption run: its evaluation and its (corruption, level, acc, loss)
    rows, one per (corruption, level), sorted."""
    evaluation = {
        **header,
        **checkpoint_fields(data),
        "norm": None,
        "attack": attack,
        "n_batches": None,
        "finished": finished,
        "corruption_mean_acc": to_float(average.group(1)) if average else None,
    }
    return ParsedLog(
        kind="corruption",
        status="ok" if finished else "partial",
        message=message,
        code=corruption_format(data, first, header["argument_names"], code_kind),
        eval=evaluation,
        corruptions=rows,
    )
