"""Decide which arch is trained where, when, on which GPU, and with which flaw.

The plan is what makes the demo corpus *show* the findings of the original analysis (MSU is the
problematic site). Archs come in contiguous stretches ("windows") of ids spread over 1..15625, each
trained by one site; inside some windows a band of consecutive ids was trained on the native-AMP
path that never unscales its gradients (`timeline`) and, with `cause="precision_path"`, is far
worse than its neighbours; a block around id 6000 is trained at both sites. Everything is drawn
from one seeded `random.Random`, so the same seed gives the same plan.
"""
from __future__ import annotations

import dataclasses
import math
import random
from typing import Dict, List, Optional, Tuple

from ingest.space import MAX_ARCH_ID, search_space, size_class

from . import formats
from .clock import ms_of
from .specs import GPU_3090, GPU_A100, GPU_A6000, GPU_V100, RunSpec

LOG_MACS = (math.log(3361.936896), math.log(38774.320128))
DUP_FIRST = 5990
GPU_SPEED = {GPU_3090: 1.0, GPU_A100: 0.7, GPU_A6000: 1.05, GPU_V100: 1.5}
TORCH_OF_GPU = {GPU_3090: "1.8.0", GPU_A100: "1.10.1+cu111", GPU_A6000: "1.10.2+cu113", GPU_V100: "1.10.0+cu102"}


@dataclasses.dataclass
class Window:
    index: int
    first: int
    last: int
    site: str
    band: Optional[Tuple[int, int]] = None
    band_kind: str = ""


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def windows(archs: int, rng: random.Random) -> Tuple[List[Window], Tuple[int, int]]:
    """Stretches of arch ids (one per segment of 1..15625) and the id range trained at both sites."""
    n_windows = min(60, max(1, round(archs / 30)))
    n_windows = max(n_windows, 5 if archs >= 25 else (2 if archs >= 10 else 1))
    n_dup = _clamp(round(archs * 0.08), 2, 40) if archs >= 10 else 0
    out: List[Window] = []
    leftover = 0
    for k in range(n_windows):
        lo, hi = 1 + k * MAX_ARCH_ID // n_windows, (k + 1) * MAX_ARCH_ID // n_windows
        length = (k + 1) * archs // n_windows - k * archs // n_windows + leftover
        length, leftover = min(length, hi - lo + 1), max(0, length - (hi - lo + 1))
        if k == 0:
            start = rng.randint(lo, max(lo, min(hi - length + 1, 999 - length)))
        elif lo <= DUP_FIRST <= hi and n_dup:
            dup_first = max(lo, min(DUP_FIRST, hi - n_dup + 1))
            start = _clamp(dup_first - rng.randint(0, max(0, length - n_dup)), lo, hi - length + 1)
        else:
            start = rng.randint(lo, hi - length + 1)
        out.append(Window(k, start, start + length - 1, "SUSTech"))
    dup_window = next((w for w in out if w.first <= DUP_FIRST <= w.last or
                       (n_dup and w.first <= DUP_FIRST + n_dup - 1 and w.last >= DUP_FIRST)), None)
    dup = (0, -1)
    if dup_window is not None and n_dup:
        first = max(dup_window.first, min(DUP_FIRST, dup_window.last - n_dup + 1))
        dup = (first, min(dup_window.last, first + n_dup - 1))
    others = [w for w in out[1:] if w is not dup_window]
    n_msu = max(1, round(0.4 * len(out))) if others else 0
    for w in rng.sample(others, min(n_msu, len(others))):
        w.site = "MSU"
    _place_bands(out, archs, rng, dup_window)
    return out, dup


def _place_bands(out: List[Window], archs: int, rng: random.Random, dup_window: Optional[Window]) -> None:
    """Native-path bands: mostly in MSU windows (trained while MSU's machine had no apex), one in a
    SUSTech window trained in December 2022 by the code that forced native AMP."""
    n_msu = 1 if len(out) <= 5 else (2 if archs < 3000 else 12)
    msu = [w for w in out if w.site == "MSU"]
    sustech = [w for w in out if w.site == "SUSTech" and w is not dup_window and w.index != 0]
    sustech = sustech or [w for w in out if w.site == "SUSTech" and w is not dup_window]
    chosen = [(w, "msu") for w in rng.sample(msu, min(n_msu, len(msu)))]
    if sustech:
        chosen.append((rng.choice(sustech), "december"))
    for w, kind in chosen:
        size = w.last - w.first + 1
        length = _clamp(round(size / 3), 3, 12) if archs < 3000 else rng.randint(5, 20)
        length = min(length, size - 4)
        if length < 2:
            continue
        start = w.first + rng.randint(2, size - length - 2)
        w.band, w.band_kind = (start, start + length - 1), kind


def gpu_list_for(rng: random.Random, site: str, bad: bool) -> Tuple[str, ...]:
    if site == "SUSTech":
        gpu = GPU_3090 if rng.random() < 0.65 else GPU_A100
        count = 2 if rng.random() < (0.15 if gpu == GPU_A100 else 0.05) else 1
    else:
        weights = (0.1, 0.1, 0.8) if bad else (0.45, 0.40, 0.15)
        gpu = rng.choices((GPU_3090, GPU_V100, GPU_A6000), weights)[0]
        count = 1
    return (gpu,) * count


GPU_CAUSE = GPU_V100
"""The GPU model whose runs `cause="gpu"` makes low (MSU's V100s; SUSTech has none)."""


