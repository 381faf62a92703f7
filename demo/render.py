"""Render and write every file of one run: the worker function of the process pool.

A run's output depends only on its spec and the corpus seed (its own `random.Random`, seeded by the
seed and the run's folder), never on which process renders it or when, so a parallel corpus is
byte-identical to a serial one.

Workers take runs in fixed groups (`render_group`); with git on, each group's tracked files also go
into one pack of the repository (`packs`), so a group's pack is the same whatever the scheduling.
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from . import formats
from .codeversions import TRAIN_CODES
from .curves import best_epoch, make_curves
from .evallog import RENDERERS, test_results
from .packs import PackWriter
from .specs import RunSpec
from .trainlog import render_train_log


def _write(out: Path, relative: str, text: str, pack: Optional[PackWriter]) -> Tuple[str, int, Optional[str]]:
    """Write one file; with a pack, also store it as a blob. Returns (path, size, blob id or None)."""
    data = text.encode("ascii")
    path = out / relative
    os.makedirs(path.parent, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return relative, len(data), pack.add(data) if pack is not None else None


def tracked_count(spec: RunSpec) -> int:
    """How many of the run's files go into git (a committer adds them all)."""
    if spec.committer is None:
        return 0
    return bool(spec.log_path) + bool(spec.yaml_path) + len(spec.evals)


def render_group(task: Tuple[Sequence[RunSpec], str, int, Optional[str]]) -> List[Dict]:
    """Render several runs in order; with a pack folder, their tracked files go into one new pack."""
    specs, out_dir, seed, pack_dir = task
    pack = None
    if pack_dir is not None:
        expected = sum(tracked_count(spec) for spec in specs)
        pack = PackWriter(Path(pack_dir), expected, name=str(specs[0].index)) if expected else None
    try:
        results = [render_run((spec, out_dir, seed), pack) for spec in specs]
    except BaseException:
        if pack is not None:
            pack.abort()
        raise
    if pack is not None:
        pack.close()
    return results


def render_run(task: Tuple[RunSpec, str, int], pack: Optional[PackWriter] = None) -> Dict:
    """Write the run's log, saved config and evaluations; return the facts the key file needs.

    `files` lists (path, size, blob id): the id is set for files stored in `pack` (tracked ones).
    """
    spec, out_dir, seed = task
    out = Path(out_dir)
    store = pack if spec.committer is not None else None
    rng = random.Random(f"rnb-demo:{seed}:{spec.rng_key}")
    curves = make_curves(rng, spec.epochs, spec.decays, spec.clean_top, spec.cw_top, spec.behaviour,
                         spec.overfit, spec.nan_from)
    files: List[Tuple[str, int, Optional[str]]] = []
    run_facts = None
    if spec.log_path:
        text, run_facts = render_train_log(spec, curves, rng)
        files.append(_write(out, spec.log_path, text, store))
    if spec.yaml_path:   # the 2022 code copied the config as it was; from T7 on it adds the seed
        seed = spec.seed if TRAIN_CODES[spec.code].config_seed else None
        sections = formats.config_sections(spec.arch.depths, spec.arch.channels, spec.epochs, seed,
                                           spec.data_path, spec.workers, True, formats.EVAL_BATCH)
        files.append(_write(out, spec.yaml_path, formats.yaml_text(sections), store))
    eval_facts = []
    if spec.evals:
        best = best_epoch(curves.cw)
        results = test_results(rng, curves, best)
        # the training run's `(count / total) * 100`, kept unrounded in the checkpoint dict
        checkpoint_acc = (max(curves.cw) / formats.VAL_IMAGES) * 100
        for ev in spec.evals:
            text, facts = RENDERERS[ev.attack](spec, ev, curves, results, rng)
            files.append(_write(out, ev.path, text, store))
            with_dict = ev.stop_batch is None and ev.attack != "cifar10c"
            facts.update(finished=ev.stop_batch is None, best_pgdcw_acc=round(max(curves.cw) * 100 / 5000, 2),
                         checkpoint_best_pgdcw_acc=checkpoint_acc if with_dict else None,
                         checkpoint_best_pgdcw_acc_unrounded=(repr(checkpoint_acc) != repr(round(checkpoint_acc, 2))
                                                              if with_dict else None))
            eval_facts.append(facts)
    return {"index": spec.index, "run": run_facts, "evals": eval_facts, "files": files}
