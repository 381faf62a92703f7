"""Which code ran: code fingerprints, precision paths and the commits that could have written a log.

The code repositories are built here, commit by commit, with entry scripts in the style of the
benchmark's own (argparse options, logging templates) as they changed over its history (SPEC
section 8); the logs are the real ones of tests/fixtures/history and tests/fixtures/samples.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import HISTORY, SAMPLES, git, query

from ingest.code_facts import like_pattern, script_facts
from ingest.code_history import read_code_repo
from warehouse.update import ingest_paths

TRAIN_OPTIONS_T6 = ["exp_name", "config_path", "version", "seed", "stop_epoch", "warmup_steps", "save_epochs",
                    "train_eval_epoch", "data_parallel", "load_model", "load_best_model", "attack_choice", "epsilon",
                    "num_steps", "step_size", "apex-amp", "native-amp"]
TRAIN_OPTIONS_T7 = TRAIN_OPTIONS_T6[:4] + ["data_path", "run"] + TRAIN_OPTIONS_T6[4:]
TRAIN_OPTIONS_T9 = (TRAIN_OPTIONS_T7[:11] + ["valset"] + TRAIN_OPTIONS_T7[11:14] + ["attack_step"]
                    + TRAIN_OPTIONS_T7[14:])


def main_py(options: list[str], best: str = "'Best PGD-20 accuracy: %.2f' % (best)") -> str:
    """An entry script of the training code: its options and its logging calls."""
    lines = ["import argparse, logging", "logger = logging.getLogger()", "parser = argparse.ArgumentParser()"]
    lines += [f"parser.add_argument('--{name}', default=None)" for name in options]
    lines += [
        "args = parser.parse_args()",
        "logger.info(' ### Start to evaluate from {} Epoch ### '.format(0.0))",
        "payload = ('Eval Loss:%.4f\\tEval acc: %.2f' % (1.0, 2.0))",
        "logger.info(payload)",
        "logger.info('---- {} attacking results ----'.format(attack_choice))",
        "logger.info('Natural Correct Count: %d/%d Acc: %.2f ' % (1, 2, 3.0))",
        "logger.info('%s Correct Count: %d/%d Acc: %.2f ' % (attack_choice, 1, 2, 3.0))",
        "logger.info('%s with %.1f steps Loss Avg: %.2f ' % (attack_choice, 20, 1.0))",
        "logger.info('LIP Avg: %.4f ' % (1.0))",
        "logger.info('Stable Count: %d/%d StableAcc: %.2f ' % (1, 2, 3.0))",
        f"logger.info({best})",
        "logger.info('Best PGDCW-40 accuracy: %.2f' % (best))" if "PGD-%d" not in best
        else "logger.info('Best PGDCW-%d accuracy: %.2f' % (args.attack_step[1], best))",
        "logger.info('Running Cost %.2f Days' % cost)",
    ]
    return "\n".join(lines) + "\n"


EVAL_OPTIONS = ["seed", "model", "model-path", "log-path", "attack-choice", "norm", "load-best-model", "aa-type",
                "progress-bar"]


def eval_py(rounded: bool, test_loss: bool) -> str:
    """An entry script of the evaluation code: int() or round() counts, old or new result lines."""
    ratio = "round" if rounded else "int"
    loss = ' Test Loss: {metrics["test_loss"].avg:.4f}' if test_loss else ""
    stable = "cw_stable" if test_loss else "natural_acc"
    lip = ' LIP: {metrics["cw_lip"].avg:.4f}' if test_loss else ""
    lines = ["import argparse, logging", "logger = logging.getLogger()", "def setup_args():",
             "    parser = argparse.ArgumentParser()"]
    lines += [f"    parser.add_argument('--{name}', default=None)" for name in EVAL_OPTIONS]
    lines += [
        "    args = parser.parse_args()", "    args.epsilon = 8/255", "    args.step_size = 0.8/255", "    return args",
        f"def get_ratio(m):\n    return f'{{{ratio}(m.sum)}}/{{{ratio}(m.count)}}'",
        "def linf_eval(metrics):",
        f"    logger.info(f'Natural Correct Count: {{get_ratio(metrics[\"natural_acc\"])}}, "
        f"Acc: {{metrics[\"natural_acc\"].percent:.2f}}{loss}')",
        "    logger.info(f'FGSM with 1 step Correct Count: {get_ratio(metrics[\"fgsm_acc\"])}, "
        "Acc: {metrics[\"fgsm_acc\"].percent:.2f}, Stable: {metrics[\"fgsm_stable\"].percent:.2f}')",
        "    logger.info(f'PGD with 20 steps Correct Count: {get_ratio(metrics[\"pgd_acc\"])}, "
        "Acc: {metrics[\"pgd_acc\"].percent:.2f}, Stable: {metrics[\"pgd_stable\"].percent:.2f} "
        "LIP: {metrics[\"pgd_lip\"].avg:.4f}')",
        f"    logger.info(f'CW with 40 steps Correct Count: {{get_ratio(metrics[\"cw_acc\"])}}, "
        f"Acc: {{metrics[\"cw_acc\"].percent:.2f}}, Stable: {{metrics[\"{stable}\"].percent:.2f}}{lip}')",
        "args = setup_args()",
        "args.device = 'cpu'",
        "logger.info(f'Running Cost {0.0:.2f} Days')",
    ]
    return "\n".join(lines) + "\n"


def commit(repo: Path, files: dict[str, str], date: str, message: str) -> str:
    for name, text in files.items():
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, author="shihuahuang", email="s@example.org", date=date)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def code_repos(tmp_path_factory) -> dict[str, str]:
    """Two code repositories with the history of SPEC section 8, and the shas by name."""
    root = tmp_path_factory.mktemp("code")
    train, evaluation = root / "train", root / "eval"
    shas = {}
    for repo in (train, evaluation):
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
    shas["T6"] = commit(train, {"main.py": main_py(TRAIN_OPTIONS_T6)}, "2022-12-19T21:56:35+08:00", "Adding README file")
    shas["T7"] = commit(train, {"main.py": main_py(TRAIN_OPTIONS_T7)}, "2022-12-20T19:41:26+08:00", "revise some files")
    shas["T7 readme"] = commit(train, {"README.md": "training\n"}, "2022-12-20T19:45:38+08:00", "update")
    shas["T8"] = commit(train, {"main.py": main_py(TRAIN_OPTIONS_T7) + "# NaN catching\n"},
                        "2023-01-02T11:41:11+08:00", "adding support for NaN catching")
    shas["T9"] = commit(train,
                        {"main.py": main_py(TRAIN_OPTIONS_T9, "'Best PGD-%d accuracy: %.2f' % (args.attack_step[0], best)")},
                        "2024-06-13T17:00:53+08:00", "cleanup workspace")
    shas["E2"] = commit(evaluation, {"eval.py": eval_py(rounded=False, test_loss=False)}, "2023-11-26T17:03:40+08:00", "log path")
    shas["E3"] = commit(evaluation, {"eval.py": eval_py(rounded=True, test_loss=False)},
                        "2024-01-07T01:40:58+08:00", "fix precision")
    shas["E5"] = commit(evaluation, {"eval.py": eval_py(rounded=True, test_loss=True)}, "2024-04-18T22:29:58+08:00", "test loss")
    shas["train"], shas["eval"] = str(train), str(evaluation)
    return shas


def test_script_facts_are_kept_per_source_only_up_to_a_size(monkeypatch):
    """A series of ingests parses each version of a script once; a script larger than
    KEPT_SOURCE_CHARS (only a repository from elsewhere holds one) is parsed and not kept."""
    from ingest import code_facts

    source = main_py(TRAIN_OPTIONS_T7)
    code_facts._kept_facts.cache_clear()
    assert script_facts(source) == script_facts(source) == code_facts._facts(source)
    assert code_facts._kept_facts.cache_info().hits == 1
    monkeypatch.setattr(code_facts, "KEPT_SOURCE_CHARS", len(source) - 1)
    code_facts._kept_facts.cache_clear()
    assert script_facts(source) == code_facts._facts(source)
    assert code_facts._kept_facts.cache_info().currsize == 0


def test_script_facts_of_a_historical_entry_script():
    facts = script_facts(main_py(TRAIN_OPTIONS_T7))
    assert facts.arguments[:6] == ("exp_name", "config_path", "version", "seed", "data_path", "run")
    assert facts.arguments[-2:] == ("apex_amp", "native_amp")  # --apex-amp logs as apex_amp
    assert facts.matches("['PGD', 'PGD-CW'] Correct Count: 2000/5000 Acc: 40.00 ")
    assert facts.matches("Best PGD-20 accuracy: 40.00") and not facts.matches("Best PGD accuracy: 40.00")
    assert not facts.matches("garbage")
    evaluation = script_facts(eval_py(rounded=True, test_loss=True))
    assert evaluation.arguments == tuple(n.replace("-", "_") for n in EVAL_OPTIONS) + ("epsilon", "step_size", "device")
    assert evaluation.matches("Natural Correct Count: 134/200, Acc: 67.00 Test Loss: 1.2325")
    assert not evaluation.matches("Natural Correct Count: 134/200, Acc: 67.00")
    assert script_facts("def broken(:\n") is None


def test_read_code_repo_keeps_each_scripts_state_until_its_next_change(code_repos):
    repo = read_code_repo(Path(code_repos["train"]))
    assert [c.sha for c in repo.commits] == [code_repos[k] for k in ("T6", "T7", "T7 readme", "T8", "T9")]
    assert repo.changed_at["training"] == [code_repos[k] for k in ("T6", "T7", "T8", "T9")]
    assert repo.facts[code_repos["T7 readme"]]["training"] == repo.facts[code_repos["T7"]]["training"]
    assert str(repo.commits[0].authored_at) == "2022-12-19 21:56:35"  # the author's wall clock


@pytest.fixture
def logs(tmp_path) -> Path:
    folder = tmp_path / "logs"
    shutil.copytree(HISTORY, folder)
    shutil.copy(SAMPLES / "eval" / "arch_2_eval_Linf_Base.log", folder / "eval")
    return folder


def commits_of(db: Path, table: str, arch_id: int, code_repos: dict) -> list[str]:
    names = {sha: name for name, sha in code_repos.items()}
    column = "eval_id" if table == "evals" else "run_id"
    rows = query(db, f"select code_commits from {table} where arch_id = ? order by {column}", [arch_id])
    return [names[sha] for sha in rows[0][0]] if rows[0][0] is not None else None


def test_code_commits_of_the_history_logs(tmp_path, logs, code_repos):
    db = tmp_path / "wh.duckdb"
    summary = ingest_paths(db, [logs], workers=1, code_repos=[Path(code_repos["train"]), Path(code_repos["eval"])])
    assert not summary.warnings
    # 0ca9b4e2 and 74c9b991 log the same 19 argument names and the same lines: both could have
    # written a log of 2026, and the commit between them (README only) too; T6 and T9 cannot
    assert commits_of(db, "runs", 1119, code_repos) == ["T7", "T7 readme", "T8"]
    assert commits_of(db, "runs", 1243, code_repos) == ["T7", "T7 readme", "T8"]
    # no Test Loss, no CW LIP: the code before 2024-04-18 (counts int() or round(): both print it)
    assert commits_of(db, "evals", 1119, code_repos) == ["E2", "E3"]
    assert commits_of(db, "evals", 2, code_repos) == ["E5"]
    versions = query(db, "select kind, n_runs, n_evals, array_length(commits), first_commit, last_commit "
                         "from code_versions order by kind, n_evals, array_length(commits)")
    assert versions == [
        ("evaluation", 0, 1, 1, code_repos["E5"], code_repos["E5"]),
        ("evaluation", 0, 1, 2, code_repos["E2"], code_repos["E3"]),
        ("training", 2, 0, 3, code_repos["T7"], code_repos["T8"]),
    ]
    assert query(db, "select arch_id, precision_path from runs order by arch_id") == [
        (1119, "native_amp_unscaled"), (1243, "fp32_or_apex")]


def test_a_log_is_only_written_by_commits_not_after_its_first_line(tmp_path, logs, code_repos):
    log = logs / "train" / "arch_1119.log"
    log.write_text(log.read_text().replace("2026-12-01 ", "2022-12-25 "))  # between 0ca9b4e2 and 74c9b991
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1, code_repos=[Path(code_repos["train"])])
    assert commits_of(db, "runs", 1119, code_repos) == ["T7", "T7 readme"]
    assert commits_of(db, "runs", 1243, code_repos) == ["T7", "T7 readme", "T8"]
    assert commits_of(db, "evals", 1119, code_repos) is None  # no evaluation repository: unknown


def test_without_a_code_repository_the_fingerprints_still_group_the_logs(tmp_path, logs):
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1)
    assert query(db, "select count(distinct code_fingerprint), count(code_commits) from runs") == [(1, 0)]
    assert query(db, "select count(distinct code_fingerprint) from evals") == [(2,)]
    assert query(db, "select count(*), count(commits) from code_versions") == [(3, 0)]


def test_a_new_commit_is_matched_without_parsing_a_log_again(tmp_path, logs, code_repos):
    train = tmp_path / "train"
    shutil.copytree(code_repos["train"], train)
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1, code_repos=[train])
    same = ingest_paths(db, [logs], workers=1)  # the commits read stay without the repository named
    assert not same.wrote and query(db, "select count(*) from code_history") == [(5,)]
    later = commit(train, {"README.md": "more\n"}, "2024-07-01T10:00:00+08:00", "readme")
    unnamed = ingest_paths(db, [logs], workers=1)  # not named: not read, whatever its HEAD
    assert not unnamed.wrote and query(db, "select n_commits from code_repos") == [(5,)]
    summary = ingest_paths(db, [logs], workers=1, code_repos=[train])
    assert summary.wrote and summary.loaded == 0
    assert later not in query(db, "select code_commits from runs where arch_id = 1119")[0][0]  # T9's names
    assert query(db, "select n_commits from code_repos") == [(6,)]


def test_code_repositories_are_read_once_while_the_logs_are_parsed(tmp_path, logs, code_repos, monkeypatch):
    """A first ingest reads each repository once, in a thread while the logs are parsed; one whose
    HEAD moved after that read (a commit landing meanwhile) is read again when its commits are stored."""
    import warehouse.code_windows as windows
    import warehouse.pipeline as pipeline

    train = tmp_path / "train"
    shutil.copytree(code_repos["train"], train)
    reads = []
    monkeypatch.setattr(windows, "read_code_repo", lambda path: reads.append(Path(path).name) or read_code_repo(path))
    ingest_paths(tmp_path / "a.duckdb", [logs], workers=1, code_repos=[train, Path(code_repos["eval"])])
    assert sorted(reads) == ["eval", "train"]

    read_ahead = pipeline.read_repos

    def then_a_commit_lands(given):
        repos = read_ahead(given)
        commit(train, {"README.md": "meanwhile\n"}, "2024-07-01T10:00:00+08:00", "meanwhile")
        return repos

    monkeypatch.setattr(pipeline, "read_repos", then_a_commit_lands)
    reads.clear()
    db = tmp_path / "b.duckdb"
    ingest_paths(db, [logs], workers=1, code_repos=[train])
    assert reads == ["train", "train"]
    head = git(train, "rev-parse", "HEAD").strip()
    assert query(db, "select head, n_commits from code_repos") == [(head, 6)]


def test_a_repository_a_warehouse_names_is_never_read_on_its_word(tmp_path, logs, code_repos):
    """A warehouse may come from elsewhere: its code_repos rows name paths of another machine, or
    planted ones of this one. An ingest reads only the repositories it is given."""
    import duckdb

    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1)
    con = duckdb.connect(str(db))
    con.execute("insert into code_repos values (?, 'planted', 1, now(), null, null)", [str(Path(code_repos["eval"]).resolve())])
    con.close()
    ingest_paths(db, [logs], workers=1)  # (writes: the code versions are matched again, to nothing)
    assert query(db, "select count(*) from code_history") == [(0,)]
    (logs / "train" / "arch_1119.log").write_text((logs / "train" / "arch_1119.log").read_text() + "\n")
    summary = ingest_paths(db, [logs], workers=1)
    assert summary.wrote and summary.loaded == 1
    assert query(db, "select count(*) from code_history") == [(0,)]
    assert query(db, "select head from code_repos") == [("planted",)]


def test_a_log_added_later_gets_its_commits_and_the_others_keep_theirs(tmp_path, logs, code_repos):
    """A re-ingest derives the commits of the logs it read; the code repositories unchanged, the
    other logs keep theirs. The warehouse then says what an ingest from scratch says."""
    db, repos = tmp_path / "wh.duckdb", [Path(code_repos["train"]), Path(code_repos["eval"])]
    ingest_paths(db, [logs], workers=1, code_repos=repos)
    text = (logs / "train" / "arch_1119.log").read_text()
    (logs / "train" / "arch_1500.log").write_text(text.replace("arch_1119", "arch_1500").replace("2026-12-01 ", "2022-12-25 "))
    summary = ingest_paths(db, [logs], workers=1)
    assert summary.loaded == 1
    assert commits_of(db, "runs", 1500, code_repos) == ["T7", "T7 readme"]
    assert commits_of(db, "runs", 1119, code_repos) == ["T7", "T7 readme", "T8"]
    fresh = tmp_path / "fresh.duckdb"
    ingest_paths(fresh, [logs], workers=1, code_repos=repos)
    commits = "select arch_id, code_commits from runs union all select arch_id, code_commits from evals order by all"
    assert query(db, commits) == query(fresh, commits)


def test_a_code_repository_given_later_gives_every_log_its_commits(tmp_path, logs, code_repos):
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1)
    assert query(db, "select count(code_commits) from runs") == [(0,)]
    summary = ingest_paths(db, [logs], workers=1, code_repos=[Path(code_repos["train"])])
    assert summary.wrote and summary.loaded == 0
    assert commits_of(db, "runs", 1119, code_repos) == commits_of(db, "runs", 1243, code_repos) == ["T7", "T7 readme", "T8"]


def test_eval_code_check_names_the_faulty_values_and_the_archs_to_evaluate_again(tmp_path, logs):
    from warehouse.export import flagged_arch_ids

    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1)
    assert query(db, "select arch_id, fault, wrong_value, logged_value from check_eval_code order by fault") == [
        (1119, "counts_truncated", "correct_counts", "112/200"),
        (1119, "cw40_stable_is_natural", "cw40_stable", "56.0"),
    ]
    assert flagged_arch_ids(db, "eval_code") == [1119]


def test_a_faulty_evaluation_evaluated_again_with_fixed_code_no_longer_flags_its_arch(tmp_path, logs):
    """776ae25 re-ran the CW evaluations: a run evaluated again takes the later numbers, so the
    faulty evaluation stays listed but replaced, and its arch is not one to evaluate again."""
    from warehouse.checks import run_checks
    from warehouse.connect import connect
    from warehouse.export import flagged_arch_ids

    rerun = logs / "rerun"
    rerun.mkdir()
    newest = (SAMPLES / "eval" / "arch_2_eval_Linf_Base.log").read_text()  # Test Loss and CW LIP: fixed code
    rerun_log = newest.replace("arch_2", "arch_1119").replace("2026-11-23 ", "2026-12-02 ")  # a day after the faulty one
    (rerun / "arch_1119_eval_Linf_Base.log").write_text(rerun_log)
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1)
    assert query(db, "select fault, replaced, e.source_path like '%/rerun/%' from check_eval_code c "
                     "join evals e on e.eval_id = c.chosen_eval_id order by fault") == [
        ("counts_truncated", True, True),
        ("cw40_stable_is_natural", True, True),
    ]
    assert flagged_arch_ids(db, "eval_code") == []
    assert query(db, "select e.cw40_stable, e.cw40_lip from chosen_evals c join evals e using (eval_id) "
                     "where e.arch_id = 1119 and c.norm = 'Linf' and c.attack = 'Base'") == [(82.0, 294.2399)]
    con = connect(db, read_only=True)
    try:
        result = run_checks(con, ["eval_code"]).results[0]
    finally:
        con.close()
    assert result.findings == 0
    assert result.headline.startswith("1 evaluation from faulty code (of 3; 1 replaced by another evaluation of their run): ")


def test_a_bare_code_repository_gives_the_commits_its_clone_gives(tmp_path, logs, code_repos):
    """A mirror of the benchmark's code (`git clone --bare`, no work tree) is read like its clone."""
    bare = tmp_path / "train.git"
    git(tmp_path, "clone", "-q", "--bare", code_repos["train"], str(bare))
    db = tmp_path / "wh.duckdb"
    summary = ingest_paths(db, [logs], workers=1, code_repos=[bare])
    assert not summary.warnings
    names = {sha: name for name, sha in code_repos.items()}
    rows = query(db, "select code_commits from runs where arch_id = 1119")
    assert [names[sha] for sha in rows[0][0]] == ["T7", "T7 readme", "T8"]


