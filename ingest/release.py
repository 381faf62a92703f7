"""Reader of the published release file (`cifar10.jsonl`, SPEC section 6): one JSON object per arch.

Each line becomes the records a log repository would give for that arch: one training run with its
epochs (from `train[0]`) and up to three evaluations of its best checkpoint (from `test_best[0]`):
a Linf Base evaluation, a Linf AutoAttack one when `Linf_aa_acc` is present, and a cifar10c one
with its corruption rows when `corruptions` is present. The release has no step lines and no
header lines, so the learning rate, observed decays and training settings stay unknown (NULL), and
the site is whatever the sites file says about the release file itself.

Every record's `source_path` is `<file>#arch_id=<id>`; the reader in ingest/read.py derives the
stable run and eval ids from it.

>>> log = parse_release(b'{"arch_id": 2, "arch": {"D1": 4, "W1": 8, "D2": 4, "W2": 8, "D3": 4, "W3": 8}, '
...     b'"MACs": 1.0, "Params": 2.0, "train": [{"seed": 0, "gpu_type": null, "timestamp": "2023-03-01", '
...     b'"training_time": 0.5, "best_epoch": 0, "cw": [40.0]}], "test_best": [{}]}', "r.jsonl")
>>> [(p.kind, p.source_path, p.run["best_cw40_acc"]) for p in log.parts]
[('train', 'r.jsonl#arch_id=2', 40.0)]
"""
from __future__ import annotations

import json
import math

from ingest.errors import ParseError
from ingest.records import EPOCH_COLUMNS, EpochRows, ParsedLog

MAX_ARCH_ID = 15625

# release per-epoch list -> epochs column
EPOCH_LISTS = {
    "train_loss": "train_loss",
    "train_acc": "train_acc",
    "val_loss": "val_loss",
    "val_acc": "val_acc",
    "pgd": "pgd20_acc",
    "pgd_stable": "pgd20_stable",
    "pgd_lip": "pgd20_lip",
    "pgd_loss": "pgd20_loss",
    "cw": "cw40_acc",
    "cw_stable": "cw40_stable",
    "cw_lip": "cw40_lip",
    "cw_loss": "cw40_loss",
}
# release test_best key -> evals column of the Linf Base evaluation
BASE_KEYS = {
    "test_clean_acc": "clean_acc",
    "test_loss": "test_loss",
    "Linf_fgsm_acc": "fgsm_acc",
    "Linf_fgsm_stable": "fgsm_stable",
    "Linf_pgd_acc": "pgd20_acc",
    "Linf_pgd_stable": "pgd20_stable",
    "Linf_pgd_lip": "pgd20_lip",
    "Linf_cw_acc": "cw40_acc",
    "Linf_cw_stable": "cw40_stable",
    "Linf_cw_lip": "cw40_lip",
}
ARCH_KEYS = ("D1", "W1", "D2", "W2", "D3", "W3")
EVAL_COLUMNS = (
    "norm", "attack_choice", "aa_type", "epsilon", "step_size", "device", "seed", "checkpoint_path",
    "params_mb", "macs_m", "pytorch_version", "gpu_list", "started_at", "finished_at", "running_cost_days",
    "d1", "w1", "d2", "w2", "d3", "w3", "clean_correct", "n_test", "clean_acc", "test_loss", "fgsm_acc",
    "fgsm_stable", "pgd20_acc", "pgd20_stable", "pgd20_lip", "cw40_acc", "cw40_stable", "cw40_lip", "aa_acc",
    "ckpt_best_pgdcw_acc", "ckpt_best_pgd_acc", "ckpt_global_step", "ckpt_epochs", "attack", "n_batches",
    "finished", "corruption_mean_acc",
)


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    raise ValueError(f"not a number: {value!r}")


def _epochs(train: dict) -> dict[str, list]:
    lengths = {len(train[key]) for key in EPOCH_LISTS if isinstance(train.get(key), list)}
    n = max(lengths, default=0)
    columns = {name: [None] * n for name in EPOCH_COLUMNS}
    columns["epoch"] = list(range(n))
    columns["segment"] = [0] * n
    for key, column in EPOCH_LISTS.items():
        values = train.get(key)
        if isinstance(values, list):
            columns[column] = [_number(v) for v in values] + [None] * (n - len(values))
    return columns


