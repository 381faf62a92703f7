"""Render the evaluation logs of a run's best checkpoint, as the benchmark's `eval.py` writes them.

Base (clean, FGSM, PGD-20, CW-40 on the 10,000 test images, one progress line per batch of 100),
AutoAttack (standard or compact), and the CIFAR-10-C corruption sweep. Test numbers sit near the
best epoch's validation numbers, and the closing checkpoint dict carries the run's
`best_pgdcw_acc` (the unrounded float the training run computed) and per-epoch histories, which is
what links an evaluation to its training run.

Each `eval.py` version (`codeversions.EVAL_CODES`) prints its own argument lines and result lines.
The accuracies come from the real meters: a batch's accuracy is a float32 mean, the meter adds
`acc * 100` per batch in float64, `Acc` is the meter's percent and `Correct Count` its sum, through
`int()` before 2024-01-07: a sum that falls just short of an integer prints one less.
"""
from __future__ import annotations

import math
import random
import struct
from typing import Dict, List, Tuple

from . import formats
from .clock import DAY_MS, DAYS, HMS, MILLIS, stamp
from .codeversions import EVAL_CODES, TRAIN_CODES
from .curves import Curves
from .formats import EVAL_BATCH, STEPS_PER_EPOCH, TEST_IMAGES, VAL_IMAGES
from .numbers import normals_list

_BATCHES = TEST_IMAGES // EVAL_BATCH
_LINF_LINE = "%s%s%sNature Acc: %.2f FGSM Acc: %.2f PGD Acc: %.2f PGD LIP: %.4f CW Acc: %.2f\n"
_L2_LINE = "%s%s%sNature Acc: %.2f PGD Acc: %.2f PGD LIP: %.4f CW Acc: %.2f\n"


