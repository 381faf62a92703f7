"""The compiled epoch scanner (ingest/_scan.c) against the Python parser it speeds up.

`train_log.epoch_rows` takes the compiled path unless that declines a text; every test here
computes both paths and requires byte-identical packed rows (so types, NaN, the sign of zero,
train accuracies in percent and timestamps in microseconds all agree) whenever the compiled one
answers: on the real sample logs, on every training log of a demo corpus, on hand-made edge cases,
and on hypothesis-made damage to a real log.
"""
from __future__ import annotations

import math
from datetime import datetime
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, TRAIN_LOG, TRUNCATED_LOG
from demo import write_demo_repository
from ingest import train_log
from ingest.logrecords import decode_log, header_values
from ingest.records import EPOCH_COLUMNS, EpochRows
from ingest.train_log import _header_starts, epoch_rows

compiled = train_log._compiled_epoch_rows


def both(text: str) -> tuple[EpochRows | None, EpochRows]:
    """(compiled rows or None when it declines, Python rows); the header offsets must agree too."""
    headers = _header_starts(text, compiled=False)
    assert _header_starts(text) == headers
    assert header_values(text) == header_values(text, compiled=False)
    python = epoch_rows(text, headers, compiled=False)
    if compiled(text, headers) is None:
        return None, python
    return epoch_rows(text, headers), python


def assert_identical(fast: EpochRows, slow: EpochRows) -> None:
    assert (fast.n, fast.has_nan) == (slow.n, slow.has_nan)
    if fast.data != slow.data:  # name the first value that differs
        for name in EPOCH_COLUMNS:
            a, b = fast.column(name), slow.column(name)
            assert [repr(v) for v in a] == [repr(v) for v in b], name
        raise AssertionError("rows differ in bits that decode alike (a NaN payload or the sign of zero)")


def check(text: str) -> bool:
    """Both paths agree; returns whether the compiled one answered."""
    fast, slow = both(text)
    if fast is not None:
        assert_identical(fast, slow)
    return fast is not None


def test_the_compiled_scanner_is_built():
    # `pip install -e .` builds it; without it every ingest silently takes the slow path
    assert compiled is not None and train_log._compiled_header_starts is not None


@pytest.mark.parametrize("text, expected", [
    ("2023-03-01 09:59:59,000 Namespace(a=1)\n", [24]),
    ("x2023-03-01 09:59:59,000 Namespace(a=1)\n", [25]),
    ("2023-03-01 09:59:59,00 Namespace(a=1)\n", []),  # a timestamp one digit short
    ("2023-03-01 09:59:59,000 namespace(a=1)\n", []),
    ("2023-03-01 09:59:59,000 Namespace (a=1)\n", []),
    ("023-03-01 09:59:59,000 Namespace(a=1)\n", []),  # too close to the start
    ("(((" + "2023-03-01 09:59:59,000 Namespace(" * 3, [27, 61, 95]),
    ("2023-03-01 09:59:59,000\tNamespace(", [24]),  # any character between the time and the record
    ("2023-03-01 09:59:59,000 Namespace(é", None),  # not ASCII: the Python path decides
])
def test_header_starts_compiled_and_python_agree(text, expected):
    assert train_log._compiled_header_starts(text) == expected
    assert _header_starts(text) == _header_starts(text, compiled=False)


@pytest.mark.parametrize("path", [TRAIN_LOG, TRUNCATED_LOG], ids=lambda p: p.name)
def test_sample_logs_identical_and_compiled(path: Path):
    text = decode_log(path.read_bytes(), str(path))
    assert check(text)
    assert epoch_rows(text, _header_starts(text)).n > 0


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo_repository(out, archs=150, epochs=12, git=False)
    return out


@pytest.fixture(scope="module")
def demo_logs(demo_dir) -> list[Path]:
    return sorted(p for p in demo_dir.rglob("arch_*.log") if "_eval_" not in p.name)


def test_header_values_of_every_demo_evaluation_log_agree(demo_dir):
    compared = 0
    for path in sorted(demo_dir.rglob("arch_*_eval_*.log")):
        try:
            text = decode_log(path.read_bytes(), str(path))
        except Exception:
            continue  # empty or binary
        assert header_values(text) == header_values(text, compiled=False), path
        compared += 1
    assert compared > 200


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



@pytest.mark.parametrize("epoch, kept", [(2**31 - 1, True), (2**31, False), (10**19, False), (10**30, False)])
def test_epoch_numbers_beyond_the_integer_column_are_not_markers(epoch, kept):
    fast, slow = both(HEADER + epoch_block(0) + epoch_block(epoch))
    assert_identical(fast, slow)
    assert fast.column("epoch") == ([0, epoch] if kept else [0])