def _run(record: dict, train: dict, epochs: dict[str, list]) -> dict:
    arch = record.get("arch") or {}
    best = train.get("best_epoch")
    if best is not None and not isinstance(best, int):
        raise ValueError(f"best_epoch is not an integer: {best!r}")
    n = len(epochs["epoch"])
    at_best = (lambda column: epochs[column][best] if best is not None and 0 <= best < n else None)
    completed = [i for i in range(n) if epochs["cw40_acc"][i] is not None]
    values = [v for c in EPOCH_LISTS.values() for v in epochs[c] if v is not None]
    day = train.get("timestamp")
    gpu = train.get("gpu_type")
    return {
        "seed": train.get("seed"),
        "exp_name": None,
        "config_path": None,
        "started_at": f"{day} 00:00:00" if day else None,
        "finished_at": None,
        "last_logged_at": None,
        "running_cost_days": _number(train.get("training_time")),
        "epochs_planned": n or None,
        "epochs_logged": n,
        "epochs_completed": len(completed),
        "last_epoch": n - 1 if n else None,
        "best_epoch": best,
        "best_cw40_acc": at_best("cw40_acc"),
        "best_pgd20_acc": at_best("pgd20_acc"),
        "best_val_acc": at_best("val_acc"),
        "final_cw40_acc": epochs["cw40_acc"][completed[-1]] if completed else None,
        "finished": True,
        "resumed": False,
        "n_segments": 1,
        "resume_epochs": [],
        "has_nan": any(math.isnan(v) for v in values),
        "gpu_list": [gpu] if gpu else None,
        "params_mb": _number(record.get("Params")),
        "macs_m": _number(record.get("MACs")),
        "pytorch_version": None,
        "lr_milestones": None,
        **{key.lower(): arch.get(key) for key in ARCH_KEYS},
    }


def _eval(run: dict, attack: str, norm: str | None, **values) -> dict:
    evaluation = {name: None for name in EVAL_COLUMNS}
    evaluation.update(
        norm=norm, attack=attack, attack_choice=attack, finished=True, seed=run["seed"],
        gpu_list=run["gpu_list"], ckpt_best_pgdcw_acc=run["best_cw40_acc"], ckpt_best_pgd_acc=run["best_pgd20_acc"],
        params_mb=run["params_mb"], macs_m=run["macs_m"],
        **{k: run[k] for k in ("d1", "w1", "d2", "w2", "d3", "w3")},
    )
    evaluation.update(values)
    return evaluation


def _corruption_rows(corruptions: dict) -> list[tuple[str, int, float | None, float | None]]:
    rows = []
    for name, levels in corruptions.items():
        if not isinstance(levels, dict):
            raise ValueError(f"corruption {name}: not an object of levels")
        for level, entry in levels.items():
            rows.append((name, int(level), _number(entry.get("acc")), _number(entry.get("loss"))))
    return rows


def release_record(record: dict, source: str) -> list[ParsedLog]:
    """The run and evaluations of one release line (train[0] and test_best[0])."""
    train_list = record.get("train")
    if not isinstance(train_list, list) or not train_list or not isinstance(train_list[0], dict):
        raise ValueError("no train entry")
    train = train_list[0]
    tests = record.get("test_best") or [None]
    test = tests[0] if isinstance(tests, list) and tests else None
    epochs = _epochs(train)
    run = _run(record, train, epochs)
    parts = [ParsedLog(kind="train", run=run, epochs=EpochRows.from_columns(epochs), source_path=source)]
    if isinstance(test, dict):
        base = {column: _number(test.get(key)) for key, column in BASE_KEYS.items()}
        if any(v is not None for v in base.values()):
            done = all(base[c] is not None for c in ("clean_acc", "fgsm_acc", "pgd20_acc", "cw40_acc"))
            parts.append(ParsedLog(kind="eval", source_path=source, eval=_eval(run, "Base", "Linf", finished=done, **base)))
        if test.get("Linf_aa_acc") is not None:
            aa = _eval(run, "AA", "Linf", aa_acc=_number(test["Linf_aa_acc"]), aa_type="Standard")
            parts.append(ParsedLog(kind="eval", source_path=source, eval=aa))
        if test.get("corruptions"):
            rows = _corruption_rows(test["corruptions"])
            accs = [acc for _, _, acc, _ in rows if acc is not None]
            mean = sum(accs) / len(accs) if accs else None
            corruption = _eval(run, "cifar10c", None, corruption_mean_acc=mean, attack_choice=None)
            parts.append(ParsedLog(kind="corruption", source_path=source, eval=corruption, corruptions=rows))
    return parts


def parse_release(data: bytes, path: str) -> ParsedLog:
    """All lines of a release file; a line that cannot be read is skipped and counted (status partial)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(path, None, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    parts: list[ParsedLog] = []
    bad: list[str] = []
    archs = 0
    seen: set[int] = set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            arch_id = record.get("arch_id") if isinstance(record, dict) else None
            if not isinstance(arch_id, int) or not 1 <= arch_id <= MAX_ARCH_ID:
                raise ValueError(f"arch_id {arch_id!r} outside 1..{MAX_ARCH_ID}")
            if arch_id in seen:
                raise ValueError(f"arch_id {arch_id} given twice: the first line is kept")
            found = release_record(record, f"{path}#arch_id={arch_id}")
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            bad.append(f"line {line_no}: {str(exc)[:120]}")
            continue
        for part in found:
            part.arch_id = arch_id
        parts.extend(found)
        seen.add(arch_id)
        archs += 1
    if not archs:
        raise ParseError(path, None, f"no readable release line ({bad[0] if bad else 'empty file'})")
    message = f"release file: {archs} archs"
    if bad:
        message += f"; {len(bad)} unreadable lines skipped (first: {bad[0]})"
    return ParsedLog(kind="release", status="partial" if bad else "ok", message=message, parts=parts)


__all__ = ["parse_release", "release_record", "EPOCH_LISTS", "BASE_KEYS"]
