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

_LINE_LIMIT = 400
"""Characters of a sample line kept (a result line is well under; a damaged one may be huge)."""


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


def _message(data: bytes, line: int) -> str:
    """The message of the record whose line starts at `line` (without its timestamp)."""
    end = data.find(b"\n", line)
    end = len(data) if end < 0 else end
    return data[line + 24: min(end, line + 24 + _LINE_LIMIT)].rstrip(b"\r").decode("utf-8", errors="replace")


def _line_of(data: bytes, at: int) -> int:
    return data.rfind(b"\n", 0, at) + 1


def _next_line(data: bytes, line: int) -> int:
    end = data.find(b"\n", line)
    return -1 if end < 0 else end + 1


def _blocks(data: bytes, start: int, end: int) -> list[list[int]]:
    """Line starts of the attack blocks of the first validated epoch in data[start:end]: per block its
    optional title, the five result lines and an optional Best line."""
    blocks: list[list[int]] = []
    at = data.find(b"Natural Correct Count: ", start, end)
    while at >= 0 and len(blocks) < 2:
        line = _line_of(data, at)
        block = []
        previous = _line_of(data, line - 1) if line > 0 else -1
        if previous >= 0 and data.startswith(b"---- ", previous + 24):
            block.append(previous)
        pos = line
        for _ in range(5):
            if pos < 0:
                break
            block.append(pos)
            pos = _next_line(data, pos)
        if pos >= 0 and data.startswith(b"Best ", pos + 24):
            block.append(pos)
            pos = _next_line(data, pos)
        blocks.append(block)
        if pos < 0 or not data.startswith(b"Natural Correct Count: ", pos + 24) and not data.startswith(b"---- ", pos + 24):
            break  # the epoch had one block
        at = data.find(b"Natural Correct Count: ", pos, end)
    return blocks


def training_format(data: bytes, headers: list[int], names: list[str], finished: bool) -> CodeFormat:
    """The code format of a training log whose first header starts at headers[0]."""
    first_header_end = headers[1] if len(headers) > 1 else len(data)
    lines: list[int] = []
    start_lines = data.count(b" ### Start to evaluate from ", 0, headers[0])
    start = data.find(b" ### Start to evaluate from ", 0, headers[0])
    if start >= 0:
        lines.append(_line_of(data, start))
    eval_loss = data.find(b"Eval Loss:", headers[0], first_header_end)
    blocks = _blocks(data, eval_loss, first_header_end) if eval_loss >= 0 else []
    if eval_loss >= 0:
        lines.append(_line_of(data, eval_loss))
    for block in blocks:
        lines.extend(block)
    of_line = {line: _message(data, line) for line in lines}  # every block line is one of `lines`: read once
    messages = [of_line[line] for line in lines]
    titled = bool(blocks) and data.startswith(b"---- ", blocks[0][0] + 24)
    label = None
    best = []
    for block in blocks:
        for line in block:
            message = of_line[line]
            if message.startswith("Best "):
                best.append(_digits_as_hash(message[5:].split(" accuracy:")[0]))
        label_line = of_line[block[2 if titled else 1]] if len(block) > (2 if titled else 1) else ""
        if label is None and " Correct Count: " in label_line:
            label = label_line.split(" Correct Count: ")[0]
    if finished:
        at = data.rfind(b"Running Cost ")
        if at >= 0:
            messages.append(_message(data, _line_of(data, at)))
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
        messages.append(_message(data, first_result))
    for literal in (b"Average Accuracy: ", b"Running Cost "):
        at = data.rfind(literal)
        if at >= 0:
            messages.append(_message(data, _line_of(data, at)))
    return CodeFormat(kind, tuple(names), (), tuple(messages))
