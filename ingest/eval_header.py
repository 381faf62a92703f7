"""What every evaluation log (Base, AutoAttack, corruptions) records around its results.

Before them: the argument lines (`model: arch_2`, `norm`, `attack_choice`, `aa_type`, `epsilon`, ...),
the model Config (depths and widths), param size, flops, PyTorch version, GPU list and the loaded
checkpoint. After them: the checkpoint dict (the training state plus the new results) and
`Running Cost`.
"""
from __future__ import annotations

import re

from ingest.header import argument_names, config_entries, gpu_line, header_values
from ingest.numbers import NUM, to_float, to_int, size_in
from ingest.space import architecture
from ingest.text import first_timestamp

_LOADED = re.compile(r"File (\S++) loaded!")
_RUNNING_COST = re.compile(rf"Running Cost ({NUM}) (Days|Hours)")
_MODEL_ONLY = frozenset({"model"})
_TAIL = 4096


def running_cost(text: str) -> tuple[float | None, str | None]:
    """The last `Running Cost <x> Days` (or `Hours`, as the corruption and re-evaluation scripts
    print it) near the end of a log: the cost in days and the record's timestamp."""
    cost = stamp = None
    start = max(0, len(text) - _TAIL)
    at = text.find("Running Cost ", start)
    while at >= 0:
        match = _RUNNING_COST.match(text, at)
        if match:
            value = float(match.group(1))
            cost = value / 24.0 if match.group(2) == "Hours" else value
            stamp = text[at - 24:at - 1]
        at = text.find("Running Cost ", at + 1)
    return cost, stamp


def eval_header(text: str, header_end: int) -> dict:
    """The fields of an evaluation log's header and its running cost."""
    values = header_values(text, header_end)
    configs = config_entries(text, header_end, _MODEL_ONLY)  # only the architecture is needed here
    at = text.find("File ")
    loaded = None
    while at >= 0 and loaded is None:
        loaded = _LOADED.match(text, at)
        at = text.find("File ", at + 1)
    cost, finished_at = running_cost(text)
    return {
        "model": values.get("model", ""),
        "norm": values.get("norm"),
        "attack_choice": values.get("attack_choice"),
        "aa_type": values.get("aa_type"),
        "epsilon": to_float(values.get("epsilon")),
        "step_size": to_float(values.get("step_size")),
        "device": values.get("device"),
        "seed": to_int(values.get("seed")),
        "checkpoint_path": loaded.group(1) if loaded else None,
        "params_mb": size_in(values.get("param size"), "MB"),
        "macs_m": size_in(values.get("flops"), "M"),
        "pytorch_version": values.get("PyTorch Version"),
        "gpu_list": gpu_line(text),
        "started_at": first_timestamp(text),
        "finished_at": finished_at,
        "running_cost_days": cost,
        "argument_names": argument_names(text, 0, header_end),
        **architecture(configs.get("model")),
    }


_CKPT_SCALAR = {
    key: re.compile(rf"'{key}': (?:np\.\w++\()?+({NUM})")
    for key in ("best_pgdcw_acc", "best_pgd_acc", "global_step")
}
_CKPT_HISTORY = re.compile(r"'pgdcw_eval_history': \[([^\]]*+)\]")


def checkpoint_fields(text: str) -> dict:
    """What the checkpoint dict printed after the results says about the training run it came from.

    `best_pgdcw_acc` is the run's best CW-40 validation accuracy, unrounded (48.559999999999995 where
    the training log printed 48.56): it identifies the training run. The dict is a Python repr
    (`np.float64(...)` values, kilobytes of histories); only four scalars are needed, so they are
    picked out by key instead of parsing the whole literal.
    """
    out = {"ckpt_best_pgdcw_acc": None, "ckpt_best_pgd_acc": None, "ckpt_global_step": None, "ckpt_epochs": None}
    start = text.rfind(" {'")
    if start < 0:
        return out
    end = text.find("\n", start)
    raw = text[start: end if end >= 0 else len(text)]
    for key, column in (("best_pgdcw_acc", "ckpt_best_pgdcw_acc"), ("best_pgd_acc", "ckpt_best_pgd_acc")):
        at = raw.find(f"'{key}': ")
        found = _CKPT_SCALAR[key].match(raw, at) if at >= 0 else None
        if found:
            out[column] = to_float(found.group(1))
    at = raw.find("'global_step': ")
    step = _CKPT_SCALAR["global_step"].match(raw, at) if at >= 0 else None
    if step:
        out["ckpt_global_step"] = to_int(step.group(1))
    at = raw.find("'pgdcw_eval_history': [")
    history = _CKPT_HISTORY.match(raw, at) if at >= 0 else None
    if history:
        out["ckpt_epochs"] = history.group(1).count("(")
    return out
