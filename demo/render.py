"""Render and write every file of one run: the worker function of the process pool.

A run's output depends only on its spec and the corpus seed (its own `random.Random`, seeded by the
seed and the run's folder), never on which process renders it or when, so a parallel corpus is
byte-identical to a serial one.
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Dict, List, Tuple

from . import formats
from .curves import best_epoch, make_curves
from .evallog import RENDERERS, test_results
from .specs import RunSpec
from .trainlog import render_train_log


def _write(out: Path, relative: str, text: str) -> int:
    data = text.encode("ascii")
    path = out / relative
    os.makedirs(path.parent, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return len(data)


def render_run(task: Tuple[RunSpec, str, int]) -> Dict:
    """Write the run's log, saved config and evaluations; return the facts the key file needs."""
    spec, out_dir, seed = task
    out = Path(out_dir)
    rng = random.Random(f"rnb-demo:{seed}:{spec.rng_key}")
    curves = make_curves(rng, spec.epochs, spec.decays, spec.clean_top, spec.cw_top, spec.behaviour,
                         spec.overfit, spec.nan_from)
    files: List[Tuple[str, int]] = []
    run_facts = None
    if spec.log_path:
        text, run_facts = render_train_log(spec, curves, rng)
        files.append((spec.log_path, _write(out, spec.log_path, text)))
    if spec.yaml_path:
        sections = formats.config_sections(spec.arch.depths, spec.arch.channels, spec.epochs, spec.seed,
                                           spec.data_path, spec.workers, True, formats.EVAL_BATCH)
        files.append((spec.yaml_path, _write(out, spec.yaml_path, formats.yaml_text(sections))))
    eval_facts = []
    if spec.evals:
        best = best_epoch(curves.cw)
        results = test_results(rng, curves, best)
        for ev in spec.evals:
            text, facts = RENDERERS[ev.attack](spec, ev, curves, results, rng)
            files.append((ev.path, _write(out, ev.path, text)))
            facts.update(finished=ev.stop_batch is None, best_pgdcw_acc=round(max(curves.cw) * 100 / 5000, 2))
            eval_facts.append(facts)
    return {"index": spec.index, "run": run_facts, "evals": eval_facts, "files": files}
