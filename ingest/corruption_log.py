"""Corruption evaluations (`arch_<id>_eval_cifar10c_level.log`): 19 corruptions x 5 severities.

After the argument and config lines, one line per corruption and level,
`gaussian_noise (level=1): Loss: 0.4321, Acc: 85.12`, then `Average Accuracy: 78.1234`.
"""
from __future__ import annotations

import re

from ingest.errors import ParseError
from ingest.logrecords import NUM, checkpoint_fields, decode_log, eval_header, find, to_float
from ingest.records import ParsedLog

CORRUPTIONS = (
    "gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "defocus_blur", "glass_blur",
    "gaussian_blur", "motion_blur", "zoom_blur", "snow", "frost", "fog", "brightness", "spatter",
    "contrast", "elastic_transform", "pixelate", "jpeg_compression", "saturate",
)
LEVELS = 5
_EXPECTED = frozenset((c, level) for c in CORRUPTIONS for level in range(1, LEVELS + 1))
_LINE = re.compile(rf" ([a-z_]+) \(level=(\d+)\): Loss: ({NUM}), Acc: ({NUM})[ \t]*\n")
_AVERAGE = re.compile(rf"Average Accuracy: ({NUM})[ \t]*(?:\n|$)")


def parse_corruption_log(data: bytes, path: str) -> ParsedLog:
    """Parse one corruption evaluation; repeated (corruption, level) lines keep the later one."""
    text = decode_log(data, path)
    # the pattern starts with a space, so a regex search would try every space of the header:
    # start at the line of the first `(level=` instead (no result line can start before it)
    level = find(text, " (level=")
    start = text.rfind("\n", 0, level) + 1 if level >= 0 else len(text)
    first_match = _LINE.search(text, start)
    first = first_match.start() if first_match else None
    lines = _LINE.findall(text, first) if first_match else []  # from the first result line on
    found = {(name, int(lvl)): (acc, loss) for name, lvl, loss, acc in lines}  # a repeated line: the later wins
    average = _AVERAGE.search(text)
    header = eval_header(text, first if first is not None else len(text))
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
        **checkpoint_fields(text),
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
        eval=evaluation,
        corruptions=rows,
    )
