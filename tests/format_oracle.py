"""The rule of ingest/_scan.c `training_format_lines` (which lines of a training log show its code
format) and `line_message` (a record's message), stated again in plain Python.

This is the oracle of tests/test_scan.py: slow, short and independent of the compiled code.
"""
from __future__ import annotations

MESSAGE_LIMIT = 400


def line_message(data: bytes, at: int) -> str:
    """The message of the record on the line holding data[at]: after the 24-byte timestamp, at
    most MESSAGE_LIMIT bytes, without trailing carriage returns, bad UTF-8 replaced."""
    line = _line_of(data, at)
    end = data.find(b"\n", line)
    end = len(data) if end < 0 else end
    return data[line + 24: min(end, line + 24 + MESSAGE_LIMIT)].rstrip(b"\r").decode("utf-8", errors="replace")


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


def training_format_lines(data: bytes, header: int, end: int, finished: bool) -> tuple[int, bool, list[str], list[list[str]]]:
    """(start_lines, titled, messages, blocks) of a training log whose first header starts at
    `header` and whose first segment ends at `end` (see ingest/_scan.c)."""
    lines: list[int] = []
    start_lines = data.count(b" ### Start to evaluate from ", 0, header)
    start = data.find(b" ### Start to evaluate from ", 0, header)
    if start >= 0:
        lines.append(_line_of(data, start))
    eval_loss = data.find(b"Eval Loss:", header, end)
    blocks = _blocks(data, eval_loss, end) if eval_loss >= 0 else []
    if eval_loss >= 0:
        lines.append(_line_of(data, eval_loss))
    for block in blocks:
        lines.extend(block)
    messages = [line_message(data, line) for line in lines]
    titled = bool(blocks) and data.startswith(b"---- ", blocks[0][0] + 24)
    if finished:
        at = data.rfind(b"Running Cost ")
        if at >= 0:
            messages.append(line_message(data, at))
    return start_lines, titled, messages, [[line_message(data, line) for line in block] for block in blocks]
