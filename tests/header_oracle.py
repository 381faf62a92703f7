"""The rule of ingest/_scan.c `header_fields` (what the parsers take from a log's header records)
stated again in plain Python, on the records of the oracle's `header_records` (tests/train_oracle.py).

This is the oracle of tests/test_scan.py: slow, short and independent of the compiled code.
"""
from __future__ import annotations

from train_oracle import header_records

FIRST_CONFIG_KEY = "num_classes"
CONFIG_MARK = b": Config(["


def header_fields(data: bytes, stop: int, after: int, config_start: int) -> tuple[dict, list, list]:
    """What `ingest._scan.header_fields` answers."""
    records = header_records(data, 0, stop)
    values: dict[str, str] = {}
    for _, key, value in records:
        if not value.startswith("Config("):
            values.setdefault(key, value)
    names: list[str] = []
    for offset, key, _ in records:
        if offset <= after:
            continue
        if key == FIRST_CONFIG_KEY or not key.isidentifier():
            if names:
                break
            continue
        names.append(key)
    configs = []
    at = data.find(CONFIG_MARK, config_start, stop)
    while at >= 0:
        line_start = data.rfind(b"\n", 0, at) + 1
        line_end = data.find(b"\n", at)
        key = data[line_start:at].rsplit(b" ", 1)[-1].decode("utf-8", errors="replace")
        configs.append((key, data[at + 2: line_end if line_end >= 0 else len(data)].decode("utf-8", errors="replace")))
        at = data.find(CONFIG_MARK, at + 1, stop)
    return values, names, configs
