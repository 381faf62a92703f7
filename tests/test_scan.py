"""The compiled epoch scanner (ingest/_scan.c) against its plain-Python statement (tests/train_oracle.py),
the compiled reader of corruption result lines against its regular expression (tests/corruption_oracle.py),
the compiled reader of evaluation result lines and checkpoint dicts against theirs (tests/eval_oracle.py),
what the parsers take from a header against its plain-Python statement (tests/header_oracle.py),
the lines that show a training log's code format and a record's message against theirs (tests/format_oracle.py),
where an evaluation log's runs start against its plain-Python statement (tests/eval_oracle.py),
and the compiled substring search (`find`) against the bytes method it stands in for.

Every test computes both and requires byte-identical packed rows (so types, NaN, the sign of zero,
train accuracies in percent and timestamps in microseconds all agree) and the same run figures: on
the real sample logs (today's and older code versions), on every training log of a demo corpus, on
hand-made edge cases of every historical format, and on hypothesis-made damage to a real log.
"""
from __future__ import annotations

import math
import random
from datetime import datetime
from pathlib import Path

import corruption_oracle
import eval_oracle
import format_oracle
import header_oracle
import pytest
import train_oracle
from conftest import HISTORY, SAMPLES, TRAIN_LOG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest._scan import (
    argument_start,
    argument_starts,
    checkpoint_values,
    corruption_results,
    eval_results,
    find,
    header_fields,
    header_records,
    line_message,
    scan_training_log,
    training_format_lines,
)
from ingest.records import EPOCH_COLUMNS, EpochRows


