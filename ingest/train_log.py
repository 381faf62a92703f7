"""Training logs (`arch_<id>.log`): one run, its header settings and one record per epoch.

Layout of a log (SPEC section 3): a header (`Namespace(...)`, argument lines, the model printout,
`Config([...])` lines, param size, flops, PyTorch version, optional `GPU List`), then per epoch a
`Training Epoch e` marker, step lines, an `Eval Epoch e` marker and the clean / PGD-20 / CW-40
validation blocks; `Running Cost` ends a finished run. A resumed run appends a second header to the
same file; an epoch logged twice keeps its later record whole.

The epochs are read from the bytes by the compiled scanner (ingest/_scan.c, which states the rules
for every historical format of the training code); the header, a few kilobytes, is read here.
"""
from __future__ import annotations

from ingest._scan import scan_training_log
from ingest.errors import ParseError
from ingest.header import gpu_list, header_fields, namespace_names
from ingest.log_format import training_format
from ingest.logtext import check_log_bytes, first_timestamp, last_timestamp, running_cost
from ingest.numbers import size_in, to_int
from ingest.pyliteral import Config
from ingest.records import EpochRows, ParsedLog
from ingest.scanning import linear
from ingest.space import architecture

_MARK = b"====================Training Epoch "
_STARTING = linear("train_log.starting_epoch", rb"Starting Epoch: (\d++)", literal=b"Starting Epoch: ",
                   worst_case=lambda n: b"Starting Epoch: x" * (n // 17))


_EVAL_MARK = b"====================Eval Epoch "
_DEFAULT_ATTACK_STEPS = "[20,40]"
"""The PGD and CW steps of the validation attacks, `attack_step`'s default (from 3935ccd5, 2024-06-13)."""
_NAN_EXIT_SINCE = "2023-01-02"
"""The day the training code got its NaN exit (74c9b991, SPEC section 8)."""


def _signless_nan(text: bytes) -> bytes:
    """Text in lower case with `=-nan` and `=+nan` written `=nan` (and `:-nan`, `:+nan` alike)."""
    return text.lower().replace(b"=-nan", b"=nan").replace(b"=+nan", b"=nan").replace(b":-nan", b":nan").replace(
        b":+nan", b":nan")


def _nan_step_line(line: bytes) -> bool:
    """Whether a line is a step line whose running loss (`loss_avg`) is NaN."""
    return (len(line) > 24 and line[24:30] == b"epoch=" and b"\t|gn|=" in line
            and b"\tloss_avg=nan\t" in _signless_nan(line))


def _ends_in_nan_exit(data: bytes) -> bool:
    """Whether the log ends as the training code's NaN exit leaves it.

    The code counts the batches it trained with a NaN running loss, over the whole run, and on the
    101st exits with status 0, its message printed, not logged. The last logged line is then a
    step line with `loss_avg=nan`; or, when an epoch ended within those batches, the next epoch's
    `Training Epoch` marker, after an epoch whose last step line or `Eval Loss` is NaN (its weights
    were)."""
    tail = data[-1024:].rstrip()  # the end of the log past trailing whitespace, looked for in its last kilobyte
    end = len(data) - min(len(data), 1024) + len(tail)
    start = data.rfind(b"\n", 0, end) + 1
    line = data[start:end]
    if _nan_step_line(line):
        return True
    if not line[24:].startswith(_MARK):
        return False
    evaluation = data.rfind(_EVAL_MARK, 0, start)
    if evaluation < 0:
        return False
    eval_line = data.rfind(b"\n", 0, evaluation) + 1
    if eval_line > 0:  # the epoch's last step line is the line before its Eval Epoch marker
        last_step = data.rfind(b"\n", 0, eval_line - 1) + 1
        if _nan_step_line(data[last_step:eval_line - 1].rstrip(b"\r")):
            return True
    loss = data.find(b"Eval Loss:", evaluation, start)
    return loss >= 0 and _signless_nan(data[loss:loss + 16]).startswith(b"eval loss:nan")


def _code_has_nan_exit(arguments: list[str], started_at: str | None) -> bool:
    """Whether the code that wrote a log can have had the NaN exit: not when the log started before
    the day it was written, nor when the argument names lack `data_path` (code older than 0ca9b4e2,
    2022-12-20). A log of 0ca9b4e2 or 1fe41adb started later shows nothing that tells it apart."""
    if started_at is not None and started_at[:10] < _NAN_EXIT_SINCE:
        return False
    return not arguments or "data_path" in arguments


_COUNT = linear("train_log.natural_count", rb"Natural Correct Count: [0-9]++/([0-9]++)", use="match",
                worst_case=lambda n: b"Natural Correct Count: 1/" + b"9" * n)


def _validation_images(data: bytes, first_epoch: int) -> int | None:
    """The validation set's size: the denominator of the first `Natural Correct Count: a/b` after
    the first epoch marker (None when no epoch got that far)."""
    if first_epoch < 0:
        return None
    at = data.find(b"Natural Correct Count: ", first_epoch)
    match = _COUNT.match(data, at) if at >= 0 else None
    return int(match.group(1)) if match and len(match.group(1)) <= 9 else None


_ENVIRONMENT = ("param size", "flops", "PyTorch Version", "GPU List")
"""The header's facts of the machine and model size (settings of source `environment`)."""


def _settings(values: dict[str, str], configs: dict[str, Config], arguments: list[str]) -> list[tuple[str, str, str]]:
    """Every training setting the header records: argument lines as printed, the config file's
    top-level keys (`epochs: 100`, `grad_clip: 5.0`: source config), Config entries as
    `<config>.<key>`, environment facts. One per name, the first recorded (an argument line
    `optimizer.lr: ...` beside a Config's `lr`, or `param_size: ...` beside `param size: ...`):
    run_settings holds one row per run and setting, and config_drift counts on it. A `name: value`
    line is an argument when `arguments` (the header's argument names) holds it, or when they are
    not known."""
    named = set(arguments)
    first = {k: (k, v, "argument" if k in named or not named else "config") for k, v in values.items()
             if " " not in k and k not in _ENVIRONMENT}
    for config, entries in configs.items():
        for name, text in entries.reprs():
            key = f"{config}.{name}"
            if key not in first:
                first[key] = (key, text, "config")
    for key in _ENVIRONMENT:
        if key in values:
            name = key.lower().replace(" ", "_")
            if name not in first:
                first[name] = (name, values[key], "environment")
    return list(first.values())


def _best(cw40: list) -> tuple[int | None, int | None]:
    """Index of the best epoch (first epoch whose CW-40 equals the run's maximum) and of the last
    epoch with a CW-40 value; epochs without one (no validation attack yet, a PGD-only code
    version, a killed evaluation) take no part."""
    best_i = last_i = None
    best = None
    for i, cw in enumerate(cw40):
        if cw is None or cw != cw:
            continue
        last_i = i
        if best is None or cw > best:
            best, best_i = cw, i
    return best_i, last_i


def parse_train_log(data: bytes, path: str) -> ParsedLog:
    """Parse one training log; raise ParseError when the file is not a training log at all."""
    check_log_bytes(data, path)
    headers, n, rows, has_nan, grad_norm_median, steps_per_second, step_lines, nonfinite = scan_training_log(data)
    if not headers:
        if _MARK in data:
            raise ParseError(path, 1, "training records without the Namespace(...) header: header lost or file garbled")
        raise ParseError(path, 1, "no Namespace(...) header and no epoch records: not a training log")

    first_epoch = data.find(_MARK, headers[0])
    header_end = headers[1] if len(headers) > 1 else len(data)
    if first_epoch >= 0:
        header_end = min(header_end, first_epoch)
    values, arguments, configs = header_fields(data, header_end, after=headers[0])
    arguments = arguments or namespace_names(data, headers[0])
    epochs = EpochRows(n, rows, has_nan)
    cw40 = epochs.column("cw40_acc")
    best_i, last_i = _best(cw40)

    # resumed segments: their `Starting Epoch: N` lines (searched only in the headers, not the epochs)
    starts = []
    for h in headers[1:]:
        end = data.find(_MARK, h)
        match = _STARTING.search(data, h, end if end >= 0 else len(data))
        if match:
            starts.append(int(match.group(1)))
    cost, finished_at = running_cost(data)
    val_images = _validation_images(data, first_epoch)
    finished = cost is not None
    started_at = first_timestamp(data)
    nan_exit = not finished and _code_has_nan_exit(arguments, started_at) and _ends_in_nan_exit(data)
    model = configs.get("model", {})
    scheduler = configs.get("scheduler", {})
    milestones = scheduler.get("milestones")
    n_epochs = epochs.n
    incomplete_evals = cw40.count(None)
    gpus = gpu_list(values.get("GPU List"))

    run = {
        "seed": to_int(values.get("seed")),
        "exp_name": values.get("exp_name"),
        "config_path": values.get("config_path"),
        "started_at": started_at,
        "finished_at": finished_at if finished else None,
        "last_logged_at": last_timestamp(data),
        "running_cost_days": cost,
        "epochs_planned": to_int(values.get("epochs")),
        "epochs_logged": n_epochs,
        "epochs_completed": n_epochs - incomplete_evals,
        "last_epoch": epochs.value("epoch", n_epochs - 1) if n_epochs else None,
        "best_epoch": epochs.value("epoch", best_i) if best_i is not None else None,
        "best_cw40_acc": cw40[best_i] if best_i is not None else None,
        "best_pgd20_acc": epochs.value("pgd20_acc", best_i) if best_i is not None else None,
        "best_val_acc": epochs.value("val_acc", best_i) if best_i is not None else None,
        "final_cw40_acc": cw40[last_i] if last_i is not None else None,
        "finished": finished,
        "stop_reason": "finished" if finished else ("nan_exit" if nan_exit else "unfinished"),
        "resumed": len(headers) > 1,
        "n_segments": len(headers),
        "resume_epochs": [e for e in starts if e > 0],
        "has_nan": has_nan or nan_exit,
        "gpu_list": gpus,
        "params_mb": size_in(values.get("param size"), "MB"),
        "macs_m": size_in(values.get("flops"), "M"),
        "pytorch_version": values.get("PyTorch Version"),
        "lr_milestones": [int(m) for m in milestones if isinstance(m, int)] if isinstance(milestones, list) else None,
        "val_images": val_images,
        "step_lines": step_lines,
        "grad_norm_nonfinite": nonfinite if step_lines else None,
        "grad_norm_median": grad_norm_median,
        "steps_per_second": steps_per_second,
        "argument_names": arguments,
        **architecture(model),
    }
    problems = []
    if nan_exit:
        problems.append(f"stopped by the NaN exit: the log ends on training losses of NaN (last epoch {run['last_epoch']})")
    elif not finished:
        where = f"last epoch {run['last_epoch']}" if n_epochs else "no epoch logged"
        problems.append(f"unfinished run: no 'Running Cost' line ({where})")
    if n_epochs and not any(v is not None for v in cw40):
        problems.append("no CW-40 validation in any epoch: no best epoch")
    elif incomplete_evals and finished:
        problems.append(f"{incomplete_evals} epoch(s) without CW-40 results")
    if "model" not in configs:
        problems.append("no readable model Config line")
    steps = values.get("attack_step")
    if steps is not None and steps.replace(" ", "") != _DEFAULT_ATTACK_STEPS:
        problems.append(f"validation attacks of {steps} steps (attack_step), not [20, 40]: the pgd20 and cw40 "
                        "columns hold them")
    if run["has_nan"] and not nan_exit:
        problems.append("NaN values")
    if run["resumed"]:
        problems.append(f"resumed {len(headers) - 1} time(s)")
    status = "ok" if finished else "partial"
    message = "; ".join(problems) if problems else f"finished run, {n_epochs} epochs"
    return ParsedLog(
        kind="train",
        status=status,
        message=message,
        code=training_format(data, headers, arguments, finished),
        run=run,
        epochs=epochs,
        settings=_settings(values, configs, arguments),
    )
