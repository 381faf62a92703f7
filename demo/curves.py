"""Per-epoch numbers of one synthetic training run, shaped like PGD adversarial training.

A run rises quickly under lr 0.1, jumps at the first lr decay and then either holds its robust
accuracy (little robust overfitting) or loses it epoch after epoch (strong robust overfitting).
`behaviour="early"` is the problematic pattern: CW-40 peaks long before the first decay and never
gets back there, so the best checkpoint is an early one. Accuracies are drawn as *counts* on the
5,000-image validation split, so every printed `Acc: xx.xx` is exact.
"""
from __future__ import annotations

import math
import random
from typing import List, NamedTuple, Optional, Sequence

from .formats import VAL_IMAGES
from .numbers import normals


class Curves(NamedTuple):
    """Per-epoch values; counts are out of `VAL_IMAGES`, train values are fractions."""

    lr: List[float]
    train_acc: List[float]
    train_loss: List[float]
    clean: List[int]
    pgd: List[int]
    cw: List[int]
    val_loss: List[float]
    pgd_loss: List[float]
    cw_loss: List[float]
    pgd_lip: List[float]
    cw_lip: List[float]
    pgd_stable: List[int]
    cw_stable: List[int]
    nan_from: Optional[int]


def lr_schedule(epochs: int, decays: Sequence[int]) -> List[float]:
    """lr per epoch: 0.1, then x0.1 from each decay epoch on."""
    out = []
    for epoch in range(epochs):
        drops = sum(1 for d in decays if epoch >= d)
        out.append(0.1 * 0.1 ** drops)
    return out


