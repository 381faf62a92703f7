"""Each check on small warehouses whose answer is known, its headline, and `cli.py check`."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from application.output import render_checks
from ingest.errors import UserError
from warehouse.checks import check_warehouse, run_checks
from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.update import ingest_paths

from views_corpus import T0, base_eval, base_log, build, rows, run, settings, train_log

MSU, SUS = "MSU", "SUSTech"


def day(n: int):
    return T0 + timedelta(days=n)


# --- best_epoch -------------------------------------------------------------------------------

def best_epoch_corpus():
    return [
        run(1, 10, MSU, [30, 45, 40, 38]),                 # best 1 < 3: early
        run(2, 11, SUS, [30, 40, 44, 46]),                 # best 3: after the decay
        run(3, 12, MSU, [30, 40, 47, 47]),                 # tie: the first maximum (2) counts
        run(4, 13, SUS, [30, 45, None], finished=False, epochs_planned=4),   # unfinished: only v1 counts it
    ]


def test_best_epoch_flags_best_before_first_decay(tmp_path):
    con = build(tmp_path / "w.duckdb", best_epoch_corpus())
    assert rows(con, "select * from check_best_epoch") == [
        (1, 10, MSU, 1, 4, 3, "planned", True),
        (2, 11, SUS, 3, 4, 3, "planned", False),
        (3, 12, MSU, 2, 4, 3, "planned", True),
    ]


def test_best_epoch_v1_kept_and_counts_unfinished_runs(tmp_path):
    con = build(tmp_path / "w.duckdb", best_epoch_corpus())
    assert rows(con, "select * from check_best_epoch_v1") == [
        (1, 10, MSU, 1, 4, True), (2, 11, SUS, 3, 4, False), (3, 12, MSU, 2, 4, True), (4, 13, SUS, 1, 4, True),
    ]


def test_best_epoch_early_fraction_is_a_parameter(tmp_path):
    con = build(tmp_path / "w.duckdb", best_epoch_corpus(), params={"best_epoch.early_fraction": 0.5})
    assert rows(con, "select run_id, first_decay_epoch, early from check_best_epoch") == [
        (1, 2, True), (2, 2, False), (3, 2, False),
    ]


def test_best_epoch_observed_decay_when_asked(tmp_path):
    corpus = [
        run(1, 10, SUS, [30, 40, 47, 45], decays=[1]),   # lr dropped at epoch 1: best 2 is after it
        run(2, 11, SUS, [30, 47, 40, 45], decays=[]),    # no drop logged: the planned epoch 3 counts
    ]
    con = build(tmp_path / "w.duckdb", corpus, params={"best_epoch.use_observed_decay": 1})
    assert rows(con, "select run_id, best_epoch, first_decay_epoch, decay_source, early from check_best_epoch") == [
        (1, 2, 1, "observed", False), (2, 1, 3, "planned", True),
    ]


def test_best_epoch_headline_compares_sites(tmp_path):
    con = build(tmp_path / "w.duckdb", best_epoch_corpus())
    result = run_checks(con, ["best_epoch"]).results[0]
    assert (result.line(), result.findings) == ("best_epoch: MSU 100% early (2/2) vs SUSTech 0% early (0/1)", 2)


def test_best_epoch_tie_in_cw40_through_the_ingest(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "arch_7.log").write_text(train_log([15.0, 37.0, 50.0, 50.0]))   # tie at epochs 2 and 3
    (logs / "arch_8.log").write_text(train_log([15.0, 37.0, 37.0, 50.0]))
    ingest_paths(tmp_path / "w.duckdb", [logs], workers=1)
    report = check_warehouse(tmp_path / "w.duckdb", ["best_epoch", "robust_overfitting"], details=True)
    best, overfitting = report.results
    assert [r[1:] for r in best.rows] == [(7, "unknown", 2, 4, 3, "planned", True), (8, "unknown", 3, 4, 3, "planned", False)]
    assert [r[1:] for r in overfitting.rows] == [(7, "unknown", 2, 50.0, 50.0, 0.0, False), (8, "unknown", 3, 50.0, 50.0, 0.0, False)]


# --- robust_overfitting ---------------------------------------------------------------------------

def test_robust_overfitting_gap_of_finished_runs_without_nan(tmp_path):
    corpus = best_epoch_corpus() + [run(5, 14, MSU, [30, 40, 10, 10], nan_from=2)]
    con = build(tmp_path / "w.duckdb", corpus)
    assert rows(con, "select * from check_robust_overfitting") == [
        (1, 10, MSU, 1, 45.0, 38.0, 7.0, True),
        (2, 11, SUS, 3, 46.0, 46.0, 0.0, False),
        (3, 12, MSU, 2, 47.0, 47.0, 0.0, False),
    ]
    result = run_checks(con, ["robust_overfitting"]).results[0]
    assert result.headline == "MSU 50% of runs overfit (mean gap 3.5) vs SUSTech 0% of runs overfit (mean gap 0.0)"
    assert result.findings == 1


def test_robust_overfitting_min_gap_is_a_parameter(tmp_path):
    con = build(tmp_path / "w.duckdb", best_epoch_corpus(), params={"robust_overfitting.min_gap": 8})
    assert rows(con, "select run_id from check_robust_overfitting where overfits") == []


# --- duplicate_archs and duplicate_paired -----------------------------------------------------------

def duplicate_corpus():
    runs = [
        run(1, 20, MSU), run(2, 20, SUS),                 # both evaluated
        run(3, 21, SUS),                                  # one site only
        run(4, 22, MSU), run(5, 22, SUS),                 # MSU not evaluated
        run(6, 23, MSU), run(7, 23, "unknown"),           # unknown site is left out
        run(8, 24, "ANU"), run(9, 24, MSU), run(10, 24, SUS),
        run(11, 25, SUS), run(12, 25, SUS), run(13, 25, MSU),   # two SUSTech runs: the evaluated one counts
        run(14, 26, MSU), run(15, 26, SUS, [30, None], finished=False),
    ]
    evals = [
        base_eval(101, 1, 20, MSU, clean=78, fgsm=50, pgd20=45, cw40=43),
        base_eval(102, 2, 20, SUS, clean=80, fgsm=55, pgd20=50, cw40=48),
        base_eval(103, 5, 22, SUS),
        base_eval(104, 8, 24, "ANU", clean=70, fgsm=40, pgd20=40, cw40=40),
        base_eval(105, 9, 24, MSU, clean=72, fgsm=42, pgd20=41, cw40=41),
        base_eval(106, 10, 24, SUS, clean=75, fgsm=45, pgd20=44, cw40=44),
        base_eval(107, 12, 25, SUS, cw40=50),
        base_eval(108, 13, 25, MSU, cw40=49),
        base_eval(109, 13, 25, MSU, cw40=10, norm="L2"),         # not Linf
        base_eval(110, 13, 25, MSU, cw40=11, finished=False),    # not finished
        base_eval(111, 14, 26, MSU), base_eval(112, 15, 26, SUS),
    ]
    return runs, evals


def test_duplicate_archs_compares_linf_base_evals_across_sites(tmp_path):
    runs, evals = duplicate_corpus()
    con = build(tmp_path / "w.duckdb", runs, evals)
    got = rows(con, "select arch_id, metric, site_a, value_a, site_b, value_b, delta, run_id_a, run_id_b from check_duplicate_archs")
    assert got == [
        (20, "clean", MSU, 78.0, SUS, 80.0, 2.0, 1, 2),
        (20, "fgsm", MSU, 50.0, SUS, 55.0, 5.0, 1, 2),
        (20, "pgd20", MSU, 45.0, SUS, 50.0, 5.0, 1, 2),
        (20, "cw40", MSU, 43.0, SUS, 48.0, 5.0, 1, 2),
        (22, "clean", MSU, None, SUS, 80.0, None, 4, 5),
        (22, "fgsm", MSU, None, SUS, 55.0, None, 4, 5),
        (22, "pgd20", MSU, None, SUS, 50.0, None, 4, 5),
        (22, "cw40", MSU, None, SUS, 48.0, None, 4, 5),
        (24, "clean", "ANU", 70.0, MSU, 72.0, 2.0, 8, 9),
        (24, "fgsm", "ANU", 40.0, MSU, 42.0, 2.0, 8, 9),
        (24, "pgd20", "ANU", 40.0, MSU, 41.0, 1.0, 8, 9),
        (24, "cw40", "ANU", 40.0, MSU, 41.0, 1.0, 8, 9),
        (24, "clean", "ANU", 70.0, SUS, 75.0, 5.0, 8, 10),
        (24, "fgsm", "ANU", 40.0, SUS, 45.0, 5.0, 8, 10),
        (24, "pgd20", "ANU", 40.0, SUS, 44.0, 4.0, 8, 10),
        (24, "cw40", "ANU", 40.0, SUS, 44.0, 4.0, 8, 10),
        (24, "clean", MSU, 72.0, SUS, 75.0, 3.0, 9, 10),
        (24, "fgsm", MSU, 42.0, SUS, 45.0, 3.0, 9, 10),
        (24, "pgd20", MSU, 41.0, SUS, 44.0, 3.0, 9, 10),
        (24, "cw40", MSU, 41.0, SUS, 44.0, 3.0, 9, 10),
        (25, "clean", MSU, 80.0, SUS, 80.0, 0.0, 13, 12),
        (25, "fgsm", MSU, 55.0, SUS, 55.0, 0.0, 13, 12),
        (25, "pgd20", MSU, 50.0, SUS, 50.0, 0.0, 13, 12),
        (25, "cw40", MSU, 49.0, SUS, 50.0, 1.0, 13, 12),
    ]
    result = run_checks(con, ["duplicate_archs"]).results[0]
    assert result.findings == 4
    assert result.headline.startswith("4 archs trained at two or more sites; mean test accuracy MSU - ANU (1 archs): clean +2.0")


def test_duplicate_archs_none_when_each_arch_has_one_site(tmp_path):
    con = build(tmp_path / "w.duckdb", [run(1, 20, MSU), run(2, 21, SUS), run(3, 22, SUS)],
                [base_eval(101, 1, 20, MSU)])
    assert rows(con, "select * from check_duplicate_archs") == []
    assert rows(con, "select * from check_duplicate_paired") == []
    lines = [r.line() for r in run_checks(con, ["duplicate_archs", "duplicate_paired"]).results]
    assert lines == ["duplicate_archs: no arch has finished runs at two sites",
                     "duplicate_paired: no arch has test accuracies from two sites"]


def paired_corpus(cw_deltas: list[float]):
    runs, evals = [], []
    for i, delta in enumerate(cw_deltas):
        arch = 100 + i
        runs += [run(2 * i + 1, arch, MSU), run(2 * i + 2, arch, SUS)]
        evals += [base_eval(1000 + 2 * i, 2 * i + 1, arch, MSU, cw40=40.0),
                  base_eval(1001 + 2 * i, 2 * i + 2, arch, SUS, cw40=40.0 + delta)]
    return runs, evals


def test_duplicate_paired_sign_test_is_exact(tmp_path):
    runs, evals = paired_corpus([1, 2, 3, 4, -1, 0])
    con = build(tmp_path / "w.duckdb", runs, evals)
    got = rows(con, """select metric, site_a, site_b, n_archs, n_b_higher, n_a_higher, n_ties, mean_delta, median_delta,
                       round(sign_p_value, 9), significant from check_duplicate_paired""")
    # cw40: 4 higher at SUSTech, 1 at MSU, 1 tie: p = 2 * (C(5,0) + C(5,1)) / 2^5 = 0.375
    assert got == [
        ("clean", MSU, SUS, 6, 0, 0, 6, 0.0, 0.0, 1.0, False),
        ("fgsm", MSU, SUS, 6, 0, 0, 6, 0.0, 0.0, 1.0, False),
        ("pgd20", MSU, SUS, 6, 0, 0, 6, 0.0, 0.0, 1.0, False),
        ("cw40", MSU, SUS, 6, 4, 1, 1, 1.5, 1.5, 0.375, False),
    ]


def test_duplicate_paired_all_one_way_is_significant_with_enough_archs(tmp_path):
    runs, evals = paired_corpus([1, 2, 3, 1, 2, 3, 1])
    con = build(tmp_path / "w.duckdb", runs, evals)
    p, significant = rows(con, "select sign_p_value, significant from check_duplicate_paired where metric = 'cw40'")[0]
    assert p == pytest.approx(2 / 2 ** 7) and significant


def test_duplicate_paired_bootstrap_interval_is_reproducible_and_brackets_the_mean(tmp_path):
    runs, evals = paired_corpus([1, 2, 3, 4, -1, 0, 5, 2, 2, 1])
    con = build(tmp_path / "w.duckdb", runs, evals)
    query = "select mean_delta, ci_low, ci_high from check_duplicate_paired where metric = 'cw40'"
    mean, low, high = rows(con, query)[0]
    assert -1 <= low < mean < high <= 5
    assert rows(con, query) == [(mean, low, high)]
    clean = rows(con, "select ci_low, ci_high from check_duplicate_paired where metric = 'clean'")
    assert clean == [(0.0, 0.0)]
    con.execute("update check_params set value = 0.5 where name = 'duplicate_paired.confidence'")
    _, narrow_low, narrow_high = rows(con, query)[0]
    assert low <= narrow_low and narrow_high <= high


# --- vertical_lines and gpu_accuracy ----------------------------------------------------------------

LOW = {110: MSU, 111: MSU, 113: SUS, 114: SUS, 120: SUS, 121: SUS, 122: SUS, 127: SUS}


def bands_corpus():
    """Archs 101..130 at CW-40 45, the archs of LOW at 30: two bands and one isolated low arch."""
    return [run(a, a, LOW.get(a, SUS), [20, 25, 30, 29] if a in LOW else [30, 40, 45, 44]) for a in range(101, 131)]


def test_vertical_lines_bands_of_low_archs(tmp_path):
    con = build(tmp_path / "w.duckdb", bands_corpus())
    assert rows(con, "select * from check_vertical_lines") == [
        (1, 110, 114, 5, 4, [MSU, SUS], day(110), day(114), 15.0),
        (2, 120, 122, 3, 3, [SUS], day(120), day(122), 15.0),
    ]
    result = run_checks(con, ["vertical_lines"]).results[0]
    assert result.line() == ("vertical_lines: 2 bands of low archs: archs 110-114 (4 low, MSU/SUSTech, 15.0 points below), "
                             "archs 120-122 (3 low, SUSTech, 15.0 points below)")


def test_vertical_lines_parameters_split_and_filter_bands(tmp_path):
    con = build(tmp_path / "w.duckdb", bands_corpus(),
                params={"vertical_lines.max_gap": 0, "vertical_lines.min_low": 1})
    assert rows(con, "select first_arch_id, last_arch_id, n_low from check_vertical_lines") == [
        (110, 111, 2), (113, 114, 2), (120, 122, 3), (127, 127, 1),
    ]
    con.execute("update check_params set value = 20 where name = 'low_arch.min_drop'")
    assert rows(con, "select * from check_vertical_lines") == []


def test_vertical_lines_none_without_finished_runs(tmp_path):
    con = build(tmp_path / "w.duckdb", [run(1, 10, SUS, [30, None], finished=False)])
    assert rows(con, "select * from check_vertical_lines") == []
    assert rows(con, "select * from run_neighbours") == []


def test_gpu_accuracy_flags_the_gpu_with_low_runs(tmp_path):
    corpus = []
    for a in range(101, 131):
        low = a in (110, 111, 112)
        gpu = "A6000" if a in (110, 111, 112, 125) else "RTX 3090"
        corpus.append(run(a, a, SUS, [20, 25, 30] if low else [30, 40, 45], gpu=gpu, val_acc=80.0))
    corpus.append(run(200, 131, SUS, [30, 40, 45], gpu=None, val_acc=81.0))
    evals = [base_eval(900, 101, 101, SUS, clean=82.0, cw40=47.0)]
    con = build(tmp_path / "w.duckdb", corpus, evals)
    site_cw40 = (27 * 45 + 47 + 90) / 31
    got = rows(con, "select * from check_gpu_accuracy")
    assert got == [
        (SUS, "A6000", 4, 0, 80.0, pytest.approx(33.75), "validation", pytest.approx(33.75 - site_cw40), 3, 0.75, True),
        (SUS, "RTX 3090", 26, 1, pytest.approx((25 * 80 + 82) / 26), pytest.approx((25 * 45 + 47) / 26), "mixed",
         pytest.approx((25 * 45 + 47) / 26 - site_cw40), 0, 0.0, False),
        (SUS, "cpu", 1, 0, 81.0, 45.0, "validation", pytest.approx(45 - site_cw40), 0, 0.0, False),
    ]
    result = run_checks(con, ["gpu_accuracy"]).results[0]
    assert (result.headline, result.findings) == ("1 flagged: SUSTech A6000: 3/4 runs low, CW-40 -9.9 vs site", 1)


# --- missing_base_eval, incomplete_runs, orphan_evals ---------------------------------------------------

def test_missing_base_eval_lists_finished_runs_of_archs_without_linf_base(tmp_path):
    corpus = [run(1, 40, SUS), run(2, 41, MSU), run(3, 41, SUS), run(4, 42, SUS), run(5, 43, MSU),
              run(6, 44, SUS, [30, None], finished=False), run(7, 45, SUS)]
    evals = [
        base_eval(101, 3, 41, SUS),                                # the arch has one: both runs are fine
        base_eval(102, 4, 42, SUS, norm="L2"), base_eval(103, 4, 42, SUS, attack="AA"),
        base_eval(104, 5, 43, MSU, finished=False),
        base_eval(105, None, 45, SUS, link_note="ambiguous"),      # unlinked, but the arch was evaluated
    ]
    con = build(tmp_path / "w.duckdb", corpus, evals)
    assert rows(con, "select run_id, arch_id, site, n_arch_evals, has_unfinished_base from check_missing_base_eval") == [
        (1, 40, SUS, 0, False), (4, 42, SUS, 2, False), (5, 43, MSU, 1, True),
    ]
    result = run_checks(con, ["missing_base_eval"]).results[0]
    assert result.line() == ("missing_base_eval: 3 finished runs whose arch has no finished Linf Base evaluation "
                             "(SUSTech 2/4, MSU 1/2)")


def test_incomplete_runs_one_row_per_reason(tmp_path):
    corpus = [run(1, 50, SUS, [30, 40, None], finished=False), run(2, 51, MSU, [30, 40, 10, 10], nan_from=2),
              run(3, 52, SUS, resumed=True), run(4, 53, MSU, [30, 40, None], finished=False, resumed=True),
              run(5, 54, SUS)]
    con = build(tmp_path / "w.duckdb", corpus)
    assert rows(con, "select run_id, arch_id, site, reason, detail, epochs_planned, epochs_completed from check_incomplete_runs") == [
        (1, 50, SUS, "unfinished", "stopped in epoch 2 of 3", 3, 2),
        (2, 51, MSU, "nan", "NaN from epoch 2", 4, 4),
        (3, 52, SUS, "resumed", "resumed at epochs [2]", 4, 4),
        (4, 53, MSU, "unfinished", "stopped in epoch 2 of 3", 3, 2),
        (4, 53, MSU, "resumed", "resumed at epochs [1]", 3, 2),
    ]
    result = run_checks(con, ["incomplete_runs"]).results[0]
    assert (result.headline, result.findings) == ("2 unfinished, 1 with NaN, 2 resumed (of 5 runs)", 4)


def test_orphan_evals_lists_unlinked_evaluations_with_their_note(tmp_path):
    evals = [base_eval(101, 1, 60, SUS), base_eval(102, None, 61, MSU, link_note="no training run of arch 61"),
             base_eval(103, None, 60, SUS, attack="AA", link_note="2 runs of arch 60, none matching")]
    con = build(tmp_path / "w.duckdb", [run(1, 60, SUS), run(2, 60, MSU)], evals)
    assert rows(con, "select eval_id, arch_id, site, norm, attack, finished, link_note, n_arch_runs from check_orphan_evals") == [
        (103, 60, SUS, "Linf", "AA", True, "2 runs of arch 60, none matching", 2),
        (102, 61, MSU, "Linf", "Base", True, "no training run of arch 61", 0),
    ]
    assert run_checks(con, ["orphan_evals"]).results[0].line() == (
        "orphan_evals: 2 evaluations not linked to a training run (of 3): 1 of archs with no run, "
        "1 of archs whose runs do not match")


# --- config_drift -------------------------------------------------------------------------------------

def drift_corpus():
    runs = [run(1, 70, SUS), run(2, 71, SUS), run(3, 72, MSU, decays=[2]), run(4, 73, "unknown")]
    common = dict(epochs="4", optimizer__lr="0.1", model__depth_configs="[4, 4, 4]")
    values = (
        settings(1, exp_name="./x/small/r1/arch_70", dataset__num_of_workers="8", native_amp="False", **common)
        + settings(2, exp_name="./x/medium/r1/arch_71", dataset__num_of_workers="8", native_amp="False", **common)
        + settings(3, exp_name="./x/large/r1/arch_72", dataset__num_of_workers="4", **common)
        + settings(4, exp_name="./x/small/r1/arch_73", dataset__num_of_workers="8", native_amp="False",
                   epochs="4", optimizer__lr="0.2")
    )
    return runs, values


def test_config_drift_compares_settings_across_known_sites(tmp_path):
    runs, values = drift_corpus()
    con = build(tmp_path / "w.duckdb", runs, run_settings=values)
    got = rows(con, "select parameter, site, value, n_runs, differs from check_config_drift where site <> 'unknown'")
    assert got == [
        ("dataset.num_of_workers", MSU, "4", 1, True),
        ("dataset.num_of_workers", SUS, "8", 2, True),
        ("epochs", MSU, "4", 1, False),
        ("epochs", SUS, "4", 2, False),
        ("exp_name", MSU, "./x/<size>/r1/arch_<id>", 1, False),
        ("exp_name", SUS, "./x/<size>/r1/arch_<id>", 2, False),
        ("gpu", MSU, "NVIDIA GeForce RTX 3090", 1, False),
        ("gpu", SUS, "NVIDIA GeForce RTX 3090", 2, False),
        ("native_amp", MSU, "(not logged)", 1, True),
        ("native_amp", SUS, "False", 2, True),
        ("observed.lr_decay_epochs", MSU, "[2]", 1, True),
        ("observed.lr_decay_epochs", SUS, "[3]", 2, True),
        ("observed.lr_decay_fractions", MSU, "[0.5]", 1, True),
        ("observed.lr_decay_fractions", SUS, "[0.75]", 2, True),
        ("observed.lr_decay_on_schedule", MSU, "no", 1, True),
        ("observed.lr_decay_on_schedule", SUS, "yes", 2, True),
        ("optimizer.lr", MSU, "0.1", 1, False),
        ("optimizer.lr", SUS, "0.1", 2, False),
    ]
    assert rows(con, "select value, differs from check_config_drift where site = 'unknown' and parameter = 'optimizer.lr'") == [
        ("0.2", False)]
    result = run_checks(con, ["config_drift"]).results[0]
    assert result.findings == 5 + 1
    assert result.headline == (
        "5 of 9 settings differ between MSU and SUSTech: observed.lr_decay_epochs (MSU [2] x1 / SUSTech [3] x2), "
        "observed.lr_decay_fractions (MSU [0.5] x1 / SUSTech [0.75] x2), "
        "observed.lr_decay_on_schedule (MSU no x1 / SUSTech yes x2), "
        "dataset.num_of_workers (MSU 4 x1 / SUSTech 8 x2), native_amp; "
        "lr decayed off the 0.75/0.9 schedule in 1 finished runs (MSU 1)")


def test_config_drift_nothing_differs_with_one_site(tmp_path):
    runs, values = drift_corpus()
    con = build(tmp_path / "w.duckdb", runs[:2], run_settings=[v for v in values if v["run_id"] <= 2])
    assert rows(con, "select count(*) from check_config_drift where differs") == [(0,)]
    assert run_checks(con, ["config_drift"]).results[0].headline == "one known site only (SUSTech): nothing to compare"


# --- edge cases: empty warehouse, no evaluations ------------------------------------------------------

def test_every_check_runs_on_an_empty_warehouse(tmp_path):
    con = build(tmp_path / "w.duckdb")
    report = run_checks(con, details=True)
    assert [(r.name, r.findings, r.rows) for r in report.results] == [(r.name, 0, []) for r in report.results]
    assert all(r.headline for r in report.results)
    assert report.warnings == []


def test_checks_without_evaluations(tmp_path):
    con = build(tmp_path / "w.duckdb", [run(1, 20, MSU), run(2, 20, SUS), run(3, 21, SUS)])
    assert rows(con, "select metric, value_a, value_b, delta from check_duplicate_archs") == [
        ("clean", None, None, None), ("fgsm", None, None, None), ("pgd20", None, None, None), ("cw40", None, None, None)]
    assert rows(con, "select * from check_duplicate_paired") == []
    assert rows(con, "select site, acc_source from check_gpu_accuracy") == [(MSU, "validation"), (SUS, "validation")]
    assert rows(con, "select run_id from check_missing_base_eval") == [(1,), (2,), (3,)]
    assert run_checks(con, ["duplicate_paired"]).results[0].findings == 0


def test_unknown_check_name_is_refused(tmp_path):
    con = build(tmp_path / "w.duckdb")
    with pytest.raises(WarehouseError, match="no check named nonsense: choose from best_epoch, code_versions, config_drift"):
        run_checks(con, ["nonsense"])


def test_render_checks_formats(tmp_path):
    con = build(tmp_path / "w.duckdb", best_epoch_corpus())
    report = run_checks(con, ["check_best_epoch", "orphan_evals"], details=True)
    assert render_checks(report, "table").splitlines() == [
        "best_epoch: MSU 100% early (2/2) vs SUSTech 0% early (0/1)",
        "orphan_evals: 0 evaluations not linked to a training run (of 0): 0 of archs with no run, 0 of archs whose runs do not match",
    ]
    assert json.loads(render_checks(report, "json"))[0] == {
        "check": "best_epoch", "view": "check_best_epoch_v2",
        "headline": "MSU 100% early (2/2) vs SUSTech 0% early (0/1)", "findings": 2,
    }
    detailed = json.loads(render_checks(report, "json", details=True))
    assert detailed[0]["rows"][0] == {"run_id": 1, "arch_id": 10, "site": MSU, "best_epoch": 1, "epochs_planned": 4,
                                      "first_decay_epoch": 3, "decay_source": "planned", "early": True}
    assert render_checks(report, "csv").splitlines()[:2] == [
        "check,view,findings,headline", "best_epoch,check_best_epoch_v2,2,MSU 100% early (2/2) vs SUSTech 0% early (0/1)"]
    with pytest.raises(UserError, match="name exactly one"):
        render_checks(report, "csv", details=True)


# --- cli.py check --------------------------------------------------------------------------------------

@pytest.fixture
def corpus_db(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    build(db, best_epoch_corpus()).close()
    return db


def test_cli_check_prints_one_line_per_check(corpus_db):
    result = CliRunner().invoke(app, ["check", "--db", str(corpus_db)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "best_epoch", "code_versions", "config_drift", "duplicate_archs", "duplicate_paired", "eval_code",
        "explain", "gpu_accuracy", "incomplete_runs", "missing_base_eval", "noise", "orphan_evals",
        "precision_path", "robust_overfitting", "timeline", "vertical_lines"]


def test_cli_check_fail_on_exits_1_only_with_findings(corpus_db):
    runner = CliRunner()
    failing = runner.invoke(app, ["check", "best_epoch", "--fail-on", "--db", str(corpus_db)])
    assert (failing.exit_code, failing.stdout) == (1, "best_epoch: MSU 100% early (2/2) vs SUSTech 0% early (0/1)\n")
    passing = runner.invoke(app, ["check", "orphan_evals", "duplicate_archs", "--fail-on", "--db", str(corpus_db)])
    assert passing.exit_code == 0
    without = runner.invoke(app, ["check", "best_epoch", "--db", str(corpus_db)])
    assert without.exit_code == 0


def test_cli_check_details_and_formats(corpus_db):
    runner = CliRunner()
    table = runner.invoke(app, ["check", "best_epoch", "--details", "--db", str(corpus_db)])
    assert table.stdout.splitlines()[2].split() == [
        "run_id", "arch_id", "site", "best_epoch", "epochs_planned", "first_decay_epoch", "decay_source", "early"]
    csv = runner.invoke(app, ["check", "best_epoch", "--details", "--format", "csv", "--db", str(corpus_db)])
    assert csv.stdout.splitlines()[1] == "1,10,MSU,1,4,3,planned,True"
    js = runner.invoke(app, ["check", "incomplete_runs", "--format", "json", "--db", str(corpus_db)])
    assert json.loads(js.stdout)[0]["findings"] == 1


def test_cli_check_errors_are_one_line(corpus_db, tmp_path):
    runner = CliRunner()
    unknown = runner.invoke(app, ["check", "nonsense", "--db", str(corpus_db)])
    assert unknown.exit_code == 1 and "error: no check named nonsense" in unknown.output
    missing = runner.invoke(app, ["check", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and "error: no warehouse at" in missing.output
    bad_format = runner.invoke(app, ["check", "--format", "xml", "--db", str(corpus_db)])
    assert bad_format.exit_code == 1 and "unknown format 'xml'" in bad_format.output


# --- through the ingest: two sites by path glob, duplicates, real log formats ------------------------

def test_checks_on_ingested_logs_of_two_sites(tmp_path):
    logs = tmp_path / "logs"
    for site, cw, gpu, test in (("sustech", [15.0, 37.0, 44.0, 50.0], "NVIDIA A100", (81.0, 56.0, 51.0, 50.0)),
                                ("msu", [15.0, 45.0, 40.0, 38.0], "NVIDIA GeForce RTX 3090", (78.0, 52.0, 47.5, 46.0))):
        folder = logs / site
        folder.mkdir(parents=True)
        (folder / "arch_6001.log").write_text(train_log(cw, gpu=gpu))
        (folder / "arch_6001_eval_Linf_Base.log").write_text(base_log(*test, best_pgdcw=max(cw)))
    (logs / "sites.toml").write_text('[sites.SUSTech]\nauthors = []\npaths = ["sustech/**"]\n'
                                     '[sites.MSU]\nauthors = []\npaths = ["msu/**"]\n')
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [logs], workers=1)
    report = check_warehouse(db, ["best_epoch", "duplicate_archs", "robust_overfitting"], details=True)
    best, duplicates, overfitting = report.results
    assert [r[1:] for r in best.rows] == [(6001, MSU, 1, 4, 3, "planned", True), (6001, SUS, 3, 4, 3, "planned", False)]
    assert [r[:7] for r in duplicates.rows] == [
        (6001, "clean", MSU, 78.0, SUS, 81.0, 3.0), (6001, "fgsm", MSU, 52.0, SUS, 56.0, 4.0),
        (6001, "pgd20", MSU, 47.5, SUS, 51.0, 3.5), (6001, "cw40", MSU, 46.0, SUS, 50.0, 4.0)]
    assert [r[1:] for r in overfitting.rows] == [(6001, MSU, 1, 45.0, 38.0, 7.0, True), (6001, SUS, 3, 50.0, 50.0, 0.0, False)]
    gpus = check_warehouse(db, ["gpu_accuracy"], details=True).results[0].rows
    assert [r[:4] for r in gpus] == [(MSU, "NVIDIA GeForce RTX 3090", 1, 1), (SUS, "NVIDIA A100", 1, 1)]


# --- the demo corpus: every planted fact of its key file --------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo repository (60 archs, 8 epochs), ingested, with its key file."""
    from demo import write_demo_repository

    out = tmp_path_factory.mktemp("demo") / "corpus"
    write_demo_repository(out, archs=60, epochs=8, seed=0)
    db = out.parent / "w.duckdb"
    ingest_paths(db, [out], workers=1)
    con = connect(db, read_only=True)
    yield out, json.loads((out / "demo_key.json").read_text()), con
    con.close()