def test_a_code_repository_git_cannot_read_gives_a_warning(tmp_path, logs):
    folder = tmp_path / "not_a_repo"
    folder.mkdir()
    summary = ingest_paths(tmp_path / "wh.duckdb", [logs], workers=1, code_repos=[folder])
    assert any("code repository" in w for w in summary.warnings)


def test_the_sites_file_names_the_code_repositories(tmp_path, logs, code_repos):
    train = logs / "code" / "train"
    shutil.copytree(code_repos["train"], train)
    (logs / "sites.toml").write_text('[sites.SUSTech]\nauthors = ["zaber"]\n\n[code]\nrepos = ["code/train"]\n')
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1)
    assert commits_of(db, "runs", 1243, code_repos) == ["T7", "T7 readme", "T8"]
    assert query(db, "select repo from code_repos") == [(str(train.resolve()),)]


@pytest.mark.parametrize("named, reason", [
    ("../code/train", "is outside the sites file's folder: name a repository below it, or give it with --code-repo"),
    ("/", "is outside the sites file's folder"),
    ("linked", "is outside the sites file's folder"),  # a link inside to a folder outside
    ("nothing/here", "is not a folder"),
])
def test_a_sites_file_names_no_repository_outside_its_folder(tmp_path, logs, code_repos, named, reason):
    """A sites file may come with the logs, from elsewhere: it cannot make the tool read a
    repository outside its own folder. Such a sites file is not used, in one line."""
    shutil.copytree(code_repos["train"], logs.parent / "code" / "train")
    (logs / "linked").symlink_to(logs.parent / "code" / "train")
    (logs / "sites.toml").write_text(f'[sites.SUSTech]\nauthors = ["zaber"]\n\n[code]\nrepos = ["{named}"]\n')
    db = tmp_path / "wh.duckdb"
    summary = ingest_paths(db, [logs], workers=1)
    said = [w for w in summary.warnings if "sites.toml" in w]
    assert len(said) == 1 and f"sites.toml:5: code.repos {named!r} {reason}" in said[0], said
    assert query(db, "select count(*) from code_repos") == [(0,)]
    assert query(db, "select sites_problem is not null from roots") == [(True,)]


