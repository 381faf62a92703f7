"""`demo_key.json`: every fact planted in the corpus, for tests that compare it with the warehouse.

Facts about logs come from what the renderers *printed* (best epoch from the 2-decimal CW-40
values, observed lr decays from the step lines), not from the plan's intentions, so the key is
what a correct ingest must find.

Which code wrote each log (SPEC section 8): per run `code_version` (T3..T9), `code_commits` (full
shas of the demo's `code/train` commits with the log's argument names and result-line templates,
dated no later than its first timestamp), `code_commits_exact` (those of the version that really
ran), `precision_path` (`native_amp_unscaled` or `fp32_or_apex`), `amp_path`, `apex_importable`,
`grad_norm_nonfinite_steps`, `planted_low`; per evaluation `code_version` (E1..E5, None for the
corruption sweep), `code_commits(_exact)` in `code/eval`, `counts_truncated`,
`cw40_stable_is_natural`, `missing_fields`, `checkpoint_best_pgdcw_acc(_unrounded)`; `code` lists
both repositories' commits; `findings.precision_path` sums the native-path runs and the planted low
runs, and `findings.gpu_cause` (with `cause="gpu"`) the runs of the GPU made low.
"""
from __future__ import annotations

import json
from typing import Dict, List, Optional, Sequence

from . import codeversions as cv
from . import formats
from .clock import seconds_text
from .dirt import BROKEN_WHY
from .plan import GPU_CAUSE, Window
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


LOW_ROLES = {"band", "native_low", "gpu_low"}
#: what only a finished Base evaluation prints (None elsewhere: the log cannot tell)
BASE_RESULT_FIELDS = ("test_loss", "fgsm_stable", "pgd20_stable", "pgd20_lip", "cw40_stable", "cw40_stable_logged",
                      "cw40_stable_is_natural", "cw40_lip", "counts_truncated", "missing_fields")


def _shas(indexes: List[int], commits: Optional[List[Dict]]) -> Optional[List[str]]:
    return None if commits is None else [commits[i]["sha"] for i in indexes]


def _run_entry(spec: RunSpec, facts: Dict, code: Dict) -> Dict:
    entry = {
        "path": spec.log_path, "arch_id": spec.arch.arch_id, "site": spec.site,
        "gpu": spec.gpu_list[0] if spec.gpu_list else None, "gpu_list": list(spec.gpu_list),
        "seed": spec.seed, "epochs_planned": spec.epochs, "tracked": spec.committer is not None,
        "torch_version": spec.torch_version, "behaviour": spec.behaviour, "roles": sorted(spec.roles),
        "config_milestones": formats.milestones(spec.epochs),
        "exp_name": spec.exp_name, "code_version": spec.code,
        "code_commits": _shas(cv.train_commit_indexes(spec.code, spec.start_ms), code.get("train")),
        "code_commits_exact": _shas(cv.train_commit_indexes(spec.code, spec.start_ms, exact=True), code.get("train")),
        "precision_path": "native_amp_unscaled" if spec.grad_norm_scale != 1.0 else "fp32_or_apex",
        "amp_path": spec.amp, "apex_importable": spec.apex_importable, "apex_amp_logged": spec.apex_flag,
        "native_amp_logged": spec.native_flag, "grad_norm_scale": spec.grad_norm_scale,
        "namespace_sorted": spec.namespace_sorted, "planted_low": bool(LOW_ROLES & set(spec.roles)),
    }
    entry.update({k: v for k, v in facts.items() if k != "ended_ms"})
    return entry


def _eval_entry(spec: RunSpec, ev, facts: Dict, code: Dict) -> Dict:
    kind = "AA" if ev.attack in ("AA", "AA-Compact") else ev.attack
    label = cv.EVAL_CODES[ev.code].label if ev.code else None
    indexes = cv.eval_commit_indexes(ev.code, kind, ev.attack, ev.start_ms) if ev.code else []
    exact = cv.eval_commit_indexes(ev.code, kind, ev.attack, ev.start_ms, exact=True) if ev.code else []
    return {
        "path": ev.path, "arch_id": spec.arch.arch_id, "norm": ev.norm, "attack": ev.attack,
        "site": spec.site, "gpu": ev.gpu_list[0] if ev.gpu_list else None, "run_path": spec.log_path,
        "started_at": seconds_text(ev.start_ms), "code_version": label,
        "code_commits": _shas(indexes, code.get("eval")), "code_commits_exact": _shas(exact, code.get("eval")),
        "epsilon_logged": (formats.EPSILON if ev.norm == "Linf" or cv.EVAL_CODES[ev.code].l2_linf_epsilon
                           else formats.L2_EPSILON) if ev.code else None,
        **dict.fromkeys(BASE_RESULT_FIELDS), **facts}