def _rel(out: Path, path: str) -> str:
    return str(Path(path).relative_to(out))


def test_demo_best_epoch_counts_match_key(demo):
    _, key, con = demo
    counts = key["findings"]["best_epoch_counts"]
    got = rows(con, "select site, count(*), count(*) filter (where early) from check_best_epoch where site <> 'unknown' group by site")
    assert {s: (n, e) for s, n, e in got} == {s: (c["finished_runs"], c["best_before_first_decay"]) for s, c in counts.items()}


def test_demo_duplicates_and_worse_site_match_key(demo):
    _, key, con = demo
    findings = key["findings"]
    assert [r[0] for r in rows(con, "select distinct arch_id from check_duplicate_archs order by 1")] == findings["duplicate_archs"]
    paired = rows(con, "select site_a, site_b, mean_delta from check_duplicate_paired where metric = 'cw40'")
    site_a, site_b, mean_delta = paired[0]
    assert (site_a if mean_delta > 0 else site_b) == findings["duplicate_worse_site"]


def test_demo_vertical_line_bands_match_key(demo):
    _, key, con = demo
    bands = [(b["first_arch_id"], b["last_arch_id"], [b["window_site"]]) for b in key["findings"]["vertical_line_bands"]]
    assert rows(con, "select first_arch_id, last_arch_id, sites from check_vertical_lines") == bands