def both(data: bytes | str) -> tuple[EpochRows, dict]:
    """The compiled rows and run figures, checked equal to the oracle's."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    headers, n, rows, has_nan, gn_median, rate_median, steps, nonfinite = scan_training_log(data)
    assert headers == train_oracle.header_starts(data)
    fast = EpochRows(n, rows, has_nan)
    slow, run = train_oracle.scan(data, headers)
    assert (fast.n, fast.has_nan) == (slow.n, slow.has_nan)
    if fast.data != slow.data:  # name the first value that differs
        for name in EPOCH_COLUMNS:
            a, b = fast.column(name), slow.column(name)
            assert [repr(v) for v in a] == [repr(v) for v in b], name
        raise AssertionError("rows differ in bits that decode alike (a NaN payload or the sign of zero)")
    assert repr((gn_median, rate_median, steps, nonfinite)) == repr(
        (run["grad_norm_median"], run["steps_per_second"], run["steps"], run["nonfinite"]))
    return fast, run


@pytest.mark.parametrize("path", sorted(p for folder in (SAMPLES, HISTORY) for p in folder.rglob("arch_*.log")
                                        if "_eval_" not in p.name),
                         ids=lambda p: p.parent.name + "/" + p.name)
def test_sample_logs_identical(path: Path):
    rows, run = both(path.read_bytes())
    assert rows.n > 0 and run["steps"] > 0


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    from demo import write_demo_repository

    out = tmp_path_factory.mktemp("demo")
    write_demo_repository(out, archs=150, epochs=12, git=False)
    return out


@pytest.fixture(scope="module")
def demo_logs(demo_folder) -> list[Path]:
    return sorted(p for p in demo_folder.rglob("arch_*.log") if "_eval_" not in p.name)


def test_every_demo_training_log_identical(demo_logs):
    compared = 0
    for path in demo_logs:
        data = path.read_bytes()
        if train_oracle.header_starts(data):
            both(data)
            compared += 1
    assert compared > 100


STEP_COLUMNS = ("step_lines", "grad_norm_nonfinite", "grad_norm_median", "grad_norm_max", "steps_per_second")


def test_last_step_only_reads_the_same_records_without_the_step_line_columns(demo_logs):
    """The benchmark's measure of the step-line columns scans with `last_step_only`: every other
    value of every record is the same, the step-line columns are empty."""
    compared = 0
    for path in demo_logs[:60] + sorted(p for folder in (SAMPLES, HISTORY) for p in folder.rglob("arch_*.log")
                                        if "_eval_" not in p.name):
        data = path.read_bytes()
        full = scan_training_log(data)
        last = scan_training_log(data, True)
        assert last[:2] == full[:2]
        a, b = EpochRows(full[1], full[2], full[3]), EpochRows(last[1], last[2], last[3])
        for name in EPOCH_COLUMNS:
            if name in STEP_COLUMNS:
                assert not any(b.column(name)), name
            else:
                assert [repr(v) for v in a.column(name)] == [repr(v) for v in b.column(name)], (path, name)
        compared += any(a.column("step_lines"))
    assert compared > 60


LINE = "2023-03-01 10:00:{:02d},123 "


def epoch_block(epoch: int, acc: str = "0.4123", loss: str = "1.2345", lr: str = "0.1000", cw: str = "41.20",
                eval_epoch: int | None = None, cut: int | None = None, gn: str = "3.0", rate: str = "9.0",
                label: str | None = None, titles: bool = True, best: tuple[str, str] = ("PGD-20", "PGDCW-40"),
                pgd_only: bool = False) -> str:
    """One epoch as some version of `main.py` logs it (a step line, the evaluation, the attack blocks)."""
    e = epoch if eval_epoch is None else eval_epoch
    ts = LINE.format(epoch % 60)
    pgd_label, cw_label = (label, label) if label else ("PGD", "PGD-CW")
    lines = [
        f"{ts}====================Training Epoch {epoch}====================\n",
        f"{ts}epoch={epoch}\tglobal_step=1\tacc=0.5000\tacc_avg={acc}\tloss=1.0\tloss_avg={loss}\tlr={lr}\t|gn|={gn}\ttime={rate}it/s\n",
        f"{ts}====================Eval Epoch {e}====================\n",
        f"{ts}epoch={e}\tglobal_step=49\tval_acc=0.5\n",
        f"{ts}Eval Loss:1.1000\tEval acc: 55.10\n",
        f"{ts}---- PGD attacking results ----\n" if titles else "",
        f"{ts}Natural Correct Count: 2755/5000 Acc: 55.10 \n",
        f"{ts}{pgd_label} Correct Count: 2000/5000 Acc: 40.00 \n",
        f"{ts}{pgd_label} with 20.0 steps Loss Avg: 1.50 \n",
        f"{ts}LIP Avg: 0.1234 \n",
        f"{ts}Stable Count: 1000/5000 StableAcc: 20.00 \n",
        f"{ts}Best {best[0]} accuracy: 40.00\n",
    ]
    if not pgd_only:
        lines += [
            f"{ts}---- PGD-CW attacking results ----\n" if titles else "",
            f"{ts}Natural Correct Count: 2755/5000 Acc: 55.10 \n",
            f"{ts}{cw_label} Correct Count: 2060/5000 Acc: {cw} \n",
            f"{ts}{cw_label} with 40.0 steps Loss Avg: 1.60 \n",
            f"{ts}LIP Avg: 0.2345 \n",
            f"{ts}Stable Count: 900/5000 StableAcc: 18.00 \n",
            f"{ts}Best {best[1]} accuracy: 41.20\n",
        ]
    lines = [line for line in lines if line]
    return "".join(lines[:cut])


HEADER = "2023-03-01 09:59:59,000 Namespace(epochs=100)\n"


@pytest.mark.parametrize("values", [
    dict(acc="-0.0", loss="+.5", lr="5."),  # signs, a bare point at either end
    dict(acc="0.12345678901234567", loss="123456789012345678901", lr="0.0000000000000000000000001"),  # long
    dict(acc="007.50", loss="0", lr="1e-3"),  # leading zeros; an exponent
    dict(acc="nan", loss="inf", lr="-Infinity"),  # nan and inf in any case
    dict(acc="1_0", loss="0x10", lr="1e400"),  # not decimal numbers; too large: inf
    dict(acc="1.2.3", loss="abc", lr="-"),  # garbled: None
    dict(acc="100.0", loss="1e-400", lr="123456"),  # out of the fast path's range
])
def test_value_forms(values):
    both(HEADER + epoch_block(3, **values) + epoch_block(4))


def test_values_are_read_exactly():
    rows, _ = both(HEADER + epoch_block(1, acc="0.5312", loss="nan", lr="1e-3", cw="INF"))
    assert rows.column("train_acc") == [53.12] and rows.column("lr") == [0.001]
    assert math.isnan(rows.column("train_loss")[0]) and rows.column("cw40_acc") == [math.inf] and rows.has_nan
    rows, _ = both(HEADER + epoch_block(1, acc="1_0", lr="abc"))
    assert rows.column("train_acc") == [None] and rows.column("lr") == [None] and not rows.has_nan


@pytest.mark.parametrize("epoch, kept", [(2**31 - 1, True), (2**31, False), (10**19, False), (10**30, False)])
def test_epoch_numbers_beyond_the_integer_column_are_not_markers(epoch, kept):
    rows, _ = both(HEADER + epoch_block(0) + epoch_block(epoch))
    assert rows.column("epoch") == ([0, epoch] if kept else [0])


def test_epoch_numbers_with_leading_zeros():
    text = HEADER + epoch_block(0).replace("Epoch 0=", "Epoch 0000000000000000000000=")
    text += epoch_block(7).replace("Training Epoch 7=", "Training Epoch 00000000000000000007=")
    rows, _ = both(text)
    assert rows.column("epoch") == [0, 7] and rows.column("cw40_acc") == [41.2, 41.2]


def test_resumed_run_keeps_the_later_record_of_an_epoch():
    second = HEADER.replace("09:59:59", "11:00:00")
    text = (HEADER + epoch_block(0) + epoch_block(1, cw="10.00", gn="1000") + epoch_block(2, cut=3) + second
            + epoch_block(1, cw="30.00") + epoch_block(2))
    rows, run = both(text)
    assert rows["epoch"] == [0, 1, 2] and rows["cw40_acc"][1] == 30.0 and rows["segment"] == [0, 1, 1]
    assert rows["grad_norm_median"] == [3.0, 3.0, 3.0] and run["steps"] == 3  # the replaced record's step line is gone


@pytest.mark.parametrize("cut", range(22))
def test_epoch_cut_at_every_line(cut):
    both(HEADER + epoch_block(0) + epoch_block(1, cut=cut))


def test_mismatched_eval_epoch_and_odd_markers():
    both(HEADER + epoch_block(0) + epoch_block(1, eval_epoch=7))
    both(HEADER + epoch_block(0) + "x====================Training Epoch 0012====================\n" + epoch_block(2))
    both(HEADER + "====================Training Epoch ====================\n" + epoch_block(2))
    both(HEADER + epoch_block(0).replace("====================Eval", "=====================Eval"))
    both(HEADER + epoch_block(0).replace("2023-03-01 10:00:00,123 LIP", "2023-03-01 10:00:00,12 LIP"))
    both(HEADER + epoch_block(0).replace("\n", "\r\n"))


# ------------------------------------------------------------------ every historical block format

def values_of(rows: EpochRows, prefix: str) -> list:
    return [rows.column(prefix + name)[0] for name in ("natural_acc", "acc", "loss", "lip", "stable")]


PGD = [55.1, 40.0, 1.5, 0.1234, 20.0]
CW = [55.1, 41.2, 1.6, 0.2345, 18.0]


@pytest.mark.parametrize("variant, pgd, cw", [
    (dict(), PGD, CW),  # today's format
    (dict(label="['PGD', 'PGD-CW']"), PGD, CW),  # 339980b7: both blocks labelled with the argument list
    (dict(titles=False), PGD, CW),  # 0983e9e6: no title lines, told apart by the Best lines
    (dict(titles=False, label="PGD"), PGD, CW),  # ... and both labelled PGD
    (dict(titles=False, best=("X", "Y")), PGD, CW),  # no titles, no telling Best lines: by position
    (dict(best=("PGD-10", "PGDCW-20")), PGD, CW),  # 3935ccd5 with attack_step 10 20
    (dict(pgd_only=True, label="['PGD', 'PGD-CW']"), PGD, [None] * 5),  # 0424b536: PGD only
    (dict(pgd_only=True, titles=False, best=("PGD", "")), PGD, [None] * 5),  # d35f9fbb: `Best PGD accuracy`
])
def test_every_block_format_of_the_training_code(variant, pgd, cw):
    rows, _ = both(HEADER + epoch_block(1, **variant))
    assert values_of(rows, "pgd20_") == pgd and values_of(rows, "cw40_") == cw


def test_titles_decide_over_position():
    text = epoch_block(1)
    pgd_block = text[text.index(LINE.format(1) + "---- PGD attacking"):text.index(LINE.format(1) + "---- PGD-CW")]
    cw_block = text[text.index(LINE.format(1) + "---- PGD-CW"):]
    swapped = text[:text.index(pgd_block)] + cw_block + pgd_block
    rows, _ = both(HEADER + swapped)
    assert values_of(rows, "pgd20_") == PGD and values_of(rows, "cw40_") == CW


def test_epochs_before_the_attack_start_have_clean_validation_only():
    # train_eval_epoch 0.5: no attack blocks before the middle epoch
    early = epoch_block(0)
    early = early[:early.index(LINE.format(0) + "---- PGD attacking")]
    rows, _ = both(HEADER + early + epoch_block(1))
    assert rows.column("val_acc") == [55.1, 55.1]
    assert rows.column("pgd20_acc") == [None, 40.0] and rows.column("cw40_acc") == [None, 41.2]


# ------------------------------------------------------------------ step-line figures

def test_step_line_figures():
    ts = LINE.format(1)
    steps = "".join(
        f"{ts}epoch=1\tglobal_step={k}\tacc=0.5\tacc_avg=0.5\tloss=1.0\tloss_avg=1.0\tlr=0.1\t|gn|={gn}\ttime={rate}it/s\n"
        for k, (gn, rate) in enumerate([("65536.5", "3.0"), ("nan", "2.0"), ("131072.0", "x"), ("inf", "5.0"),
                                        ("98304.25", "4.0"), ("garbled", "1e400")]))
    block = epoch_block(1)
    marker_end = block.index("\n") + 1
    rows, run = both(HEADER + block[:marker_end] + steps + block[marker_end:])
    # with the block's own step line (|gn|=3.0, 9.0 it/s): finite norms 3.0, 65536.5, 98304.25, 131072.0;
    # rates 2, 3, 4, 5, 9 (`x` is no number, 1e400 is not finite)
    assert rows.column("step_lines") == [7] and rows.column("grad_norm_nonfinite") == [2]
    assert rows.column("grad_norm_median") == [(65536.5 + 98304.25) / 2] and rows.column("grad_norm_max") == [131072.0]
    assert rows.column("steps_per_second") == [4.0]
    assert run["grad_norm_median"] == (65536.5 + 98304.25) / 2 and run["nonfinite"] == 2


def test_no_step_lines_no_figures():
    block = epoch_block(1)
    lines = block.splitlines(keepends=True)
    rows, run = both(HEADER + lines[0] + "".join(lines[2:]))
    assert rows.column("step_lines") == [0] and rows.column("grad_norm_nonfinite") == [None]
    assert rows.column("grad_norm_median") == [None] and run["grad_norm_median"] is None


def test_nan_exit_tail():
    block = epoch_block(1, loss="nan", gn="nan", cut=2)
    rows, run = both(HEADER + epoch_block(0) + block)
    assert math.isnan(rows.column("train_loss")[1]) and rows.has_nan and run["nonfinite"] == 1


def test_non_ascii_bytes_are_read_like_any_other():
    text = HEADER.replace("epochs", "épochs") + epoch_block(0) + epoch_block(1, acc="0.4\u00e9")
    rows, _ = both(text)
    assert rows.column("epoch") == [0, 1] and rows.column("train_acc") == [41.23, None]
    raw = (HEADER + epoch_block(0)).encode() + b"\xff\xfe garbage\n" + epoch_block(1).encode()
    both(raw)


# ------------------------------------------------------------------ random damage

SAMPLE = TRAIN_LOG.read_text()
ALPHABET = "0123456789.=-+\t\n ,:/eEnaAx_|()[]'éÿ"
INSERTS = ["====================Training Epoch 5", "Eval Epoch 3====================\n",
           "\tacc_avg=0.5\tloss=1\tloss_avg=2\tlr=0.1\t|gn|=", "\n", "---- PGD-CW attacking results ----\n",
           "Best PGDCW-40 accuracy: ", " Correct Count: ", " with 20.0 steps Loss Avg: ", "it/s", "\ttime="]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 40))
def test_damaged_real_log(seed, edits):
    both(damaged(SAMPLE, seed, edits, ALPHABET, INSERTS, longest_cut=200))


def damaged(text: str, seed: int, edits: int, alphabet: str, inserts: list[str], longest_cut: int) -> str:
    """`text` with `edits` random edits: a character replaced from `alphabet` (60%), up to
    `longest_cut` characters cut (20%), or one of `inserts` put in (20%)."""
    rng = random.Random(seed)
    chars = list(text)
    for _ in range(edits):
        at = rng.randrange(len(chars))
        what = rng.random()
        if what < 0.6:
            chars[at] = rng.choice(alphabet)
        elif what < 0.8:
            del chars[at:at + rng.randrange(1, longest_cut)]
        else:
            chars[at:at] = list(rng.choice(inserts))
    return "".join(chars)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_shuffled_and_repeated_lines(seed):
    rng = random.Random(seed)
    lines = SAMPLE.splitlines(keepends=True)
    head = lines[:200]
    body = lines[200:]
    picked = [rng.choice(body) for _ in range(rng.randrange(1, 600))]
    rng.shuffle(picked)
    both("".join(head + picked))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_inside_an_epoch(data):
    block = epoch_block(1).encode()
    at = len(block) // 2
    both(HEADER.encode() + block[:at] + data + block[at:])


@pytest.mark.parametrize("stamp, valid", [
    ("2024-02-29 23:59:59,999", True),  # a leap day
    ("2023-02-29 10:00:00,000", False),  # not a leap year
    ("2000-02-29 10:00:00,000", True),
    ("1900-02-29 10:00:00,000", False),
    ("2023-13-01 10:00:00,000", False),
    ("2023-00-01 10:00:00,000", False),
    ("2023-04-31 10:00:00,000", False),
    ("2023-01-01 24:00:00,000", False),
    ("2023-01-01 23:60:00,000", False),
    ("2023-01-01 23:59:60,000", False),
    ("0000-01-01 00:00:00,000", False),
    ("0001-01-01 00:00:00,000", True),
    ("1969-12-31 23:59:59,999", True),  # before 1970: negative microseconds
    ("2023-01-01T10:00:00,000", False),
    ("2023-01-01 10:00:00.000", False),
])
def test_epoch_timestamps_are_validated(stamp, valid):
    block = epoch_block(1).replace("2023-03-01 10:00:01,123 ===", f"{stamp} ===", 1)
    rows, _ = both(HEADER + block)
    expected = datetime.strptime(stamp.replace(",", "."), "%Y-%m-%d %H:%M:%S.%f") if valid else None
    assert rows.column("started_at") == [expected]


PLAIN = st.from_regex(r"\A[-+]?[0-9]{1,3}\.[0-9]{1,17}\Z|\A[-+]?[0-9]{1,20}\.?\Z|\A[-+]?\.[0-9]{1,17}([eE][-+]?[0-9]{1,3})?\Z")


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(acc=PLAIN, lr=PLAIN)
def test_numbers_are_the_nearest_double(acc, lr):
    from decimal import Decimal

    rows, _ = both(HEADER + epoch_block(1, acc=acc, lr=lr))
    assert rows.column("train_acc") == [float(Decimal(acc) * 100)]
    assert rows.column("lr") == [float(lr)]


def test_packed_rows_round_trip_missing_values_and_nan():
    columns = {name: [None, None] for name in EPOCH_COLUMNS}
    columns.update(epoch=[0, 1], segment=[0, 2], started_at=[None, -1], lr=[math.nan, -0.0], cw40_acc=[None, 1e300])
    rows = EpochRows.from_columns(columns)
    assert rows.n == 2 and rows.has_nan and len(rows.data) == 2 * 8 * len(EPOCH_COLUMNS)
    assert rows.column("epoch") == [0, 1] and rows.column("segment") == [0, 2]
    assert rows.column("started_at") == [None, datetime(1969, 12, 31, 23, 59, 59, 999999)]
    lr = rows.column("lr")
    assert math.isnan(lr[0]) and lr[1] == 0.0 and math.copysign(1, lr[1]) == -1
    assert rows.column("cw40_acc") == [None, 1e300] and rows.column("val_acc") == [None, None]
    assert not EpochRows.from_columns({**columns, "lr": [None, 1.0]}).has_nan
    for name in EPOCH_COLUMNS:  # one value at a time reads the same as whole columns
        assert [repr(rows.value(name, i)) for i in range(rows.n)] == [repr(v) for v in rows.column(name)], name


@pytest.mark.parametrize("text, expected", [
    ("2023-03-01 09:59:59,000 Namespace(a=1)\n", [24]),
    ("x2023-03-01 09:59:59,000 Namespace(a=1)\n", [25]),
    ("2023-03-01 09:59:59,00 Namespace(a=1)\n", []),  # a timestamp one digit short
    ("2023-03-01 09:59:59,000 namespace(a=1)\n", []),
    ("2023-03-01 09:59:59,000 Namespace (a=1)\n", []),
    ("023-03-01 09:59:59,000 Namespace(a=1)\n", []),  # too close to the start
    ("(((" + "2023-03-01 09:59:59,000 Namespace(" * 3, [27, 61, 95]),
    ("2023-03-01 09:59:59,000\tNamespace(", [24]),  # any character between the time and the record
    ("2023-03-01 09:59:59,000 Namespace(\xe9", [24]),
])
def test_header_starts(text, expected):
    data = text.encode("latin-1")
    assert scan_training_log(data)[0] == expected == train_oracle.header_starts(data)


TS = "2023-03-01 10:00:00,123 "


@pytest.mark.parametrize("lines", [
    [TS + "seed: 0", TS + "param size = 1.5MB", TS + "seed: 1"],
    [TS + "a b: c: d", TS + "a = b = c", TS + "x =y: z", TS + "k:v", TS + "k :v"],  # the shortest key
    [TS + "model: Config([('a', 1)])", TS + "model: arch_2"],
    [TS + "value: spaced \t \x0b\x0c\r\x1c\x1d\x1e\x1f", TS + "empty: ", TS + "e2 = "],  # what rstrip removes
    [TS + "1key: no", TS + "_k: yes", TS + "k-ey: no", TS + "k ey: yes", " " + TS + "late: no"],
    ["2023-03-01 10:00:00,12 short: no", "2023-03-01T10:00:00,123 t: no", TS + "x: " + "y" * 500],
    [TS + "k\xe9y: no", TS + "key: caf\xc3\xa9 \xff"],  # non-ASCII bytes: not in a key; a value decoded with U+FFFD
])
def test_header_records(lines):
    data = ("\n".join(lines) + "\n").encode("latin-1")
    for start in range(0, len(data), 7):  # a span starting and ending anywhere, even inside a line
        for stop in range(start, len(data) + 1, 5):
            assert header_records(data, start, stop) == train_oracle.header_records(data, start, stop), (start, stop)


# ---- corruption result lines (ingest/_scan.c `corruption_results`) ----

def exactly(value):
    """`value` with each float as its hex form and sign: NaN equal to NaN, -0.0 and -nan told apart."""
    if isinstance(value, float):
        return ("float", value.hex(), math.copysign(1.0, value))
    if isinstance(value, (tuple, list)):
        return type(value)(map(exactly, value))
    return value


def same_results(data: bytes | str) -> list[tuple[str, int, float, float]]:
    """The compiled rows of a text's corruption result lines, checked identical to the oracle's."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    fast = corruption_results(data)
    assert exactly(fast) == exactly(corruption_oracle.corruption_results(data))
    return fast[0]