def _f32(value: float) -> float:
    """A value as PyTorch's float32 meters leave it (e.g. 65.99999964237213 for 66%)."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _pct32(count: int, total: int) -> float:
    return _f32(count / total) * 100


def test_results(rng: random.Random, curves: Curves, best: int) -> Dict[str, float]:
    """Test-set correct counts (out of 10,000) of the checkpoint saved at epoch `best`."""
    scale = TEST_IMAGES / VAL_IMAGES

    def near(count: int, bias: float, spread: float) -> int:
        return max(0, min(TEST_IMAGES, int(round(count * scale + (bias + spread * rng.gauss(0, 1)) * 100))))

    clean = near(curves.clean[best], 0.6, 0.5)
    pgd = min(clean, near(curves.pgd[best], 0.3, 0.4))
    cw = min(pgd, near(curves.cw[best], 0.3, 0.4))
    fgsm = pgd + int((clean - pgd) * rng.uniform(0.22, 0.30))
    aa = max(0, cw - int(rng.uniform(120, 250)))
    l2_pgd = max(0, clean - int(rng.uniform(1500, 2200)))
    return {"clean": clean, "fgsm": fgsm, "pgd": pgd, "cw": cw, "aa": aa, "l2_pgd": l2_pgd,
            "l2_cw": max(0, l2_pgd - int(rng.uniform(40, 160))), "pgd_lip": curves.pgd_lip[best]}


def header(run, ev, start_ms: int, with_model: bool) -> Tuple[str, int]:
    """Argument, model and config records up to `File ..._best.pth loaded!`."""
    gpu = f"GPU List: {list(ev.gpu_list)}"
    device = "cuda" if ev.gpu_list else "cpu"
    if ev.attack == "cifar10c":
        arguments = formats.corruption_arguments(0, run.stem, "./models_home", "./attack_log", device)
    else:
        code = EVAL_CODES[ev.code]
        arguments = formats.eval_arguments(code.arguments, 0, run.stem, "./models_home", "./attack_log",
                                           ev.attack_choice, ev.norm, ev.aa_type, device, code.l2_linf_epsilon)
    ts = stamp(start_ms)
    parts = [ts + gpu + "\n"] if ev.gpu_list else []
    parts.append(formats.records(ts, formats.argument_messages(arguments)))
    t = start_ms + 17 + run.arch.arch_id % 19
    if with_model:
        parts.append(stamp(t) + formats.model_printout(tuple(run.arch.depths), tuple(run.arch.channels)))
    t += 180 + run.arch.arch_id % 300
    seed = run.seed if TRAIN_CODES[run.code].config_seed else None   # the run's saved config
    sections = formats.config_sections(run.arch.depths, run.arch.channels, run.epochs, seed,
                                       run.data_path, run.workers, False, EVAL_BATCH)
    messages = formats.config_messages(sections)
    if ev.attack != "cifar10c":
        messages += formats.size_messages(run.arch.params_mb, run.arch.macs_m, ev.torch_version)
        if ev.gpu_list:
            messages.append(gpu)
    parts.append(formats.records(stamp(t), messages))
    t += 30
    if ev.attack != "cifar10c":
        parts.append(f"{stamp(t)}File models_home/{run.stem}/checkpoints/{run.stem}_best.pth loaded!\n")
    return "".join(parts), t + 20


def _batches(rng: random.Random, total: int, caps: List[int]) -> List[int]:
    """Per-batch correct counts summing to `total`, each within [0, cap]."""
    p = total / max(1, sum(caps))
    sd = math.sqrt(max(0.0, EVAL_BATCH * p * (1 - p)))
    noise = normals_list(rng, len(caps))
    out = [0 if (v := round(cap * p + sd * z)) < 0 else (cap if v > cap else v) for cap, z in zip(caps, noise)]
    diff = total - sum(out)
    i = 0
    while diff:
        step = 1 if diff > 0 else -1
        k = i % len(out)
        if 0 <= out[k] + step <= caps[k]:
            out[k] += step
            diff -= step
        i += 1
    return out


#: repr of a count out of 5,000 as a percent: accuracies as main.py computes them, `(count / total) * 100`
#: (48.559999999999995 for 2428), stable accuracies as `count * 100 / total`, and through float32
_ACC_REPR = [repr((c / VAL_IMAGES) * 100) for c in range(VAL_IMAGES + 1)]
_PCT_REPR = [repr(c * 100 / VAL_IMAGES) for c in range(VAL_IMAGES + 1)]
_PCT32_REPR = [repr(_pct32(c, VAL_IMAGES)) for c in range(VAL_IMAGES + 1)]
_HISTORY: List = [None, None, ""]  # run, curves and the histories text `_histories` made for them


def _histories(run, curves: Curves) -> str:
    """The part of the checkpoint dict that is the same in all of a run's evaluations, made once.

    Counts are always in [0, 5000] (NaN epochs print 10%), so their reprs are look-ups; the list
    reprs are joined by hand, exactly as `repr(list)` prints them.
    """
    if _HISTORY[0] is run and _HISTORY[1] is curves:
        return _HISTORY[2]
    epochs = len(curves.clean)
    acc, pct, pct32 = _ACC_REPR, _PCT_REPR, _PCT32_REPR
    items = [
        ("global_step", repr(epochs * STEPS_PER_EPOCH)), ("best_acc", "0.0"),
        ("curren_acc", pct32[curves.clean[-1]]), ("best_pgd_acc", acc[max(curves.pgd)]),
        ("best_pgdcw_acc", acc[max(curves.cw)]), ("flops", repr(run.arch.macs_m)), ("train_history", "[]"),
        ("eval_history", "[" + ", ".join([pct32[c] for c in curves.clean]) + "]"),
        ("pgd_eval_history", "[" + ", ".join([f"({e}, {acc[c]})" for e, c in enumerate(curves.pgd)]) + "]"),
        ("pgdcw_eval_history", "[" + ", ".join([f"({e}, {acc[c]})" for e, c in enumerate(curves.cw)]) + "]"),
        ("stable_acc_history", "[" + ", ".join([pct[c] for c in curves.cw_stable]) + "]"),
        ("lip_history", repr([_f32(v) for v in curves.cw_lip])), ("genotype_list", "[]"),
    ]
    text = ", ".join(f"'{key}': {value}" for key, value in items)
    _HISTORY[:] = [run, curves, text]
    return text


def checkpoint_dict(run, curves: Curves, extra: List[Tuple[str, object]], numpy2: bool) -> str:
    """The `logger.info(train_statedict)` record: the best checkpoint's ENV plus the new results."""
    params = f"np.float64({run.arch.params_mb!r})" if numpy2 else repr(run.arch.params_mb)
    items = [("params", params)] + [(key, repr(value)) for key, value in extra]
    return "{" + _histories(run, curves) + ", " + ", ".join(f"'{key}': {value}" for key, value in items) + "}"


