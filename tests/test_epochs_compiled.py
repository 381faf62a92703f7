"""The compiled epoch scanner (ingest/_epochs.c) against the Python parser it speeds up.

`train_log.epoch_columns` takes the compiled path unless that declines a text; every test here
computes both paths and requires identical columns (types, NaN and the sign of zero included)
whenever the compiled one answers: on the real sample logs, on every training log of a demo corpus,
on hand-made edge cases, and on hypothesis-made damage to a real log.
"""
from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TRAIN_LOG, TRUNCATED_LOG
from demo import write_demo_repository
from ingest import train_log
from ingest.logrecords import decode_log
from ingest.train_log import EPOCH_COLUMNS, _header_starts, epoch_columns

compiled = train_log._compiled_epoch_columns


def both(text: str) -> tuple[dict | None, dict]:
    """(compiled columns or None when it declines, Python columns)."""
    headers = _header_starts(text)
    python = epoch_columns(text, headers, compiled=False)
    if compiled(text, headers) is None:
        return None, python
    return epoch_columns(text, headers), python


def assert_identical(fast: dict, slow: dict) -> None:
    assert list(fast) == list(slow) == list(EPOCH_COLUMNS)
    for name in EPOCH_COLUMNS:
        assert len(fast[name]) == len(slow[name]), name
        for a, b in zip(fast[name], slow[name]):
            assert type(a) is type(b), (name, a, b)
            if isinstance(a, float):
                assert (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b)), (name, a, b)
            else:
                assert a == b, (name, a, b)


def check(text: str) -> bool:
    """Both paths agree; returns whether the compiled one answered."""
    fast, slow = both(text)
    if fast is not None:
        assert_identical(fast, slow)
    return fast is not None


def test_the_compiled_scanner_is_built():
    # `pip install -e .` builds it; without it every ingest silently takes the slow path
    assert compiled is not None


@pytest.mark.parametrize("path", [TRAIN_LOG, TRUNCATED_LOG], ids=lambda p: p.name)
def test_sample_logs_identical_and_compiled(path: Path):
    text = decode_log(path.read_bytes(), str(path))
    assert check(text)
    assert len(epoch_columns(text, _header_starts(text))["epoch"]) > 0


