"""Render one training log (`arch_<id>.log`) the way the benchmark's `main.py` writes it.

This is the hot path of the generator (a few thousand lines per run, 15,625 runs at full scale), so
each epoch is two `%` formats of a prebuilt template rather than one format per line, timestamps
are table look-ups (`clock.stamp`), and the run's constant pieces (checkpoint path, header, model
printout) are built once. The facts the key file reports (best epoch, observed lr decays, ...) are
taken from the values *as printed*.
"""
from __future__ import annotations

import math
import random
from typing import Dict, List, Optional, Tuple

from . import formats
from .clock import DAY0, DAY_PREFIX, HMS, MILLIS, seconds_text, stamp
from .curves import Curves
from .formats import LOG_FREQUENCY, STEPS_PER_EPOCH, VAL_IMAGES
from .numbers import BATCH4, FRAC4, PCT2, normals

_STEP = "%sepoch=%d\tglobal_step=%d\tacc=%s\tacc_avg=%.4f\tloss=%.4f\tloss_avg=%.4f\tlr=%s\t|gn|=%.4f\ttime=%.2fit/s\n"
_TRAIN_HEAD = "%s====================Training Epoch %d====================\n"
_N = str(VAL_IMAGES)
_EVAL = (
    "%s====================Eval Epoch %d====================\n"
    "%sepoch=%d\tglobal_step=49\tval_acc=%.4f\tval_acc_avg=%s\tval_acc5=%.4f\tval_acc5_avg=%.4f"
    "\tval_loss=%.4f\tval_loss_avg=%.4f\ttime=%.2fit/s\n"
    "%sEval Loss:%.4f\tEval acc: %s\n"
    "%s---- PGD attacking results ----\n"
    "%sNatural Correct Count: %d/" + _N + " Acc: %s \n"
    "%sPGD Correct Count: %d/" + _N + " Acc: %s \n"
    "%sPGD with 20.0 steps Loss Avg: %.2f \n"
    "%sLIP Avg: %.4f \n"
    "%sStable Count: %d/" + _N + " StableAcc: %s \n"
    "%sBest PGD-20 accuracy: %s\n"
    "%s---- PGD-CW attacking results ----\n"
    "%sNatural Correct Count: %d/" + _N + " Acc: %s \n"
    "%sPGD-CW Correct Count: %d/" + _N + " Acc: %s \n"
    "%sPGD-CW with 40.0 steps Loss Avg: %.2f \n"
    "%sLIP Avg: %.4f \n"
    "%sStable Count: %d/" + _N + " StableAcc: %s \n"
    "%sBest PGDCW-40 accuracy: %s\n"
)
_SAVED = "%sModel Saved at %s\n\n"
_PCT = 100.0 / VAL_IMAGES


def checkpoint_stem(spec) -> str:
    """`<exp_name>/checkpoints/<version>`: saved checkpoints are this plus `_last.pth` etc."""
    return f"{spec.exp_name}/checkpoints/{spec.stem}"


def header(spec, start_ms: int, load_model: bool, starting_epoch: int) -> Tuple[str, int]:
    """The records `main.py` writes before its first epoch; returns the text and the time after."""
    t = start_ms
    ts = stamp(t)
    gpu = f"GPU List: {list(spec.gpu_list)}"
    arguments = formats.train_arguments(
        spec.exp_name, spec.config_path, spec.stem, spec.seed, spec.data_path, spec.run_name,
        spec.epochs, spec.data_parallel, load_model)
    messages = [" ### Start to evaluate from 0.0 Epoch ### "] * 2
    messages += [formats.namespace_message(arguments), str(spec.seed)]
    messages += formats.argument_messages(arguments)
    parts = [ts + gpu + "\n"] if spec.gpu_list else []
    parts.append(formats.records(ts, messages))
    t += 11 + spec.arch.arch_id % 23
    parts.append(stamp(t) + formats.model_printout(tuple(spec.arch.depths), tuple(spec.arch.channels)))
    t += 1200 + spec.arch.arch_id % 1300
    sections = formats.config_sections(spec.arch.depths, spec.arch.channels, spec.epochs, spec.seed,
                                       spec.data_path, spec.workers, True, formats.EVAL_BATCH)
    tail = formats.config_messages(sections)
    tail += formats.size_messages(spec.arch.params_mb, spec.arch.macs_m, spec.torch_version)
    if spec.gpu_list:
        tail.append(gpu)
    parts.append(formats.records(stamp(t), tail))
    t += 1
    ts = stamp(t)
    if load_model:
        parts.append(f"{ts}File {checkpoint_stem(spec)}_last.pth loaded!\n")
        t += 35
        ts = stamp(t)
    parts.append(f"{ts}Starting Epoch: {starting_epoch}\n")
    return "".join(parts), t + 1


