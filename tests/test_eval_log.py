"""Evaluation and corruption parsers against the real sample logs and broken copies of them."""
from __future__ import annotations

import pytest
from conftest import AA_COMPACT, BASE_L2, BASE_LINF, PROBE

from ingest.corruption_log import CORRUPTIONS, parse_corruption_log
from ingest.errors import ParseError
from ingest.eval_log import parse_eval_log
from ingest.kinds import classify, parse_file
from ingest.pyliteral import read_literal

BASE_TEXT = BASE_LINF.read_text()


def test_base_linf_results_exact():
    parsed = parse_eval_log(BASE_LINF.read_bytes(), "x", "Linf", "Base")
    e = parsed.eval
    assert parsed.status == "ok"
    assert (e["norm"], e["attack"], e["finished"]) == ("Linf", "Base", True)
    assert (e["clean_correct"], e["n_test"], e["clean_acc"], e["test_loss"]) == (134, 200, 67.0, 1.2325)
    assert (e["fgsm_acc"], e["fgsm_stable"]) == (52.0, 85.0)
    assert (e["pgd20_acc"], e["pgd20_stable"], e["pgd20_lip"]) == (49.5, 82.5, 375.4113)
    assert (e["cw40_acc"], e["cw40_stable"], e["cw40_lip"]) == (49.0, 82.0, 294.2399)
    assert e["aa_acc"] is None
    assert (e["ckpt_best_pgdcw_acc"], e["ckpt_best_pgd_acc"], e["ckpt_global_step"], e["ckpt_epochs"]) == (50.0, 50.0, 32, 4)
    assert (e["epsilon"], e["device"], e["n_batches"]) == (0.03137254901960784, "cpu", 2)
    assert (e["d1"], e["w1"], e["d2"], e["w2"], e["d3"], e["w3"]) == (4, 1, 4, 1, 4, 1)
    assert e["checkpoint_path"] == "models_home/arch_2/checkpoints/arch_2_best.pth"
    assert (e["started_at"], e["finished_at"]) == ("2026-11-23 19:07:53,420", "2026-11-23 19:08:52,829")


def test_base_l2_has_no_fgsm():
    e = parse_eval_log(BASE_L2.read_bytes(), "x", "L2", "Base").eval
    assert (e["norm"], e["finished"], e["fgsm_acc"]) == ("L2", True, None)
    assert (e["clean_acc"], e["test_loss"], e["pgd20_acc"], e["cw40_acc"], e["cw40_lip"]) == (68.5, 0.5805, 68.5, 68.5, 39.3855)
    assert (e["epsilon"], e["ckpt_best_pgdcw_acc"]) == (0.5, 69.0)
    assert (e["d1"], e["w2"]) == (5, 2)


def test_autoattack_compact():
    parsed = parse_eval_log(AA_COMPACT.read_bytes(), "x", "Linf", "AA-Compact")
    e = parsed.eval
    assert (e["attack"], e["aa_type"], e["aa_acc"], e["finished"], e["clean_acc"]) == ("AA-Compact", "Compact", 50.0, True, 66.0)
    assert e["ckpt_best_pgdcw_acc"] == 50.0


def test_file_name_and_log_disagree_is_noted():
    parsed = parse_eval_log(AA_COMPACT.read_bytes(), "x", "Linf", "AA")
    assert parsed.eval["attack"] == "AA-Compact"
    assert "file name says AA" in parsed.message


@pytest.mark.parametrize("marker", [
    "2026-11-23 19:08:52,828 Natural Correct Count",
    "2026-11-23 19:08:52,828 PGD with 20 steps",
    "2026-11-23 19:08:52,828 CW with 40 steps",
])
def test_base_cut_before_results_is_unfinished(marker):
    text = BASE_TEXT[: BASE_TEXT.index(marker)]
    parsed = parse_eval_log(text.encode(), "x", "Linf", "Base")
    assert (parsed.status, parsed.eval["finished"]) == ("partial", False)
    assert "unfinished evaluation" in parsed.message


def test_cut_inside_a_number_is_not_read():
    cut = BASE_TEXT.index("LIP: 294.2399") + len("LIP: 29")
    parsed = parse_eval_log(BASE_TEXT[:cut].encode(), "x", "Linf", "Base")
    assert parsed.eval["cw40_acc"] is None and parsed.status == "partial"


def test_checkpoint_dict_with_numpy_scalars_parses_without_eval():
    line = BASE_TEXT[BASE_TEXT.index("{'global_step'"):].split("\n")[0]
    state = read_literal(line)
    assert state["params"] == 0.369498 and state["pgdcw_eval_history"][3] == (3, 50.0)