#: what the meter adds for one batch of 100 with k correct: float32 mean times the batch size
_BATCH_SUM = [_f32(k / EVAL_BATCH) * EVAL_BATCH for k in range(EVAL_BATCH + 1)]


def _meter_sums(batches: List[int]) -> List[float]:
    """Running `AverageMeter.sum` after each batch, added in float64 as the meter adds them."""
    out = []
    total = 0.0
    table = _BATCH_SUM
    for k in batches:
        total += table[k]
        out.append(total)
    return out


def render_base(run, ev, curves: Curves, results: Dict[str, int], rng: random.Random) -> Tuple[str, Dict]:
    """`arch_<id>_eval_<norm>_Base.log`; unfinished evaluations stop after `ev.stop_batch` batches."""
    code = EVAL_CODES[ev.code]
    text, t = header(run, ev, ev.start_ms, True)
    parts = [text]
    linf = ev.norm == "Linf"
    nat_total = results["clean"]
    pgd_total = results["pgd"] if linf else results["l2_pgd"]
    cw_total = results["cw"] if linf else results["l2_cw"]
    if not linf and code.l2_linf_epsilon:   # epsilon 8/255 in L2 norm barely moves an image
        pgd_total = max(0, nat_total - int(rng.uniform(20, 80)))
        cw_total = max(0, pgd_total - int(rng.uniform(5, 30)))
    caps = [EVAL_BATCH] * _BATCHES
    nat = _batches(rng, nat_total, caps)
    pgd = _batches(rng, pgd_total, nat)
    cw = _batches(rng, min(cw_total, pgd_total), pgd)
    fgsm = _batches(rng, results["fgsm"], nat) if linf else None
    batch_ms = int((6000 + 2.0 * run.arch.macs_m) * ev.speed)
    lip_mean = results["pgd_lip"] * rng.uniform(0.9, 1.1) * (1.0 if linf else 0.12)
    lips = [lip_mean * (1 + 0.08 * z) for z in normals_list(rng, _BATCHES)]
    stop = ev.stop_batch if ev.stop_batch is not None else _BATCHES
    sums_n, sums_p, sums_c = _meter_sums(nat[:stop]), _meter_sums(pgd[:stop]), _meter_sums(cw[:stop])
    sums_f = _meter_sums(fgsm[:stop]) if linf else None
    # the batch time depends on i only through (i * 7919) % 13, so 13 precomputed steps
    steps = [int(batch_ms * (1 + 0.02 * ((i * 7919) % 13 - 6) / 6)) for i in range(13)]
    line = _LINF_LINE if linf else _L2_LINE
    append = parts.append
    for i in range(stop):
        t += steps[i % 13]
        seen = (i + 1) * EVAL_BATCH
        if linf:
            append(line % (DAYS[t // DAY_MS], HMS[t // 1000 % 86400], MILLIS[t % 1000],
                           sums_n[i] / seen * 100, sums_f[i] / seen * 100, sums_p[i] / seen * 100, lips[i],
                           sums_c[i] / seen * 100))
        else:
            append(line % (DAYS[t // DAY_MS], HMS[t // 1000 % 86400], MILLIS[t % 1000],
                           sums_n[i] / seen * 100, sums_p[i] / seen * 100, lips[i], sums_c[i] / seen * 100))
    facts = {"clean_acc": None, "fgsm_acc": None, "pgd20_acc": None, "cw40_acc": None, "aa_acc": None}
    if ev.stop_batch is not None:
        return "".join(parts), facts
    t += 1
    ts = stamp(t)
    total = TEST_IMAGES
    n, p, c = sum(nat), sum(pgd), sum(cw)
    loss = 0.45 + 1.3 * (1 - n / total) + rng.uniform(-0.02, 0.02)
    pgd_stable = min(99.0, (p + 0.55 * (total - n)) / 100 + 12.0)
    cw_stable = min(99.0, (c + 0.55 * (total - n)) / 100 + 12.5)
    lip_avg = sum(lips) / len(lips)
    cw_lip = lip_avg * rng.uniform(0.7, 0.85)
    fgsm_stable = min(99.5, (sum(fgsm) + 0.5 * (total - n)) / 100 + 14.0) if linf else None
    percent = {name: sums[-1] / total * 100 for name, sums in
               (("natural", sums_n), ("pgd", sums_p), ("cw", sums_c), ("fgsm", sums_f)) if sums}
    counted = {name: (int if code.truncates else round)(sums[-1]) for name, sums in
               (("natural", sums_n), ("pgd", sums_p), ("cw", sums_c), ("fgsm", sums_f)) if sums}
    exact = {"natural": n, "pgd": p, "cw": c, "fgsm": sum(fgsm) if linf else None}
    printed = {name: f"{value:.2f}" for name, value in percent.items()}
    if not code.cw_stable_natural and f"{cw_stable:.2f}" == printed["natural"]:
        cw_stable += 0.01   # keep the fixed code's value from looking like the fault's
    cw_stable_text = printed["natural"] if code.cw_stable_natural else f"{cw_stable:.2f}"
    lines = [f"Natural Correct Count: {counted['natural']}/{total}, Acc: {printed['natural']}"
             + (f" Test Loss: {loss:.4f}" if code.test_loss else "")]
    if linf:
        lines.append(f"FGSM with 1 step Correct Count: {counted['fgsm']}/{total}, Acc: {printed['fgsm']}, "
                     f"Stable: {fgsm_stable:.2f}")
    lines.append(f"PGD with 20 steps Correct Count: {counted['pgd']}/{total}, Acc: {printed['pgd']}, "
                 f"Stable: {pgd_stable:.2f} LIP: {lip_avg:.4f}")
    lines.append(f"CW with 40 steps Correct Count: {counted['cw']}/{total}, Acc: {printed['cw']}, "
                 f"Stable: {cw_stable_text}" + (f" LIP: {cw_lip:.4f}" if code.cw_lip else ""))
    norm = ev.norm
    extra: List[Tuple[str, object]] = []
    if linf:
        extra.append((f"{norm}_fgsm_acc", percent["fgsm"]))
    extra += [(f"{norm}_natural_acc", percent["natural"]), (f"{norm}_pgd20_acc", percent["pgd"]),
              (f"{norm}_cw40_acc", percent["cw"]), (f"{norm}_pgd20_stable", 0),
              (f"{norm}_pgd20_lip", _f32(lip_avg))]
    lines.append(checkpoint_dict(run, curves, extra, ev.numpy2))
    parts.append(formats.records(ts, lines))
    parts.append(f"{stamp(t + 1)}Running Cost {(t + 1 - ev.start_ms) / 86_400_000:.2f} Days\n")
    facts.update(
        clean_acc=float(printed["natural"]), pgd20_acc=float(printed["pgd"]), cw40_acc=float(printed["cw"]),
        fgsm_acc=float(printed["fgsm"]) if linf else None,
        test_loss=float(f"{loss:.4f}") if code.test_loss else None,
        fgsm_stable=float(f"{fgsm_stable:.2f}") if linf else None,
        pgd20_stable=float(f"{pgd_stable:.2f}"), pgd20_lip=float(f"{lip_avg:.4f}"),
        cw40_stable=None if code.cw_stable_natural else float(cw_stable_text),
        cw40_stable_logged=float(cw_stable_text), cw40_stable_is_natural=code.cw_stable_natural,
        cw40_lip=float(f"{cw_lip:.4f}") if code.cw_lip else None,
        counts_truncated=any(counted[k] < exact[k] for k in counted),
        missing_fields=[f for f, has in (("test_loss", code.test_loss), ("cw40_lip", code.cw_lip)) if not has],
    )
    return "".join(parts), facts


_AA_STEPS = {"Compact": ("apgd-ce", "apgd-t"), "Standard": ("apgd-ce", "apgd-t", "fab-t", "square")}


def render_aa(run, ev, curves: Curves, results: Dict[str, int], rng: random.Random) -> Tuple[str, Dict]:
    """`arch_<id>_eval_Linf_AA.log` / `_AA-Compact.log`: AutoAttack's verbose output."""
    text, t = header(run, ev, ev.start_ms, True)
    parts = [text, f"{stamp(t)}====================AA with {ev.norm} Attack Eval====================\n"]
    t += 230
    robust = results["clean"]
    parts.append(f"{stamp(t)}initial accuracy: {robust / 100:.2f}%\n")
    attacks = _AA_STEPS[ev.aa_type]
    final = results["aa"]
    targets = {"apgd-ce": max(final, results["pgd"] - int(rng.uniform(40, 120))),
               "apgd-t": final + (int(rng.uniform(0, 12)) if len(attacks) > 2 else 0),
               "fab-t": final + int(rng.uniform(0, 4)), "square": final}
    elapsed = 0.0
    per_image = (0.25 + run.arch.macs_m / 8000.0) * ev.speed
    for name in attacks:
        after = min(robust, targets[name])
        sizes = [min(EVAL_BATCH, robust - start) for start in range(0, robust, EVAL_BATCH)]
        broken = _batches(rng, robust - after, sizes) if sizes else []
        for i, (size, k) in enumerate(zip(sizes, broken)):
            cost = size * per_image * (3.0 if name in ("apgd-t", "fab-t") else 1.0)
            elapsed += cost
            t += int(cost * 1000)
            parts.append(f"{stamp(t)}{name} - {i + 1}/{len(sizes)} - {k} out of {size} successfully perturbed\n")
        parts.append(f"{stamp(t)}robust accuracy after {name.upper()}: {after / 100:.2f}% "
                     f"(total time {elapsed:.1f} s)\n")
        robust = after
    t += 7
    ts = stamp(t)
    acc = robust * 100 / TEST_IMAGES
    lines = ["max Linf perturbation: 0.03137, nan in tensor: 0, max: 1.00000, min: 0.00000",
             f"robust accuracy: {robust / 100:.2f}%", f"{ev.norm}-AA Acc: {acc:.2f}",
             checkpoint_dict(run, curves, [(f"{ev.norm}_aa_attack", acc)], ev.numpy2)]
    parts.append(formats.records(ts, lines))
    parts.append(f"{stamp(t + 2)}Running Cost {(t + 2 - ev.start_ms) / 86_400_000:.2f} Days\n")
    return "".join(parts), {"clean_acc": round(results["clean"] / 100, 2), "fgsm_acc": None,
                            "pgd20_acc": None, "cw40_acc": None, "aa_acc": round(robust / 100, 2)}


def render_corruptions(run, ev, curves: Curves, results: Dict[str, int], rng: random.Random) -> Tuple[str, Dict]:
    """`arch_<id>_eval_cifar10c_level.log`: 19 corruptions x 5 severities, then the average."""
    text, t = header(run, ev, ev.start_ms, False)
    parts = [text]
    clean = results["clean"] / 100
    accs = []
    per_level_ms = int((4000 + 0.5 * run.arch.macs_m) * ev.speed)
    for name in formats.CORRUPTIONS:
        drop = formats.CORRUPTION_DROP[name] * (0.8 + 0.4 * rng.random())
        for level in range(1, 6):
            acc = max(10.0, clean - drop * (level / 5) ** 1.4 + rng.gauss(0, 0.35))
            acc = round(acc * 100) / 100
            loss = 0.45 + 1.3 * (1 - acc / 100) + rng.gauss(0, 0.01)
            t += per_level_ms
            parts.append(f"{stamp(t)}{name} (level={level}): Loss: {loss:.4f}, Acc: {acc:.2f}\n")
            accs.append(acc)
    average = sum(accs) / len(accs)
    parts.append(f"{stamp(t + 3)}Average Accuracy: {average:.4f}\n")
    return "".join(parts), {"clean_acc": None, "fgsm_acc": None, "pgd20_acc": None, "cw40_acc": None,
                            "aa_acc": None, "average_acc": round(average, 4)}


RENDERERS = {"Base": render_base, "AA": render_aa, "AA-Compact": render_aa, "cifar10c": render_corruptions}
