"""`demo_key.json`: every fact planted in the corpus, for tests that compare it with the warehouse.

Facts about logs come from what the renderers *printed* (best epoch from the 2-decimal CW-40
values, observed lr decays from the step lines), not from the plan's intentions, so the key is
what a correct ingest must find.
"""
from __future__ import annotations

import json
from typing import Dict, List, Sequence

from . import formats
from .dirt import BROKEN_WHY
from .plan import Window
from .specs import GPU_A6000, RunSpec, StaticFile

KEY_NAME = "demo_key.json"


def key_text(key: Dict) -> str:
    """The key as JSON text: the top two levels spread out, one value per line below them (so one
    run or evaluation per line: easy to grep and to diff).

    The values go through json's C encoder; `json.dumps(key, indent=...)` would take the pure-Python
    encoder, 0.84 against 0.24 s for the 23 MB key of a full-scale corpus, in the generator's serial tail.
    """
    return _spread(key, 0) + "\n"


def _spread(value, depth: int) -> str:
    if depth > 1 or not value or not isinstance(value, (dict, list)):
        return json.dumps(value)
    inner = " " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(name)}: {_spread(item, depth + 1)}" for name, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"
    return "[\n" + ",\n".join(inner + json.dumps(item) for item in value) + "\n" + " " * depth + "]"


def _run_entry(spec: RunSpec, facts: Dict) -> Dict:
    entry = {
        "path": spec.log_path, "arch_id": spec.arch.arch_id, "site": spec.site,
        "gpu": spec.gpu_list[0] if spec.gpu_list else None, "gpu_list": list(spec.gpu_list),
        "seed": spec.seed, "epochs_planned": spec.epochs, "tracked": spec.committer is not None,
        "torch_version": spec.torch_version, "behaviour": spec.behaviour, "roles": sorted(spec.roles),
        "config_milestones": formats.milestones(spec.epochs),
    }
    entry.update({k: v for k, v in facts.items() if k != "ended_ms"})
    return entry


def build_key(seed: int, archs: int, epochs: int, runs: Sequence[RunSpec], results: Dict[int, Dict],
              windows: Sequence[Window], statics: Sequence[StaticFile], git: Dict) -> Dict:
    run_entries: List[Dict] = []
    eval_entries: List[Dict] = []
    for spec in runs:
        result = results[spec.index]
        if spec.log_path:
            run_entries.append(_run_entry(spec, result["run"]))
        for ev, facts in zip(spec.evals, result["evals"]):
            eval_entries.append({
                "path": ev.path, "arch_id": spec.arch.arch_id, "norm": ev.norm, "attack": ev.attack,
                "site": spec.site, "gpu": ev.gpu_list[0] if ev.gpu_list else None, "run_path": spec.log_path,
                **facts})
    return {
        "seed": seed, "archs": archs, "epochs": epochs,
        "sites": {"SUSTech": {"authors": ["zaber", "20830726+ZaberKo@users.noreply.github.com"]},
                  "MSU": {"authors": ["shihuahuang"], "paths": ["msu/**"]}},
        "config": {"milestones": formats.milestones(epochs), "save_epochs": formats.save_epochs(epochs),
                   "steps_per_epoch": formats.STEPS_PER_EPOCH, "val_images": formats.VAL_IMAGES},
        "runs": run_entries,
        "evals": eval_entries,
        "findings": _findings(runs, run_entries, eval_entries, windows, epochs),
        "dirt": _dirt(runs, run_entries, eval_entries, statics, git),
        "git": {k: v for k, v in git.items() if k != "specials"},
    }