def test_garbled_checkpoint_dict_still_gives_best_pgdcw():
    text = BASE_TEXT.replace("'train_history': [],", "'train_history': [<object at 0x7f>],")
    e = parse_eval_log(text.encode(), "x", "Linf", "Base").eval
    assert e["ckpt_best_pgdcw_acc"] == 50.0 and e["ckpt_epochs"] == 4


def test_not_an_eval_log():
    with pytest.raises(ParseError, match="not an evaluation log"):
        parse_eval_log(b"just some text\nnothing else\n", "x", "Linf", "Base")


def corruption_log(levels_done: int = 5, average: bool = True) -> str:
    """A corruption log as SPEC section 3 describes it, on the real eval header."""
    head = BASE_TEXT[: BASE_TEXT.index("2026-11-23 19:07:53,443 PreActRobustNetwork(")]
    head = head.replace("attack_choice: Base", "attack_choice: CIFAR10C")
    config = BASE_TEXT[BASE_TEXT.index("2026-11-23 19:07:53,688 num_classes"): BASE_TEXT.index("2026-11-23 19:08:23,390")]
    lines = []
    for i, name in enumerate(CORRUPTIONS):
        for level in range(1, levels_done + 1):
            lines.append(f"2026-11-23 19:20:00,000 {name} (level={level}): Loss: {0.1 * level:.4f}, Acc: {90 - i - level:.2f}\n")
    tail = ("2026-11-23 19:30:00,000 Average Accuracy: 78.1234\n"
            "2026-11-23 19:30:00,001 Running Cost 0.01 Days\n") if average else ""
    return head + config + "".join(lines) + tail


def test_corruption_log_all_levels():
    parsed = parse_corruption_log(corruption_log().encode(), "x")
    assert parsed.status == "ok" and parsed.eval["finished"] is True
    assert len(parsed.corruptions) == 95
    assert ("gaussian_noise", 1, 89.0, 0.1) in parsed.corruptions
    assert ("saturate", 5, 90 - 18 - 5, 0.5) in parsed.corruptions
    assert parsed.eval["corruption_mean_acc"] == 78.1234
    assert (parsed.eval["attack"], parsed.eval["norm"], parsed.eval["d1"]) == ("cifar10c", None, 4)


def all_levels_log(names=None, lines: int | None = None, average: bool = True) -> str:
    """A log of the all-levels script (eval_corruption.py, from d45212d): GPU List, its argument
    lines, one line per corruption over all five severities, the average and the cost in hours."""
    from ingest.corruption_log import FIRST_CORRUPTIONS

    names = FIRST_CORRUPTIONS if names is None else names
    head = "".join(f"2024-03-01 10:00:00,000 {line}\n" for line in (
        "GPU List: ['NVIDIA GeForce RTX 3090']", "model: arch_2", "model_path: ./models_home", "log_path: ./attack_log",
        "load_best_model: True", "seed: 0", "batch_size: 200", "num_workers: 4", "progress_bar: False", "device: cuda"))
    results = [f"2024-03-01 10:05:{i:02d},000 {name}: Loss: {0.5 + i / 100:.4f}, Acc: {80 - i / 3:.4f}\n"
               for i, name in enumerate(names)][:lines]
    tail = ("2024-03-01 10:30:00,000 Average Accuracy: 77.6667\n"
            "2024-03-01 10:30:00,001 Running Cost 0.51 Hours\n") if average else ""
    return head + "".join(results) + tail


def test_all_levels_corruption_log_of_the_first_script():
    """15 corruptions, each over its five severities together: level NULL, attack cifar10c-all-levels."""
    from ingest.corruption_log import FIRST_CORRUPTIONS

    parsed = parse_file(all_levels_log().encode(), "arch_2_eval_cifar10c.log", classify("arch_2_eval_cifar10c.log"))
    assert (parsed.kind, parsed.status, parsed.eval["finished"]) == ("corruption", "ok", True)
    assert parsed.corruptions == [(name, None, pytest.approx(80 - i / 3, abs=1e-4), pytest.approx(0.5 + i / 100))
                                  for i, name in sorted(enumerate(FIRST_CORRUPTIONS), key=lambda x: x[1])]
    evaluation = parsed.eval
    assert (evaluation["attack"], evaluation["norm"], evaluation["corruption_mean_acc"]) == ("cifar10c-all-levels", None, 77.6667)
    assert parsed.eval["running_cost_days"] == pytest.approx(0.51 / 24) and parsed.eval["model"] == "arch_2"
    assert parsed.eval["started_at"] == "2024-03-01 10:00:00,000"
    assert parsed.message.startswith("finished all-levels corruption evaluation (cifar10c-all-levels: each corruption's "
                                     "five severities together, level NULL), 15 results")