def make_curves(rng: random.Random, epochs: int, decays: Sequence[int], clean_top: float, cw_top: float,
                behaviour: str, overfit: float, nan_from: Optional[int] = None) -> Curves:
    """Draw one run.

    clean_top: clean validation accuracy (percent) reached after the first decay.
    cw_top: CW-40 peak (percent); for `early` runs the peak before the first decay.
    overfit: CW-40 points lost between the peak and the last epoch.
    """
    d1 = decays[0] if decays else epochs
    d2 = decays[1] if len(decays) > 1 else epochs
    tau = max(1.0, 0.07 * epochs)
    gap = rng.uniform(1.0, 1.8)
    jump = rng.uniform(5.5, 7.5)
    peak_offset = rng.randint(0, max(0, round(0.04 * epochs)))
    early_peak = 0
    early_decline = 0.0
    post_top = cw_top
    if behaviour == "early":
        low, high = max(1, round(0.25 * epochs)), max(1, min(d1 - 1, round(0.55 * epochs)))
        early_peak = rng.randint(min(low, high), high)
        early_decline = rng.uniform(2.0, 4.0) / max(1, d1 - early_peak)
        post_top = cw_top - early_decline * (d1 - early_peak) + rng.uniform(0.5, 1.5)
        post_top = min(post_top, cw_top - 3.0)
    post_len = max(1, epochs - d1 - peak_offset)
    overfit_rate = overfit / post_len
    clean_rise = rng.uniform(0.5, 1.5) + 0.4 * overfit
    lr = lr_schedule(epochs, decays)
    cols = {name: [] for name in Curves._fields if name not in ("lr", "nan_from")}
    lip_tau = max(1.0, 0.15 * epochs)
    assert VAL_IMAGES == 5000  # counts below are percent * 50
    nx = normals(rng, 16 * epochs + 16).__next__
    # bound appends: this loop runs once per epoch of every run
    (add_clean, add_pgd, add_cw, add_train_acc, add_train_loss, add_val_loss, add_pgd_loss, add_cw_loss,
     add_pgd_lip, add_cw_lip, add_pgd_stable, add_cw_stable) = (cols[name].append for name in (
        "clean", "pgd", "cw", "train_acc", "train_loss", "val_loss", "pgd_loss", "cw_loss", "pgd_lip",
        "cw_lip", "pgd_stable", "cw_stable"))
    for e in range(epochs):
        if nan_from is not None and e >= nan_from:
            _append_nan(cols)
            continue
        rising = 1.0 - math.exp(-(e + 1) / tau)
        lost = 0.0
        if e < d1:
            if behaviour == "early":
                early = 1.0 - math.exp(-(e + 1) / max(1.0, early_peak / 3.0))
                lost = early_decline * max(0, e - early_peak)
                cw = 18.0 + (cw_top - 18.0) * early - lost + 0.6 * nx()
            else:
                cw = 18.0 + (cw_top - jump - 18.0) * rising + 0.8 * nx()
            clean = 35.0 + (clean_top - 7.0 - 35.0) * rising + 1.1 * nx()
            train_acc = 0.22 + 0.28 * rising + 0.006 * nx()
        else:
            t = e - d1
            settle = min(1.0, (t + 1) / (peak_offset + 1))
            lost = overfit_rate * max(0, t - peak_offset)
            cw = post_top - 1.0 * (1.0 - settle) - lost + (0.25 if e >= d2 else 0.0) + 0.25 * nx()
            clean = (clean_top - 1.0 + clean_rise * t / max(1, epochs - d1) + (0.4 if e >= d2 else 0.0)
                     + 0.3 * nx())
            train_acc = 0.55 + (0.10 + 0.015 * overfit) * t / max(1, epochs - d1) + 0.004 * nx()
        pgd = cw + gap + 0.25 * nx()
        clean = max(clean, pgd + 8.0)
        c_clean, c_pgd, c_cw = int(clean * 50 + 0.5), int(pgd * 50 + 0.5), int(cw * 50 + 0.5)
        add_clean(c_clean)
        add_pgd(c_pgd)
        add_cw(c_cw)
        add_train_acc(train_acc)
        add_train_loss(max(0.45, 2.2 - 2.0 * (train_acc - 0.2) + 0.01 * nx()))
        add_val_loss(0.45 + 1.3 * (1 - c_clean / VAL_IMAGES) + 0.02 * lost + 0.01 * nx())
        add_pgd_loss(1.0 + 1.4 * (1 - c_pgd / VAL_IMAGES) + 0.05 * lost + 0.01 * nx())
        add_cw_loss(-(100.0 + 2.5 * c_cw * 100 / VAL_IMAGES) + 4.0 * nx())
        lip = 1000.0 + 900.0 * math.exp(-e / lip_tau) + 25.0 * lost + 30.0 * nx()
        add_pgd_lip(lip)
        add_cw_lip(lip * 0.75 + 20.0 * nx())
        natural_wrong = 100.0 - c_clean * 0.02
        stable = pgd + 0.55 * natural_wrong + 12.0 + 0.4 * nx()
        add_pgd_stable(int((stable if stable < 99.0 else 99.0) * 50 + 0.5))
        stable = cw + 0.55 * natural_wrong + 12.5 + 0.4 * nx()
        add_cw_stable(int((stable if stable < 99.0 else 99.0) * 50 + 0.5))
    return Curves(lr=lr, nan_from=nan_from, **cols)


def _append_nan(cols: dict) -> None:
    """An epoch after the loss went NaN: the net predicts one class, 10% everywhere."""
    nan = float("nan")
    tenth = VAL_IMAGES // 10
    for name, value in (("clean", tenth), ("pgd", tenth), ("cw", tenth), ("train_acc", 0.1),
                        ("train_loss", nan), ("val_loss", nan), ("pgd_loss", nan), ("cw_loss", nan),
                        ("pgd_lip", nan), ("cw_lip", nan), ("pgd_stable", VAL_IMAGES),
                        ("cw_stable", VAL_IMAGES)):
        cols[name].append(value)


def best_epoch(cw_counts: Sequence[int]) -> int:
    """First epoch whose CW-40 equals the maximum (the `_best.pth` checkpoint)."""
    top = max(cw_counts)
    return cw_counts.index(top)
