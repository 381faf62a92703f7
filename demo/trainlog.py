"""Render one training log (`arch_<id>.log`) the way the benchmark's `main.py` writes it.

This is the hot path of the generator (a few thousand lines per run, 15,625 runs at full scale), so
a common epoch (no NaN, no resume, no stop) is one `%` format of a prebuilt template with its
step lines unrolled (`_plain_epoch`); the rare epochs take the general path (`_step_lines` and the
evaluation block in `render_train_log`), which prints the same numbers the same way. Timestamps
are table look-ups (`clock`), values on a grid are preformatted strings (`numbers`), and the run's
constant pieces (checkpoint path, header, model printout) are built once. The facts the key file
reports (best epoch, observed lr decays, ...) are taken from the values *as printed*.

Each code version's differences (`codeversions`): T3 and T4 label their attack lines with the attack
list and T3 validates PGD only (general path), the checkpoint names, the NaN exit of T8 on, and
the native-AMP path's |gn| (65,536 x the true norm, now and then `inf` or `nan`: general path).
"""
from __future__ import annotations

import math
import random
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from .clock import DAY0, DAY_MS, DAY_PREFIX, DAYS, HMS, MILLIS, seconds_text, stamp
from .codeversions import TrainCode
from .curves import Curves
from .formats import LOG_FREQUENCY, STEPS_PER_EPOCH, VAL_IMAGES
from .numbers import BATCH4, CW_LINE, FRAC4, NATURAL_LINE, PCT2, PGD_LINE, STABLE_LINE, normals
from .trainheader import checkpoint_stem, code_of, extra_save_epochs, header

_STEP = "%sepoch=%d\tglobal_step=%d\tacc=%s\tacc_avg=%.4f\tloss=%.4f\tloss_avg=%.4f\tlr=%s\t|gn|=%.4f\ttime=%.2fit/s\n"
_TRAIN_HEAD = "%s====================Training Epoch %d====================\n"
_N = str(VAL_IMAGES)
_VALIDATION = (
    "%s====================Eval Epoch %d====================\n"
    "%sepoch=%d\tglobal_step=49\tval_acc=%.4f\tval_acc_avg=%s\tval_acc5=%.4f\tval_acc5_avg=%.4f"
    "\tval_loss=%.4f\tval_loss_avg=%.4f\ttime=%.2fit/s\n"
    "%sEval Loss:%.4f\tEval acc: %s\n"
)
_BLOCK = (
    "%s---- {name} attacking results ----\n"
    "%sNatural Correct Count: %d/" + _N + " Acc: %s \n"
    "%s{label} Correct Count: %d/" + _N + " Acc: %s \n"
    "%s{label} with {steps}.0 steps Loss Avg: %.2f \n"
    "%sLIP Avg: %.4f \n"
    "%sStable Count: %d/" + _N + " StableAcc: %s \n"
    "%sBest {best} accuracy: %s\n"
)


@lru_cache(maxsize=8)
def _eval_template(code: TrainCode) -> str:
    """Validation records and the attack blocks of one epoch, as the code version prints them."""
    label = "['PGD', 'PGD-CW']" if code.list_label else None
    text = _VALIDATION + _BLOCK.format(name="PGD", label=label or "PGD", steps=20, best="PGD-20")
    if code.cw_block:
        text += _BLOCK.format(name="PGD-CW", label=label or "PGD-CW", steps=code.cw_steps, best="PGDCW-40")
    return text


_SAVED = "%sModel Saved at %s\n\n"
_PCT = 100.0 / VAL_IMAGES


_SHRINK = [0.0] + [1.0 / math.sqrt(j + 1) for j in range(LOG_FREQUENCY, STEPS_PER_EPOCH, LOG_FREQUENCY)]


