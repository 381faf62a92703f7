"""The training-log parser against the real sample logs and hand-made broken copies of them."""
from __future__ import annotations

import math
from datetime import datetime

import pytest
import train_oracle
from conftest import TRAIN_LOG, TRUNCATED_LOG

from ingest.errors import ParseError
from ingest.records import EPOCH_COLUMNS
from ingest.train_log import parse_train_log

TEXT = TRAIN_LOG.read_text()


def parse(text: str):
    return parse_train_log(text.encode(), "arch_2.log")


def epoch_row(parsed, epoch: int) -> dict:
    i = parsed.epochs["epoch"].index(epoch)
    return {name: parsed.epochs[name][i] for name in EPOCH_COLUMNS}


def test_finished_run_header_values():
    run = parse(TEXT).run
    assert (run["seed"], run["epochs_planned"], run["epochs_logged"], run["epochs_completed"]) == (0, 4, 4, 4)
    assert (run["finished"], run["resumed"], run["has_nan"], run["n_segments"]) == (True, False, False, 1)
    assert run["started_at"] == "2026-11-23 19:06:22,905"
    assert run["finished_at"] == "2026-11-23 19:07:30,168"
    assert run["running_cost_days"] == 0.0
    assert (run["d1"], run["w1"], run["d2"], run["w2"], run["d3"], run["w3"]) == (4, 1, 4, 1, 4, 1)
    assert (run["params_mb"], run["macs_m"], run["pytorch_version"]) == (0.369498, 55.2148, "2.13.0+cpu")
    assert run["lr_milestones"] == [75, 90, 100]
    assert run["gpu_list"] is None


def test_best_epoch_is_first_epoch_with_max_cw40():
    # CW-40 per epoch in the log: 15, 37, 37, 50 -> best is epoch 3
    run = parse(TEXT).run
    assert (run["best_epoch"], run["best_cw40_acc"], run["best_pgd20_acc"], run["best_val_acc"]) == (3, 50.0, 50.0, 66.0)
    assert run["final_cw40_acc"] == 50.0


def test_best_epoch_tie_takes_first():
    # make epoch 3 equal to epoch 1/2 (37.00): the first of the tied epochs (1) is the best
    text = TEXT.replace("PGD-CW Correct Count: 50/100 Acc: 50.00", "PGD-CW Correct Count: 37/100 Acc: 37.00")
    assert parse(text).run["best_epoch"] == 1


def test_epoch_values_exact():
    parsed = parse(TEXT)
    assert epoch_row(parsed, 0) == {
        "epoch": 0, "started_at": datetime(2026, 11, 23, 19, 6, 24, 94000), "segment": 0, "lr": 0.1,
        "train_loss": 2.0575, "train_acc": 31.25, "val_loss": 11.6574, "val_acc": 15.0,
        "pgd20_natural_acc": 15.0, "pgd20_acc": 15.0, "pgd20_loss": 15.27, "pgd20_lip": 449.3392,
        "pgd20_stable": 88.0, "cw40_natural_acc": 15.0, "cw40_acc": 15.0, "cw40_loss": -211.02,
        "cw40_lip": 86.4309, "cw40_stable": 99.0,
        # the four step lines: |gn| 2.0729, 2.0448, 1.3245, 2.2005; time 1.92, 2.07, 2.31, 1.91 it/s
        "step_lines": 4, "grad_norm_nonfinite": 0, "grad_norm_median": (2.0448 + 2.0729) / 2,
        "grad_norm_max": 2.2005, "steps_per_second": (1.92 + 2.07) / 2,
    }
    row3 = epoch_row(parsed, 3)
    assert (row3["lr"], row3["train_loss"], row3["train_acc"]) == (0.01, 1.4755, 44.64)
    assert (row3["pgd20_acc"], row3["pgd20_loss"], row3["cw40_loss"], row3["cw40_lip"]) == (50.0, 1.51, -123.37, 308.949)


def test_train_accuracy_is_percent_of_last_step_line():
    # epoch 1 step lines: acc_avg 0.5625, 0.6458, 0.6500, 0.6741 -> the last one, in percent
    assert epoch_row(parse(TEXT), 1)["train_acc"] == 67.41


def test_settings_cover_arguments_and_configs():
    settings = {(p, s): v for p, v, s in parse(TEXT).settings}
    assert settings[("epsilon", "argument")] == "0.03137254901960784"
    assert settings[("attack_step", "argument")] == "[20, 40]"
    assert settings[("optimizer.weight_decay", "config")] == "0.0005"
    assert settings[("scheduler.milestones", "config")] == "[75, 90, 100]"
    assert settings[("dataset.train_batch_size", "config")] == "32"
    assert settings[("criterion.perturb_steps", "config")] == "7"
    assert settings[("pytorch_version", "environment")] == "2.13.0+cpu"


