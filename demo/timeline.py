"""When each run trained, which code version wrote its log, and which precision path it took.

The history of SPEC section 8, as a schedule over the draft runs of `plan.draft_runs`:

- 2022-12-18..20: SUSTech's first runs (the lowest arch ids), written by the 2022 training code
  (T3..T6: zero-padded names, no run level in exp_name, random seeds, T3 validates PGD only);
- 2022-12-20..31: SUSTech's December batch (one band of archs) under T7, which forces native AMP:
  the GradScaler path that never unscales its gradients;
- 2023-01-04 on: SUSTech's main queue (T8), fp32 or apex;
- 2023-02-06 on: MSU's queue (T8, always `--apex-amp`); for some weeks its machine could not import
  apex, so every run started then took the native path: the MSU band runs, a few other archs and
  whatever else started in that stretch, mostly on its A6000s;
- 2024-06-17 on: a few SUSTech re-runs under T9 (`valset`, `attack_step`).

`cause="precision_path"` makes native-path runs low (the band runs, and most of the extra archs of
MSU's stretch); `cause="none"` keeps the same schedule with no run worse for it.
"""
from __future__ import annotations

import math
import random
from typing import Dict, List

from . import codeversions as cv
from .clock import ms_of
from .plan import TORCH_OF_GPU, epoch_ms, gpu_list_for, schedule
from .specs import GPU_3090

HOUR = 3_600_000
DAY = 24 * HOUR
#: start windows of the 2022 formats (wall clock at SUSTech, +0800): inside each code's window, at
#: least 30 min after a commit with the same argument names and 9 h before the next one
OLD_WINDOWS = {
    "T3": ("2022-12-18 17:47:00", "2022-12-18 20:05:00"),
    "T4": ("2022-12-18 21:06:00", "2022-12-18 22:20:00"),
    "T5": ("2022-12-19 10:34:00", "2022-12-19 21:20:00"),
    "T6": ("2022-12-19 22:27:00", "2022-12-20 19:00:00"),
}
DECEMBER_FROM, DECEMBER_LAST = "2022-12-20 20:16:00", "2022-12-31 20:00:00"
SUSTECH_FROM = "2023-01-04 09:00:00"
MSU_FROM = "2023-02-06 10:00:00"
LATE_FROM = "2024-06-17 09:00:00"
AMP_SPEED = 0.6          # step time on a tensor-core GPU with AMP (apex or native) relative to fp32


def plant_timeline(drafts: List[Dict], rng: random.Random, cause: str, archs: int) -> Dict:
    """Start times, code versions and precision paths of every draft; returns the native stretch."""
    days = sum(d["epochs"] for d in drafts) * 0.012 / max(1, len(drafts))
    old = _old_format_runs(drafts, archs)
    december = [d for d in drafts if d["batch"] == "december"]
    late = _late_runs(drafts, rng)
    taken = {id(d) for _, d in old} | {id(d) for d in december + late}
    sustech = [d for d in drafts if d["site"] == "SUSTech" and id(d) not in taken]
    for d in sustech:
        _set_code(d, "T8", rng)
    for d in late:
        _set_code(d, "T9", rng)
    for d in december:
        _set_code(d, "T7", rng)
    for code, d in old:
        _set_code(d, code, rng)
    for code, d in old:
        first, last = (ms_of(t) for t in OLD_WINDOWS[code])
        d["epoch_ms"] = _epoch_ms(d)
        d["start_ms"] = first + int(rng.uniform(0.0, 1.0) * (last - first))
        d["ready_ms"] = d["start_ms"] + int(d["epochs"] * d["epoch_ms"] * 1.08) + HOUR
    _schedule_before(december, DECEMBER_FROM, ms_of(DECEMBER_LAST), rng)
    schedule(sustech, SUSTECH_FROM, math.ceil(len(sustech) * max(days, 0.05) / 150), rng)
    schedule(late, LATE_FROM, 1 if len(late) <= 6 else 2, rng)
    stretch = _msu_queue(drafts, rng, cause, days)
    for d in drafts:
        code = cv.train_code_at(d["start_ms"])
        assert code.name == d["code"], (d["stem"], d["code"], code.name)
    return stretch