def test_all_levels_corruption_log_of_19_corruptions_and_an_unfinished_one():
    full = parse_corruption_log(all_levels_log(CORRUPTIONS).encode(), "x")
    assert full.status == "ok" and sorted(name for name, *_ in full.corruptions) == sorted(CORRUPTIONS)
    killed = parse_corruption_log(all_levels_log(CORRUPTIONS, lines=7, average=False).encode(), "x")
    assert (killed.status, killed.eval["finished"], len(killed.corruptions)) == ("partial", False, 7)
    assert killed.message.startswith("unfinished all-levels corruption evaluation")
    assert killed.message.endswith(": 7 corruption lines, no Average Accuracy")


def test_a_level_log_under_the_older_name_is_read_as_a_level_log():
    """From e216117 to dc7b847 the level script wrote `_eval_cifar10c.log`."""
    data = corruption_log().encode()
    older = parse_file(data, "arch_2_eval_cifar10c.log", classify("arch_2_eval_cifar10c.log"))
    newer = parse_file(data, "arch_2_eval_cifar10c_level.log", classify("arch_2_eval_cifar10c_level.log"))
    assert (older.eval, older.corruptions, older.message) == (newer.eval, newer.corruptions, newer.message)
    assert older.eval["attack"] == "cifar10c" and len(older.corruptions) == 95


def test_all_levels_lines_need_their_record_and_whole_name():
    """A line is a result only as a record `<timestamp> <name>: Loss: ...`; text around it is not one."""
    text = all_levels_log(lines=2).replace("10:05:01,000 shot_noise", "10:05:01,000 x shot_noise")
    text += "no stamp fog: Loss: 0.1, Acc: 1.0\n2024-03-01 10:31:00,000 Fog: Loss: 0.1, Acc: 1.0\n"
    parsed = parse_corruption_log(text.encode(), "x")
    assert [name for name, *_ in parsed.corruptions] == ["gaussian_noise"]


def test_corruption_log_unfinished():
    parsed = parse_corruption_log(corruption_log(levels_done=3, average=False).encode(), "x")
    assert parsed.status == "partial" and len(parsed.corruptions) == 57
    assert "57 of 95" in parsed.message


@pytest.mark.parametrize("name, kind, arch, norm, attack", [
    ("arch_2.log", "train", 2, None, None),
    ("arch_0042.log", "train", 42, None, None),
    ("arch_7_eval_L2_Base.log", "eval", 7, "L2", "Base"),
    ("arch_7_eval_Linf_AA.log", "eval", 7, "Linf", "AA"),
    ("arch_15625_eval_cifar10c_level.log", "corruption", 15625, None, None),
    ("arch_3.yaml", "config", 3, None, None),
    ("arch_3_eval_Linf_PGD.log", "other", None, None, None),
    ("notes.txt", "other", None, None, None),
])
def test_classify_by_name(name, kind, arch, norm, attack):
    found = classify(name)
    assert (found.kind, found.arch_id, found.norm, found.attack) == (kind, arch, norm, attack)


def test_arch_id_out_of_range_is_an_error():
    with pytest.raises(ParseError, match="outside 1..15625"):
        parse_file(b"x", "arch_0.log", classify("arch_0.log"))


def test_config_lines_of_chosen_keys_are_those_of_all_keys():
    from ingest.header import header_fields

    def configs(data: bytes, keys=None) -> dict:
        return header_fields(data, len(data), keys=keys)[2]

    data = BASE_TEXT.encode()
    everything = configs(data)
    assert {"model", "criterion", "dataset"} <= set(everything)
    assert configs(data, keys=frozenset({"model"})) == {"model": everything["model"]}
    # an unreadable first model line: the next readable one counts, with or without keys
    broken = BASE_TEXT.replace("model: Config([", "model: Config([<garbled>, ", 1)
    readable = broken.replace("criterion: Config(",
                              "model: Config([('name', 'Later')])\n2026-11-23 19:06:22,905 criterion: Config(", 1).encode()
    assert configs(readable, keys=frozenset({"model"}))["model"] == configs(readable)["model"] == {"name": "Later"}


# ------------------------------------------------------------------ every result-line format (SPEC section 8)

NATURAL = "Natural Correct Count: 134/200, Acc: 67.00 Test Loss: 1.2325"
FGSM = "FGSM with 1 step Correct Count: 104/200, Acc: 52.00, Stable: 85.00"
CW = "CW with 40 steps Correct Count: 98/200, Acc: 49.00, Stable: 82.00 LIP: 294.2399"