def _findings(runs, run_entries, eval_entries, windows, epochs) -> Dict:
    first_decay = formats.milestones(epochs)[0]
    early = {}
    for site in ("SUSTech", "MSU"):
        done = [r for r in run_entries if r["site"] == site and r["finished"] and r["best_epoch"] is not None]
        early[site] = {"finished_runs": len(done),
                       "best_before_first_decay": sum(1 for r in done if r["best_epoch"] < first_decay)}
    dup = sorted({s.arch.arch_id for s in runs if "dup" in s.roles})
    bands = [{"first_arch_id": w.band[0], "last_arch_id": w.band[1], "window_site": w.site,
              "kind": "march_2023_sustech" if w.band_kind == "march" else "msu"}
             for w in windows if w.band is not None]
    march = [{"arch_id": r["arch_id"], "path": r["path"], "site": r["site"], "started_at": r["started_at"]}
             for r in run_entries if "march" in r["roles"]]
    band_runs = [r for r in run_entries if "band" in r["roles"]]
    finished_base = {e["run_path"] for e in eval_entries
                     if e["norm"] == "Linf" and e["attack"] == "Base" and e["finished"]}
    archs_with_base = {e["arch_id"] for e in eval_entries
                       if e["norm"] == "Linf" and e["attack"] == "Base" and e["finished"]}
    missing: Dict[str, List[int]] = {"MSU": [], "SUSTech": []}
    missing_runs = []
    for r in run_entries:
        if not r["finished"] or r["site"] not in missing:
            continue
        if r["arch_id"] not in archs_with_base:
            missing[r["site"]].append(r["arch_id"])
        if r["path"] not in finished_base:
            missing_runs.append({"path": r["path"], "arch_id": r["arch_id"], "site": r["site"]})
    drift = []
    for r in run_entries:
        expected = [m for m in r["config_milestones"][:2]
                    if r["last_epoch_started"] is not None and m <= r["last_epoch_started"]]
        if r["lr_decay_epochs"] != expected:
            drift.append({"path": r["path"], "config_milestones": r["config_milestones"],
                          "observed": r["lr_decay_epochs"], "site": r["site"]})
    return {
        "early_best_site": "MSU", "best_epoch_counts": early, "first_decay_epoch": first_decay,
        "duplicate_archs": dup, "duplicate_worse_site": "MSU",
        "vertical_line_bands": bands, "early_2023_runs_in_bands": march,
        "bad_gpu": {"site": "MSU", "gpu": GPU_A6000,
                    "band_runs": len(band_runs),
                    "band_runs_on_gpu": sum(1 for r in band_runs if r["gpu"] == GPU_A6000)},
        "missing_base_eval": {site: sorted(set(ids)) for site, ids in missing.items()},
        "missing_base_eval_runs": missing_runs,
        "lr_decay_drift": drift,
    }


def _dirt(runs, run_entries, eval_entries, statics, git) -> Dict:
    def paths(role: str) -> List[str]:
        return [r["path"] for r in run_entries if role in r["roles"]]

    padded = [p for s in runs if "zero_padded" in s.roles
              for p in ([s.log_path] if s.log_path else []) + ([s.yaml_path] if s.yaml_path else [])
              + [e.path for e in s.evals]]
    specials = git.get("specials", {})
    return {
        "unfinished": [r["path"] for r in run_entries if not r["finished"]],
        "resumed": paths("resumed"), "nan": paths("nan"), "zero_padded": sorted(padded),
        "unrelated": sorted([s.path for s in statics if s.role in ("unrelated", "sites")] + [KEY_NAME]),
        "broken": [{"path": s.path, **BROKEN_WHY[s.role]} for s in statics if s.role in BROKEN_WHY],
        "duplicate_copies": specials.get("copies", []),
        "untracked": sorted(r["path"] for r in run_entries if not r["tracked"]),
        "site_changed": paths("site_changed"),
        "renamed": specials.get("renamed", []),
        "unknown_author": sorted([r["path"] for r in run_entries if r["site"] == "unknown" and r["tracked"]]
                                 + [e["path"] for e in eval_entries if e["site"] == "unknown"]),
        "orphan_evals": [e["path"] for e in eval_entries if e["run_path"] is None],
        "unfinished_evals": [e["path"] for e in eval_entries if not e["finished"]],
    }