def test_a_setting_recorded_twice_under_one_name_is_kept_once_the_first():
    """An argument line named like an environment fact (`param_size: ...` beside `param size = ...`)
    gives one setting, the first recorded: run_settings holds one row per run and setting
    (config_drift counts on it)."""
    text = TEXT.replace("2026-11-23 19:06:22,905 native_amp: False\n",
                        "2026-11-23 19:06:22,905 native_amp: False\n2026-11-23 19:06:22,905 param_size: 9\n"
                        "2026-11-23 19:06:22,905 pytorch_version: 1.0\n")
    settings = parse(text).settings
    names = [name for name, _, _ in settings]
    assert len(names) == len(set(names))
    assert ("param_size", "9", "argument") in settings and ("pytorch_version", "1.0", "argument") in settings
    assert not [s for s in settings if s[0] in ("param_size", "pytorch_version") and s[2] != "argument"]
    # the sample itself records each name once, so nothing of it is dropped
    assert len(parse(TEXT).settings) == len({name for name, _, _ in parse(TEXT).settings}) > 40


def test_truncated_run_is_partial_and_keeps_the_half_epoch():
    parsed = parse_train_log(TRUNCATED_LOG.read_bytes(), "arch_6006.log")
    assert parsed.status == "partial"
    assert "no 'Running Cost'" in parsed.message
    run = parsed.run
    assert (run["finished"], run["epochs_logged"], run["epochs_completed"], run["last_epoch"]) == (False, 2, 1, 1)
    assert (run["best_epoch"], run["best_cw40_acc"], run["finished_at"]) == (0, 7.0, None)
    assert run["last_logged_at"] == "2026-11-23 19:18:11,503"
    half = epoch_row(parsed, 1)
    assert (half["train_acc"], half["train_loss"], half["cw40_acc"], half["val_acc"]) == (60.0, 1.1674, None, None)


def _resumed_log() -> str:
    """arch_2 killed during epoch 2, restarted from its last checkpoint: a second header is appended.

    The restarted epoch 2 reaches CW-40 40.00 instead of 37.00; the later record must win whole.
    """
    header_end = TEXT.index("2026-11-23 19:06:24,093 Starting Epoch: 0")
    header = TEXT[:header_end]
    killed_at = TEXT.index("2026-11-23 19:06:58,026 epoch=2")
    first = TEXT[:killed_at]
    epoch2_start = TEXT.index("2026-11-23 19:06:56,612 ====================Training Epoch 2")
    rest = TEXT[epoch2_start:].replace("PGD-CW Correct Count: 37/100 Acc: 37.00", "PGD-CW Correct Count: 40/100 Acc: 40.00", 1)
    second = header.replace("load_model: False", "load_model: True").replace("load_model=False", "load_model=True")
    second += ("2026-11-23 19:06:24,093 File ./ablation_dir/nasbench/small/r1/arch_2/checkpoints/arch_2_last.pth loaded!\n"
               "2026-11-23 19:06:24,093 Starting Epoch: 2\n")
    return first + second + rest


def test_resumed_run_later_record_wins():
    parsed = parse(_resumed_log())
    run = parsed.run
    assert (run["resumed"], run["n_segments"], run["resume_epochs"], run["finished"]) == (True, 2, [2], True)
    assert parsed.epochs["epoch"] == [0, 1, 2, 3]
    row2 = epoch_row(parsed, 2)
    assert (row2["segment"], row2["cw40_acc"], row2["train_acc"]) == (1, 40.0, 57.59)
    assert epoch_row(parsed, 1)["segment"] == 0
    assert run["best_epoch"] == 3


def test_nan_losses_are_flagged():
    text = TEXT.replace("loss_avg=1.4755", "loss_avg=nan").replace("Eval Loss:1.1375", "Eval Loss:nan")
    parsed = parse(text)
    assert parsed.run["has_nan"] is True
    row = epoch_row(parsed, 3)
    assert math.isnan(row["train_loss"]) and math.isnan(row["val_loss"])
    assert "NaN" in parsed.message


