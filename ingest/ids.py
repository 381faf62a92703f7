"""The id of a file in the warehouse (`files.file_id`, the key of every record read from it): made
from its path alone, by the ingest and by the integrity invariants, which import nothing else of
ingest/ for it."""
from __future__ import annotations

import hashlib


def file_id(path: str) -> int:
    """Stable 63-bit id of a path: the same warehouse whatever order folders are ingested in."""
    return int.from_bytes(hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=8).digest(), "big") >> 1