STAMP = "2026-11-23 19:20:00,000 "
CORRUPTION_HEAD = STAMP + "model: arch_2\n" + STAMP + "attack_choice: CIFAR10C\n"


def test_every_demo_corruption_log_identical(demo_folder):
    logs = sorted(demo_folder.rglob("arch_*_eval_cifar10c_level.log"))
    counts = [len(same_results(path.read_bytes())) for path in logs]
    assert len(counts) > 5 and counts.count(95) > len(counts) // 2  # most of them finished


@pytest.mark.parametrize("line, read", [
    ("gaussian_noise (level=1): Loss: 0.4321, Acc: 85.12\n", ("gaussian_noise", 1, 85.12, 0.4321)),
    ("snow (level=5): Loss: 1e-05, Acc: 9.\n", ("snow", 5, 9.0, 1e-05)),
    ("fog (level=2): Loss: nan, Acc: -inf \t\r\n", ("fog", 2, -math.inf, math.nan)),
    ("fog (level=2): Loss: -nan, Acc: -0.0\n", ("fog", 2, -0.0, -math.nan)),
    ("fog (level=2): Loss: .5, Acc: +3E+2\n", ("fog", 2, 300.0, 0.5)),
    ("fog (level=007): Loss: 1, Acc: 2\n", ("fog", 7, 2.0, 1.0)),
    ("fog (level=000): Loss: 1, Acc: 2\n", ("fog", 0, 2.0, 1.0)),
    ("fog (level=2): Loss: 1e999, Acc: 1e-999\n", ("fog", 2, 0.0, math.inf)),
    ("fog (level=2): Loss: 0.1000000000000000055511151231257827, Acc: 9007199254740993\n",
     ("fog", 2, 9007199254740992.0, 0.1)),
    ("fog (level=99999999999999999999): Loss: 1, Acc: 2\n", ("fog", 99999999999999999999, 2.0, 1.0)),
    ("fog (level=2): Loss: 1.5e, Acc: 2\n", None),  # an exponent without digits is no part of the number
    ("fog (level=2): Loss: NaN, Acc: 2\n", None),  # nan and inf in lower case only
    ("fog (level=2): Loss: 1, Acc: 2", None),  # no newline: the line is unfinished
    ("fog (level=2): Loss: 1, Acc: 2 x\n", None),
    ("fog (level=): Loss: 1, Acc: 2\n", None),
    ("Fog (level=2): Loss: 1, Acc: 2\n", None),  # the name run is `og`, after an `F`, not a space
    (" (level=2): Loss: 1, Acc: 2\n", None),  # no name
    ("fog (level=2): Loss: +, Acc: 2\n", None),
    ("fog (level=2): Loss: 1, Acc: 2\n" * 2, ("fog", 2, 2.0, 1.0)),
])
def test_result_line_forms(line, read):
    lines = same_results(CORRUPTION_HEAD + STAMP + line)
    assert exactly(lines[0] if lines else None) == exactly(read)