def plant_gpu_cause(drafts: List[Dict], rng: random.Random) -> None:
    """`cause="gpu"`: every run whose first GPU is GPU_CAUSE is far worse than its neighbours, on any
    precision path (`gpu_low`). Run after the timeline, which gives MSU's stretch its GPUs."""
    for d in drafts:
        if d["gpu_list"] and d["gpu_list"][0] == GPU_CAUSE:
            d["clean_top"] -= rng.uniform(11.0, 16.0)
            d["cw_top"] -= rng.uniform(9.0, 13.0)
            d["roles"].append("gpu_low")


def epoch_ms(macs: float, gpu_list: Tuple[str, ...]) -> int:
    """Wall time of one epoch: ~0.6 days per run for the smallest arch, ~2.5 for the largest."""
    factor = GPU_SPEED[gpu_list[0]] * (0.6 if len(gpu_list) > 1 else 1.0) if gpu_list else 20.0
    return int((400 + 0.045 * macs) * 1000 * factor)


def draft_runs(archs: int, epochs: int, rng: random.Random,
               cause: str = "precision_path") -> Tuple[List[Dict], List[Window], Tuple[int, int]]:
    """One draft dict per run (dup archs twice), before flaws and timeline.

    `cause`: `precision_path` lowers the band runs (the native path is why they are low); `none`
    keeps them as good as their neighbours (same draws, same corpus shape)."""
    space = search_space()
    wins, dup = windows(archs, rng)
    drafts: List[Dict] = []
    for w in wins:
        for arch_id in range(w.first, w.last + 1):
            in_band = w.band is not None and w.band[0] <= arch_id <= w.band[1]
            drafts.append(_draft(rng, space[arch_id], w, w.site, in_band, False, epochs, cause))
            drafts[-1]["paired"] = dup[0] <= arch_id <= dup[1]   # trained at both sites: no flaw, always evaluated
            if dup[0] <= arch_id <= dup[1]:
                drafts.append(_draft(rng, space[arch_id], w, "MSU", False, True, epochs, cause))
    return drafts, wins, dup


def _draft(rng: random.Random, arch, window: Window, site: str, in_band: bool, dup_copy: bool,
           epochs: int, cause: str) -> Dict:
    s = (math.log(arch.macs_m) - LOG_MACS[0]) / (LOG_MACS[1] - LOG_MACS[0])
    clean_top = 80.0 + 4.5 * s + rng.gauss(0, 0.6)
    cw_top = 46.0 + 5.0 * s + rng.gauss(0, 0.5)
    roles = []
    december = in_band and window.band_kind == "december"
    if site == "MSU":
        behaviour = "early" if rng.random() < (0.8 if dup_copy else 0.7) else "late"
        overfit = rng.uniform(4.0, 8.0)
        clean_top -= 1.0
        cw_top -= 1.0
    else:
        behaviour, overfit = "late", rng.uniform(0.5, 1.5)
    if dup_copy:
        clean_top -= rng.uniform(2.5, 4.0)
        cw_top -= rng.uniform(2.5, 4.0)
        roles.append("dup")
    if in_band:
        clean_drop, cw_drop = rng.uniform(11.0, 16.0), rng.uniform(9.0, 13.0)
        if cause == "precision_path":
            clean_top -= clean_drop
            cw_top -= cw_drop
            roles.append("band")
            if december:
                roles.append("december")
    gpus = (GPU_3090,) if december else gpu_list_for(rng, site, in_band)
    stem = f"arch_{arch.arch_id}"
    size = size_class(arch.arch_id)
    root = "msu" if site == "MSU" else "logs"
    return {
        "arch": arch, "stem": stem, "folder": f"{root}/{size}", "site": site,
        "committer": "shihuahuang" if site == "MSU" else "zaber", "gpu_list": gpus,
        "torch_version": TORCH_OF_GPU[gpus[0]] if site == "SUSTech" or gpus[0] != GPU_3090 else "1.10.2+cu113",
        "seed": 0, "epochs": epochs, "behaviour": behaviour, "clean_top": clean_top, "cw_top": cw_top,
        "overfit": overfit, "decays": tuple(m for m in formats.milestones(epochs)[:2] if m < epochs),
        "exp_name": f"./ablation_dir/nasbench/{size}/r1/{stem}", "config_path": f"./configs/nasbench/{size}",
        "data_path": "./datasets" if site == "SUSTech" else "../datasets",
        "workers": 8 if site == "SUSTech" else 4, "run_name": "r1", "data_parallel": len(gpus) > 1,
        "roles": roles, "window": window.index, "evals": [],
        "batch": ("december" if december else "stretch") if in_band else None,
    }


def schedule(drafts: List[Dict], start: str, slots: int, rng: random.Random) -> None:
    """Start times: runs go through `slots` GPUs in order; a run takes epochs x epoch time."""
    free = [ms_of(start) + i * 3_600_000 for i in range(max(1, slots))]
    for d in drafts:
        d["epoch_ms"] = epoch_ms(d["arch"].macs_m, d["gpu_list"])
        slot = min(range(len(free)), key=lambda i: (free[i], i))
        d["start_ms"] = free[slot] + int(rng.uniform(0.3, 6.0) * 3_600_000)
        d["ready_ms"] = d["start_ms"] + int(d["epochs"] * d["epoch_ms"] * 1.08) + 3_600_000
        free[slot] = d["ready_ms"] + int(rng.uniform(0.5, 12.0) * 3_600_000)


def finalize(drafts: List[Dict]) -> List[RunSpec]:
    names = {f.name for f in dataclasses.fields(RunSpec)}
    return [RunSpec(index=i, **{k: (tuple(v) if k in ("roles", "evals") else v)
                                for k, v in d.items() if k in names and k != "index"})
            for i, d in enumerate(drafts)]