def test_demo_bad_gpu_is_flagged(demo):
    _, key, con = demo
    bad = key["findings"]["bad_gpu"]
    assert (bad["site"], bad["gpu"]) in rows(con, "select site, gpu from check_gpu_accuracy where flagged")


def test_demo_missing_base_evals_match_key(demo):
    _, key, con = demo
    got = rows(con, "select site, list(arch_id order by arch_id) from check_missing_base_eval where site <> 'unknown' group by site")
    assert dict(got) == key["findings"]["missing_base_eval"]


def test_demo_lr_decay_drift_found_by_config_drift(demo):
    out, key, con = demo
    drift = key["findings"]["lr_decay_drift"]
    assert rows(con, "select bool_or(differs) from check_config_drift where parameter = 'observed.lr_decay_epochs'") == [(True,)]
    observed = {_rel(out, p): e for p, e in rows(con, """
        select r.source_path, s.lr_decay_epochs from run_summary as s join runs as r using (run_id)
        where s.finished and s.lr_decay_epochs <> s.scheduled_decay_epochs""")}
    assert observed == {d["path"]: d["observed"] for d in drift}
    values = rows(con, "select value, n_runs from check_config_drift where parameter = 'observed.lr_decay_epochs' and site = 'MSU'")
    assert ("[7]", len(drift)) in values