def build_key(seed: int, archs: int, epochs: int, runs: Sequence[RunSpec], results: Dict[int, Dict],
              windows: Sequence[Window], statics: Sequence[StaticFile], git: Dict, code: Dict,
              cause: str = "precision_path", stretch: Optional[Dict] = None) -> Dict:
    """`code`: per code repository (`train`, `eval`), its commits as `coderepo` wrote them."""
    run_entries: List[Dict] = []
    eval_entries: List[Dict] = []
    for spec in runs:
        result = results[spec.index]
        if spec.log_path:
            run_entries.append(_run_entry(spec, result["run"], code))
        for ev, facts in zip(spec.evals, result["evals"]):
            eval_entries.append(_eval_entry(spec, ev, facts, code))
    return {
        "seed": seed, "archs": archs, "epochs": epochs, "cause": cause,
        "sites": {"SUSTech": {"authors": ["zaber", "20830726+ZaberKo@users.noreply.github.com"]},
                  "MSU": {"authors": ["shihuahuang"], "paths": ["msu/**"]}},
        "config": {"milestones": formats.milestones(epochs), "save_epochs": formats.save_epochs(epochs),
                   "steps_per_epoch": formats.STEPS_PER_EPOCH, "val_images": formats.VAL_IMAGES},
        "runs": run_entries,
        "evals": eval_entries,
        "findings": _findings(runs, run_entries, eval_entries, windows, epochs, cause, stretch),
        "dirt": _dirt(runs, run_entries, eval_entries, statics, git),
        "git": {k: v for k, v in git.items() if k != "specials"},
        "code": {repo: {"path": f"code/{repo}", "commits": commits} for repo, commits in code.items()},
        "code_commit_rule": ("a log's code_commits: commits with the log's argument names in order and result-line "
                             "templates, dated (+0800 wall clock) no later than the log's first timestamp; "
                             "code_commits_exact: those whose code, run with the logged arguments, writes this log"),
    }


def _findings(runs, run_entries, eval_entries, windows, epochs, cause, stretch) -> Dict:
    first_decay = formats.milestones(epochs)[0]
    early = {}
    for site in ("SUSTech", "MSU"):
        done = [r for r in run_entries if r["site"] == site and r["finished"] and r["best_epoch"] is not None]
        early[site] = {"finished_runs": len(done),
                       "best_before_first_decay": sum(1 for r in done if r["best_epoch"] < first_decay)}
    dup = sorted({s.arch.arch_id for s in runs if "dup" in s.roles})
    bands = [{"first_arch_id": w.band[0], "last_arch_id": w.band[1], "window_site": w.site,
              "kind": "sustech_december_2022" if w.band_kind == "december" else "msu"}
             for w in windows if w.band is not None and cause == "precision_path"]
    december = [{"arch_id": r["arch_id"], "path": r["path"], "site": r["site"], "started_at": r["started_at"]}
                for r in run_entries if "december" in r["roles"]]
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
        "vertical_line_bands": bands, "december_2022_runs_in_bands": december,
        "bad_gpu": {"site": "MSU", "gpu": GPU_A6000,
                    "band_runs": len(band_runs),
                    "band_runs_on_gpu": sum(1 for r in band_runs if r["gpu"] == GPU_A6000)} if band_runs else None,
        "precision_path": _precision_findings(run_entries, cause, stretch),
        "gpu_cause": ({"site": "MSU", "gpu": GPU_CAUSE,
                       "runs": sum(1 for r in run_entries if r["gpu"] == GPU_CAUSE),
                       "low_runs": sum(1 for r in run_entries if "gpu_low" in r["roles"])} if cause == "gpu" else None),
        "missing_base_eval": {site: sorted(set(ids)) for site, ids in missing.items()},
        "missing_base_eval_runs": missing_runs,
        "lr_decay_drift": drift,
    }


def _precision_findings(run_entries, cause, stretch) -> Dict:
    """The planted cause: which runs took the unscaled native path, and which of them are low."""
    def count(pred) -> int:
        return sum(1 for r in run_entries if pred(r))

    native = lambda r: r["precision_path"] == "native_amp_unscaled"  # noqa: E731
    return {
        "cause": cause,
        "native_stretch": ({"site": stretch["site"], "from": seconds_text(stretch["from_ms"]),
                            "to": seconds_text(stretch["to_ms"])} if stretch else None),
        "native_runs": count(native),
        "native_runs_by_site": {site: count(lambda r, site=site: native(r) and r["site"] == site) for site in ("SUSTech", "MSU")},
        "low_runs": count(lambda r: r["planted_low"]),
        "low_native_runs": count(lambda r: r["planted_low"] and native(r)),
        "band_runs": count(lambda r: "band" in r["roles"]),
        "band_native_runs": count(lambda r: "band" in r["roles"] and native(r)),
        "native_runs_on_a6000": count(lambda r: native(r) and r["gpu"] == GPU_A6000),
        "code_versions": {v: count(lambda r, v=v: r["code_version"] == v) for v in sorted(cv.TRAIN_CODES)
                          if count(lambda r, v=v: r["code_version"] == v)},
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
