"""Real logs written by older versions of the benchmark's code (tests/fixtures/history, SPEC section 8)
load exactly: whole rows compared, values a format does not have NULL, faults recognised."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import HISTORY, query

from warehouse.update import ingest_paths


@pytest.fixture(scope="module")
def history_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("history")
    shutil.copytree(HISTORY, folder / "logs")
    db = folder / "wh.duckdb"
    ingest_paths(db, [folder / "logs"], workers=1)
    return db


def rows(db: Path, sql: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


RUN_COLUMNS = ("arch_id, seed, exp_name, epochs_planned, epochs_logged, epochs_completed, last_epoch, best_epoch, "
               "best_cw40_acc, best_pgd20_acc, best_val_acc, final_cw40_acc, finished, stop_reason, resumed, has_nan, "
               "step_lines, grad_norm_nonfinite, grad_norm_median, steps_per_second, argument_names")
T7_NAMES = ["exp_name", "config_path", "version", "seed", "data_path", "run", "stop_epoch", "warmup_steps",
            "save_epochs", "train_eval_epoch", "data_parallel", "load_model", "load_best_model", "attack_choice",
            "epsilon", "num_steps", "step_size", "apex_amp", "native_amp"]


def test_training_logs_of_older_code_load_whole(history_db):
    found = rows(history_db, f"select {RUN_COLUMNS} from runs order by arch_id")
    assert found == [
        # 0ca9b4e2: native AMP forced by the code; gradients never unscaled (|gn| ~65,000 x)
        dict(arch_id=1119, seed=0, exp_name="./ablation_dir/nasbench/small/r1/arch_1119", epochs_planned=5,
             epochs_logged=5, epochs_completed=5, last_epoch=4, best_epoch=4, best_cw40_acc=17.5, best_pgd20_acc=17.5,
             best_val_acc=40.0, final_cw40_acc=17.5, finished=True, stop_reason="finished", resumed=False,
             has_nan=False, step_lines=25, grad_norm_nonfinite=0, grad_norm_median=65524.6602,
             steps_per_second=0.43, argument_names=T7_NAMES),
        # 74c9b991: the fp32 path, true gradient norms
        dict(arch_id=1243, seed=0, exp_name="./ablation_dir/nasbench/small/r1/arch_1243", epochs_planned=5,
             epochs_logged=5, epochs_completed=5, last_epoch=4, best_epoch=4, best_cw40_acc=22.5, best_pgd20_acc=22.5,
             best_val_acc=25.0, final_cw40_acc=22.5, finished=True, stop_reason="finished", resumed=False,
             has_nan=False, step_lines=25, grad_norm_nonfinite=0, grad_norm_median=1.3036,
             steps_per_second=1.41, argument_names=T7_NAMES),
    ]


def test_epochs_of_older_code(history_db):
    found = query(history_db, "select e.epoch, e.lr, e.train_acc, e.val_acc, e.pgd20_acc, e.cw40_acc, e.cw40_stable, "
                              "e.step_lines, e.grad_norm_median, e.grad_norm_max from epochs as e join runs as r "
                              "using (run_id) where r.arch_id = 1119 order by e.epoch")
    assert found[0] == (0, 0.1, 11.81, 10.0, 10.0, 10.0, 100.0, 5, 99116.6016, 136951.4844)
    assert [row[0] for row in found] == [0, 1, 2, 3, 4] and found[4][1] == 0.01


def test_evaluation_of_older_code_is_finished_with_what_its_format_has(history_db):
    found = rows(history_db, """
        select e.status_of_file, e.* exclude (status_of_file)
        from (select f.status as status_of_file, ev.arch_id, ev.norm, ev.attack, ev.finished, ev.n_test,
                     ev.clean_correct, ev.clean_acc, ev.test_loss, ev.fgsm_acc, ev.fgsm_stable, ev.pgd20_acc,
                     ev.pgd20_stable, ev.pgd20_lip, ev.cw40_acc, ev.cw40_stable, ev.cw40_stable_logged, ev.cw40_lip,
                     ev.counts_truncated, ev.cw40_stable_is_natural, ev.ckpt_best_pgdcw_acc, ev.link_method,
                     r.arch_id = ev.arch_id as linked_to_its_run
              from evals as ev join files as f using (file_id) left join runs as r using (run_id)) as e
    """)
    assert found == [dict(
        status_of_file="ok", arch_id=1119, norm="Linf", attack="Base", finished=True, n_test=200,
        clean_correct=112, clean_acc=56.0, test_loss=None, fgsm_acc=24.5, fgsm_stable=62.5, pgd20_acc=22.5,
        pgd20_stable=59.5, pgd20_lip=739.1275, cw40_acc=24.5,
        cw40_stable=None, cw40_stable_logged=56.0,  # the CW Stable printed is the natural accuracy
        cw40_lip=None, counts_truncated=True,  # FGSM 48/200 at 24.50%
        cw40_stable_is_natural=True, ckpt_best_pgdcw_acc=17.5, link_method="best_cw40_match", linked_to_its_run=True,
    )]


def test_every_history_file_is_read_by_this_parser_version(history_db):
    from ingest.kinds import parser_version

    for kind, version in query(history_db, "select kind, parser_version from files where kind <> 'other'"):
        assert version == parser_version(kind)


@pytest.mark.parametrize("recorded", ["eval:1", None])  # an older parser; a warehouse from before versions were recorded
def test_files_an_older_parser_read_are_read_again_by_a_normal_ingest(tmp_path, recorded):
    import duckdb

    from ingest.kinds import parser_version

    shutil.copytree(HISTORY, tmp_path / "logs")
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [tmp_path / "logs"], workers=1)
    con = duckdb.connect(str(db))
    try:  # what an older tool left: its own reading of the evaluation
        con.execute("update evals set finished = false, clean_acc = null, cw40_stable = 56.0")
        con.execute("update files set parser_version = ?, status = 'partial' where kind = 'eval'", [recorded])
    finally:
        con.close()
    summary = ingest_paths(db, [tmp_path / "logs"], workers=1)
    assert (summary.loaded, summary.unchanged) == (1, 3)  # no file changed: only the evaluation is read again
    assert query(db, "select f.status, f.parser_version, e.finished, e.clean_acc, e.cw40_stable "
                     "from evals as e join files as f using (file_id)") == [("ok", parser_version("eval"), True, 56.0, None)]
    again = ingest_paths(db, [tmp_path / "logs"], workers=1)
    assert (again.loaded, again.wrote) == (0, False)


def test_the_776ae25_re_evaluation_replaces_the_cw_stable_of_an_older_evaluation(tmp_path):
    """767b607's Base evaluation of arch 1119 printed the natural accuracy as CW Stable and truncated
    counts; 776ae25's re-evaluation of its checkpoint (`_eval_test-loss.log`) printed the right CW
    Stable: check_eval_code counts that fault as replaced by it, not the truncated counts."""
    from test_eval_log import RE_EVALUATION_776AE25

    shutil.copytree(HISTORY, tmp_path / "logs")
    (tmp_path / "logs" / "eval" / "arch_1119_eval_test-loss.log").write_text(RE_EVALUATION_776AE25.replace("arch_3", "arch_1119"))
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [tmp_path / "logs"], workers=1)
    (base, run), (again, again_run) = query(db, "select eval_id, run_id from evals order by attack")
    assert run == again_run == query(db, "select run_id from runs where arch_id = 1119")[0][0]
    assert query(db, "select attack, cw40_stable, test_loss, link_method from evals where eval_id = ?", [again]) == [
        ("test-loss", 100.0, 4.4295, "only_run")]
    assert query(db, "select eval_id, fault, chosen_eval_id, replacing_eval_id, replaced from check_eval_code "
                     "order by fault") == [(base, "counts_truncated", base, None, False),
                                           (base, "cw40_stable_is_natural", base, again, True)]
    assert query(db, "select run_id from check_eval_code_flagged") == [(run,)]
    # the release file takes what the Base evaluation lacks from the re-evaluation of the checkpoint
    from warehouse.export import export_release

    written = export_release(db, tmp_path / "cifar10.jsonl")
    record = next(r for r in map(json.loads, (tmp_path / "cifar10.jsonl").read_text().splitlines()) if r["arch_id"] == 1119)
    best = record["test_best"][0]
    assert (best["Linf_cw_acc"], best["Linf_cw_stable"], best["Linf_cw_lip"], best["test_loss"]) == (24.5, 100.0, 60.4037, 4.4295)
    assert (written.re_evaluated, written.stable_is_natural) == (1, 0)
    assert "1 took their test loss or CW Stable and LIP from the test-loss re-evaluation" in written.line()


def test_without_a_re_evaluation_the_release_leaves_the_faulty_cw_stable_null(history_db, tmp_path):
    from warehouse.export import export_release

    written = export_release(history_db, tmp_path / "cifar10.jsonl")
    record = next(r for r in map(json.loads, (tmp_path / "cifar10.jsonl").read_text().splitlines()) if r["arch_id"] == 1119)
    assert (record["test_best"][0]["Linf_cw_stable"], record["test_best"][0]["test_loss"]) == (None, None)
    assert (written.re_evaluated, written.stable_is_natural) == (0, 1)


# ----------------------------------------------------------------------------- tests/fixtures/probe
@pytest.fixture(scope="module")
def probe_db(tmp_path_factory) -> Path:
    """The logs the benchmark's own scripts wrote at historical commits (tests/fixtures/probe), one
    folder per commit."""
    from conftest import PROBE

    folder = tmp_path_factory.mktemp("probe")
    shutil.copytree(PROBE, folder / "logs")
    db = folder / "wh.duckdb"
    ingest_paths(db, [folder / "logs"], workers=1)
    return db


def test_training_logs_of_every_historical_main_py_load_as_far_as_they_go(probe_db):
    """The training code of December 2022 stops on its own bugs within seconds (0424b536 forces
    apex_amp and fails on `amp`; d0bb88d8 and 0983e9e6 after the model printout; d35f9fbb on
    `teacher_model`): each log is a partial run with what it wrote. 1fe41adb forces native AMP
    itself; 3935ccd5 takes it when apex is missing although run.sh passes --apex-amp: both never
    unscale their gradients (|gn| ~84,000)."""
    found = query(probe_db, """
        select regexp_extract(f.path, '/logs/([0-9a-f]+)/', 1), f.status, r.seed, len(r.argument_names),
               r.epochs_logged, r.finished, r.precision_path, r.exp_name
        from runs as r join files as f using (file_id) order by 1""")
    assert found == [
        ("0424b536", "partial", 401, 17, 1, False, None, "./ablation_dir/nasbench/small"),  # random seed, no run level
        ("0983e9e6", "partial", 156, 18, 0, False, None, "./ablation_dir/nasbench/small/arch_042"),
        ("1fe41adb", "ok", 0, 19, 5, True, "native_amp_unscaled", "./ablation_dir/nasbench/small/r1/arch_42"),
        ("3935ccd5", "ok", 0, 21, 5, True, "native_amp_unscaled", "./ablation_dir/nasbench/small/r1/arch_42"),
        ("d0bb88d8", "partial", 0, 17, 0, False, None, "./ablation_dir/nasbench/small/arch_042"),
        ("d35f9fbb", "partial", 621, 21, 0, False, None, "./ablation_dir/nasbench/small/arch_042"),
    ]
    # the 21 options of 2022-12-15 are not those of 2024-06-13
    names = dict(query(probe_db, "select regexp_extract(source_path, '/logs/([0-9a-f]+)/', 1), argument_names "
                                 "from runs where len(argument_names) = 21"))
    assert names["d35f9fbb"] != names["3935ccd5"] and {"valset", "attack_step"} <= set(names["3935ccd5"])


def test_evaluation_logs_of_every_historical_eval_py_carry_the_faults_of_their_code(probe_db):
    """Before 6f5fe6b an L2 evaluation attacked at epsilon 8/255; before ae1f0e7 the counts were
    int() of a float sum (FGSM 23/50 at 48%); before 8c858a1 the CW Stable printed the natural
    accuracy; from 95ee1ba the Test Loss and the CW LIP are printed. Before 2e6cd80 the compact
    AutoAttack wrote _AA.log: its logged aa_type makes it AA-Compact."""
    found = query(probe_db, """
        select regexp_replace(f.path, '.*/logs/', ''), f.status, e.norm, e.attack, e.finished, round(e.epsilon, 4),
               e.clean_acc, e.fgsm_acc, e.cw40_acc, e.aa_acc, e.test_loss, e.cw40_stable, e.cw40_lip,
               e.counts_truncated, e.cw40_stable_is_natural
        from evals as e join files as f using (file_id)
        where f.name like 'arch\\_42\\_%' escape '\\' and e.attack not like 'cifar10c%' and f.path not like '%-appended/%'
        order by 1""")
    assert found == [
        ("2e6cd80/arch_42_eval_Linf_AA-Compact.log", "ok", "Linf", "AA-Compact", True, 0.0314,
         60.0, None, None, 40.0, None, None, None, None, None),
        ("2e87fe3/arch_42_eval_Linf_Base.log", "ok", "Linf", "Base", True, 0.0314,
         60.0, 48.0, 40.0, None, None, None, None, True, True),
        ("302e308/arch_42_eval_L2_Base.log", "ok", "L2", "Base", True, 0.0314,
         60.0, None, 50.0, None, None, None, None, False, True),
        ("302e308/arch_42_eval_Linf_AA.log", "ok", "Linf", "AA-Compact", True, 0.0314,
         60.0, None, None, 40.0, None, None, None, None, None),
        ("302e308/arch_42_eval_Linf_Base.log", "ok", "Linf", "Base", True, 0.0314,
         60.0, 48.0, 40.0, None, None, None, None, True, True),
        ("6f5fe6b/arch_42_eval_L2_Base.log", "ok", "L2", "Base", True, 0.5,
         60.0, None, 58.0, None, None, None, None, True, True),
        ("8c858a1/arch_42_eval_Linf_Base.log", "ok", "Linf", "Base", True, 0.0314,
         60.0, 48.0, 40.0, None, None, 80.0, None, False, False),
        ("95ee1ba/arch_42_eval_L2_Base.log", "ok", "L2", "Base", True, 0.5,
         60.0, None, 58.0, None, 0.8925, 98.0, 48.7393, False, False),
        ("ae1f0e7/arch_42_eval_Linf_Base.log", "ok", "Linf", "Base", True, 0.0314,
         60.0, 48.0, 40.0, None, None, None, None, False, True),
    ]
    faults = query(probe_db, "select regexp_extract(e.source_path, '/logs/([0-9a-f]+)/', 1), c.fault from check_eval_code as c "
                             "join evals as e using (eval_id) where e.arch_id = 42 order by all")
    assert ("302e308", "l2_epsilon_8_255") in faults and ("6f5fe6b", "l2_epsilon_8_255") not in faults
    assert {("ae1f0e7", "cw40_stable_is_natural"), ("2e87fe3", "counts_truncated")} <= set(faults)
    assert not [commit for commit, _ in faults if commit in ("8c858a1", "95ee1ba")]


def test_the_two_autoattacks_appended_to_one_log_and_the_renamed_level_log(probe_db):
    """Before 2e6cd80 the standard and the compact AutoAttack of an arch and norm both wrote _AA.log,
    one after the other: two evaluations, the first with `<path>#line=1`, the last with the file's id.
    From dc7b847 the level corruption script writes _eval_cifar10c_level.log."""
    found = query(probe_db, """
        select regexp_replace(e.source_path, '.*/logs/', ''), e.attack, e.aa_type, e.finished, e.clean_acc, e.aa_acc,
               e.eval_id = f.file_id, e.eval_id = xor(f.file_id, 1)
        from evals as e join files as f using (file_id) where f.path like '%/302e308-appended/%' order by 1""")
    assert found == [
        ("302e308-appended/arch_42_eval_Linf_AA.log", "AA-Compact", "Compact", True, 60.0, 40.0, True, False),
        ("302e308-appended/arch_42_eval_Linf_AA.log#line=1", "AA", "Standard", True, 60.0, 40.0, False, True),
    ]
    level = query(probe_db, """
        select e.attack, e.finished, round(e.corruption_mean_acc, 4), count(c.level), count(distinct c.corruption)
        from evals as e join files as f using (file_id) join corruptions as c using (eval_id)
        where f.path like '%/dc7b847/%' group by all""")
    assert level == [("cifar10c", True, 10.8316, 95, 19)]
