"""Corruption evaluations (`arch_<id>_eval_cifar10c_level.log`): 19 corruptions x 5 severities.

After the argument lines, one line per corruption and level,
`gaussian_noise (level=1): Loss: 0.4321, Acc: 85.12`, then `Average Accuracy: 78.1234` and
`Running Cost <x> Hours` (the corruption script counts hours, the others days).
"""
from __future__ import annotations

from ingest._scan import corruption_results
from ingest.errors import ParseError
from ingest.eval_header import checkpoint_fields, eval_header
from ingest.log_format import corruption_format
from ingest.logtext import check_log_bytes
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
_AVERAGE = linear("corruption_log.average", rb"Average Accuracy: (" + NUM_BYTES + rb")[ \t\r]*+\n", use="match",
                  worst_case=lambda n: b"Average Accuracy: " + b"9" * n + b"X")


def _result_lines(data: bytes) -> tuple[dict[tuple[str, int], tuple[bytes, bytes]], int | None]:
    """(corruption, level) -> (acc, loss) texts, a repeated line keeping the later; and where the
    first result line's record starts. The lines are found by the compiled scanner (ingest/_scan.c
    `corruption_results`, which states the rule)."""
    lines, first = corruption_results(data)
    found: dict[tuple[str, int], tuple[bytes, bytes]] = {}
    for name, level, loss, acc in lines:
        found[(name, int(level))] = (acc, loss)
    return found, first


def parse_corruption_log(data: bytes, path: str) -> ParsedLog:
    """Parse one corruption evaluation."""
    check_log_bytes(data, path)
    found, first = _result_lines(data)
    at = data.rfind(b"Average Accuracy: ")  # the last, as a repeated result line keeps the later (a run appended)
    average = _AVERAGE.match(data, at) if at >= 0 else None
    header = eval_header(data, first if first is not None else len(data))
    if not found and not average and not header["model"]:
        raise ParseError(path, 1, "no corruption result lines and no argument lines: not a corruption evaluation log")
    missing = _EXPECTED - found.keys()
    unknown = sorted({name for name, _ in found} - set(CORRUPTIONS))
    finished = average is not None and not missing
    notes = []
    if not finished:
        what = f"{len(found)} of {len(_EXPECTED)} corruption lines" + ("" if average else ", no Average Accuracy")
        notes.append(f"unfinished corruption evaluation: {what}")
    if unknown:
        notes.append(f"unknown corruptions: {', '.join(unknown)}")
    evaluation = {
        **header,
        **checkpoint_fields(data),
        "norm": None,
        "attack": "cifar10c",
        "n_batches": None,
        "finished": finished,
        "corruption_mean_acc": to_float(average.group(1)) if average else None,
    }
    # float() reads every text the NUM pattern matches (nan and inf included): no fallback needed
    rows = [(name, level, float(acc), float(loss)) for (name, level), (acc, loss) in sorted(found.items())]
    return ParsedLog(
        kind="corruption",
        status="ok" if finished else "partial",
        message="; ".join(notes) if notes else f"finished corruption evaluation, {len(rows)} results",
        code=corruption_format(data, first, header["argument_names"]),
        eval=evaluation,
        corruptions=rows,
    )
