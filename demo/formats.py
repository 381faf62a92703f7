"""Text of the header records the benchmark's `main.py` and `eval.py` write, as in `samples/`.

Everything here is per run, not per line: the hot per-epoch templates live in `trainlog.py`.
The shapes follow the samples byte for byte: the two ` ### Start to evaluate ... ### ` lines with
their outer spaces, the argparse `Namespace(...)`, one `key: value` line per argument, the
multi-line model printout, `Config([...])` reprs of the mlconfig sections, `param size = %fMB`,
`flops: %.4fM`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

EPSILON = 8 / 255
STEP_SIZE = 0.8 / 255
TRAIN_STEP_SIZE = 2 / 255
L2_EPSILON = 0.5
TRAIN_IMAGES = 45_000
VAL_IMAGES = 5_000
TEST_IMAGES = 10_000
TRAIN_BATCH = 128
EVAL_BATCH = 100
STEPS_PER_EPOCH = -(-TRAIN_IMAGES // TRAIN_BATCH)  # 352
LOG_FREQUENCY = 100

_BN = "BatchNorm2d({c}, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
_CONV3 = "Conv2d({i}, {o}, kernel_size=(3, 3), stride=({s}, {s}), padding=(1, 1), bias=False)"
_CONV1 = "Conv2d({i}, {o}, kernel_size=(1, 1), stride=({s}, {s}), bias=False)"


@lru_cache(maxsize=4096)
def _block(index: int, c_in: int, c_out: int, stride: int) -> str:
    lines = [
        f"        ({index}): PreActBasicBlock(",
        "          (act): ReLU(inplace=True)",
        "          (bn1): " + _BN.format(c=c_in),
        "          (conv1): " + _CONV3.format(i=c_in, o=c_out, s=stride),
        "          (bn2): " + _BN.format(c=c_out),
        "          (conv2): " + _CONV3.format(i=c_out, o=c_out, s=1),
    ]
    if stride != 1 or c_in != c_out:
        lines += [
            "          (shortcut): Sequential(",
            "            (0): " + _CONV1.format(i=c_in, o=c_out, s=stride),
            "          )",
        ]
    lines.append("        )")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=256)
def model_printout(depths: Tuple[int, ...], channels: Tuple[int, ...]) -> str:
    """`print(model)` of a PreActRobustNetwork: the record's first line and its continuation lines."""
    parts = [
        "PreActRobustNetwork(\n",
        f"  (stem_conv): {_CONV3.format(i=3, o=channels[0], s=1)}\n",
        "  (blocks): ModuleList(\n",
    ]
    c_in = channels[0]
    for stage, depth in enumerate(depths):
        c_out = channels[stage + 1]
        parts.append(f"    ({stage}): NetworkBlock(\n      (layer): Sequential(\n")
        for index in range(depth):
            stride = (1, 2, 2)[stage] if index == 0 else 1
            parts.append(_block(index, c_in, c_out, stride))
            c_in = c_out
        parts.append("      )\n    )\n")
    parts.append(
        "  )\n"
        f"  (norm1): {_BN.format(c=c_in)}\n"
        "  (act1): ReLU(inplace=True)\n"
        "  (global_pooling): AdaptiveAvgPool2d(output_size=1)\n"
        f"  (fc): Linear(in_features={c_in}, out_features=10, bias=True)\n"
        ")\n"
    )
    return "".join(parts)