def with_lines(**replacements: str) -> bytes:
    text = BASE_TEXT
    for old, new in replacements.items():
        assert {"natural": NATURAL, "fgsm": FGSM, "cw": CW}[old] in text
        text = text.replace({"natural": NATURAL, "fgsm": FGSM, "cw": CW}[old], new)
    return text.encode()


@pytest.mark.parametrize("lines, expected", [
    # 95ee1ba on (2024-04-18 22:29): today's format
    ({}, dict(test_loss=1.2325, cw40_stable=82.0, cw40_lip=294.2399, counts_truncated=False, cw40_stable_is_natural=False)),
    # 8c858a1 (2024-04-18 04:41): CW Stable right, no Test Loss, no CW LIP
    (dict(natural="Natural Correct Count: 134/200, Acc: 67.00",
          cw="CW with 40 steps Correct Count: 98/200, Acc: 49.00, Stable: 82.00"),
     dict(test_loss=None, cw40_stable=82.0, cw40_lip=None, counts_truncated=False, cw40_stable_is_natural=False)),
    # ae1f0e7 .. 8c858a1: CW Stable is the natural accuracy
    (dict(natural="Natural Correct Count: 134/200, Acc: 67.00",
          cw="CW with 40 steps Correct Count: 98/200, Acc: 49.00, Stable: 67.00"),
     dict(test_loss=None, cw40_stable=None, cw40_stable_logged=67.0, cw40_lip=None, counts_truncated=False,
          cw40_stable_is_natural=True)),
    # before ae1f0e7 (2024-01-07): a count one below round(Acc x total / 100)
    (dict(natural="Natural Correct Count: 134/200, Acc: 67.00",
          fgsm="FGSM with 1 step Correct Count: 103/200, Acc: 52.00, Stable: 85.00",
          cw="CW with 40 steps Correct Count: 98/200, Acc: 49.00, Stable: 67.00"),
     dict(test_loss=None, fgsm_acc=52.0, cw40_stable=None, cw40_lip=None, counts_truncated=True,
          cw40_stable_is_natural=True)),
    # trailing spaces and carriage returns, as older print formats and copied files have them
    (dict(natural=NATURAL + " \r", cw=CW + "\t"), dict(test_loss=1.2325, cw40_lip=294.2399, counts_truncated=False)),
])
def test_every_result_line_format_is_finished_with_what_it_has(lines, expected):
    parsed = parse_eval_log(with_lines(**lines), "x", "Linf", "Base")
    assert (parsed.status, parsed.eval["finished"]) == ("ok", True)
    assert (parsed.eval["clean_acc"], parsed.eval["pgd20_acc"], parsed.eval["cw40_acc"]) == (67.0, 49.5, 49.0)
    assert {key: parsed.eval[key] for key in expected} == expected


def test_cw_stable_equal_to_natural_in_todays_format_is_not_a_fault():
    parsed = parse_eval_log(with_lines(cw=CW.replace("Stable: 82.00", "Stable: 67.00")), "x", "Linf", "Base")
    assert (parsed.eval["cw40_stable"], parsed.eval["cw40_stable_is_natural"]) == (67.0, False)


def test_l2_evaluation_of_the_old_format():
    text = BASE_L2.read_text()
    text = text.replace(" Test Loss: 0.5805", "")
    text = text.replace("Stable: 100.00 LIP: 39.3855", "Stable: 68.50")
    e = parse_eval_log(text.encode(), "x", "L2", "Base").eval
    assert (e["finished"], e["fgsm_acc"], e["test_loss"], e["cw40_lip"]) == (True, None, None, None)
    assert (e["cw40_stable"], e["cw40_stable_is_natural"], e["counts_truncated"]) == (None, True, False)


def test_a_long_number_costs_one_pass_and_is_not_a_value():
    # a number pattern that backtracks takes time quadratic in the digits (63 s for 40,000 digits)
    text = BASE_TEXT.replace(NATURAL, "Natural Correct Count: 1/1, Acc: " + "9" * 40000 + "X")
    parsed = parse_eval_log(text.encode(), "x", "Linf", "Base")
    assert parsed.eval["clean_acc"] is None and parsed.status == "partial"


def test_autoattack_of_the_first_refactored_code_says_accuracy():
    text = AA_COMPACT.read_text().replace("Linf-AA Acc: 50.00", "Linf-AA Accuracy: 50.00")
    assert parse_eval_log(text.encode(), "x", "Linf", "AA-Compact").eval["aa_acc"] == 50.0


