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
from .clock import seconds_text, stamp
from .curves import Curves
from .formats import LOG_FREQUENCY, STEPS_PER_EPOCH, VAL_IMAGES

_STEP = ("%sepoch=%d\tglobal_step=%d\tacc=%.4f\tacc_avg=%.4f\tloss=%.4f\tloss_avg=%.4f\tlr=%.4f"
         "\t|gn|=%.4f\ttime=%.2fit/s\n")
_TRAIN_HEAD = "%s====================Training Epoch %d====================\n"
_N = str(VAL_IMAGES)
_EVAL = (
    "%s====================Eval Epoch %d====================\n"
    "%sepoch=%d\tglobal_step=49\tval_acc=%.4f\tval_acc_avg=%.4f\tval_acc5=%.4f\tval_acc5_avg=%.4f"
    "\tval_loss=%.4f\tval_loss_avg=%.4f\ttime=%.2fit/s\n"
    "%sEval Loss:%.4f\tEval acc: %.2f\n"
    "%s---- PGD attacking results ----\n"
    "%sNatural Correct Count: %d/" + _N + " Acc: %.2f \n"
    "%sPGD Correct Count: %d/" + _N + " Acc: %.2f \n"
    "%sPGD with 20.0 steps Loss Avg: %.2f \n"
    "%sLIP Avg: %.4f \n"
    "%sStable Count: %d/" + _N + " StableAcc: %.2f \n"
    "%sBest PGD-20 accuracy: %.2f\n"
    "%s---- PGD-CW attacking results ----\n"
    "%sNatural Correct Count: %d/" + _N + " Acc: %.2f \n"
    "%sPGD-CW Correct Count: %d/" + _N + " Acc: %.2f \n"
    "%sPGD-CW with 40.0 steps Loss Avg: %.2f \n"
    "%sLIP Avg: %.4f \n"
    "%sStable Count: %d/" + _N + " StableAcc: %.2f \n"
    "%sBest PGDCW-40 accuracy: %.2f\n"
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


def _step_lines(rng: random.Random, spec, curves: Curves, epoch: int, t: int, step_ms: float,
                its: float, limit: Optional[int] = None) -> Tuple[str, int]:
    """The epoch's `epoch=..\\tglobal_step=..` lines: one every LOG_FREQUENCY batches of the epoch."""
    first = epoch * STEPS_PER_EPOCH
    start = first
    lr = curves.lr[epoch]
    acc_target = curves.train_acc[epoch]
    loss_target = curves.train_loss[epoch]
    is_nan = curves.nan_from is not None and epoch >= curves.nan_from
    gn_base = 1.2 + 1.5 * math.exp(-epoch / max(1.0, 0.2 * spec.epochs))
    out = []
    last = t
    gauss = rng.gauss
    for n, step in enumerate(range(start, first + STEPS_PER_EPOCH, LOG_FREQUENCY)):
        if limit is not None and n >= limit:
            break
        j = step - first
        acc = min(1.0, max(0.0, round((acc_target + gauss(0, 0.045)) * 128) / 128))
        shrink = 1.0 / math.sqrt(j + 1)
        acc_avg = acc if j == 0 else acc_target + gauss(0, 0.02) * shrink
        if is_nan:
            loss = loss_avg = gn = float("nan")
        else:
            loss = loss_target + gauss(0, 0.09)
            loss_avg = loss if j == 0 else loss_target + gauss(0, 0.04) * shrink
            gn = gn_base + abs(gauss(0, 0.45))
        t_line = t + int((j + 1) * step_ms)
        last = t_line
        out.append(_STEP % (stamp(t_line), epoch, step, acc, acc_avg, loss, loss_avg, lr, gn,
                            its * (1.0 + gauss(0, 0.02))))
    if limit is not None:
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
    text, t = header(spec, spec.start_ms, False, 0)
    parts = [text]
    process_start = spec.start_ms
    best_pgd = best_cw = -1
    printed_cw: Dict[int, int] = {}
    lr_seen: Dict[int, float] = {}
    epoch_ms = spec.epoch_ms
    epoch = 0
    finished = True
    while epoch < epochs:
        ms = epoch_ms * (1.0 + rng.gauss(0, 0.015))
        train_ms = 0.6 * ms
        step_ms = train_ms / STEPS_PER_EPOCH
        its = STEPS_PER_EPOCH / (train_ms / 1000.0)
        parts.append(_TRAIN_HEAD % (stamp(t), epoch))
        t += 1
        if resume is not None and epoch == resume[0]:
            lines, t = _step_lines(rng, spec, curves, epoch, t, step_ms, its, limit=resume[1])
            parts.append(lines)
            t += resume[2]
            process_start = t
            text, t = header(spec, t, True, epoch)
            parts.append(text)
            resume = None
            continue
        if stop is not None and epoch == stop[0]:
            lines, t = _step_lines(rng, spec, curves, epoch, t, step_ms, its, limit=max(1, stop[1]))
            parts.append(lines)
            lr_seen[epoch] = round(curves.lr[epoch], 4)
            finished = False
            break
        lines, t = _step_lines(rng, spec, curves, epoch, t, step_ms, its)
        parts.append(lines)
        lr_seen[epoch] = round(curves.lr[epoch], 4)
        t_eval = t
        t_val = t_eval + int(0.015 * ms)
        t_pgd = t_val + int(0.13 * ms)
        t_cw = t_pgd + int(0.25 * ms)
        clean, pgd, cw = curves.clean[epoch], curves.pgd[epoch], curves.cw[epoch]
        best_pgd = max(best_pgd, pgd)
        best_cw = max(best_cw, cw)
        printed_cw[epoch] = cw
        is_nan = curves.nan_from is not None and epoch >= curves.nan_from
        val_loss = curves.val_loss[epoch]
        if is_nan:
            val_last, acc5_last, acc5_avg, loss_last = 0.1, 0.5, 0.5, val_loss
        else:
            val_last = min(1.0, max(0.0, round(clean * _PCT + rng.gauss(0, 4.0)) / 100))
            acc5_avg = min(1.0, 0.975 + rng.gauss(0, 0.006))
            acc5_last = min(1.0, round((acc5_avg + rng.gauss(0, 0.012)) * 100) / 100)
            loss_last = val_loss + rng.gauss(0, 0.12)
        val_its = 50.0 / max(0.001, 0.015 * ms / 1000.0) * (1.0 + rng.gauss(0, 0.03))
        s_eval, s_val, s_pgd, s_cw = stamp(t_eval), stamp(t_val), stamp(t_pgd), stamp(t_cw)
        s_cw_best = stamp(t_cw + 1)
        parts.append(_EVAL % (
            s_eval, epoch,
            s_val, epoch, val_last, clean / VAL_IMAGES, acc5_last, acc5_avg, loss_last, val_loss, val_its,
            s_val, val_loss, clean * _PCT,
            s_pgd, s_pgd, clean, clean * _PCT, s_pgd, pgd, pgd * _PCT, s_pgd, curves.pgd_loss[epoch],
            s_pgd, curves.pgd_lip[epoch], s_pgd, curves.pgd_stable[epoch], curves.pgd_stable[epoch] * _PCT,
            s_pgd, best_pgd * _PCT,
            s_cw, s_cw, clean, clean * _PCT, s_cw, cw, cw * _PCT, s_cw, curves.cw_loss[epoch],
            s_cw, curves.cw_lip[epoch], s_cw, curves.cw_stable[epoch], curves.cw_stable[epoch] * _PCT,
            s_cw_best, best_cw * _PCT,
        ))
        t = t_cw + 12 + int(rng.random() * 60)
        parts.append(_SAVED % (stamp(t), last_saved))
        if epoch in save_at:
            t += 9
            parts.append(_SAVED % (stamp(t), f"{ckpt}_{epoch}e.pth"))
        t += 1
        epoch += 1
    if finished:
        days = (t - process_start) / 86_400_000
        parts.append(f"{stamp(t)}Running Cost {days:.2f} Days\n")
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