def test_a_sites_file_with_a_wrong_code_table_is_one_clear_line(tmp_path, logs):
    (logs / "sites.toml").write_text('[sites.SUSTech]\nauthors = ["zaber"]\n\n[code]\nrepos = "code/train"\n')
    summary = ingest_paths(tmp_path / "wh.duckdb", [logs], workers=1)
    said = [w for w in summary.warnings if "sites.toml" in w]
    assert len(said) == 1 and re.search(r"sites.toml:5: code.repos must be a list of folder names: not used", said[0])
    assert query(tmp_path / "wh.duckdb", "select count(*) from code_repos") == [(0,)]  # the file's repos: none


def test_code_commits_follow_the_rule_at_its_edges(demo_warehouse_copy):
    """Every log's `code_commits`, recomputed by the steps after its dates were moved to the rule's
    edges, against the rule written out here: the commits of its version's window (by repository
    and position) authored at or before its first line, a commit of no known date always, every
    commit for a log with no first line; of those, the commits whose script can write a log file
    of its name (the demo's eval.py, as the benchmark's, wrote no _AA-Compact.log before 2e6cd80)."""
    import duckdb

    from warehouse.steps import run_steps

    con = duckdb.connect(str(demo_warehouse_copy))
    fingerprint, window = con.execute(
        "select v.fingerprint, list(h.sha order by h.authored_at) from code_versions as v, unnest(v.commits) as c (sha) "
        "inner join code_history as h on c.sha = h.sha where v.n_runs >= 3 group by v.fingerprint "
        "order by count(*) desc, v.fingerprint limit 1").fetchone()
    assert len(window) >= 3
    second_date = con.execute("select authored_at from code_history where sha = ?", [window[1]]).fetchone()[0]
    runs = [r[0] for r in con.execute("select run_id from runs where code_fingerprint = ? order by run_id limit 3",
                                      [fingerprint]).fetchall()]
    evals = [r[0] for r in con.execute("select eval_id from evals where code_fingerprint is not null order by eval_id limit 1"
                                       ).fetchall()]
    con.execute("update runs set started_at = null where run_id = ?", [runs[0]])
    con.execute("update runs set started_at = ? where run_id = ?", [second_date, runs[1]])  # exactly a commit's date
    con.execute("update runs set started_at = '2000-01-01' where run_id = ?", [runs[2]])  # before every commit
    con.execute("update evals set started_at = '2000-01-01' where eval_id = ?", evals)
    con.execute("update code_history set authored_at = null where sha = ?", [window[-1]])  # no known date
    con.execute("update runs set code_commits = null")
    run_steps(con)
    history = {sha: (repo, position, at) for repo, position, sha, at in
               con.execute("select repo, position, sha, authored_at from code_history").fetchall()}
    versions = dict(con.execute("select fingerprint, commits from code_versions").fetchall())
    names = {fingerprint: {entry["sha"]: [like_regex(p) for p in entry["patterns"]] for entry in entries or []}
             for fingerprint, entries in con.execute("select fingerprint, commit_log_names from code_versions").fetchall()}
    logs = con.execute("select l.id, l.code_fingerprint, l.started_at, l.code_commits, f.name from "
                       "(select run_id as id, file_id, code_fingerprint, started_at, code_commits from runs union all "
                       "select eval_id, file_id, code_fingerprint, started_at, code_commits from evals) as l "
                       "join files as f using (file_id)").fetchall()
    con.close()
    checked = narrowed = 0
    for _, log_fingerprint, started_at, commits, name in logs:
        version = versions.get(log_fingerprint)
        if version is None:
            assert commits is None
            continue
        ordered = sorted((history[sha][:2], sha) for sha in version if sha in history)
        dated = [sha for _, sha in ordered
                 if history[sha][2] is None or started_at is None or started_at >= history[sha][2]]
        rules = names[log_fingerprint]
        assert commits == [sha for sha in dated if sha not in rules or any(r.fullmatch(name) for r in rules[sha])]
        narrowed += len(commits) < len(dated)
        checked += 1
    assert checked > 100 and narrowed > 0
    by_id = {log_id: commits for log_id, _, _, commits, _ in logs}
    ordered = [sha for _, sha in sorted((history[sha][:2], sha) for sha in versions[fingerprint] if sha in history)]
    assert by_id[runs[0]] == ordered  # no first line: every commit
    assert by_id[runs[2]] == [window[-1]]  # before every dated commit: the undated one
    assert window[1] in by_id[runs[1]] and window[2] not in by_id[runs[1]]