def test_corruption_log_with_running_cost_in_hours():
    lines = ["2024-06-01 10:00:00,000 seed: 0", "2024-06-01 10:00:00,000 model: arch_7"]
    lines += [f"2024-06-01 10:00:01,000 {name} (level={level}): Loss: 0.5000, Acc: 80.00"
              for name in CORRUPTIONS for level in range(1, 6)]
    lines += ["2024-06-01 11:00:00,000 Average Accuracy: 80.0000", "2024-06-01 11:00:00,000 Running Cost 1.20 Hours"]
    parsed = parse_corruption_log(("\n".join(lines) + "\n").encode(), "x")
    assert parsed.status == "ok" and parsed.eval["running_cost_days"] == pytest.approx(0.05)
    assert parsed.eval["argument_names"] == ["seed", "model"] and len(parsed.corruptions) == 95


# ---- the re-evaluation script's `_eval_test-loss.log` (eval_test_loss.py)

RE_EVALUATION_776AE25 = (PROBE / "776ae25" / "arch_3_eval_test-loss.log").read_text()


def _re_evaluation(text: str):
    return parse_file(text.encode(), "arch_3_eval_test-loss.log", classify("arch_3_eval_test-loss.log"))


def test_the_776ae25_re_evaluation_gives_clean_test_loss_and_cw40():
    parsed = _re_evaluation(RE_EVALUATION_776AE25)
    e = parsed.eval
    assert (parsed.kind, parsed.status, e["attack"], e["norm"], e["finished"]) == ("eval", "ok", "test-loss", "Linf", True)
    assert (e["clean_correct"], e["n_test"], e["clean_acc"], e["test_loss"]) == (12, 100, 12.0, 4.4295)
    assert (e["cw40_acc"], e["cw40_stable"], e["cw40_stable_logged"], e["cw40_lip"]) == (12.0, 100.0, 100.0, 60.4037)
    assert (e["fgsm_acc"], e["pgd20_acc"], e["aa_acc"]) == (None, None, None)
    assert (e["counts_truncated"], e["cw40_stable_is_natural"], e["n_batches"]) == (False, False, 1)
    assert e["running_cost_days"] == pytest.approx(0.002781 / 24)
    assert e["checkpoint_path"] == "models_home/arch_3/checkpoints/arch_3_best.pth"
    assert parsed.message == "finished Linf test-loss evaluation (a re-evaluation: clean accuracy, test loss, CW-40)"


def test_the_first_re_evaluation_script_of_d45212d():
    """Its real log: `Test Loss:` alone, the cost in seconds, no norm argument."""
    parsed = _re_evaluation((PROBE / "d45212d" / "arch_007_eval_test-loss.log").read_text())
    e = parsed.eval
    assert (parsed.status, e["attack"], e["norm"], e["finished"], e["test_loss"], e["clean_acc"]) == (
        "ok", "test-loss", None, True, 2.3911, None)
    assert e["running_cost_days"] == pytest.approx(0.604103 / 86400) and e["finished_at"] == "2026-12-03 23:09:34,722"
    assert parsed.code.kind == "re-evaluation"


def test_the_all_levels_script_of_d45212d():
    """Its real log: 15 corruptions, each over its five severities together."""
    from ingest.corruption_log import FIRST_CORRUPTIONS

    parsed = parse_file((PROBE / "d45212d" / "arch_007_eval_cifar10c.log").read_bytes(), "arch_007_eval_cifar10c.log",
                        classify("arch_007_eval_cifar10c.log"))
    assert (parsed.status, parsed.eval["attack"], parsed.eval["corruption_mean_acc"]) == ("ok", "cifar10c-all-levels", 10.0)
    assert sorted(parsed.corruptions) == sorted((name, None, 10.0, 2.2883) for name in FIRST_CORRUPTIONS)
    assert parsed.eval["running_cost_days"] == 0.0 and parsed.code.kind == "corruption-all-levels" and parsed.parts == []


def test_both_corruption_scripts_appended_to_one_file_at_e216117_are_two_evaluations():
    """From e216117 to dc7b847 the level and the all-levels scripts both wrote `_eval_cifar10c.log`:
    the level run is a part (its own average, 14), the all-levels run the file's evaluation (10)."""
    data = (PROBE / "e216117" / "arch_007_eval_cifar10c.log").read_bytes()
    parsed = parse_file(data, "/logs/arch_007_eval_cifar10c.log", classify("arch_007_eval_cifar10c.log"))
    assert (parsed.status, parsed.eval["attack"], parsed.eval["corruption_mean_acc"], len(parsed.corruptions)) == (
        "ok", "cifar10c-all-levels", 10.0, 19)
    [level] = parsed.parts
    assert (level.eval["attack"], level.eval["corruption_mean_acc"], len(level.corruptions), level.run_line) == (
        "cifar10c", 14.0, 95, 1)
    assert level.source_path == "/logs/arch_007_eval_cifar10c.log#line=1" and level.code.kind == "corruption"
    assert level.eval["finished_at"] < parsed.eval["started_at"]
    assert "(line 1: a finished cifar10c evaluation: mean accuracy 14)" in parsed.message