def test_epoch_numbers_with_leading_zeros():
    text = HEADER + epoch_block(0).replace("Epoch 0=", "Epoch 0000000000000000000000=")
    text += epoch_block(7).replace("Training Epoch 7=", "Training Epoch 00000000000000000007=")
    fast, slow = both(text)
    assert_identical(fast, slow)
    assert fast.column("epoch") == [0, 7] and fast.column("cw40_acc") == [41.2, 41.2]


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
def test_epoch_timestamps_are_validated_alike(stamp, valid):
    block = epoch_block(1).replace("2023-03-01 10:00:01,123 ===", f"{stamp} ===", 1)
    fast, slow = both(HEADER + block)
    assert fast is not None
    assert_identical(fast, slow)
    expected = datetime.strptime(stamp.replace(",", "."), "%Y-%m-%d %H:%M:%S.%f") if valid else None
    assert fast.column("started_at") == [expected]


PLAIN = st.from_regex(r"\A[-+]?[0-9]{1,2}\.[0-9]{1,12}\Z|\A[-+]?[0-9]{1,2}\.?\Z|\A[-+]?\.[0-9]{1,12}\Z")


@settings(max_examples=400, deadline=None)
@given(acc=PLAIN)
def test_train_accuracy_in_percent_rounds_as_python(acc):
    fast, slow = both(HEADER + epoch_block(1, acc=acc))
    assert fast is not None  # up to 12 decimals and below 100 are always compiled
    assert_identical(fast, slow)
    assert fast.column("train_acc") == [round(float(acc) * 100.0, 10)]


@pytest.mark.parametrize("acc", ["100.0", "0.1234567890123", "0.12345678901234567", "123456"])
def test_train_accuracies_out_of_the_exact_range_are_declined(acc):
    fast, slow = both(HEADER + epoch_block(1, acc=acc))
    assert fast is None
    assert slow.column("train_acc") == [round(float(acc) * 100.0, 10)]


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


@pytest.mark.parametrize("path", sorted(SAMPLES.rglob("*.log")), ids=lambda p: p.name)
def test_header_values_of_every_sample_log_agree(path: Path):
    text = decode_log(path.read_bytes(), str(path))
    fast = header_values(text)
    assert fast == header_values(text, compiled=False)
    assert fast  # every sample log has argument lines


TS = "2023-03-01 10:00:00,123 "


@pytest.mark.parametrize("lines", [
    [TS + "seed: 0", TS + "param size = 1.5MB", TS + "seed: 1"],  # first of a key wins
    [TS + "a b: c: d", TS + "a = b = c", TS + "x =y: z", TS + "k:v", TS + "k :v"],  # the shortest key
    [TS + "model: Config([('a', 1)])", TS + "model: arch_2"],  # Config lines are left out
    [TS + "value: spaced \t \x0b\x0c\r\x1c\x1d\x1e\x1f", TS + "empty: ", TS + "e2 = "],  # what rstrip removes
    [TS + "1key: no", TS + "_k: yes", TS + "k-ey: no", TS + "k ey: yes", " " + TS + "late: no"],
    ["2023-03-01 10:00:00,12 short: no", "2023-03-01T10:00:00,123 t: no", TS + "x: " + "y" * 500],
])
def test_header_values_edge_cases_agree(lines):
    text = "\n".join(lines) + "\n"
    assert header_values(text) == header_values(text, compiled=False)
    for cut in range(len(text)):  # a span ending anywhere, even inside a line
        assert header_values(text, cut) == header_values(text, cut, compiled=False), cut


def test_header_values_from_a_span_that_starts_inside_a_line():
    from ingest._scan import header_values as compiled_values
    from ingest.logrecords import _HEADER_RECORD

    text = TS + "a: 1\n" + TS + "b: 2\n"
    for start in range(len(text)):
        found: dict = {}
        assert compiled_values(text, start, len(text), found)
        expected: dict = {}
        for key, value in _HEADER_RECORD.findall(text, start, len(text)):
            expected.setdefault(key, value.rstrip())
        assert found == expected, start


TEXTS = st.text(alphabet="ab \n(é", max_size=60)
NEEDLES = st.text(alphabet="ab \n(é", max_size=4)
BOUNDS = st.one_of(st.none(), st.integers(-70, 70))


@settings(max_examples=1500, deadline=None)
@given(text=TEXTS, needle=NEEDLES, start=BOUNDS, end=BOUNDS)
def test_compiled_find_rfind_and_count_are_str_ones(text, needle, start, end):
    from ingest._scan import count, find, rfind

    args = () if start is None else (start,) if end is None else (start, end)
    assert find(text, needle, *args) == text.find(needle, *args), (text, needle, args)
    assert rfind(text, needle, *args) == text.rfind(needle, *args), (text, needle, args)
    assert count(text, needle, *args) == text.count(needle, *args), (text, needle, args)


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="File x loaded!\n", max_size=80), start=st.integers(0, 80))
def test_search_from_a_literal_is_pattern_search(text, start):
    import re

    from ingest.logrecords import search

    pattern = re.compile(r"File (\S+) loaded!")
    expected = pattern.search(text, start)
    found = search(pattern, text, "File ", start)
    assert (found and (found.span(), found.groups())) == (expected and (expected.span(), expected.groups()))
