"""The records `main.py` writes before a run's first epoch, as each code version writes them.

The argument lines list the version's argparse names in declaration order (`codeversions`); the
`Namespace(...)` record is the same names in the same order, or alphabetical on a machine whose
Python (<= 3.8) sorts it; the 2022 versions print no `seed:` config line; checkpoints are
`<exp_name>/checkpoints/<version>` plus the version's suffix (`.pth`, `_last.pth`).
"""
from __future__ import annotations

from typing import List, Tuple

from . import formats
from .clock import stamp
from .codeversions import TRAIN_CODES, TrainCode


def code_of(spec) -> TrainCode:
    return TRAIN_CODES[spec.code]


def checkpoint_stem(spec) -> str:
    """`<exp_name>/checkpoints/<version>`: saved checkpoints are this plus `_last.pth` etc."""
    return f"{spec.exp_name}/checkpoints/{spec.stem}"


def extra_save_epochs(spec) -> List[int]:
    """Epochs after which an extra checkpoint is saved: 70% of the epochs in T3, else `save_epochs`."""
    if code_of(spec).extra_at_70_percent:
        return [int(spec.epochs * 0.7)]
    return formats.save_epochs(spec.epochs)


def train_arguments(spec, load_model: bool) -> List[Tuple[str, object]]:
    """(name, value) of every argument line, in the version's order."""
    values = {
        "exp_name": spec.exp_name, "config_path": spec.config_path, "version": spec.stem, "seed": spec.seed,
        "fix_seed": False, "data_path": spec.data_path, "run": spec.run_name, "stop_epoch": spec.epochs,
        "warmup_steps": 0, "save_epochs": formats.save_epochs(spec.epochs), "train_eval_epoch": 0.0,
        "data_parallel": spec.data_parallel, "valset": True, "load_model": load_model, "load_best_model": False,
        "attack_choice": ["PGD", "PGD-CW"], "attack_step": [20, 40], "epsilon": formats.EPSILON,
        "num_steps": 20, "step_size": formats.STEP_SIZE, "apex_amp": spec.apex_flag,
        "native_amp": spec.native_flag,
    }
    return [(name, values[name]) for name in code_of(spec).arguments]


def namespace_message(arguments: List[Tuple[str, object]], sort: bool) -> str:
    items = sorted(arguments) if sort else arguments
    return "Namespace(" + ", ".join(f"{key}={value!r}" for key, value in items) + ")"


def header(spec, start_ms: int, load_model: bool, starting_epoch: int) -> Tuple[str, int]:
    """The records `main.py` writes before its first epoch; returns the text and the time after."""
    code = code_of(spec)
    t = start_ms
    ts = stamp(t)
    gpu = f"GPU List: {list(spec.gpu_list)}"
    arguments = train_arguments(spec, load_model)
    messages = [" ### Start to evaluate from 0.0 Epoch ### "] * 2
    messages += [namespace_message(arguments, spec.namespace_sorted), str(spec.seed)]
    messages += formats.argument_messages(arguments)
    parts = [ts + gpu + "\n"] if spec.gpu_list else []
    parts.append(formats.records(ts, messages))
    t += 11 + spec.arch.arch_id % 23
    parts.append(stamp(t) + formats.model_printout(tuple(spec.arch.depths), tuple(spec.arch.channels)))
    t += 1200 + spec.arch.arch_id % 1300
    sections = formats.config_sections(spec.arch.depths, spec.arch.channels, spec.epochs,
                                       spec.seed if code.config_seed else None,
                                       spec.data_path, spec.workers, True, formats.EVAL_BATCH)
    tail = formats.config_messages(sections)
    tail += formats.size_messages(spec.arch.params_mb, spec.arch.macs_m, spec.torch_version)
    if spec.gpu_list:
        tail.append(gpu)
    parts.append(formats.records(stamp(t), tail))
    t += 1
    ts = stamp(t)
    if load_model:
        parts.append(f"{ts}File {checkpoint_stem(spec)}{code.last_checkpoint} loaded!\n")
        t += 35
        ts = stamp(t)
    parts.append(f"{ts}Starting Epoch: {starting_epoch}\n")
    return "".join(parts), t + 1