def test_a_re_evaluation_run_again_into_its_log_is_two_evaluations():
    """A test-loss log has no model printout: a run ends with its Running Cost record."""
    again = RE_EVALUATION_776AE25.replace("Test Loss: 4.4295", "Test Loss: 4.0000").replace("19:43:", "20:43:")
    parsed = _re_evaluation(RE_EVALUATION_776AE25 + again)
    assert (parsed.eval["test_loss"], parsed.eval["started_at"]) == (4.0, "2026-12-03 20:43:13,600")
    [first] = parsed.parts
    assert (first.run_line, first.eval["test_loss"], first.eval["finished"]) == (1, 4.4295, True)
    assert "(line 1: a finished Linf test-loss evaluation: clean 12, test loss 4.4295, CW-40 12)" in parsed.message


def test_the_first_re_evaluation_script_logs_the_test_loss_alone():
    """From d45212d to 776ae25 the script logged one `Test Loss:` record (and no norm argument)."""
    head = RE_EVALUATION_776AE25[: RE_EVALUATION_776AE25.index("2026-12-03 19:43:23,606")].replace(
        "2026-12-03 19:43:13,600 norm: Linf\n", "")
    first = head + "2024-01-20 10:00:00,000 Test Loss: 1.2345\n2024-01-20 10:00:00,001 Running Cost 0.01 Hours\n"
    e = _re_evaluation(first).eval
    assert (e["finished"], e["test_loss"], e["clean_acc"], e["cw40_acc"], e["norm"]) == (True, 1.2345, None, None, None)
    killed = _re_evaluation(head + "2024-01-20 10:00:00,000 Running Cost 0.01 Hours\n")
    assert (killed.status, killed.eval["test_loss"]) == ("partial", None)
    assert killed.message.startswith("unfinished evaluation: no test_loss result line")


def test_a_re_evaluation_killed_after_its_progress_lines_is_unfinished():
    """A progress line prints a Test Loss too, inside the line: it is no result."""
    killed = RE_EVALUATION_776AE25[: RE_EVALUATION_776AE25.index("2026-12-03 19:43:23,609")]
    parsed = _re_evaluation(killed)
    assert (parsed.status, parsed.eval["test_loss"], parsed.eval["n_batches"]) == ("partial", None, 1)
    assert parsed.message.startswith("unfinished evaluation: no clean_acc, cw40_acc result line")


# ---- a file holding more than one run (the logger appends; before 2e6cd80 both AutoAttacks wrote _AA.log)

def _alone(path) -> dict:
    return parse_eval_log(path.read_bytes(), "x").eval


@pytest.mark.parametrize("first, last", [(AA_COMPACT, BASE_LINF), (BASE_LINF, AA_COMPACT), (BASE_L2, BASE_LINF)],
                         ids=["compact then base", "base then compact", "l2 then linf"])
def test_a_file_of_two_runs_is_read_as_each_run_alone(first, last):
    """The last run is the file's evaluation; the one before it is a part of its own, read as if it
    were a file alone, with the line it starts on."""
    parsed = parse_eval_log(first.read_bytes() + last.read_bytes(), "/logs/x.log")
    lines = first.read_text().count("\n")
    assert parsed.eval == _alone(last) and parsed.status == "ok"
    assert [(part.eval, part.run_line, part.source_path) for part in parsed.parts] == [(_alone(first), 1, "/logs/x.log#line=1")]
    assert (f"the file holds 2 evaluation runs, each stored as an evaluation: the last one (from line {lines + 1}) "
            "with the file's id and status, each before it with source_path <file>#line=<n>") in parsed.message