def _set_code(d: Dict, code: str, rng: random.Random) -> None:
    """The header facts the code version decides: names, exp_name, seed, flags, precision path."""
    spec = cv.TRAIN_CODES[code]
    d["code"] = code
    arch_id = d["arch"].arch_id
    size = d["config_path"].rsplit("/", 1)[-1]
    if spec.zero_padded and arch_id < 1000:
        d["stem"] = f"arch_{arch_id:04d}"
        d["roles"].append("zero_padded")
    stem = d["stem"]
    d["exp_name"] = {"size": f"./ablation_dir/nasbench/{size}", "arch": f"./ablation_dir/nasbench/{size}/{stem}",
                     "run": f"./ablation_dir/nasbench/{size}/r1/{stem}"}[spec.exp_levels]
    d["seed"] = rng.randint(0, 1000) if spec.random_seed else 0
    forced = dict(spec.forced)
    d["data_parallel"] = forced.get("data_parallel", len(d["gpu_list"]) > 1)
    if d["site"] == "MSU":
        d["apex_flag"] = True   # MSU's scripts always pass --apex-amp (apex decides: `_msu_queue`)
    else:   # SUSTech's December scripts passed no AMP flag; later ones --apex-amp now and then
        d["apex_flag"] = forced.get("apex_amp", code in ("T8", "T9") and rng.random() < 0.3)
    d["native_flag"] = forced.get("native_amp", False)
    d["apex_importable"] = True
    d["amp"] = amp_path(d["apex_flag"], d["native_flag"], True)
    d["train_speed"] = AMP_SPEED if d["amp"] != "fp32" and d["gpu_list"] else 1.0
    d["namespace_sorted"] = d["torch_version"] == "1.8.0"   # that machine's Python 3.8 sorts Namespace()


def amp_path(apex_flag: bool, native_flag: bool, apex_importable: bool) -> str:
    """main.py's choice: apex when asked for and importable; native when asked for or when apex is
    missing; else fp32."""
    if apex_flag and apex_importable:
        return "apex"
    return "native" if native_flag or not apex_importable else "fp32"


def _epoch_ms(d: Dict) -> int:
    return epoch_ms(d["arch"].macs_m, d["gpu_list"])