_SHRINK = [0.0] + [1.0 / math.sqrt(j + 1) for j in range(LOG_FREQUENCY, STEPS_PER_EPOCH, LOG_FREQUENCY)]


def _step_lines(nx, spec, curves: Curves, epoch: int, t: int, step_ms: float, its: float,
                limit: int = 99) -> Tuple[str, int]:
    """The epoch's `epoch=..\\tglobal_step=..` lines: one every LOG_FREQUENCY batches of the epoch.

    Returns the text and the time of the last line (or, for a whole epoch, the end of training).
    Three normal draws per line: batch accuracy and loss move together, and so do their averages.
    """
    first = epoch * STEPS_PER_EPOCH
    lr = "%.4f" % curves.lr[epoch]
    acc_target = curves.train_acc[epoch]
    loss_target = curves.train_loss[epoch]
    is_nan = curves.nan_from is not None and epoch >= curves.nan_from
    gn_base = 2.0 + 9.0 * math.exp(-epoch / max(1.0, 0.1 * spec.epochs))
    out = []
    last = t
    acc128 = acc_target * 128 + 0.5
    for n, j in enumerate(range(0, STEPS_PER_EPOCH, LOG_FREQUENCY)):
        if n >= limit:
            break
        z1, z2, z3 = nx(), nx(), nx()
        k = int(acc128 + 5.76 * z1)
        acc = BATCH4[0 if k < 0 else (128 if k > 128 else k)]
        if is_nan:
            acc_avg = 0.1 + 0.004 * z2
            loss = loss_avg = gn = math.nan
        elif j:
            shrink = _SHRINK[n]
            acc_avg = acc_target + 0.02 * shrink * z2
            loss = loss_target - 0.09 * z1
            loss_avg = loss_target - 0.04 * shrink * z2
            gn = gn_base + 0.45 * (z3 if z3 > 0 else -z3)
        else:
            acc_avg = k / 128
            loss = loss_avg = loss_target - 0.09 * z1
            gn = gn_base + 0.45 * (z3 if z3 > 0 else -z3)
        last = t + int((j + 1) * step_ms)
        day, rest = divmod(last, 86_400_000)
        day -= DAY0
        prefix = (DAY_PREFIX[day] + HMS[rest // 1000] + MILLIS[rest % 1000]) if 0 <= day < 3660 else stamp(last)
        out.append(_STEP % (prefix, epoch, first + j, acc, acc_avg, loss, loss_avg, lr, gn,
                            its * (1.0 - 0.01 * z3)))
    if limit < 99:
        return "".join(out), last
    return "".join(out), t + int(STEPS_PER_EPOCH * step_ms)


def render_train_log(spec, curves: Curves, rng: random.Random) -> Tuple[str, Dict]:
    """The whole log text and the facts the key file reports about it."""
    epochs = spec.epochs
    ckpt = checkpoint_stem(spec)
    last_saved = ckpt + "_last.pth"
    save_at = set(formats.save_epochs(epochs))
    stop: Optional[Tuple[int, int]] = spec.unfinished_at
    resume = spec.resumed_at
    nx = normals(rng, 24 * epochs + 256).__next__
    text, t = header(spec, spec.start_ms, False, 0)
    parts = [text]
    append = parts.append
    process_start = spec.start_ms
    best_pgd = best_cw = -1
    printed_cw: Dict[int, int] = {}
    lr_seen: Dict[int, float] = {}
    epoch_ms = spec.epoch_ms
    nan_from = curves.nan_from if curves.nan_from is not None else epochs
    c_clean, c_pgd, c_cw, c_loss = curves.clean, curves.pgd, curves.cw, curves.val_loss
    c_pgd_loss, c_pgd_lip, c_pgd_st = curves.pgd_loss, curves.pgd_lip, curves.pgd_stable
    c_cw_loss, c_cw_lip, c_cw_st = curves.cw_loss, curves.cw_lip, curves.cw_stable
    epoch = 0
    finished = True
    while epoch < epochs:
        ms = epoch_ms * (1.0 + 0.015 * nx())
        train_ms = 0.6 * ms
        step_ms = train_ms / STEPS_PER_EPOCH
        its = STEPS_PER_EPOCH / (train_ms / 1000.0)
        append(_TRAIN_HEAD % (stamp(t), epoch))
        t += 1
        if resume is not None and epoch == resume[0]:
            lines, t = _step_lines(nx, spec, curves, epoch, t, step_ms, its, resume[1])
            append(lines)
            t += resume[2]
            process_start = t
            text, t = header(spec, t, True, epoch)
            append(text)
            resume = None
            continue
        lr_seen[epoch] = round(curves.lr[epoch], 4)
        if stop is not None and epoch == stop[0]:
            lines, t = _step_lines(nx, spec, curves, epoch, t, step_ms, its, max(1, stop[1]))
            append(lines)
            finished = False
            break
        lines, t = _step_lines(nx, spec, curves, epoch, t, step_ms, its)
        append(lines)
        t_val = t + int(0.015 * ms)
        t_pgd = t_val + int(0.13 * ms)
        t_cw = t_pgd + int(0.25 * ms)
        clean, pgd, cw = c_clean[epoch], c_pgd[epoch], c_cw[epoch]
        if pgd > best_pgd:
            best_pgd = pgd
        if cw > best_cw:
            best_cw = cw
        printed_cw[epoch] = cw
        val_loss = c_loss[epoch]
        z1, z2 = nx(), nx()
        if epoch >= nan_from:
            val_last, acc5_last, acc5_avg, loss_last = 0.1, 0.5, 0.5, val_loss
        else:
            val_last = int(clean * _PCT + 4.0 * z1 + 0.5) / 100
            val_last = 1.0 if val_last > 1.0 else val_last
            acc5_avg = 0.975 + 0.006 * z2
            acc5_last = int(acc5_avg * 100 + 1.2 * z1 + 0.5) / 100
            acc5_last = 1.0 if acc5_last > 1.0 else acc5_last
            loss_last = val_loss - 0.12 * z1
        s_val, s_pgd, s_cw = stamp(t_val), stamp(t_pgd), stamp(t_cw)
        pct_clean = PCT2[clean]
        append(_EVAL % (
            stamp(t), epoch,
            s_val, epoch, val_last, FRAC4[clean], acc5_last, acc5_avg, loss_last, val_loss,
            3_333_333.0 / ms * (1.0 + 0.03 * z2),
            s_val, val_loss, pct_clean,
            s_pgd, s_pgd, clean, pct_clean, s_pgd, pgd, PCT2[pgd], s_pgd, c_pgd_loss[epoch],
            s_pgd, c_pgd_lip[epoch], s_pgd, c_pgd_st[epoch], PCT2[c_pgd_st[epoch]], s_pgd, PCT2[best_pgd],
            s_cw, s_cw, clean, pct_clean, s_cw, cw, PCT2[cw], s_cw, c_cw_loss[epoch],
            s_cw, c_cw_lip[epoch], s_cw, c_cw_st[epoch], PCT2[c_cw_st[epoch]], stamp(t_cw + 1), PCT2[best_cw],
        ))
        t = t_cw + 12 + int(25 * (z2 if z2 > 0 else -z2))
        append(_SAVED % (stamp(t), last_saved))
        if epoch in save_at:
            t += 9
            append(_SAVED % (stamp(t), f"{ckpt}_{epoch}e.pth"))
        t += 1
        epoch += 1
    if finished:
        days = (t - process_start) / 86_400_000
        append(f"{stamp(t)}Running Cost {days:.2f} Days\n")
    facts = _facts(spec, curves, printed_cw, lr_seen, finished)
    facts["ended_ms"] = t
    return "".join(parts), facts


def _facts(spec, curves: Curves, printed_cw: Dict[int, int], lr_seen: Dict[int, float], finished: bool) -> Dict:
    observed: List[int] = []
    previous = None
    for epoch in sorted(lr_seen):
        if previous is not None and lr_seen[epoch] < previous:
            observed.append(epoch)
        previous = lr_seen[epoch]
    facts: Dict = {
        "finished": finished,
        "resumed": spec.resumed_at is not None,
        "has_nan": spec.nan_from is not None,
        "epochs_logged": len(printed_cw),
        "last_epoch_started": max(lr_seen) if lr_seen else None,
        "lr_decay_epochs": observed,
        "started_at": seconds_text(spec.start_ms),
    }
    if printed_cw:
        values = {e: round(c * _PCT, 2) for e, c in printed_cw.items()}
        top = max(values.values())
        facts["best_epoch"] = min(e for e, v in values.items() if v == top)
        facts["best_cw40_acc"] = top
        facts["final_cw40_acc"] = values[max(values)]
    else:
        facts["best_epoch"] = facts["best_cw40_acc"] = facts["final_cw40_acc"] = None
    return facts