_NUMBER_TOKENS = st.builds(
    lambda sign, whole, dot, fraction, exponent: sign + whole + dot + fraction + exponent,
    st.sampled_from(["", "-", "+"]), st.text("0123456789", min_size=1, max_size=30), st.sampled_from(["", "."]),
    st.text("0123456789", max_size=30), st.sampled_from(["", "e5", "e-300", "E+22", "e-23", "e308", "e-330"]))


@settings(max_examples=300, deadline=None)
@given(loss=_NUMBER_TOKENS, acc=_NUMBER_TOKENS)
def test_values_are_what_float_reads_at_any_length_and_scale(loss, acc):
    read = same_results(f"{CORRUPTION_HEAD}{STAMP}fog (level=2): Loss: {loss}, Acc: {acc}\n")
    assert exactly(read) == exactly([("fog", 2, float(acc), float(loss))])


def test_rows_are_one_per_corruption_and_level_from_its_last_line_sorted():
    lines = ["snow (level=2): Loss: 1, Acc: 10", "fog (level=10): Loss: 1, Acc: 11", "fog (level=9): Loss: 1, Acc: 12",
             "snow (level=02): Loss: 1, Acc: 13", "fog_b (level=1): Loss: 1, Acc: 14", "fo (level=1): Loss: 1, Acc: 15",
             "fog (level=10): Loss: 2, Acc: 16"]
    text = CORRUPTION_HEAD + "".join(f"{STAMP}{line}\n" for line in lines)
    assert same_results(text) == [("fo", 1, 15.0, 1.0), ("fog", 9, 12.0, 1.0), ("fog", 10, 16.0, 2.0),
                                  ("fog_b", 1, 14.0, 1.0), ("snow", 2, 13.0, 1.0)]
    assert corruption_results(text.encode())[1] == len(CORRUPTION_HEAD)  # the first line's record, not the first row's