def test_demo_incomplete_runs_and_orphans_match_key(demo):
    out, key, con = demo
    dirt = key["dirt"]
    got = rows(con, "select reason, list(source_path order by source_path) from check_incomplete_runs group by reason")
    assert {reason: sorted(_rel(out, p) for p in paths) for reason, paths in got} == {
        "unfinished": sorted(dirt["unfinished"]), "resumed": sorted(dirt["resumed"]), "nan": sorted(dirt["nan"])}
    orphans = rows(con, "select source_path from check_orphan_evals")
    assert sorted(_rel(out, p) for (p,) in orphans) == sorted(dirt["orphan_evals"])


def test_demo_details_list_the_flagged_rows_first_and_say_what_is_left_out(demo):
    """Issue 21: `check --details` showed the first 20 rows in the view's order (arch id), so the
    early runs of best_epoch were cut off; flagged rows come first and the cut is said."""
    _, key, con = demo
    report = run_checks(con, ["best_epoch", "gpu_accuracy"], details=True)
    best, gpus = report.results
    early = [row[best.columns.index("early")] for row in best.rows]
    planted = sum(c["best_before_first_decay"] for c in key["findings"]["best_epoch_counts"].values())
    assert best.n_flagged == sum(early) == planted > 3
    assert early == sorted(early, reverse=True)
    assert sorted(best.rows) == sorted(rows(con, "select * from check_best_epoch"))
    assert gpus.n_flagged == 1 and gpus.rows[0][gpus.columns.index("gpu")] == key["findings"]["bad_gpu"]["gpu"]
    text = render_checks(report, "table", details=True, max_rows=3).split("\n\n")[0].splitlines()
    assert text[1] == f"{planted} of {len(best.rows)} rows flagged, listed first"
    assert [line.split()[-1] for line in text[4:7]] == ["True"] * 3
    assert text[-1].startswith(f"... {len(best.rows) - 3} more rows left out (--max-rows 0 shows all")
    everything = render_checks(report, "table", details=True, max_rows=0).split("\n\n")[0].splitlines()
    assert len(everything) == 4 + len(best.rows) + 1 and "left out" not in everything[-1]


def test_cli_check_max_rows(corpus_db):
    runner = CliRunner()
    cut = runner.invoke(app, ["check", "best_epoch", "--details", "--max-rows", "1", "--db", str(corpus_db)])
    assert cut.exit_code == 0, cut.output
    lines = cut.stdout.splitlines()
    assert lines[1] == "2 of 3 rows flagged, listed first"
    assert lines[4].split()[:2] == ["1", "10"] and lines[4].split()[-1] == "True"
    assert lines[-1] == "... 2 more rows left out (--max-rows 0 shows all, --format csv writes them)"
    every = runner.invoke(app, ["check", "best_epoch", "--details", "--max-rows", "0", "--db", str(corpus_db)])
    assert [line.split()[0] for line in every.stdout.splitlines()[4:7]] == ["1", "3", "2"]
    assert runner.invoke(app, ["check", "--max-rows", "-1", "--db", str(corpus_db)]).exit_code == 2
