"""When each evaluation ran, and so which version of `eval.py` wrote it.

Evaluations start with the evaluation code (November 2023) and run until late 2024. SUSTech's
machines (+0800, the code authors' zone) ran evaluations in every version's window, including the
18 hours of E4 on 2024-04-18; MSU's (US time) ran from January 2024 and keep more than 14 hours
from every commit of the evaluation code, so that its logs' dates compare the same way with the
commits whatever zone one reads them in. Corruption sweeps (`eval_corruption_level.py`, not
`eval.py`) start once that script writes `_eval_cifar10c_level.log` (2024-05-27).
"""
from __future__ import annotations

import random
from functools import lru_cache
from typing import Optional, Tuple

from . import codeversions as cv
from .clock import ms_of

HOUR = 3_600_000
#: SUSTech's evaluation windows: (internal code, first, last start) in +0800 wall clock
SUSTECH_WINDOWS = (
    ("E1", "2023-11-13 08:00:00", "2023-11-23 14:00:00"),
    ("E2a", "2023-11-24 00:10:00", "2023-11-26 07:30:00"),
    ("E2b", "2023-11-26 18:55:00", "2023-12-05 01:00:00"),
    ("E2c", "2023-12-05 11:10:00", "2024-01-06 16:00:00"),
    ("E3", "2024-01-07 02:15:00", "2024-04-17 19:00:00"),
    ("E4", "2024-04-18 05:15:00", "2024-04-18 21:45:00"),
    ("E5", "2024-04-18 23:05:00", "2024-10-31 20:00:00"),
)
#: how often each window is picked, by what is evaluated (the old L2 runs show the 8/255 epsilon,
#: the old AutoAttack runs the `_AA.log` name of compact runs)
WEIGHTS = {
    "Base": (0.14, 0.06, 0.10, 0.15, 0.30, 0.05, 0.20),
    "L2": (0.25, 0.05, 0.05, 0.10, 0.25, 0.0, 0.30),
    "AA": (0.20, 0.10, 0.20, 0.10, 0.20, 0.0, 0.20),
}
MSU_FIRST, LAST = ms_of("2024-01-09 09:00:00"), ms_of("2024-10-31 20:00:00")
CORRUPTION_FIRST = ms_of("2024-05-28 09:00:00")


@lru_cache(maxsize=64)
def _class_times(kind: str, code: str) -> Tuple[int, ...]:
    """Times of the commits whose eval.py fits the same logs as `code`'s (all commits: `code` "")."""
    return tuple(sorted(c.ms for c in cv.EVAL_COMMITS
                        if not code or (c.code and cv.eval_templates_match(c.code, code, kind))))


def settle(ms: int, site: str, kind: str) -> Tuple[int, cv.EvalCode]:
    """`ms` moved past commits it must keep clear of, and the code current then."""
    for _ in range(50):
        code = cv.eval_code_at(ms)
        if site == "MSU":
            moved = cv.clear_of_commits(ms, _class_times(kind, ""), 14 * HOUR, 14 * HOUR)
        else:
            moved = cv.clear_of_commits(ms, _class_times(kind, code.name), HOUR // 2, 9 * HOUR)
        if moved == ms:
            return ms, code
        ms = moved
    raise RuntimeError("no evaluation time clear of the code's commits")


def eval_start(rng: random.Random, site: str, norm: str, attack: str, ready_ms: int) -> Tuple[int, Optional[str]]:
    """(start, internal eval code) of an evaluation of a checkpoint ready at `ready_ms`; code None for
    the corruption sweep, which another script writes."""
    kind = "AA" if attack in ("AA", "AA-Compact") else "Base"
    if attack == "cifar10c":
        first = max(CORRUPTION_FIRST, ready_ms + 2 * HOUR)
        start = first + int(rng.uniform(0, 1) * max(0, LAST - first))
        return (cv.clear_of_commits(start, _class_times("", ""), 14 * HOUR, 14 * HOUR)
                if site == "MSU" else start), None
    if site == "MSU":
        start = max(MSU_FIRST, ready_ms + 2 * HOUR) + int(rng.uniform(0, 1) * (LAST - MSU_FIRST) * 0.8)
    else:
        weights = WEIGHTS["L2" if norm == "L2" else kind]
        _, first, last = rng.choices(SUSTECH_WINDOWS, weights)[0]
        start = ms_of(first) + int(rng.uniform(0, 1) * (ms_of(last) - ms_of(first)))
        start = max(start, ready_ms + int(rng.uniform(1, 30) * HOUR))
    start, code = settle(start, site, kind)
    return start, code.name