def test_nan_inf_and_non_ascii_bytes_take_the_one_scanner():
    """Issue 18: the compiled scanner once declined NaN and non-ASCII text to a Python parser; now the
    one production path reads them, with the rows the oracle (tests/train_oracle.py) states."""
    text = (TEXT.replace("loss_avg=1.4755", "loss_avg=-NaN").replace("Eval Loss:1.1375", "Eval Loss:Infinity")
            .replace("exp_name: ./ablation_dir", "exp_name: ./\u00e9t\u00e9_dir"))
    epoch3 = text.index("\n", text.index("====================Training Epoch 3")) + 1
    data = text[:epoch3].encode() + b"\xff\xfe not UTF-8 \xc3\n" + text[epoch3:].encode()
    parsed = parse_train_log(data, "arch_2.log")
    oracle, _ = train_oracle.scan(data, train_oracle.header_starts(data))
    assert (parsed.epochs.n, parsed.epochs.data, parsed.epochs.has_nan) == (oracle.n, oracle.data, True)
    row = epoch_row(parsed, 3)
    assert math.isnan(row["train_loss"]) and row["val_loss"] == math.inf and row["cw40_acc"] is not None
    assert parsed.run["exp_name"] == "./\u00e9t\u00e9_dir/nasbench/small/r1/arch_2"
    assert (parsed.run["has_nan"], parsed.run["finished"], parsed.run["epochs_logged"]) == (True, True, 4)


def test_gpu_list_lines_are_read():
    gpu = "2026-11-23 19:06:22,900 GPU List: ['NVIDIA GeForce RTX 3090', 'NVIDIA A100-SXM4-40GB']\n"
    text = gpu + TEXT.replace("PyTorch Version: 2.13.0+cpu\n", "PyTorch Version: 2.13.0+cpu\n" + gpu[:24] + gpu[24:], 1)
    run = parse(text).run
    assert run["gpu_list"] == ["NVIDIA GeForce RTX 3090", "NVIDIA A100-SXM4-40GB"]
    assert run["started_at"] == "2026-11-23 19:06:22,900"


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"   \n\n", "empty file"),
    (b"\x00\x01\x02binary\x00" * 100, "binary"),
    (b"hello world\nthis is not a log\n", "not a training log"),
])
def test_unreadable_files_raise_parse_error(data, reason):
    with pytest.raises(ParseError) as info:
        parse_train_log(data, "arch_9.log")
    assert reason in str(info.value)


def test_epochs_without_header_are_reported_as_lost_header():
    body = TEXT[TEXT.index("2026-11-23 19:06:24,094 ====="):]
    with pytest.raises(ParseError, match="header"):
        parse(body)


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.7, 0.9, 0.97])
def test_truncated_anywhere_never_invents_values(cut):
    text = TEXT[: int(len(TEXT) * cut)]
    parsed = parse(text)
    assert parsed.status == "partial"
    full = parse(TEXT)
    last = max(parsed.epochs["epoch"], default=None)
    step_figures = ("step_lines", "grad_norm_nonfinite", "grad_norm_median", "grad_norm_max", "steps_per_second")
    for i, epoch in enumerate(parsed.epochs["epoch"]):
        assert parsed.epochs["step_lines"][i] <= epoch_row(full, epoch)["step_lines"]
        for name in EPOCH_COLUMNS[3:]:
            value = parsed.epochs[name][i]
            if epoch < last:
                assert value == epoch_row(full, epoch)[name], (cut, epoch, name)
            elif value is not None and name not in step_figures:  # the cut epoch: only values its own lines print
                printed = value / 100 if name == "train_acc" else value
                assert f"{printed:.4f}"[:-2] in text or f"{printed:.2f}" in text, (cut, name, value)


def test_garbled_numbers_become_null_not_wrong():
    text = TEXT.replace("Eval Loss:11.6574", "Eval Loss:11.6x74")
    assert epoch_row(parse(text), 0)["val_loss"] is None


def test_cut_right_after_an_epoch_number_keeps_the_earlier_epochs():
    # a file cut right after `Training Epoch <n>`: the number is not followed by `=`, so it is no
    # epoch record. An earlier reading took all but the last digit (`13` -> 1) and let an empty
    # record replace epoch 1.
    marker = "====================Training Epoch 3"
    text = TEXT[: TEXT.index(marker) + len(marker)]
    parsed = parse(text)
    full = parse(TEXT)
    assert parsed.epochs["epoch"] == [0, 1, 2]
    assert [epoch_row(parsed, e) for e in (0, 1, 2)] == [epoch_row(full, e) for e in (0, 1, 2)]
    cut = "====================Training Epoch 13"  # two digits: the old reading took `1`
    text = TEXT[: TEXT.index(marker)] + TEXT[TEXT.index(marker) - 24: TEXT.index(marker)] + cut
    assert parse(text).epochs["epoch"] == [0, 1, 2]
    assert epoch_row(parse(text), 1) == epoch_row(full, 1)