def test_a_result_line_must_follow_a_space_at_byte_24_or_later():
    line = "fog (level=2): Loss: 1, Acc: 2\n"
    assert same_results(line) == []  # at the start of the file
    assert same_results("x" * 23 + " " + line) != []
    assert same_results("x" * 22 + " " + line) == []  # byte 23
    assert same_results(STAMP[:-1] + "\t" + line) == []


def test_first_is_the_record_start_of_the_first_line():
    text = CORRUPTION_HEAD + STAMP + "fog (level=2): Loss: 1, Acc: 2\n"
    assert corruption_results(text.encode())[1] == len(CORRUPTION_HEAD)
    assert corruption_results(CORRUPTION_HEAD.encode()) == ([], None)


def corruption_text() -> str:
    from ingest.corruption_log import CORRUPTIONS

    lines = [f"{STAMP}{name} (level={level}): Loss: {0.1 * level:.4f}, Acc: {90 - i - level:.2f}\n"
             for i, name in enumerate(CORRUPTIONS) for level in range(1, 6)]
    return CORRUPTION_HEAD + "".join(lines) + STAMP + "Average Accuracy: 78.1234\n"


CORRUPTION_ALPHABET = "0123456789.=-+\t\r\n ,:()_abefilnosvAL"
CORRUPTION_INSERTS = [" (level=", "): Loss: ", ", Acc: ", "\n", STAMP, "nan", "inf", "e-"]


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 60))
def test_damaged_corruption_log(seed, edits):
    same_results(damaged(corruption_text(), seed, edits, CORRUPTION_ALPHABET, CORRUPTION_INSERTS, longest_cut=80))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_among_result_lines(data):
    text = corruption_text().encode()
    at = len(text) // 2
    same_results(text[:at] + data + text[at:])


def test_epoch_table_types_every_value_and_null_of_the_packed_rows():
    """The Arrow epochs table (ingest/records.py `epoch_table`, buffers from `_scan.column_buffers`)
    holds each packed value, NULL for each missing one (a float NaN stays a value), integers
    narrowed to the warehouse's INTEGER; a value too wide for it raises as Arrow's cast does."""
    import pyarrow as pa

    from ingest.records import epoch_table

    rows = [{name: None for name in EPOCH_COLUMNS} for _ in range(10)]
    for i, row in enumerate(rows):
        row.update(epoch=i, segment=i % 2, lr=0.1 / (i + 1), val_acc=float("nan") if i == 3 else 40.0 + i)
        row["started_at"] = None if i == 7 else 1_700_000_000_000_000 + i
        row["train_loss"] = None if i % 3 else 1.5
    packed = EpochRows.from_columns({name: [row[name] for row in rows] for name in EPOCH_COLUMNS})
    run_ids = b"".join(int(5).to_bytes(8, "little", signed=True) for _ in rows)
    table = epoch_table(run_ids, packed.data)
    assert table.column("run_id").to_pylist() == [5] * 10
    assert table.schema.field("epoch").type == pa.int32() and table.schema.field("started_at").type == pa.timestamp("us")
    for name in EPOCH_COLUMNS:
        got, want = table.column(name).to_pylist(), packed.column(name)
        assert [g != g if w != w else g == w for g, w in zip(got, want)] == [True] * 10, name
    assert table.column("val_acc").null_count == 0 and math.isnan(table.column("val_acc")[3].as_py())
    assert table.column("train_loss").null_count == 6 and table.column("pgd20_acc").null_count == 10
    too_wide = EpochRows.from_columns({name: [1 << 40 if name == "epoch" else None] for name in EPOCH_COLUMNS})
    with pytest.raises(OverflowError):
        epoch_table(int(5).to_bytes(8, "little"), too_wide.data)
    from ingest._scan import column_buffers

    with pytest.raises(ValueError, match="not a word of a 2-word row"):
        column_buffers(bytes(32), 0, False, 2, 2)
    assert column_buffers(bytes(range(32)), -1, False, 1, 2) == (None, bytes(range(8, 16)) + bytes(range(24, 32)))


_SEARCH_BYTES = st.binary(max_size=40).map(lambda b: bytes(c % 4 + 10 for c in b))  # few distinct bytes: many hits
"""Texts of the four bytes \\n, \\x0b, \\x0c, \\r: needles occur, overlap and repeat."""


@settings(max_examples=500, deadline=None)
@given(data=_SEARCH_BYTES, needle=st.binary(max_size=4).map(lambda b: bytes(c % 4 + 10 for c in b)),
       start=st.integers(0, 45), end=st.integers(0, 45))
def test_compiled_find_answers_what_the_bytes_method_answers(data, needle, start, end):
    assert find(data, needle) == data.find(needle)
    assert find(data, needle, start) == data.find(needle, start)
    assert find(data, needle, start, end) == data.find(needle, start, end)


