"""Which code wrote a log, as far as the log itself tells: its code fingerprint.

A version of the benchmark's code shows in its logs by the names of the argument lines (the argparse
options, SPEC section 8) and by a few line formats that changed between versions. Both are gathered
here; their hash is the log's `code_fingerprint`, so logs written by the same code group together
without any code repository. The lines themselves (one of each checked kind) are kept too: with
the code's history at hand (`ingest --code-repo`) they decide which commits' logging calls could
have printed them (warehouse/code_windows.py).

>>> fingerprint("training", ["seed", "model"], {"block_titles": True})
'9c2c9d6e1c6c'
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ingest._scan import line_message, training_format_lines


@dataclass(frozen=True)
class CodeFormat:
    """What a log says about the code that wrote it."""

    kind: str  # training, evaluation or corruption: which entry script wrote it
    argument_names: tuple[str, ...]
    markers: tuple[tuple[str, object], ...]
    lines: tuple[str, ...]

    @property
    def fingerprint(self) -> str:
        """`fingerprint` of this format, computed once per format in a process: tens of thousands
        of logs share a few dozen formats. The key holds each value's type (True and 1 are equal
        keys but print differently); a value that cannot be part of a key is hashed each time."""
        try:
            key = (self.kind, self.argument_names,
                   tuple((name, type(value), _typed(value) if type(value) is list else value) for name, value in self.markers))
            return _FINGERPRINTS[key]
        except TypeError:
            return fingerprint(self.kind, self.argument_names, dict(self.markers))
        except KeyError:
            value = fingerprint(self.kind, self.argument_names, dict(self.markers))
            if len(_FINGERPRINTS) < 4096:
                _FINGERPRINTS[key] = value
            return value

    @property
    def markers_text(self) -> str:
        return json.dumps(dict(self.markers), sort_keys=True)


def _typed(values: list) -> tuple:
    return tuple((type(v), v) for v in values)


_FINGERPRINTS: dict[tuple, str] = {}
"""CodeFormat.fingerprint's values by format (at most 4,096 kept)."""


def fingerprint(kind: str, names, markers: dict) -> str:
    """A stable short hash of what identifies a code version in a log."""
    text = "\n".join([kind, ",".join(names), json.dumps(markers, sort_keys=True)])
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def _digits_as_hash(text: str) -> str:
    """`PGD-20` -> `PGD-#`: a Best line's name without its step count (a setting, not a code version)."""
    out = []
    for c in text:
        if c.isascii() and c.isdigit():
            if not out or out[-1] != "#":
                out.append("#")
        else:
            out.append(c)
    return "".join(out)


_BEST_NAMES: dict[str, str] = {}
"""`_digits_as_hash` of the Best lines' names seen (a few per code version; at most 4,096 kept)."""


def training_format(data: bytes, headers: list[int], names: list[str], finished: bool) -> CodeFormat:
    """The code format of a training log whose first header starts at headers[0]: its lines are
    found by `ingest._scan.training_format_lines` (tests/format_oracle.py states the rule)."""
    first_header_end = headers[1] if len(headers) > 1 else len(data)
    start_lines, titled, messages, blocks = training_format_lines(data, headers[0], first_header_end, finished)
    label = None
    best = []
    at = 2 if titled else 1  # the block's Natural line is the title's next
    for block in blocks:
        for message in block:
            if message.startswith("Best "):
                name = message[5:].split(" accuracy:")[0]
                hashed = _BEST_NAMES.get(name)
                if hashed is None:
                    hashed = _digits_as_hash(name)
                    if len(_BEST_NAMES) < 4096:
                        _BEST_NAMES[name] = hashed
                best.append(hashed)
        label_line = block[at] if len(block) > at else ""
        if label is None and " Correct Count: " in label_line:
            label = label_line.split(" Correct Count: ")[0]
    markers = {
        "start_lines": start_lines,
        "block_titles": titled,
        "blocks": len(blocks),
        "block_label": label,
        "best_lines": best,
    }
    return CodeFormat("training", tuple(names), tuple(sorted(markers.items())), tuple(messages))


def evaluation_format(messages: tuple[str | None, ...], names: list[str], kind: str = "evaluation") -> CodeFormat:
    """The code format of an evaluation log from the messages of the last line of each result kind
    after its header (`ingest._scan.eval_results`: Natural, FGSM, PGD, CW, `-AA Acc`, `Running Cost`;
    None for a kind it lacks): `evaluation` (eval.py: Base and AutoAttack) or `re-evaluation`
    (eval_test_loss.py: `_eval_test-loss.log`)."""
    natural, _, _, cw, aa, _ = messages
    markers: dict[str, object] = {}
    if natural is not None:
        markers["test_loss"] = " Test Loss: " in natural
    if cw is not None:
        markers["cw_lip"] = " LIP: " in cw
    if aa is not None:
        markers["aa_line"] = "Accuracy" if "-AA Accuracy:" in aa else "Acc"
    return CodeFormat(kind, tuple(names), tuple(sorted(markers.items())),
                      tuple(message for message in messages if message is not None))


def corruption_format(data: bytes, first_result: int | None, names: list[str], kind: str = "corruption") -> CodeFormat:
    """The code format of a corruption evaluation log: `corruption` (eval_corruption_level.py, per
    level) or `corruption-all-levels` (eval_corruption.py)."""
    messages = []
    if first_result is not None:
        messages.append(line_message(data, first_result))
    for literal in (b"Average Accuracy: ", b"Running Cost "):
        at = data.rfind(literal)
        if at >= 0:
            messages.append(line_message(data, at))
    return CodeFormat(kind, tuple(names), (), tuple(messages))