def test_both_autoattacks_of_one_aa_log_are_stored_and_the_message_lists_the_earlier_runs():
    """Before 2e6cd80 both AutoAttacks of an arch and norm wrote `_AA.log`, the standard one first:
    each is an evaluation, and the files message says what the runs before the last one found."""
    compact = AA_COMPACT.read_text()
    standard = compact.replace("aa_type: Compact", "aa_type: Standard").replace("Linf-AA Acc: 50.00", "Linf-AA Acc: 48.25")
    parsed = parse_file((standard + compact).encode(), "arch_2_eval_Linf_AA.log", classify("arch_2_eval_Linf_AA.log"))
    assert parsed.eval == _alone(AA_COMPACT) and parsed.status == "ok"
    assert [(p.eval["attack"], p.eval["aa_acc"], p.eval["finished"]) for p in parsed.parts] == [("AA", 48.25, True)]
    assert "(line 1: a finished Linf AA evaluation: AA accuracy 48.25)" in parsed.message
    killed = BASE_TEXT[: BASE_TEXT.index("2026-11-23 19:08:52,828 Natural Correct Count")]
    again = parse_eval_log((killed + compact).encode(), "x")
    assert "(line 1: an unfinished Linf Base evaluation)" in again.message
    assert [(p.eval["attack"], p.eval["finished"], p.status) for p in again.parts] == [("Base", False, "partial")]
    base = _alone(BASE_LINF)
    after_base = parse_eval_log((BASE_TEXT + compact).encode(), "x")
    assert (f"(line 1: a finished Linf Base evaluation: clean {base['clean_acc']:g}, "
            f"PGD-20 {base['pgd20_acc']:g}, CW-40 {base['cw40_acc']:g})") in after_base.message
    three = parse_eval_log((BASE_TEXT + standard + compact).encode(), "x")
    second = BASE_TEXT.count("\n") + 1
    assert [(p.run_line, p.eval["attack"]) for p in three.parts] == [(1, "Base"), (second, "AA")]
    assert "the file holds 3 evaluation runs" in three.message
    assert f"(line 1: a finished Linf Base evaluation: clean {base['clean_acc']:g}" in three.message
    assert f"; line {second}: a finished Linf AA evaluation: AA accuracy 48.25)" in three.message


def test_a_run_killed_before_its_results_then_run_again_is_read_as_two_runs():
    killed = BASE_TEXT[: BASE_TEXT.index("2026-11-23 19:08:52,828 Natural Correct Count")]
    parsed = parse_eval_log((killed + AA_COMPACT.read_text()).encode(), "x")
    assert parsed.eval == _alone(AA_COMPACT)
    assert parsed.eval["n_batches"] == _alone(AA_COMPACT)["n_batches"]
    assert parsed.parts[0].eval == parse_eval_log(killed.encode(), "x").eval


def test_a_run_killed_before_its_model_printout_is_a_run_of_its_own():
    """Argument lines only (killed before the printout), then a run again: three runs, not two."""
    arguments = BASE_TEXT[: BASE_TEXT.index("2026-11-23 19:07:53,443 PreActRobustNetwork(")]
    killed = arguments.replace("2026-11-23 19:", "2026-11-23 20:")
    again = BASE_TEXT.replace("2026-11-23 19:", "2026-11-23 21:")
    parsed = parse_eval_log((BASE_TEXT + killed + again).encode(), "x", "Linf", "Base")
    assert (parsed.status, parsed.eval["started_at"]) == ("ok", "2026-11-23 21:07:53,420")
    second = BASE_TEXT.count("\n") + 1
    assert [(p.run_line, p.status, p.eval["started_at"]) for p in parsed.parts] == [
        (1, "ok", "2026-11-23 19:07:53,420"), (second, "partial", "2026-11-23 20:07:53,420")]
    assert parsed.parts[0].eval == _alone(BASE_LINF)


def test_a_gpu_run_after_the_first_starts_at_its_gpu_list():
    """On a GPU the scripts log `GPU List:` before the argument lines: that line is the next run's."""
    gpu = "2026-11-23 20:07:53,400 GPU List: ['NVIDIA GeForce RTX 3090']\n"
    parsed = parse_eval_log((BASE_TEXT + gpu + BASE_TEXT.replace("2026-11-23 19:", "2026-11-23 20:")).encode(),
                            "x", "Linf", "Base")
    [first] = parsed.parts
    assert first.eval == _alone(BASE_LINF) and first.eval["gpu_list"] is None
    assert parsed.eval["started_at"] == "2026-11-23 20:07:53,400"
    assert parsed.eval["gpu_list"] == ["NVIDIA GeForce RTX 3090"]


def test_a_run_before_the_last_that_is_no_evaluation_is_said_and_not_stored():
    """Argument lines without model or attack_choice, then a printout: no evaluation to store."""
    first = AA_COMPACT.read_text().replace("model: arch_2", "modelx: arch_2").replace("attack_choice: AA", "attackx: AA")
    parsed = parse_eval_log((first + BASE_TEXT).encode(), "x")
    assert parsed.eval == _alone(BASE_LINF) and parsed.parts == []
    assert "(line 1: not readable: no argument lines (model:, attack_choice:): not an evaluation log)" in parsed.message