def like_regex(pattern: str) -> re.Pattern:
    """A SQL LIKE pattern with escape character `\\` as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S)


@pytest.mark.slow  # eight ingests, ~3.5 s
def test_each_code_version_keeps_the_lines_of_its_first_log_by_path_as_from_scratch(tmp_path):
    """code_versions.sample_lines are those of the version's first log by path (sample_path),
    whichever ingest loaded it: after a log of a smaller path comes, after that log is removed
    (the next one's lines, from a log this ingest did not parse: it is read again) and after the
    first log changed, the rows equal those of an ingest from scratch of the same files."""
    logs, db = tmp_path / "logs", tmp_path / "wh.duckdb"
    logs.mkdir()
    text = (SAMPLES / "train" / "arch_2.log").read_text()
    assert "Eval Loss:11.6574\t" in text

    def write_log(arch: int, loss: str) -> None:
        changed = text.replace("arch_2", f"arch_{arch}").replace("Eval Loss:11.6574", f"Eval Loss:{loss}")
        (logs / f"arch_{arch}.log").write_text(changed)

    def kept_after_ingest(step: str) -> list[tuple]:
        ingest_paths(db, [logs], workers=1)
        fresh = tmp_path / f"{step}.duckdb"
        ingest_paths(fresh, [logs], workers=1)
        rows = "select fingerprint, kind, sample_path, sample_lines from code_versions order by all"
        assert query(db, rows) == query(fresh, rows) != [], step
        return query(db, "select sample_path, sample_lines[2] from code_versions")

    def kept(arch: int, loss: str) -> list[tuple]:
        return [(str(logs.resolve() / f"arch_{arch}.log"), f"Eval Loss:{loss}\tEval acc: 15.00")]

    write_log(5, "55.5555")
    write_log(7, "77.7777")
    assert kept_after_ingest("first") == kept(5, "55.5555")
    write_log(3, "33.3333")
    assert kept_after_ingest("smaller") == kept(3, "33.3333")
    (logs / "arch_3.log").unlink()
    assert kept_after_ingest("removed") == kept(5, "55.5555")
    write_log(5, "50.0000")
    assert kept_after_ingest("changed") == kept(5, "50.0000")


def test_a_first_log_the_ingest_did_not_find_is_never_read(tmp_path):
    """The lines of a version's first log are read again only from a file the ingest found under
    its roots, never from a path the warehouse names (a warehouse may come from elsewhere): here
    the first log by path is under a root of an earlier ingest that this one was not given. Given
    that root again, the ingest reads it (a row an older tool wrote has no sample path)."""
    import duckdb

    logs, elsewhere, db = tmp_path / "logs", tmp_path / "a-elsewhere", tmp_path / "wh.duckdb"
    logs.mkdir()
    elsewhere.mkdir()
    text = (SAMPLES / "train" / "arch_2.log").read_text().replace("arch_2", "arch_5")
    (logs / "arch_5.log").write_text(text)
    (elsewhere / "arch_5.log").write_text(text.replace("Eval Loss:11.6574", "Eval Loss:99.9999"))
    ingest_paths(db, [logs, elsewhere], workers=1)
    first = str(elsewhere.resolve() / "arch_5.log")
    assert query(db, "select sample_path from code_versions where kind = 'training'") == [(first,)]
    con = duckdb.connect(str(db))
    con.execute("update code_versions set sample_path = null, sample_lines = ['kept']")  # as an older tool left it
    con.close()
    (logs / "arch_5.log").write_text(text + "\n")
    ingest_paths(db, [logs], workers=1)
    assert query(db, "select count(*) from files where path = ?", [first]) == [(1,)]
    assert query(db, "select sample_path, sample_lines from code_versions where kind = 'training'") == [(None, ["kept"])]
    # given its root again, the ingest reads that first log (unchanged: no chunk held it) for its lines
    (logs / "arch_5.log").write_text(text + "\n\n")
    ingest_paths(db, [logs, elsewhere], workers=1)
    [(path, lines)] = query(db, "select sample_path, sample_lines from code_versions where kind = 'training'")
    assert path == first and "Eval Loss:99.9999\tEval acc: 15.00" in lines


# ----------------------------------------------------------------------------- the names of the log files
def named_eval_py(name_line: str) -> str:
    """The latest eval.py's options and result lines (eval_py), its AutoAttack line, and a logger set
    up on the file `name_line` names (as `log_file_path`), with the choices of the real options."""
    source = eval_py(rounded=True, test_loss=True)
    source = source.replace("parser.add_argument('--attack-choice', default=None)",
                            "parser.add_argument('--attack-choice', default='Base', choices=['Base', \"AA\"])")
    source = source.replace("parser.add_argument('--norm', default=None)",
                            "parser.add_argument('--norm', type=str, default='Linf', choices=[\"L2\", \"Linf\"])")
    return source + "\n".join([
        "logger.info(f'{args.norm}-AA Acc: {0.0:.2f}')",
        "log_path = Path(args.log_path)",
        name_line,
        "logger = util.setup_logger(name=args.model, log_file=str(log_file_path))",
    ]) + "\n"


BEFORE_2E6CD80 = "log_file_path = log_path / f'{args.model}_eval_{args.norm}_{args.attack_choice}.log'"
FROM_2E6CD80 = "\n".join([
    "if args.attack_choice == 'AA' and args.aa_type != 'Standard':",
    "    attack_name = f'AA-{args.aa_type}'",
    "else:",
    "    attack_name = args.attack_choice",
    "log_file_path = log_path / f'{args.model}_eval_{args.norm}_{attack_name}.log'",
])


def writes_log_named(facts, name: str) -> bool:
    """Whether a script can write a log file of this name, by the LIKE patterns the steps match
    names against (code_versions.commit_log_names); any name when its names are not known."""
    return facts.log_names is None or any(like_regex(like_pattern(t)).fullmatch(name) for t in facts.log_names)


def test_the_log_file_names_an_entry_script_can_write():
    """An option with choices in the name stands for each choice; a name made otherwise is any text."""
    before = script_facts(named_eval_py(BEFORE_2E6CD80))
    assert before.log_names == ("%s_eval_L2_Base.log", "%s_eval_L2_AA.log", "%s_eval_Linf_Base.log",
                                "%s_eval_Linf_AA.log")
    assert writes_log_named(before, "arch_2_eval_Linf_AA.log")
    assert not writes_log_named(before, "arch_2_eval_Linf_AA-Compact.log")
    after = script_facts(named_eval_py(FROM_2E6CD80))
    assert after.log_names == ("%s_eval_L2_%s.log", "%s_eval_Linf_%s.log")
    assert writes_log_named(after, "arch_2_eval_Linf_AA-Compact.log")
    assert not writes_log_named(after, "arch_2_eval_cifar10c.log")
    # what the script does not say plainly allows any name
    for line in ["log_file_path = log_path / (args.model + '_eval.log')",      # not an f-string
                 BEFORE_2E6CD80 + "\nlog_file_path = log_path / 'other.log'",    # assigned twice
                 "log_file_path = f'{args.model}.log'\nlogger = util.setup_logger(name='x', log_file='y.log')"]:
        facts = script_facts(named_eval_py(line))
        assert facts.log_names in (None, ("%s.log",)) and writes_log_named(facts, "anything.log"), line
    assert script_facts(named_eval_py("log_file_path = 'fixed_name.log'")).log_names == ("fixed_name.log",)
    assert script_facts("x = 1\n").log_names is None
    # a repository from elsewhere: many choices, or a huge name, say nothing instead of costing much
    many = "parser.add_argument('--part', choices=[" + ", ".join(f"'p{i}'" for i in range(100_000)) + "])\n"
    assert script_facts(many + named_eval_py("log_file_path = f'{args.part}_{args.part}.log'")).log_names is None
    assert script_facts(named_eval_py("log_file_path = f'{args.model}" + "_x" * 1000 + ".log'")).log_names is None


@pytest.fixture(scope="module")
def named_repo(tmp_path_factory) -> dict[str, str]:
    """An evaluation repository whose two commits print the same lines and differ only in the name
    of the log file (2e6cd80 added the AutoAttack type to it)."""
    repo = tmp_path_factory.mktemp("named") / "eval"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = {"before": commit(repo, {"eval.py": named_eval_py(BEFORE_2E6CD80)}, "2023-11-26T17:03:40+08:00", "log path"),
            "after": commit(repo, {"eval.py": named_eval_py(FROM_2E6CD80)}, "2023-12-05T10:36:16+08:00", "log name")}
    shas["repo"] = str(repo)
    return shas


def test_a_log_file_name_no_commit_wrote_leaves_that_commit_out(tmp_path, named_repo):
    """The same AutoAttack log as _AA-Compact.log (its aa_type) and as _AA.log: only the commit that
    names the file after the AutoAttack type could have written the first; both the second. An
    incremental ingest that adds a log narrows its list the same way."""
    logs = tmp_path / "logs"
    logs.mkdir()
    compact = (SAMPLES / "eval" / "arch_2_eval_Linf_AA-Compact.log").read_bytes()
    (logs / "arch_2_eval_Linf_AA-Compact.log").write_bytes(compact)
    (logs / "arch_3_eval_Linf_AA.log").write_bytes(compact.replace(b"arch_2", b"arch_3"))
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1, code_repos=[Path(named_repo["repo"])])
    assert commits_of(db, "evals", 2, named_repo) == ["after"]
    assert commits_of(db, "evals", 3, named_repo) == ["before", "after"]
    (logs / "arch_4_eval_Linf_AA-Compact.log").write_bytes(compact.replace(b"arch_2", b"arch_4"))
    ingest_paths(db, [logs], workers=1, code_repos=[Path(named_repo["repo"])])
    assert [commits_of(db, "evals", a, named_repo) for a in (2, 3, 4)] == [["after"], ["before", "after"], ["after"]]
    patterns = query(db, "select commit_log_names from code_versions")[0][0]
    assert [entry["sha"] for entry in patterns] == [named_repo["before"], named_repo["after"]]
    assert r"%\_eval\_Linf\_AA.log" in patterns[0]["patterns"]


def test_a_repository_read_before_the_log_names_is_read_again_when_named(tmp_path, named_repo):
    """A warehouse that read the repository with an older tool has no log names (facts_version of
    another version) and recorded a code key without this tool's FACTS_VERSION: the next ingest
    that names the repository reads it again, HEAD unchanged, and narrows the lists."""
    import duckdb

    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(SAMPLES / "eval" / "arch_2_eval_Linf_AA-Compact.log", logs)
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1, code_repos=[Path(named_repo["repo"])])
    con = duckdb.connect(str(db))
    con.execute("update code_scripts set log_names = null")
    con.execute("update code_repos set facts_version = null")
    con.execute("update code_versions set commit_log_names = null")
    con.execute("update evals set code_commits = (select list(sha order by position) from code_history)")
    con.execute("update meta set value = 'key of an older tool' where key = 'code_key'")
    con.close()
    ingest_paths(db, [logs], workers=1, code_repos=[Path(named_repo["repo"])])
    assert query(db, "select facts_version from code_repos") == [(2,)]
    assert query(db, "select count(*) from code_scripts where log_names is not null") == [(2,)]
    assert commits_of(db, "evals", 2, named_repo) == ["after"]