def _step_lines(nx, spec, curves: Curves, epoch: int, t: int, step_ms: float, its: float,
                limit: int = 99, bad: Dict[int, str] = None) -> Tuple[str, int, int]:
    """The epoch's `epoch=..\\tglobal_step=..` lines: one every LOG_FREQUENCY batches of the epoch.

    Returns the text, the time of the last line (or, for a whole epoch, the end of training) and
    how many lines print a |gn| that is not finite. Three normal draws per line: batch accuracy and
    loss move together, and so do their averages. `bad`: step line -> 'inf'/'nan', the |gn| of a
    step whose scaled gradients overflowed.
    """
    first = epoch * STEPS_PER_EPOCH
    lr = "%.4f" % curves.lr[epoch]
    acc_target = curves.train_acc[epoch]
    loss_target = curves.train_loss[epoch]
    is_nan = curves.nan_from is not None and epoch >= curves.nan_from
    scale = spec.grad_norm_scale
    gn_base = (2.0 + 9.0 * math.exp(-epoch / max(1.0, 0.1 * spec.epochs))) * scale
    gn_spread = 0.45 * scale
    out = []
    last = t
    nonfinite = 0
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
            gn = gn_base + gn_spread * (z3 if z3 > 0 else -z3)
        else:
            acc_avg = k / 128
            loss = loss_avg = loss_target - 0.09 * z1
            gn = gn_base + gn_spread * (z3 if z3 > 0 else -z3)
        if bad and n in bad:
            gn = math.inf if bad[n] == "inf" else math.nan
        if gn != gn or gn == math.inf:
            nonfinite += 1
        last = t + int((j + 1) * step_ms)
        day, rest = divmod(last, 86_400_000)
        day -= DAY0
        prefix = (DAY_PREFIX[day] + HMS[rest // 1000] + MILLIS[rest % 1000]) if 0 <= day < 3660 else stamp(last)
        out.append(_STEP % (prefix, epoch, first + j, acc, acc_avg, loss, loss_avg, lr, gn,
                            its * (1.0 - 0.01 * z3)))
    if limit < 99:
        return "".join(out), last, nonfinite
    return "".join(out), t + int(STEPS_PER_EPOCH * step_ms), nonfinite


# ----------------------------------------------------------------------------- the common epoch
assert (STEPS_PER_EPOCH, LOG_FREQUENCY) == (352, 100)  # four step lines: steps 0, 100, 200, 300
_T3 = "%s%s%s"  # a time as its three look-ups: day, HH:MM:SS, milliseconds
_STEP3 = _T3 + _STEP[2:]
_PLAIN_EPOCH = (
    _T3 + _TRAIN_HEAD[2:] + (_T3 + _STEP[2:].replace("loss=%.4f\tloss_avg=%.4f", "loss=%s\tloss_avg=%s")
                              .replace("acc_avg=%.4f", "acc_avg=%s")) + _STEP3 * 3
    + "%s====================Eval Epoch %d====================\n"
    "%sepoch=%d\tglobal_step=49\tval_acc=%s\tval_acc_avg=%s\tval_acc5=%s\tval_acc5_avg=%.4f"
    "\tval_loss=%.4f\tval_loss_avg=%s\ttime=%.2fit/s\n"
    "%sEval Loss:%s\tEval acc: %s\n"
    "%s---- PGD attacking results ----\n"
    "%s%s%s%s"
    "%sPGD with 20.0 steps Loss Avg: %.2f \n"
    "%sLIP Avg: %.4f \n"
    "%s%s"
    "%sBest PGD-20 accuracy: %s\n"
    "%s---- PGD-CW attacking results ----\n"
    "%s%s%s%s"
    "%sPGD-CW with 40.0 steps Loss Avg: %.2f \n"
    "%sLIP Avg: %.4f \n"
    "%s%s"
    "%s%s%sBest PGDCW-40 accuracy: %s\n"
    + _T3 + _SAVED[2:]
)
_SPREAD_ACC1, _SPREAD_ACC2, _SPREAD_ACC3 = (0.02 * s for s in _SHRINK[1:4])
_SPREAD_LOSS1, _SPREAD_LOSS2, _SPREAD_LOSS3 = (0.04 * s for s in _SHRINK[1:4])
_HUNDREDTHS = ["%.4f" % (k / 100) for k in range(101)]  # "%.4f" of k / 100


def _epoch_rows(spec, curves: Curves) -> List[Tuple]:
    """Per epoch, everything `_plain_epoch` reads from the run, in one tuple (one unpack per epoch)."""
    scale = spec.grad_norm_scale
    gn = [(2.0 + 9.0 * math.exp(-epoch / max(1.0, 0.1 * spec.epochs))) * scale for epoch in range(spec.epochs)]
    lr = ["%.4f" % value for value in curves.lr]
    return list(zip(lr, curves.train_acc, curves.train_loss, gn, curves.clean, curves.pgd, curves.cw,
                    curves.val_loss, curves.pgd_loss, curves.pgd_lip, curves.pgd_stable, curves.cw_loss,
                    curves.cw_lip, curves.cw_stable))


def _plain_epoch(z, row, epoch_ms: int, epoch: int, t: int, best_pgd: int, best_cw: int,
                 saved: str, train_share: float, gn_spread: float) -> Tuple[str, int]:
    """One whole epoch without NaN, resume or stop (the common case) as one `%` format.

    The same numbers, in the same order and with the same arithmetic, as `_step_lines` plus the
    evaluation block of `render_train_log`, so the bytes are identical; `z` holds the epoch's 15
    normal draws, `row` the epoch's `_epoch_rows` entry. Values on a grid (k/128, k/100) and
    values printed twice are formatted once or looked up, since `%.4f` of a float is the
    costliest thing here. Returns the text and the time after the `Model Saved` record.
    """
    (lr, acc_target, loss_target, gn_base, clean, pgd, cw, val_loss, pgd_loss, pgd_lip, pgd_stable,
     cw_loss, cw_lip, cw_stable) = row
    z0, a1, a2, a3, b1, b2, b3, c1, c2, c3, d1, d2, d3, z1, z2 = z
    ms = epoch_ms * (1.0 + 0.015 * z0)
    train_ms = train_share * ms
    step_ms = train_ms / STEPS_PER_EPOCH
    its = STEPS_PER_EPOCH / (train_ms / 1000.0)
    first = epoch * STEPS_PER_EPOCH
    acc128 = acc_target * 128 + 0.5
    head = t
    t += 1
    # the four step lines, unrolled (steps 0, 100, 200, 300; draws a, b, c, d)
    k = int(acc128 + 5.76 * a1)
    loss = "%.4f" % (loss_target - 0.09 * a1)
    l0 = t + int(step_ms)
    kb = int(acc128 + 5.76 * b1)
    l1 = t + int(101 * step_ms)
    kc = int(acc128 + 5.76 * c1)
    l2 = t + int(201 * step_ms)
    kd = int(acc128 + 5.76 * d1)
    l3 = t + int(301 * step_ms)
    t += int(STEPS_PER_EPOCH * step_ms)
    t_val = t + int(0.015 * ms)
    t_pgd = t_val + int(0.13 * ms)
    t_cw = t_pgd + int(0.25 * ms)
    k_val = int(clean * _PCT + 4.0 * z1 + 0.5)
    acc5_avg = 0.975 + 0.006 * z2
    k_acc5 = int(acc5_avg * 100 + 1.2 * z1 + 0.5)
    s_val = DAYS[t_val // DAY_MS] + HMS[t_val // 1000 % 86400] + MILLIS[t_val % 1000]
    s_pgd = DAYS[t_pgd // DAY_MS] + HMS[t_pgd // 1000 % 86400] + MILLIS[t_pgd % 1000]
    s_cw = DAYS[t_cw // DAY_MS] + HMS[t_cw // 1000 % 86400] + MILLIS[t_cw % 1000]
    natural = NATURAL_LINE[clean]
    val_text = "%.4f" % val_loss
    end = t_cw + 1
    done = t_cw + 12 + int(25 * (z2 if z2 > 0 else -z2))
    return _PLAIN_EPOCH % (
        DAYS[head // DAY_MS], HMS[head // 1000 % 86400], MILLIS[head % 1000], epoch,
        DAYS[l0 // DAY_MS], HMS[l0 // 1000 % 86400], MILLIS[l0 % 1000], epoch, first,
        BATCH4[k] if 0 <= k <= 128 else BATCH4[0 if k < 0 else 128],
        BATCH4[k] if 0 <= k <= 128 else "%.4f" % (k / 128), loss, loss, lr,
        gn_base + gn_spread * (a3 if a3 > 0 else -a3), its * (1.0 - 0.01 * a3),
        DAYS[l1 // DAY_MS], HMS[l1 // 1000 % 86400], MILLIS[l1 % 1000], epoch, first + 100,
        BATCH4[0 if kb < 0 else (128 if kb > 128 else kb)], acc_target + _SPREAD_ACC1 * b2,
        loss_target - 0.09 * b1, loss_target - _SPREAD_LOSS1 * b2, lr,
        gn_base + gn_spread * (b3 if b3 > 0 else -b3), its * (1.0 - 0.01 * b3),
        DAYS[l2 // DAY_MS], HMS[l2 // 1000 % 86400], MILLIS[l2 % 1000], epoch, first + 200,
        BATCH4[0 if kc < 0 else (128 if kc > 128 else kc)], acc_target + _SPREAD_ACC2 * c2,
        loss_target - 0.09 * c1, loss_target - _SPREAD_LOSS2 * c2, lr,
        gn_base + gn_spread * (c3 if c3 > 0 else -c3), its * (1.0 - 0.01 * c3),
        DAYS[l3 // DAY_MS], HMS[l3 // 1000 % 86400], MILLIS[l3 % 1000], epoch, first + 300,
        BATCH4[0 if kd < 0 else (128 if kd > 128 else kd)], acc_target + _SPREAD_ACC3 * d2,
        loss_target - 0.09 * d1, loss_target - _SPREAD_LOSS3 * d2, lr,
        gn_base + gn_spread * (d3 if d3 > 0 else -d3), its * (1.0 - 0.01 * d3),
        DAYS[t // DAY_MS] + HMS[t // 1000 % 86400] + MILLIS[t % 1000], epoch,
        s_val, epoch,
        _HUNDREDTHS[k_val] if 0 <= k_val <= 100 else ("1.0000" if k_val > 100 else "%.4f" % (k_val / 100)),
        FRAC4[clean],
        _HUNDREDTHS[k_acc5] if 0 <= k_acc5 <= 100 else ("1.0000" if k_acc5 > 100 else "%.4f" % (k_acc5 / 100)),
        acc5_avg, val_loss - 0.12 * z1, val_text, 3_333_333.0 / ms * (1.0 + 0.03 * z2),
        s_val, val_text, PCT2[clean],
        s_pgd, s_pgd, natural, s_pgd, PGD_LINE[pgd], s_pgd, pgd_loss,
        s_pgd, pgd_lip, s_pgd, STABLE_LINE[pgd_stable], s_pgd, PCT2[best_pgd],
        s_cw, s_cw, natural, s_cw, CW_LINE[cw], s_cw, cw_loss,
        s_cw, cw_lip, s_cw, STABLE_LINE[cw_stable],
        DAYS[end // DAY_MS], HMS[end // 1000 % 86400], MILLIS[end % 1000], PCT2[best_cw],
        DAYS[done // DAY_MS], HMS[done // 1000 % 86400], MILLIS[done % 1000], saved,
    ), done


def render_train_log(spec, curves: Curves, rng: random.Random) -> Tuple[str, Dict]:
    """The whole log text and the facts the key file reports about it."""
    code = code_of(spec)
    epochs = spec.epochs
    ckpt = checkpoint_stem(spec)
    last_saved = ckpt + code.last_checkpoint
    save_at = set(extra_save_epochs(spec))
    stop: Optional[Tuple[int, int]] = spec.unfinished_at
    resume = spec.resumed_at
    draws = normals(rng, 24 * epochs + 256)
    nx = draws.__next__
    epoch_draws = zip(*[draws] * 15).__next__  # the next 15 draws, as one tuple
    text, t = header(spec, spec.start_ms, False, 0)
    parts = [text]
    append = parts.append
    process_start = spec.start_ms
    best_pgd = best_cw = -1
    printed_cw: Dict[int, int] = {}
    lr_seen: Dict[int, float] = {}
    epoch_ms = spec.epoch_ms
    train_share = 0.6 * spec.train_speed
    gn_spread = 0.45 * spec.grad_norm_scale
    bad: Dict[int, Dict[int, str]] = {}
    for e, line, what in spec.gn_bad:
        bad.setdefault(e, {})[line] = what
    nonfinite = validated = 0
    nan_from = curves.nan_from if curves.nan_from is not None else epochs
    fast = code.cw_block and not code.list_label
    template = _eval_template(code)
    c_clean, c_pgd, c_cw, c_loss = curves.clean, curves.pgd, curves.cw, curves.val_loss
    c_pgd_loss, c_pgd_lip, c_pgd_st = curves.pgd_loss, curves.pgd_lip, curves.pgd_stable
    c_cw_loss, c_cw_lip, c_cw_st = curves.cw_loss, curves.cw_lip, curves.cw_stable
    rows = _epoch_rows(spec, curves)
    epoch = 0
    finished = True
    while epoch < epochs:
        if (fast and epoch < nan_from and epoch not in bad and (resume is None or epoch != resume[0])
                and (stop is None or epoch != stop[0])):
            lr_seen[epoch] = round(curves.lr[epoch], 4)
            pgd, cw = c_pgd[epoch], c_cw[epoch]
            if pgd > best_pgd:
                best_pgd = pgd
            if cw > best_cw:
                best_cw = cw
            printed_cw[epoch] = cw
            text, t = _plain_epoch(epoch_draws(), rows[epoch], epoch_ms, epoch, t, best_pgd, best_cw, last_saved,
                                   train_share, gn_spread)
            append(text)
            validated += 1
            if epoch in save_at:
                t += 9
                append(_SAVED % (stamp(t), ckpt + code.extra_checkpoint.format(epoch)))
            t += 1
            epoch += 1
            continue
        ms = epoch_ms * (1.0 + 0.015 * nx())
        train_ms = train_share * ms
        step_ms = train_ms / STEPS_PER_EPOCH
        its = STEPS_PER_EPOCH / (train_ms / 1000.0)
        append(_TRAIN_HEAD % (stamp(t), epoch))
        t += 1
        if resume is not None and epoch == resume[0]:
            lines, t, count = _step_lines(nx, spec, curves, epoch, t, step_ms, its, resume[1], bad.get(epoch))
            append(lines)
            nonfinite += count
            t += resume[2]
            process_start = t
            text, t = header(spec, t, True, epoch)
            append(text)
            resume = None
            continue
        lr_seen[epoch] = round(curves.lr[epoch], 4)
        limit = None
        if stop is not None and epoch == stop[0]:
            limit = max(1, stop[1])
        elif epoch >= nan_from and code.nan_exit:
            limit = 2   # NaN from the epoch's first batch: the 101st NaN batch exits (print, not log)
        if limit is not None:
            lines, t, count = _step_lines(nx, spec, curves, epoch, t, step_ms, its, limit, bad.get(epoch))
            append(lines)
            nonfinite += count
            finished = False
            break
        lines, t, count = _step_lines(nx, spec, curves, epoch, t, step_ms, its, bad=bad.get(epoch))
        append(lines)
        nonfinite += count
        t_val = t + int(0.015 * ms)
        t_pgd = t_val + int(0.13 * ms)
        t_cw = t_pgd + int(0.25 * ms)
        clean, pgd, cw = c_clean[epoch], c_pgd[epoch], c_cw[epoch]
        if pgd > best_pgd:
            best_pgd = pgd
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
        values = [
            stamp(t), epoch,
            s_val, epoch, val_last, FRAC4[clean], acc5_last, acc5_avg, loss_last, val_loss,
            3_333_333.0 / ms * (1.0 + 0.03 * z2),
            s_val, val_loss, pct_clean,
            s_pgd, s_pgd, clean, pct_clean, s_pgd, pgd, PCT2[pgd], s_pgd, c_pgd_loss[epoch],
            s_pgd, c_pgd_lip[epoch], s_pgd, c_pgd_st[epoch], PCT2[c_pgd_st[epoch]], s_pgd, PCT2[best_pgd],
        ]
        if code.cw_block:
            if cw > best_cw:
                best_cw = cw
            printed_cw[epoch] = cw
            values += [s_cw, s_cw, clean, pct_clean, s_cw, cw, PCT2[cw], s_cw, c_cw_loss[epoch],
                       s_cw, c_cw_lip[epoch], s_cw, c_cw_st[epoch], PCT2[c_cw_st[epoch]], stamp(t_cw + 1),
                       PCT2[best_cw]]
        append(template % tuple(values))
        validated += 1
        t = (t_cw if code.cw_block else t_pgd) + 12 + int(25 * (z2 if z2 > 0 else -z2))
        append(_SAVED % (stamp(t), last_saved))
        if epoch in save_at:
            t += 9
            append(_SAVED % (stamp(t), ckpt + code.extra_checkpoint.format(epoch)))
        t += 1
        epoch += 1
    if finished:
        days = (t - process_start) / 86_400_000
        append(f"{stamp(t)}Running Cost {days:.2f} Days\n")
    facts = _facts(spec, curves, printed_cw, lr_seen, finished)
    facts["grad_norm_nonfinite_steps"] = nonfinite
    facts["epochs_validated"] = validated
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