def test_many_appended_runs_are_each_read_once():
    """Run starts are found in one pass: a file of 200 runs gives 199 parts, each its own run."""
    compact = AA_COMPACT.read_text()
    parsed = parse_eval_log((compact * 200).encode(), "x")
    size = compact.count("\n")
    assert [p.run_line for p in parsed.parts] == [1 + size * k for k in range(199)]
    assert all(p.eval == _alone(AA_COMPACT) for p in parsed.parts) and parsed.eval == _alone(AA_COMPACT)
    assert "(line 1: a finished Linf AA-Compact evaluation: AA accuracy 50" in parsed.message
    assert "; and 196 more)" in parsed.message


def test_a_file_of_one_run_says_nothing_of_runs():
    assert "evaluation run" not in parse_eval_log(BASE_LINF.read_bytes(), "x").message


def test_a_corruption_log_run_again_into_the_same_file_keeps_the_later_results_and_average():
    again = corruption_log().replace("Average Accuracy: 78.1234", "Average Accuracy: 70.5000").replace(
        "(level=5): Loss: 0.5000", "(level=5): Loss: 0.7500")
    parsed = parse_corruption_log((corruption_log() + again).encode(), "x")
    assert parsed.eval["corruption_mean_acc"] == 70.5
    assert len(parsed.corruptions) == 95 and ("saturate", 5, 90 - 18 - 5, 0.75) in parsed.corruptions


def _second_run(text: str, gpu: bool) -> str:
    """`text` as the same script writes it when run again an hour later (on a GPU: a `GPU List:` first)."""
    again = text.replace("19:43:", "20:43:").replace("23:08:", "23:58:")
    stamp = again[:23]
    return (f"{stamp} GPU List: ['NVIDIA GeForce RTX 3090']\n" if gpu else "") + again


@pytest.mark.parametrize("gpu", [False, True])
def test_a_re_evaluation_killed_before_its_cost_ends_where_the_next_run_starts(gpu):
    killed = RE_EVALUATION_776AE25[: RE_EVALUATION_776AE25.index("2026-12-03 19:43:23,609")]
    parsed = _re_evaluation(killed + _second_run(RE_EVALUATION_776AE25, gpu))
    assert (parsed.status, parsed.eval["finished"], parsed.eval["started_at"]) == ("ok", True, "2026-12-03 20:43:13,600")
    assert parsed.eval["gpu_list"] == (["NVIDIA GeForce RTX 3090"] if gpu else None)
    [first] = parsed.parts
    assert (first.run_line, first.eval["finished"], first.eval["started_at"]) == (1, False, "2026-12-03 19:43:13,600")
    assert first.eval["n_batches"] == 1 and first.eval["clean_acc"] is None
    assert "(line 1: an unfinished Linf test-loss evaluation)" in parsed.message


@pytest.mark.parametrize("gpu", [False, True])
def test_a_corruption_run_killed_before_its_cost_ends_where_the_next_run_starts(gpu):
    both = (PROBE / "e216117" / "arch_007_eval_cifar10c.log").read_text()  # the level script's run, then all-levels'
    level = both[: both.index("2026-12-03 23:08:31,871")]
    killed = level[: level.index("2026-12-03 23:08:20,256")]  # in the fourth corruption
    parsed = parse_corruption_log((killed + _second_run(level, gpu)).encode(), "/logs/arch_007_eval_cifar10c.log")
    assert (parsed.status, len(parsed.corruptions), parsed.eval["started_at"]) == ("ok", 95, "2026-12-03 23:58:17,951")
    [first] = parsed.parts
    assert (first.run_line, first.status, len(first.corruptions)) == (1, "partial", 15)
    assert first.eval["started_at"] == "2026-12-03 23:08:17,951" and first.eval["finished"] is False


def test_seed_records_that_start_no_arguments_start_no_run():
    """A run starts where `seed:` and `model: arch_...` records follow each other: not at the config
    lines' `seed:` (after `scheduler: Config(...)`), nor at one before a `model: Config(...)`, nor at
    `seed: ` inside another record's message."""
    one_run = corruption_log().replace("model_path: ./models_home", "model_path: ./models_home seed: 0 model: arch_2")
    config_seed = one_run.index("2026-11-23 19:07:53,689 model: Config(")
    one_run = one_run[:config_seed] + "2026-11-23 19:07:53,689 seed: 0\n" + one_run[config_seed:]
    parsed = parse_corruption_log(one_run.encode(), "x")
    assert one_run.count(" seed: 0\n") == 3
    assert (parsed.parts, parsed.status, parsed.eval["seed"], parsed.eval["d1"]) == ([], "ok", 0, 4)