@pytest.mark.parametrize("tail", [0, 300, 511, 512, 513, 5000, 70000])
def test_last_timestamp_is_the_last_record_whatever_follows_it(tail):
    from ingest.logtext import last_timestamp

    text = b"2023-03-01 10:00:00,000 first\n2023-03-01 11:00:00,000 last record\n" + b"x" * tail
    assert last_timestamp(text) == "2023-03-01 11:00:00,000"
    # a timestamp inside a line is not a record, even where a window starts
    assert last_timestamp(text + b"y 2023-03-01 12:00:00,000 not a record") == "2023-03-01 11:00:00,000"
    assert last_timestamp(b"x" * tail) is None


# ---- the NaN exit (from 74c9b991, 2023-01-02): how the log ends, and which code can have it

def _up_to_epoch(epoch: int) -> str:
    """The sample log up to and including the `Training Epoch <epoch>` marker line."""
    marker = f"====================Training Epoch {epoch}====================\n"
    return TEXT[:TEXT.index(marker) + len(marker)]


def _nan_losses(text: str, epoch: int) -> str:
    """`text` with the running loss of epoch `epoch`'s last step line NaN."""
    lines = text.splitlines(keepends=True)
    evaluation = next(i for i, line in enumerate(lines) if f"Eval Epoch {epoch}=" in line)
    step = lines[evaluation - 1]
    lines[evaluation - 1] = step[:step.index("loss_avg=")] + "loss_avg=nan" + step[step.index("\tlr="):]
    return "".join(lines)


def _ending_on_a_nan_step() -> str:
    """The sample log cut after epoch 2's first step line, its running loss NaN."""
    first_step = TEXT.split("Training Epoch 2====================\n")[1].split("\n")[0] + "\n"
    return _up_to_epoch(2) + first_step.replace("loss_avg=0.6381", "loss_avg=nan")


def _run(text: str) -> dict:
    return parse(text).run


def test_a_log_ending_on_a_nan_step_line_stopped_by_the_nan_exit():
    text = _ending_on_a_nan_step()
    run = _run(text)
    assert (run["stop_reason"], run["has_nan"], run["finished"]) == ("nan_exit", True, False)
    assert "stopped by the NaN exit" in parse(text).message
    assert _run(text.replace("loss_avg=nan", "loss_avg=0.6381"))["stop_reason"] == "unfinished"


@pytest.mark.parametrize("where, nan", [("step", "nan"), ("eval", "nan"), ("eval", "-nan")])
def test_a_log_ending_on_the_next_epochs_marker_after_nan_losses_stopped_by_the_nan_exit(where, nan):
    text = _up_to_epoch(2)
    if where == "step":
        text = _nan_losses(text, 1)
    else:
        text = text.replace("Eval Loss:39.6825", "Eval Loss:" + nan)
    assert _run(text)["stop_reason"] == "nan_exit"


def test_a_log_ending_on_a_marker_after_finite_losses_is_unfinished():
    run = _run(_up_to_epoch(2))
    assert (run["stop_reason"], run["has_nan"]) == ("unfinished", False)


@pytest.mark.parametrize("older", ["started before the exit", "no data_path argument"])
def test_code_older_than_the_nan_exit_leaves_a_killed_nan_run_unfinished(older):
    text = _ending_on_a_nan_step()
    if older == "started before the exit":
        text = text.replace("2026-11-23 ", "2023-01-01 ")
    else:
        text = text.replace("data_path: ./datasets\n", "").replace(", data_path='./datasets'", "")
    run = _run(text)
    assert (run["stop_reason"], run["has_nan"]) == ("unfinished", True)
    assert "unfinished run" in parse(text).message
    same_day = _run(text.replace("2023-01-01 ", "2023-01-02 ")) if older.startswith("started") else None
    assert same_day is None or same_day["stop_reason"] == "nan_exit"


def test_validation_attacks_of_other_step_counts_are_noted():
    """From 3935ccd5 `--attack_step` sets the validation attacks' steps: the pgd20 and cw40 columns
    then hold PGD-10 and CW-20 values, which the files message says."""
    text = TEXT.replace("attack_step: [20, 40]", "attack_step: [10, 20]")
    assert "validation attacks of [10, 20] steps (attack_step)" in parse(text).message
    assert "attack_step" not in parse(TEXT).message


def test_settings_say_whether_a_line_is_an_argument_or_a_key_of_the_config_file():
    sources = {name: source for name, _, source in parse(TEXT).settings}
    assert sources["attack_step"] == sources["apex_amp"] == sources["seed"] == "argument"
    assert sources["grad_clip"] == sources["epochs"] == sources["num_classes"] == "config"
    assert sources["optimizer.lr"] == "config" and sources["pytorch_version"] == "environment"
