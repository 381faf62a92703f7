"""Files that are not well-formed logs: what real shared log repositories also hold.

Unrelated files (a README, notes, a figure), the sites file, and broken training logs under valid
names: an empty one, a binary one and one in an unknown text format. Each comes with the status an
ingest should give it.
"""
from __future__ import annotations

import random
import struct
import zlib
from typing import Dict, List, Set

from ingest.space import MAX_ARCH_ID, size_class

from .clock import ms_of
from .specs import SITES_TOML, StaticFile

README = """# NARes training logs

Training and evaluation logs of the NARes / RobustNASBench runs (PGD-7 adversarial training on
CIFAR-10, 100 epochs, one folder per architecture). SUSTech runs live under `logs/`, MSU runs under
`msu/`. `sites.toml` says which git authors belong to which site.
"""

NOTES = """notes (shihuahuang)
- A6000 node 3 had driver trouble in Aug; reruns pending
- eval queue: Linf Base first, AA later
- check lr schedule patch on the msu branch before merging
"""


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    """A small valid grey PNG (deterministic), standing in for an exported figure."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes((x * 4 + y) % 256 for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def _garbled(rng: random.Random) -> bytes:
    """A log in a format no parser knows: a CSV export someone saved under a log's name."""
    rows = ["epoch,train_loss,train_acc,val_acc,lr"]
    for e in range(12):
        rows.append(f"{e},{2.2 - 0.08 * e + rng.random() * 0.02:.4f},{0.2 + 0.02 * e:.4f},"
                    f"{0.3 + 0.03 * e:.4f},0.1")
    return ("\n".join(rows) + "\n").encode()


def static_files(trained: Set[int], rng: random.Random) -> List[StaticFile]:
    """Unrelated and broken files, each with the site that commits it (None: untracked)."""
    spring = ms_of("2022-12-16 10:00:00")
    free = [i for i in range(200, MAX_ARCH_ID, 997) if i not in trained] + [200, 1197, 2194]
    empty_id, binary_id, garbled_id = free[0], free[1], free[2]
    binary = bytes(rng.randrange(256) for _ in range(3000)) + b"\x00\x00\x89PNG\x00" * 8
    out = [
        StaticFile("sites.toml", SITES_TOML.encode(), "zaber", spring, "SUSTech", "sites"),
        StaticFile("README.md", README.encode(), "zaber", spring, "SUSTech", "unrelated"),
        StaticFile("msu/notes.txt", NOTES.encode(), "shihuahuang", ms_of("2023-08-21 16:40:00"), "MSU",
                   "unrelated"),
        StaticFile("figures/best_epoch_overview.png", png_bytes(), "zaber", ms_of("2023-09-12 11:05:00"),
                   "SUSTech", "unrelated"),
        StaticFile(_log(empty_id, "logs", trained), b"", "zaber", ms_of("2023-06-02 19:30:00"), "SUSTech",
                   "empty"),
        StaticFile(_log(binary_id, "msu", trained), binary, "shihuahuang", ms_of("2023-09-03 08:15:00"), "MSU",
                   "binary"),
        StaticFile(_log(garbled_id, "logs", trained), _garbled(rng), "zaber", ms_of("2023-07-19 14:02:00"),
                   "SUSTech", "garbled"),
    ]
    return out


def _log(arch_id: int, root: str, trained: Set[int]) -> str:
    """Where a broken log goes: next to the site's logs, or in `scratch/` when the arch was trained
    (at full scale every id is), so that it never replaces a real log."""
    stem = f"arch_{arch_id}"
    if arch_id in trained:
        return f"{root}/scratch/{stem}.log"
    return f"{root}/{size_class(arch_id)}/{stem}.log"


BROKEN_WHY: Dict[str, Dict[str, str]] = {
    "empty": {"expected_status": "error", "why": "empty training log (0 bytes)"},
    "binary": {"expected_status": "error", "why": "binary content under a training log name"},
    "garbled": {"expected_status": "error", "why": "text in an unknown format (a CSV export)"},
}
