"""Plant the flaws real log repositories have, and each run's evaluations.

Works on the draft dicts of `plan.draft_runs` after `timeline`, in a fixed order with one seeded
generator, so the same seed plants the same flaws in the same runs. Each planted flaw is recorded
in the run's `roles`, which the key file reports. Flaws go to runs of the 2023 training code (T8):
its NaN exit is what a NaN run looks like, and the older formats have stories of their own.
"""
from __future__ import annotations

import random
from typing import Dict, List, Optional

from ingest.space import MAX_ARCH_ID, search_space, size_class

from . import codeversions, formats
from .clock import ms_of
from .evaldates import eval_start
from .plan import GPU_SPEED, Window, epoch_ms
from .specs import EvalSpec

HOUR = 3_600_000
NUMPY2_FROM = ms_of("2024-06-16 00:00:00")


def _plain(d: Dict) -> bool:
    """A run of the 2023 code with no story yet (not in a band, not in MSU's native stretch: so that
    `cause="none"` plants its flaws in the same runs)."""
    return not d["roles"] and d["code"] == "T8" and d["batch"] is None and not d.get("paired")


def _pick(rng: random.Random, drafts: List[Dict], site: str, count: int, role: str) -> List[Dict]:
    pool = [d for d in drafts if d["site"] == site and _plain(d) and d.get("log_path", True)]
    chosen = rng.sample(pool, min(count, len(pool)))
    for d in chosen:
        d["roles"].append(role)
    return chosen


