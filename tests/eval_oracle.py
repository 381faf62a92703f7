"""The rules of ingest/_scan.c `eval_results` and `checkpoint_values` (an evaluation's result lines and
its printed checkpoint dict) stated again as regular expressions, and of `argument_starts` and
`argument_start` (where an evaluation log's runs start), in plain Python.

These are the expressions the evaluation parser matched with before the rules were compiled; this is
the oracle of tests/test_scan.py: slow, short and independent of the compiled code.
"""
from __future__ import annotations

import re

from format_oracle import line_message

from ingest.logtext import RECORD_PREFIX, message_starts_record
from ingest.numbers import NUM_BYTES as NUM

END = rb"[ \t\r]*+\n"
COUNT = rb"(\d++)/(\d++)"
LITERALS = (b"Natural Correct Count: ", b"FGSM with ", b"PGD with ", b"CW with ", b"-AA Acc", b"Running Cost ")
PATTERNS = (
    re.compile(rb"Natural Correct Count: " + COUNT + rb", Acc: (" + NUM + rb")(?: Test Loss: (" + NUM + rb"))?+" + END),
    re.compile(rb"FGSM with \d++ steps?+ Correct Count: " + COUNT + rb", Acc: (" + NUM + rb"), Stable: (" + NUM + rb")" + END),
    re.compile(rb"PGD with \d++ steps Correct Count: " + COUNT + rb", Acc: (" + NUM + rb"), Stable: (" + NUM
               + rb")(?: LIP: (" + NUM + rb"))?+" + END),
    re.compile(rb"CW with \d++ steps Correct Count: " + COUNT + rb", Acc: (" + NUM + rb"), Stable: (" + NUM
               + rb")(?: LIP: (" + NUM + rb"))?+" + END),
    re.compile(rb"-AA Acc(?:uracy)?+: (" + NUM + rb")" + END),
)
AA_CLEAN = re.compile(rb"initial accuracy: (" + NUM + rb")%")
TEST_LOSS = re.compile(rb"Test Loss: (" + NUM + rb")" + END)
SCALAR = {key: re.compile(rb"'" + key + rb"': (?:np\.\w++\()?+(" + NUM + rb")")
          for key in (b"best_pgdcw_acc", b"best_pgd_acc", b"global_step")}
HISTORY = re.compile(rb"'pgdcw_eval_history': \[([^\]]*+)\]")


def eval_results(data: bytes, results: int, wants: int) -> tuple:
    """What `ingest._scan.eval_results` answers."""
    lines = []
    for literal, pattern in zip(LITERALS, PATTERNS):
        at = data.rfind(literal)
        match = pattern.match(data, at) if at >= 0 else None
        lines.append(match.groups() if match else None)
    clean = test_loss = None
    if wants & 1:
        at = data.find(b"initial accuracy: ")
        match = AA_CLEAN.match(data, at) if at >= 0 else None
        clean = match.group(1) if match else None
    if wants & 2:
        at = data.rfind(b"Test Loss: ")
        match = TEST_LOSS.match(data, at) if at >= 0 and message_starts_record(data, at) else None
        test_loss = match.group(1) if match else None
    messages = tuple(line_message(data, at) if (at := data.rfind(literal, results)) >= 0 else None for literal in LITERALS)
    return (*lines, clean, test_loss, data.count(b"Nature Acc: ", results), messages)


def checkpoint_values(data: bytes) -> tuple:
    """What `ingest._scan.checkpoint_values` answers: on the line of the last ` {'`."""
    start = data.rfind(b" {'")
    if start < 0:
        return None, None, None, None
    end = data.find(b"\n", start)
    raw = data[start: end if end >= 0 else len(data)]
    values = []
    for key, pattern in SCALAR.items():
        at = raw.find(b"'" + key + b"': ")
        match = pattern.match(raw, at) if at >= 0 else None
        values.append(match.group(1) if match else None)
    at = raw.find(b"'pgdcw_eval_history': [")
    history = HISTORY.match(raw, at) if at >= 0 else None
    return (*values, history.group(1).count(b"(") if history else None)


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
    at = data.find(_FIRST_ARGUMENT, RECORD_PREFIX)
    while at >= 0:
        start = argument_start(data, at - RECORD_PREFIX)
        if start:  # (0 is the first run's)
            starts.append(start)
        at = data.find(_FIRST_ARGUMENT, at + 1)
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