def _old_format_runs(drafts: List[Dict], archs: int) -> List:
    """(code, draft) of SUSTech's first runs: the lowest ids of window 0, T3, T4, then T5 and T6."""
    first = sorted((d for d in drafts if d["window"] == 0 and d["site"] == "SUSTech" and d["batch"] is None),
                   key=lambda d: d["arch"].arch_id)
    count = max(0, min(max(4, min(12, round(0.02 * archs))), len(first) - 2))
    codes = ["T3", "T4"] + ["T5"] * ((count - 2) // 2)
    codes += ["T6"] * (count - len(codes))
    return list(zip(codes[:count], first))


def _late_runs(drafts: List[Dict], rng: random.Random) -> List[Dict]:
    """A few SUSTech re-runs of June 2024 (T9): archs of SUSTech's last plain window."""
    busy = {d["window"] for d in drafts if d["batch"] or "dup" in d["roles"]}
    windows = sorted({d["window"] for d in drafts if d["site"] == "SUSTech" and d["window"] not in busy | {0}})
    if not windows:
        return []
    pool = [d for d in drafts if d["window"] == windows[-1] and d["site"] == "SUSTech"]
    n_sustech = sum(1 for d in drafts if d["site"] == "SUSTech")
    count = min(len(pool) - 2, max(1, min(12, round(0.015 * n_sustech))))
    return sorted(rng.sample(pool, max(0, count)), key=lambda d: d["arch"].arch_id)


def _schedule_before(drafts: List[Dict], start: str, last_start: int, rng: random.Random) -> None:
    """`schedule` on as few GPUs as start every run by `last_start`."""
    if not drafts:
        return
    run_days = max(d["epochs"] * _epoch_ms(d) for d in drafts) * 1.08 / DAY + 0.3
    slots = max(1, math.ceil(len(drafts) * run_days / ((last_start - ms_of(start)) / DAY)))
    while True:
        schedule(drafts, start, slots, rng)
        if max(d["start_ms"] for d in drafts) <= last_start:
            return
        slots += 1


def _ranks(drafts: List[Dict]) -> Dict[int, int]:
    return {arch_id: i for i, arch_id in enumerate(sorted({d["arch"].arch_id for d in drafts}))}


def _stretch_extras(drafts: List[Dict], rng: random.Random, cause: str, count: int) -> List[Dict]:
    """Other MSU archs trained in the stretch, at least 4 ranks from every band arch and from each
    other (so that a low one is a lone low arch, not a band); about 60% are low (`native_low`)."""
    ranks = _ranks(drafts)
    taken = [ranks[d["arch"].arch_id] for d in drafts if d["batch"] is not None]
    pool = [d for d in drafts if d["site"] == "MSU" and d["batch"] is None and "dup" not in d["roles"]]
    rng.shuffle(pool)
    chosen = []
    for d in pool:
        if len(chosen) >= count:
            break
        rank = ranks[d["arch"].arch_id]
        if all(abs(rank - other) >= 4 for other in taken):
            taken.append(rank)
            chosen.append(d)
    for d in chosen:
        d["batch"] = "extra"
        d["gpu_list"] = gpu_list_for(rng, "MSU", True)
        gpu = d["gpu_list"][0]
        d["torch_version"] = TORCH_OF_GPU[gpu] if gpu != GPU_3090 else "1.10.2+cu113"
        clean_drop, cw_drop, low = rng.uniform(11.0, 16.0), rng.uniform(9.0, 13.0), rng.random() < 0.6
        if low and cause == "precision_path":
            d["clean_top"] -= clean_drop
            d["cw_top"] -= cw_drop
            d["roles"].append("native_low")
    return sorted(chosen, key=lambda d: d["arch"].arch_id)


def _msu_queue(drafts: List[Dict], rng: random.Random, cause: str, days: float) -> Dict:
    """MSU's queue: its plain archs, with the stretch (band runs and extras) in the middle, then the
    archs it re-trained from SUSTech's range; every run that starts in the stretch is native."""
    msu = [d for d in drafts if d["site"] == "MSU"]
    core = [d for d in msu if d["batch"] == "stretch"]
    extras = _stretch_extras(drafts, rng, cause, max(2, round(0.6 * len(core)))) if core else []
    for d in msu:
        _set_code(d, "T8", rng)
    stretch = sorted(core + extras, key=lambda d: d["arch"].arch_id)
    rest = [d for d in msu if d["batch"] is None and "dup" not in d["roles"]]
    dup = [d for d in msu if "dup" in d["roles"]]
    cut = round(0.45 * len(rest))
    queue = rest[:cut] + stretch + rest[cut:] + dup
    schedule(queue, MSU_FROM, math.ceil(len(queue) * max(days, 0.05) / 150), rng)
    if not stretch:
        return {}
    first = min(d["start_ms"] for d in stretch) - 6 * HOUR
    last = max(d["start_ms"] for d in stretch) + 6 * HOUR
    for d in msu:
        if first <= d["start_ms"] <= last:
            d["apex_importable"] = False
            d["amp"] = amp_path(d["apex_flag"], d["native_flag"], False)
    return {"site": "MSU", "from_ms": first, "to_ms": last}


def plant_grad_overflows(drafts: List[Dict], rng: random.Random) -> None:
    """On the native path a scaled gradient sometimes overflows: `|gn|=inf` (or `nan`) on a step line."""
    for d in drafts:
        if d["amp"] != "native" or rng.random() >= 0.35:
            continue
        marks = set()
        for _ in range(rng.randint(1, 3)):
            marks.add((rng.randint(1, d["epochs"] - 1), rng.randint(0, 3), "inf" if rng.random() < 0.75 else "nan"))
        d["gn_bad"] = tuple(sorted(marks))
