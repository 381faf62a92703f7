"""What every evaluation log (Base, AutoAttack, corruptions) records around its results.

Before them: the argument lines (`model: arch_2`, `norm`, `attack_choice`, `aa_type`, `epsilon`, ...),
the model Config (depths and widths), param size, flops, PyTorch version, GPU list and the loaded
checkpoint. After them: the checkpoint dict (the training state plus the new results) and
`Running Cost`.
"""
from __future__ import annotations

from ingest._scan import checkpoint_values, find
from ingest.header import gpu_list, header_fields
from ingest.logtext import first_timestamp, running_cost
from ingest.numbers import size_in, to_float, to_int
from ingest.scanning import linear
from ingest.space import architecture

_LOADED = linear("eval_header.loaded", rb"File (\S++) loaded!", use="match",
                 worst_case=lambda n: b"File " + b"x" * n + b" not loaded")
_MODEL_ONLY = frozenset({"model"})


def eval_header(data: bytes, header_end: int, body: int = 0) -> dict:
    """The fields of an evaluation log's header and its running cost; `body` is where the model
    printout ended (header.after_printout): the config lines and the loaded checkpoint follow it."""
    values, names, configs = header_fields(data, header_end, config_start=body, keys=_MODEL_ONLY)  # (only its architecture)
    at = find(data, b"File ", body)
    loaded = _LOADED.match(data, at) if at >= 0 else None
    while at >= 0 and loaded is None:  # the first `File ...` that is the loaded checkpoint's line
        at = find(data, b"File ", at + 1)
        loaded = _LOADED.match(data, at) if at >= 0 else None
    cost, finished_at = running_cost(data)
    return {
        "model": values.get("model", ""),
        "norm": values.get("norm"),
        "attack_choice": values.get("attack_choice"),
        "aa_type": values.get("aa_type"),
        "epsilon": to_float(values.get("epsilon")),
        "step_size": to_float(values.get("step_size")),
        "device": values.get("device"),
        "seed": to_int(values.get("seed")),
        "checkpoint_path": loaded.group(1).decode("utf-8", errors="replace") if loaded else None,
        "params_mb": size_in(values.get("param size"), "MB"),
        "macs_m": size_in(values.get("flops"), "M"),
        "pytorch_version": values.get("PyTorch Version"),
        "gpu_list": gpu_list(values.get("GPU List")),
        "started_at": first_timestamp(data),
        "finished_at": finished_at,
        "running_cost_days": cost,
        "argument_names": names,
        **architecture(configs.get("model")),
    }


def checkpoint_fields(data: bytes) -> dict:
    """What the checkpoint dict printed after the results says about the training run it came from.

    `best_pgdcw_acc` is the run's best CW-40 validation accuracy, unrounded (48.559999999999995 where
    the training log printed 48.56): it identifies the training run. The dict is a Python repr
    (`np.float64(...)` values, kilobytes of histories); only four scalars are needed, so they are
    picked out by key (`ingest._scan.checkpoint_values`) instead of parsing the whole literal.
    """
    best_pgdcw_acc, best_pgd_acc, global_step, epochs = checkpoint_values(data)
    return {"ckpt_best_pgdcw_acc": to_float(best_pgdcw_acc), "ckpt_best_pgd_acc": to_float(best_pgd_acc),
            "ckpt_global_step": to_int(global_step), "ckpt_epochs": epochs}