def plant_flaws(drafts: List[Dict], epochs: int, rng: random.Random) -> None:
    """Unfinished, resumed, NaN, lr-drift, untracked, renamed, re-committed and orphan runs."""
    n = len(drafts)
    first_decay = formats.milestones(epochs)[0]
    for d in _pick(rng, drafts, "MSU", 1, "nan"):
        d["nan_from"] = min(epochs - 1, max(1, rng.randint(round(0.7 * epochs), round(0.85 * epochs))))
    for d in _pick(rng, drafts, "SUSTech", 1, "resumed"):
        gap = int(rng.uniform(2, 20) * HOUR)
        d["resumed_at"] = (max(1, min(epochs - 2, first_decay + 1)), rng.randint(1, 3), gap)
        d["ready_ms"] += gap
    n_unfinished = max(2, min(80, n // 60))
    unfinished = _pick(rng, drafts, "SUSTech", max(1, n_unfinished // 3), "unfinished")
    unfinished += _pick(rng, drafts, "MSU", n_unfinished - len(unfinished), "unfinished")
    for i, d in enumerate(unfinished):
        stop = rng.randint(1, epochs - 1)
        if i == 0:  # a debugging run on a machine without GPU (nor apex), killed after two epochs
            d["gpu_list"], d["torch_version"], d["data_parallel"] = (), "1.8.0+cpu", False
            d["epoch_ms"] = epoch_ms(d["arch"].macs_m, ())
            # native AMP without CUDA: GradScaler and autocast are disabled, the steps are fp32's
            d["apex_importable"], d["amp"], d["train_speed"], d["namespace_sorted"] = False, "fp32", 1.0, False
            d["gn_bad"] = ()
            stop = min(2, epochs - 1)
        d["unfinished_at"] = (stop, rng.randint(1, 3))
        d["ready_ms"] = d["start_ms"] + int((stop + 1) * d["epoch_ms"] * 1.08)
    n_drift = max(2, min(20, n // 60))
    drift = _pick(rng, drafts, "SUSTech", 1 if n_drift >= 3 else 0, "drift")
    drift += _pick(rng, drafts, "MSU", n_drift - len(drift), "drift")
    shift = max(1, round(0.05 * epochs))
    for d in drift:
        decays = list(d["decays"])
        if decays and decays[0] + shift < (decays[1] if len(decays) > 1 else epochs):
            decays[0] += shift
            d["decays"] = tuple(decays)
        else:
            d["roles"].remove("drift")
    late_msu = sorted((d for d in drafts if d["site"] == "MSU" and _plain(d)), key=lambda d: -d["start_ms"])
    for d in late_msu[:2]:
        d["roles"].append("untracked")
        d["committer"] = None
    for d in _pick(rng, drafts, "SUSTech", 1, "untracked"):
        d["folder"], d["site"], d["committer"] = "incoming", "unknown", None
    for d in _pick(rng, drafts, "SUSTech", 1, "unknown_author"):
        d["folder"], d["site"], d["committer"] = "shared", "unknown", "labadmin"
    for role in ("renamed", "site_changed", "copied"):
        _pick(rng, drafts, "SUSTech", 1, role)
    for d in drafts:
        d["log_path"] = f"{d['folder']}/{d['stem']}.log"


def orphan_drafts(drafts: List[Dict], windows: List[Window], rng: random.Random) -> List[Dict]:
    """Evaluations whose training log is not in the repository: arch ids just past a SUSTech window."""
    trained = {d["arch"].arch_id for d in drafts}
    by_window = {d["window"]: d for d in drafts if d["site"] == "SUSTech" and _plain(d)}
    out = []
    want = 1 if len(drafts) < 100 else 2
    for w in windows:
        if len(out) >= want or w.site != "SUSTech" or w.index not in by_window:
            continue
        arch_id = w.last + 1
        if arch_id > MAX_ARCH_ID or arch_id in trained:
            continue
        template = by_window[w.index]
        arch = search_space()[arch_id]
        stem = f"arch_{arch_id}"
        size = size_class(arch_id)
        orphan = dict(template, arch=arch, stem=stem, folder=f"logs/{size}", roles=["orphan"],
                      exp_name=f"./ablation_dir/nasbench/{size}/r1/{stem}", evals=[],
                      config_path=f"./configs/nasbench/{size}", batch=None)
        orphan["log_path"] = None
        out.append(orphan)
    return out


def plant_evals(drafts: List[Dict], rng: random.Random) -> None:
    """Evaluations of each finished run; Linf Base ones missing or unfinished mostly at MSU."""
    for d in drafts:
        roles = set(d["roles"])
        if roles & {"unfinished", "untracked", "nan"} or not codeversions.TRAIN_CODES[d["code"]].cw_block:
            continue   # a T3 run validated PGD only: no checkpoint dict to link, and it was never evaluated
        msu = d["site"] == "MSU"
        kinds = []
        paired = "dup" in roles or d.get("paired")
        missing = not paired and "orphan" not in roles and rng.random() < (0.25 if msu else 0.03)
        if missing:
            d["roles"].append("missing_base")
            if rng.random() < 0.4:
                kinds.append(("Linf", "Base", rng.randint(5, 95)))
        else:
            kinds.append(("Linf", "Base", None))
        if "orphan" not in roles:
            if rng.random() < (0.25 if msu else 0.5):
                kinds.append(("L2", "Base", None))
            roll = rng.random()
            if roll < 0.15:
                kinds.append(("Linf", "AA", None))
            elif roll < 0.5:
                kinds.append(("Linf", "AA-Compact", None))
        if rng.random() < (0.2 if msu else 0.4):
            kinds.append(("Linf", "cifar10c", None))
        d["evals"] = [_eval(d, norm, attack, stop, rng) for norm, attack, stop in kinds]


def _eval(d: Dict, norm: str, attack: str, stop: Optional[int], rng: random.Random) -> EvalSpec:
    start, code = eval_start(rng, d["site"], norm, attack, d["ready_ms"])
    gpu = d["gpu_list"][:1] or ("NVIDIA GeForce RTX 3090",)
    speed = GPU_SPEED.get(gpu[0], 1.0)
    macs = d["arch"].macs_m
    if attack == "Base":
        bound = 100 * (6000 + 2.0 * macs) * speed * 1.05
    elif attack == "cifar10c":
        bound = 95 * (4000 + 0.5 * macs) * speed
    else:
        bound = 10_000 * (0.25 + macs / 8000.0) * speed * 1000 * 8
    stem = d["stem"]
    if attack == "cifar10c":
        name = f"{stem}_eval_cifar10c_level.log"
    else:   # until the naming fix a compact AutoAttack run was written to `_AA.log`
        named = codeversions.EVAL_CODES[code].compact_file if attack == "AA-Compact" else attack
        name = f"{stem}_eval_{norm}_{named}.log"
    torch_version = "2.3.1+cu121" if start >= NUMPY2_FROM else d["torch_version"]
    return EvalSpec(path=f"{d['folder']}/{name}", attack=attack, norm=norm, start_ms=start,
                    ready_ms=start + int(bound) + 600_000, gpu_list=gpu, torch_version=torch_version,
                    numpy2=start >= NUMPY2_FROM, speed=speed, stop_batch=stop, code=code or "")


def plant_configs(drafts: List[Dict], rng: random.Random) -> None:
    """Half of SUSTech's committed runs also have their saved `arch_<id>.yaml`."""
    for d in drafts:
        keep = d["site"] == "SUSTech" and d["committer"] and d.get("log_path") and rng.random() < 0.5
        d["yaml_path"] = f"{d['folder']}/{d['stem']}.yaml" if keep else None