def test_compiled_find_on_a_real_log_and_its_refusals():
    data = (SAMPLES / "eval" / "arch_2_eval_Linf_Base.log").read_bytes()
    for needle in (b"seed: ", b"Nature Acc: ", b"\n)\n", b"Running Cost ", b"not in the log", data[-30:]):
        assert find(data, needle) == data.find(needle)
        assert find(data, needle, len(data) // 2) == data.find(needle, len(data) // 2)
    with pytest.raises(ValueError, match="must not be negative"):
        find(data, b"seed", -1)
    with pytest.raises(TypeError, match="searches bytes for bytes"):
        find(data.decode(), "seed")
    with pytest.raises(TypeError, match="from 2 to 4 arguments"):
        find(data)


# ---- evaluation result lines and checkpoint dict (ingest/_scan.c `eval_results`, `checkpoint_values`) ----

def same_eval(data: bytes | str, results: int | None = None) -> tuple:
    """The compiled reading of an evaluation's result lines (every `wants`) and checkpoint dict, checked
    equal to the oracle's (tests/eval_oracle.py); `results` defaults to a third of the text."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    results = len(data) // 3 if results is None else results
    for wants in (0, 1, 2, 3):
        assert eval_results(data, results, wants) == eval_oracle.eval_results(data, results, wants), wants
    assert checkpoint_values(data) == eval_oracle.checkpoint_values(data)
    return eval_results(data, results, 3)


EVAL_LOGS = sorted(p for folder in (SAMPLES, HISTORY) for p in folder.rglob("arch_*_eval_*.log"))


@pytest.mark.parametrize("path", EVAL_LOGS, ids=lambda p: p.parent.name + "/" + p.name)
def test_sample_evaluation_logs_identical(path: Path):
    data = path.read_bytes()
    for results in (0, len(data) // 2, len(data), len(data) + 5):
        same_eval(data, results)


def test_every_demo_evaluation_log_identical(demo_folder):
    logs = sorted(p for p in demo_folder.rglob("arch_*_eval_*.log"))
    read = [same_eval(path.read_bytes(), 0) for path in logs]
    assert len(read) > 100
    assert sum(r[0] is not None for r in read) > len(read) // 4  # Natural lines were read
    assert sum(r[4] is not None for r in read) > 10  # and AutoAttack ones


BASE_RESULTS = (
    STAMP + "model: arch_2\n" + STAMP + "File ./ckpt/arch_2.pth loaded!\n"
    + STAMP + "Nature Acc: 81.00, PGD Acc: 50.00\n" * 3
    + STAMP + "Natural Correct Count: 134/200, Acc: 67.00 Test Loss: 1.2325\n"
    + STAMP + "FGSM with 1 step Correct Count: 104/200, Acc: 52.00, Stable: 85.00\n"
    + STAMP + "PGD with 20 steps Correct Count: 99/200, Acc: 49.50, Stable: 82.50 LIP: 375.4113\n"
    + STAMP + "CW with 40 steps Correct Count: 98/200, Acc: 49.00, Stable: 82.00 LIP: 294.2399\n"
    + STAMP + "Linf-AA Acc: 48.25\n" + STAMP + "initial accuracy: 83.50%\n" + STAMP + "Test Loss: 0.75\n"
    + STAMP + "{'epoch': 99} {'best_pgdcw_acc': np.float64(48.559999999999995), 'best_pgd_acc': 49.1, "
    "'global_step': 1e5, 'pgdcw_eval_history': [(0, 1.0), (1, 2.0)]}\n"
    + STAMP + "Running Cost 0.02 Days\n"
)


def test_every_result_line_of_a_log_is_read():
    natural, fgsm, pgd, cw, aa, clean, test_loss, batches, messages = same_eval(BASE_RESULTS, 0)
    assert natural == (b"134", b"200", b"67.00", b"1.2325")
    assert fgsm == (b"104", b"200", b"52.00", b"85.00")
    assert pgd == (b"99", b"200", b"49.50", b"82.50", b"375.4113")
    assert cw == (b"98", b"200", b"49.00", b"82.00", b"294.2399")
    assert (aa, clean, test_loss, batches) == ((b"48.25",), b"83.50", b"0.75", 3)
    assert messages[0] == "Natural Correct Count: 134/200, Acc: 67.00 Test Loss: 1.2325"
    assert messages[5] == "Running Cost 0.02 Days"
    assert checkpoint_values(BASE_RESULTS.encode()) == (b"48.559999999999995", b"49.1", b"1e5", 2)


@pytest.mark.parametrize("line, groups", [
    ("Natural Correct Count: 134/200, Acc: 67.00\n", (b"134", b"200", b"67.00", None)),  # before Test Loss was printed
    ("Natural Correct Count: 134/200, Acc: 67.00 Test Loss: x\n", None),  # a broken optional part: no line end
    ("Natural Correct Count: 134/200, Acc: nan Test Loss: -inf \t\r\n", (b"134", b"200", b"nan", b"-inf")),
    ("Natural Correct Count: 134/, Acc: 67.00\n", None),
    ("Natural Correct Count: 134/200, Acc: 67.00", None),  # unfinished: no newline
    ("FGSM with 1 steps Correct Count: 1/2, Acc: 5, Stable: .5\n", (b"1", b"2", b"5", b".5")),
    ("FGSM with 1 stepss Correct Count: 1/2, Acc: 5, Stable: 5\n", None),
    ("PGD with 20 step Correct Count: 1/2, Acc: 5, Stable: 5\n", None),  # PGD and CW say `steps`
    ("PGD with 20 steps Correct Count: 1/2, Acc: 5, Stable: 5 LIP: 1e\n", None),
    ("CW with 40 steps Correct Count: 1/2, Acc: 5, Stable: 67.00\n", (b"1", b"2", b"5", b"67.00", None)),
    ("Linf-AA Accuracy: 48.25\n", (b"48.25",)),
    ("L2-AA Accurac: 48.25\n", None),
])
def test_result_line_forms_of_every_code_version(line, groups):
    found = same_eval(STAMP + "model: arch_2\n" + STAMP + line, 0)
    literal = {"N": 0, "F": 1, "P": 2, "C": 3}.get(line[0], 4)
    assert found[literal] == groups


def test_a_result_line_is_read_at_its_literal_last_occurrence_only():
    good = STAMP + "PGD with 20 steps Correct Count: 1/2, Acc: 5, Stable: 5\n"
    assert same_eval(good + STAMP + "PGD with 20 steps garbled\n", 0)[2] is None
    assert same_eval(STAMP + "PGD with 20 steps garbled\n" + good, 0)[2] == (b"1", b"2", b"5", b"5", None)


def test_messages_only_after_the_results_start_and_the_test_loss_record_only_as_a_record():
    text = STAMP + "Running Cost 1 Days\n" + STAMP + "x\n"
    assert same_eval(text, 0)[8][5] == "Running Cost 1 Days"
    assert same_eval(text, 25)[8][5] is None  # it starts at byte 24
    assert same_eval("x" + STAMP + "Test Loss: 0.5\n")[6] is None  # not where a record's message starts
    assert same_eval(STAMP + "Test Loss: 0.5\n")[6] == b"0.5"
    assert same_eval(STAMP + "y" * 600 + "Running Cost \r\r\n", 0)[8][5] == "y" * 400  # at most 400 bytes


@pytest.mark.parametrize("line, values", [
    ("{'best_pgdcw_acc': np.float64(48.5)}", (b"48.5", None, None, None)),
    ("{'best_pgdcw_acc': np.(48.5)}", (None, None, None, None)),  # `np.` needs a word: no number follows it
    ("{'best_pgd_acc': 49.1, 'global_step': np.int64(7)}", (None, b"49.1", b"7", None)),
    ("{'pgdcw_eval_history': [(0, 1.0), (1, 2.0)]}", (None, None, None, 2)),
    ("{'pgdcw_eval_history': [(0, 1.0), (1, 2.0)}", (None, None, None, None)),  # no closing bracket on the line
    ("{'pgdcw_eval_history': []}", (None, None, None, 0)),
    ("{'best_pgdcw_acc': 1}\n" + STAMP + "{'a': 1} {'best_pgdcw_acc': 2}", (b"2", None, None, None)),  # the last dict
])
def test_checkpoint_values_forms(line, values):
    same_eval(STAMP + line)
    assert checkpoint_values((STAMP + "{'epoch': 1} " + line).encode()) == values


EVAL_ALPHABET = "0123456789.=-+\t\r\n ,:/()[]{}'_abcefilnopstuvyACGLNPSTW%é"
EVAL_INSERTS = ["Natural Correct Count: ", "FGSM with 1 step", "PGD with 20 steps", "CW with 40 steps", " Correct Count: ",
                ", Acc: ", ", Stable: ", " LIP: ", " Test Loss: ", "-AA Acc", "uracy: ", "initial accuracy: ", "%",
                "Test Loss: ", "Nature Acc: ", "Running Cost ", " {'", "np.float64(", "'best_pgdcw_acc': ",
                "'global_step': ", "'pgdcw_eval_history': [", "]", "\n", STAMP, "nan", "inf", "e-"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 60), cut=st.integers(0, 100))
def test_damaged_evaluation_log(seed, edits, cut):
    text = damaged(BASE_RESULTS, seed, edits, EVAL_ALPHABET, EVAL_INSERTS, longest_cut=40)
    same_eval(text, len(text) * cut // 100)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), at=st.integers(0, len(BASE_RESULTS)))
def test_arbitrary_bytes_among_evaluation_results(data, at):
    text = BASE_RESULTS.encode()
    same_eval(text[:at] + data + text[at:])


# ---- what the parsers take from a header (ingest/_scan.c `header_fields`) ----

def same_fields(data: bytes | str, stop: int | None = None, after: int = -1, config_start: int = 0) -> tuple:
    """The compiled header fields of data[:stop], checked equal to the oracle's (tests/header_oracle.py)."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    stop = len(data) if stop is None else stop
    fast = header_fields(data, stop, after, config_start)
    assert fast == header_oracle.header_fields(data, stop, after, config_start)
    return fast


@pytest.mark.parametrize("path", sorted(p for folder in (SAMPLES, HISTORY) for p in folder.rglob("arch_*.log")),
                         ids=lambda p: p.parent.name + "/" + p.name)
def test_sample_log_headers_identical(path: Path):
    data = path.read_bytes()
    namespace = data.find(b"Namespace(")
    for stop in (len(data), len(data) // 3, 5000):
        for after in (-1, namespace - 24, 100):
            same_fields(data, stop, after, 0)
            same_fields(data, stop, after, 2000)
    values, names, configs = same_fields(data)
    assert values and names and any(key == "model" for key, _ in configs)


def test_every_demo_log_header_identical(demo_folder):
    logs = sorted(demo_folder.rglob("arch_*.log"))
    assert len(logs) > 300
    for path in logs:
        same_fields(path.read_bytes())


def test_header_fields_rules():
    text = (STAMP + "seed: 1\n" + STAMP + "model: arch_2\n" + STAMP + "param size = 0.3MB\n" + STAMP + "lr: 0.1\n"
            + STAMP + "seed: 2\n" + STAMP + "model: Config([('depth1', 5)])\n" + STAMP + "num_classes: 10\n"
            + STAMP + "x y: z\n" + STAMP + "big model: Config([('a', 1)])\n")
    values, names, configs = same_fields(text)
    assert values == {"seed": "1", "model": "arch_2", "param size": "0.3MB", "lr": "0.1", "num_classes": "10", "x y": "z"}
    assert names == ["seed", "model"]  # up to the first key that is no identifier
    assert configs == [("model", "Config([('depth1', 5)])"), ("model", "Config([('a', 1)])")]  # the word before it
    line_of = {key: text.index(STAMP + key) for key in ("param size", "lr", "seed: 2")}
    assert same_fields(text, after=line_of["param size"])[1] == ["lr", "seed", "model"]  # from the first after `after`
    assert same_fields(text, after=line_of["seed: 2"])[1] == ["model"]  # to num_classes
    assert same_fields(text, after=line_of["seed: 2"], config_start=text.index("num_classes"))[2] == configs[1:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 40), cut=st.integers(0, 100))
def test_damaged_header(seed, edits, cut):
    text = damaged(SAMPLE[:12000], seed, edits, ALPHABET + "ConfigNamespace", INSERTS + [": Config([", " = ", ": ", STAMP],
                   longest_cut=100).encode("utf-8", errors="surrogateescape")
    same_fields(text, len(text) * cut // 100, len(text) * (100 - cut) // 300, len(text) * cut // 300)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), at=st.integers(0, 3000))
def test_arbitrary_bytes_in_a_header(data, at):
    text = SAMPLE[:3000].encode()
    same_fields(text[:at] + data + text[at:])


# ---- the lines of a training log's code format (ingest/_scan.c `training_format_lines`, `line_message`) ----

def same_format_lines(data: bytes | str, header: int | None = None, end: int | None = None) -> tuple:
    """The compiled code-format lines of a training log (finished and not), checked equal to the
    oracle's (tests/format_oracle.py); `header` defaults to the first Namespace record, `end` to the
    second or the end of the data."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    if header is None:
        starts = train_oracle.header_starts(data)
        header = starts[0] if starts else 0
        end = starts[1] if len(starts) > 1 else len(data)
    end = len(data) if end is None else end
    for finished in (False, True):
        fast = training_format_lines(data, header, end, finished)
        assert fast == format_oracle.training_format_lines(data, header, end, finished), (header, end, finished)
    return fast


@pytest.mark.parametrize("path", sorted(p for folder in (SAMPLES, HISTORY) for p in folder.rglob("arch_*.log")
                                        if "_eval_" not in p.name),
                         ids=lambda p: p.parent.name + "/" + p.name)
def test_sample_training_logs_format_lines_identical(path: Path):
    data = path.read_bytes()
    start_lines, titled, messages, blocks = same_format_lines(data)
    assert blocks and len(messages) >= 6
    assert messages[-1].startswith("Running Cost") == (b"Running Cost " in data)  # an unfinished run has none
    for header in (0, 5000, len(data) // 2):
        same_format_lines(data, header, len(data))
        same_format_lines(data, header, len(data) // 3)


def test_every_demo_training_log_format_lines_identical(demo_logs):
    blocks = [len(same_format_lines(path.read_bytes())[3]) for path in demo_logs]
    assert len(blocks) > 100 and blocks.count(2) > len(blocks) // 2


def test_format_lines_of_titled_untitled_and_best_blocks():
    block = [STAMP + "Natural Correct Count: 4000/5000 Acc: 80.00 ", STAMP + "PGD Correct Count: 2000/5000 Acc: 40.00 ",
             STAMP + "PGD with 20.0 steps Loss Avg: 1.5 ", STAMP + "LIP Avg: 1.0 ", STAMP + "Stable Count: 1/2 StableAcc: 50.00 "]
    head = [STAMP + " ### Start to evaluate from 0.0 Epoch ### ", STAMP + " ### Start to evaluate from 0.0 Epoch ### ",
            STAMP + "Namespace(epochs=100)", STAMP + "Eval Loss:1.1840\tEval acc: 44.16"]
    titled = head + [STAMP + "---- PGD attacking results ----", *block, STAMP + "Best PGD-20 accuracy: 40.00",
                     STAMP + "---- PGD-CW attacking results ----", *block, STAMP + "Running Cost 1.5 days\r"]
    start_lines, is_titled, messages, blocks = same_format_lines("\n".join(titled) + "\n")
    assert (start_lines, is_titled, [len(b) for b in blocks]) == (2, True, [7, 6])
    assert blocks[0][-1] == "Best PGD-20 accuracy: 40.00" and messages[-1] == "Running Cost 1.5 days"
    untitled = head + block + [STAMP + "Best PGD-20 accuracy: 40.00"] + block + block
    start_lines, is_titled, messages, blocks = same_format_lines("\n".join(untitled))  # no newline at the end
    assert (is_titled, [len(b) for b in blocks]) == (False, [6, 5])  # two blocks at most
    assert same_format_lines("\n".join(head[:3])) == (2, False, [head[0][24:]], [])  # no Eval Loss: no blocks


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 60), cut=st.integers(0, 100))
def test_damaged_training_log_format_lines(seed, edits, cut):
    text = damaged(SAMPLE[:20000] + SAMPLE[-3000:], seed, edits, ALPHABET + "-BestNaturlCoc\r",
                   INSERTS + ["Natural Correct Count: ", "Best ", "---- ", "Eval Loss:", " ### Start to evaluate from ",
                              "Running Cost ", STAMP], longest_cut=100).encode("utf-8", errors="surrogateescape")
    same_format_lines(text)
    same_format_lines(text, len(text) * cut // 300, len(text) * (100 - cut) // 100)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600), at=st.integers(0, 700))
def test_line_message_of_any_bytes(data, at):
    at = min(at, len(data))
    assert line_message(data, at) == format_oracle.line_message(data, at)


# ---- where an evaluation log's runs start (ingest/_scan.c `argument_starts`, `argument_start`) ----

def same_starts(data: bytes | str) -> list[int]:
    """The compiled run starts of a text, checked equal to the oracle's at the list and at every line."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    fast = argument_starts(data)
    assert fast == eval_oracle.argument_starts(data)
    lines = [0, *(i + 1 for i, byte in enumerate(data) if byte == 10), len(data) + 3, -2]
    for line in lines:
        assert argument_start(data, line) == eval_oracle.argument_start(data, line), line
    return fast


RUN_HEAD = [STAMP + "GPU List: ['NVIDIA A100']", STAMP + "seed: 0", STAMP + "model: arch_2", STAMP + "norm: Linf"]


def test_run_starts_of_every_fixture_and_demo_evaluation_log(demo_folder):
    fixtures = sorted(p for p in (SAMPLES.parent).rglob("*_eval_*.log") if p.is_file())
    logs = [*fixtures, *sorted(demo_folder.rglob("arch_*_eval_*.log"))[:300]]
    several = [path.parent.name for path in logs if same_starts(path.read_bytes()[:60000])]
    assert len(logs) > 300 and {"e216117", "302e308-appended"} <= set(several)  # the probe's logs of appended runs


def test_run_start_forms():
    body = [STAMP + "model_config: Config([('seed', 1)])", STAMP + "Natural Correct Count: 1/2, Acc: 50.0"]
    one = RUN_HEAD + body
    text = "\n".join(one + one) + "\n"
    assert same_starts(text) == [text.rindex(STAMP + "GPU List")]  # at the second run's GPU List record
    no_gpu = "\n".join(one + RUN_HEAD[1:] + body) + "\n"
    assert same_starts(no_gpu) == [no_gpu.rindex(STAMP + "seed: 0")]
    assert same_starts("\n".join(one + [STAMP + "seed: 1", STAMP + "model: Config([('a', 1)])"])) == []
    assert same_starts("\n".join(one + [STAMP + "seed: 1", "2023 model: arch_2"])) == []  # no record
    assert same_starts("\n".join(one + [STAMP + "seed: 1"])) == []  # no model line
    assert same_starts("\n".join(one + ["x" + STAMP + "seed: 1", STAMP + "model: arch_2"])) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 40))
def test_damaged_run_starts(seed, edits):
    text = "\n".join(RUN_HEAD + [STAMP + "Natural Correct Count: 1/2, Acc: 50.0"]) + "\n"
    same_starts(damaged(text * 4, seed, edits, "0123456789:- \nGPUListdmoearch_'[]",
                        ["seed: ", "model: ", "GPU List: ", "Config(", STAMP, "\n"], longest_cut=40))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200), at=st.integers(0, 4))
def test_arbitrary_bytes_among_run_starts(data, at):
    lines = (RUN_HEAD * 2)
    text = ("\n".join(lines[:at]) + "\n").encode() + data + ("\n".join(lines[at:]) + "\n").encode()
    same_starts(text)