@pytest.fixture(scope="module")
def demo_logs(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("demo")
    write_demo_repository(out, archs=150, epochs=12, git=False)
    return sorted(p for p in out.rglob("arch_*.log") if "_eval_" not in p.name and "cifar10c" not in p.name)


def test_every_demo_training_log_identical(demo_logs):
    answered = declined = 0
    for path in demo_logs:
        data = path.read_bytes()
        try:
            text = decode_log(data, str(path))
        except Exception:
            continue  # empty or binary: the parser stops before the epochs
        if not _header_starts(text):
            continue
        if check(text):
            answered += 1
        else:
            declined += 1
            assert "nan" in text or not text.isascii(), path  # the only reasons it may decline here
    assert answered > 100 and declined < answered / 10


LINE = "2023-03-01 10:00:{:02d},123 "


def epoch_block(epoch: int, acc: str = "0.4123", loss: str = "1.2345", lr: str = "0.1000", cw: str = "41.20",
                eval_epoch: int | None = None, cut: int | None = None) -> str:
    """One epoch as `main.py` logs it (a step line, the evaluation and both attack blocks)."""
    e = epoch if eval_epoch is None else eval_epoch
    ts = LINE.format(epoch % 60)
    lines = [
        f"{ts}====================Training Epoch {epoch}====================\n",
        f"{ts}epoch={epoch}\tglobal_step=1\tacc=0.5000\tacc_avg={acc}\tloss=1.0\tloss_avg={loss}\tlr={lr}\t|gn|=3.0\ttime=9.0it/s\n",
        f"{ts}====================Eval Epoch {e}====================\n",
        f"{ts}epoch={e}\tglobal_step=49\tval_acc=0.5\n",
        f"{ts}Eval Loss:1.1000\tEval acc: 55.10\n",
        f"{ts}---- PGD attacking results ----\n",
        f"{ts}Natural Correct Count: 2755/5000 Acc: 55.10 \n",
        f"{ts}PGD Correct Count: 2000/5000 Acc: 40.00 \n",
        f"{ts}PGD with 20.0 steps Loss Avg: 1.50 \n",
        f"{ts}LIP Avg: 0.1234 \n",
        f"{ts}Stable Count: 1000/5000 StableAcc: 20.00 \n",
        f"{ts}Best PGD-20 accuracy: 40.00\n",
        f"{ts}---- PGD-CW attacking results ----\n",
        f"{ts}Natural Correct Count: 2755/5000 Acc: 55.10 \n",
        f"{ts}PGD-CW Correct Count: 2060/5000 Acc: {cw} \n",
        f"{ts}PGD-CW with 40.0 steps Loss Avg: 1.60 \n",
        f"{ts}LIP Avg: 0.2345 \n",
        f"{ts}Stable Count: 900/5000 StableAcc: 18.00 \n",
        f"{ts}Best PGDCW-40 accuracy: 41.20\n",
    ]
    return "".join(lines[:cut])


HEADER = "2023-03-01 09:59:59,000 Namespace(epochs=100)\n"


@pytest.mark.parametrize("values", [
    dict(acc="-0.0", loss="+.5", lr="5."),  # signs, a bare point at either end
    dict(acc="0.12345678901234567", loss="123456789012345678901", lr="0.0000000000000000000000001"),  # long
    dict(acc="007.50", loss="0", lr="1e-3"),  # leading zeros; an exponent (declined, Python reads it)
    dict(acc="nan", loss="inf", lr="1_0"),  # what float() reads beyond plain decimals: declined
    dict(acc="1.2.3", loss="abc", lr="-"),  # garbled: None
])
def test_value_forms(values):
    check(HEADER + epoch_block(3, **values) + epoch_block(4))


def test_plain_values_are_compiled_and_odd_ones_declined():
    assert check(HEADER + epoch_block(1, acc="-0.0", loss="+.5", lr="5.", cw="007.50"))
    assert not check(HEADER + epoch_block(1, lr="1e-3"))
    assert not check(HEADER + epoch_block(1, acc="nan"))
    assert not check(HEADER.replace("epochs", "épochs") + epoch_block(1))  # not ASCII
    assert not check(HEADER + epoch_block(10 ** 19))  # an epoch number too long for 64 bits


def test_resumed_run_keeps_the_later_record_of_an_epoch():
    second = HEADER.replace("09:59:59", "11:00:00")
    text = HEADER + epoch_block(0) + epoch_block(1, cw="10.00") + epoch_block(2, cut=3) + second + epoch_block(1, cw="30.00") + epoch_block(2)
    fast, slow = both(text)
    assert_identical(fast, slow)
    assert fast["epoch"] == [0, 1, 2] and fast["cw40_acc"][1] == 30.0 and fast["segment"] == [0, 1, 1]


@pytest.mark.parametrize("cut", range(20))
def test_epoch_cut_at_every_line(cut):
    assert check(HEADER + epoch_block(0) + epoch_block(1, cut=cut))


def test_mismatched_eval_epoch_and_odd_markers():
    check(HEADER + epoch_block(0) + epoch_block(1, eval_epoch=7))
    check(HEADER + epoch_block(0) + "x====================Training Epoch 0012====================\n" + epoch_block(2))
    check(HEADER + "====================Training Epoch ====================\n" + epoch_block(2))
    check(HEADER + epoch_block(0).replace("====================Eval", "=====================Eval"))
    check(HEADER + epoch_block(0).replace("2023-03-01 10:00:00,123 LIP", "2023-03-01 10:00:00,12 LIP"))


SAMPLE = decode_log(TRAIN_LOG.read_bytes(), str(TRAIN_LOG))
ALPHABET = "0123456789.=-+\t\n ,:/eEnaAx_|"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 40))
def test_damaged_real_log(seed, edits):
    rng = random.Random(seed)
    text = list(SAMPLE)
    for _ in range(edits):
        at = rng.randrange(len(text))
        what = rng.random()
        if what < 0.6:
            text[at] = rng.choice(ALPHABET)
        elif what < 0.8:
            del text[at:at + rng.randrange(1, 200)]
        else:
            text[at:at] = list(rng.choice(["====================Training Epoch 5", "Eval Epoch 3====================\n",
                                           "\tacc_avg=0.5\tloss=1\tloss_avg=2\tlr=0.1\t|gn|=", "\n"]))
    check("".join(text))


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_shuffled_and_repeated_lines(seed):
    rng = random.Random(seed)
    lines = SAMPLE.splitlines(keepends=True)
    head = lines[:200]
    body = lines[200:]
    picked = [rng.choice(body) for _ in range(rng.randrange(1, 600))]
    rng.shuffle(picked)
    check("".join(head + picked))