def milestones(epochs: int) -> List[int]:
    """The scheduler milestones printed for a run of `epochs`: [75, 90, 100] at 100 epochs.

    The lr drops at the first epochs >= 0.75*E and >= 0.9*E (the benchmark's rule), so the printed
    milestones are those two epochs, then E.
    """
    return [(3 * epochs + 3) // 4, (9 * epochs + 9) // 10, epochs]


def save_epochs(epochs: int) -> List[int]:
    """Epochs after which an extra `_<N>e.pth` checkpoint is saved: [74, 89] at 100 epochs."""
    first, second, _ = milestones(epochs)
    return [first - 1, second - 1]


def config_sections(depths: Sequence[int], channels: Sequence[int], epochs: int, seed: Optional[int],
                    data_path: str, workers: int, valset: bool, eval_batch: int) -> List[Tuple[str, object]]:
    """The run's mlconfig as (key, value) pairs, in the order `main.py` logs them.

    `seed` None: the config as the 2022 code left it, without the `seed` entry it added from T7 on."""
    model = [
        ("name", "PreActRobustNetwork"), ("channel_configs", list(channels)),
        ("depth_configs", list(depths)), ("drop_rate_config", [0.0, 0.0, 0.0]), ("num_classes", 10),
        ("stride_config", [1, 2, 2]), ("zero_init_residual", False),
        ("activations", ["ReLU", "ReLU", "ReLU"]), ("normalizations", ["BatchNorm", "BatchNorm", "BatchNorm"]),
        ("kernel_size_configs", [3, 3, 3]), ("block_types", ["basic_block", "basic_block", "basic_block"]),
    ]
    criterion = [("name", "MadrysLoss"), ("epsilon", EPSILON), ("perturb_steps", 7), ("step_size", TRAIN_STEP_SIZE)]
    dataset = [
        ("name", "DatasetGenerator"), ("train_batch_size", TRAIN_BATCH), ("eval_batch_size", eval_batch),
        ("num_of_workers", workers), ("dataset_type", "CIFAR10"), ("data_path", data_path), ("valset", valset),
    ]
    optimizer = [("name", "SGD"), ("lr", 0.1), ("weight_decay", 0.0005), ("momentum", 0.9)]
    scheduler = [("name", "MultiStepLR"), ("milestones", milestones(epochs)), ("gamma", 0.1)]
    sections = [
        ("num_classes", 10), ("epochs", epochs), ("grad_clip", 5.0), ("log_frequency", LOG_FREQUENCY),
        ("adjust_weight_decay", True), ("model", model), ("criterion", criterion), ("dataset", dataset),
        ("optimizer", optimizer), ("scheduler", scheduler),
    ]
    return sections + ([("seed", seed)] if seed is not None else [])


def config_messages(sections: List[Tuple[str, object]]) -> List[str]:
    """`key: value` messages of the config; sections print as `Config([...])`."""
    return [f"{key}: Config({value!r})" if isinstance(value, list) and key != "seed" else f"{key}: {value}"
            for key, value in sections]


def size_messages(params_mb: float, macs_m: float, torch_version: str) -> List[str]:
    return [f"param size = {params_mb:f}MB", f"flops: {macs_m:.4f}M", f"PyTorch Version: {torch_version}"]


def argument_messages(arguments: List[Tuple[str, object]]) -> List[str]:
    return [f"{key}: {value}" for key, value in arguments]


def eval_arguments(names: Sequence[str], seed: int, model: str, model_path: str, log_path: str, attack: str,
                   norm: str, aa_type: str, device: str, l2_linf_epsilon: bool) -> List[Tuple[str, object]]:
    """`eval.py`'s arguments in the version's order (`names`); epsilon/step_size as the version set
    them (`l2_linf_epsilon`: 8/255 for both norms, the fault of November 2023)."""
    values = {
        "seed": seed, "model": model, "model_path": model_path, "log_path": log_path, "attack_choice": attack,
        "norm": norm, "load_best_model": True, "aa_type": aa_type, "progress_bar": False,
        "epsilon": EPSILON if norm == "Linf" or l2_linf_epsilon else L2_EPSILON, "step_size": STEP_SIZE,
        "device": device,
    }
    return [(name, values[name]) for name in names]


def corruption_arguments(seed: int, model: str, model_path: str, log_path: str, device: str) -> List[Tuple[str, object]]:
    """Arguments of the corruption evaluation script: the evaluation arguments without the attack ones."""
    return [
        ("seed", seed), ("model", model), ("model_path", model_path), ("log_path", log_path),
        ("load_best_model", True), ("progress_bar", False), ("device", device),
    ]


def yaml_text(sections: List[Tuple[str, object]]) -> str:
    """The run's config as the benchmark saves it next to the log (`arch_2.yaml` in the samples)."""
    out: List[str] = []
    for key, value in sections:
        if key == "seed":   # main.py stores it as a string
            out.append(f"seed: '{value}'")
        elif isinstance(value, list):
            out.append(f"{key}:")
            for sub, item in value:
                if isinstance(item, list):
                    out.append(f"  {sub}:")
                    out.extend(f"  - {_yaml_scalar(x)}" for x in item)
                else:
                    out.append(f"  {sub}: {_yaml_scalar(item)}")
        else:
            out.append(f"{key}: {_yaml_scalar(value)}")
    return "\n".join(out) + "\n"


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def records(stamp_text: str, messages: List[str]) -> str:
    """Several records sharing one timestamp prefix."""
    return "".join(stamp_text + message + "\n" for message in messages)


CORRUPTIONS: Tuple[str, ...] = (
    "gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "defocus_blur", "glass_blur",
    "gaussian_blur", "motion_blur", "zoom_blur", "snow", "frost", "fog", "brightness", "spatter",
    "contrast", "elastic_transform", "pixelate", "jpeg_compression", "saturate",
)

#: how hard each corruption is for an adversarially trained net: accuracy lost at severity 5 (points)
CORRUPTION_DROP: Dict[str, float] = {
    "gaussian_noise": 6.0, "shot_noise": 5.0, "impulse_noise": 14.0, "speckle_noise": 5.5,
    "defocus_blur": 12.0, "glass_blur": 14.0, "gaussian_blur": 15.0, "motion_blur": 16.0,
    "zoom_blur": 13.0, "snow": 12.0, "frost": 22.0, "fog": 38.0, "brightness": 9.0, "spatter": 9.0,
    "contrast": 52.0, "elastic_transform": 10.0, "pixelate": 6.0, "jpeg_compression": 3.0, "saturate": 5.0,
}
