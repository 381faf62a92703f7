"""The checks beyond their data cases (sql/checks/<name>/cases/, run by tests/test_check_cases.py): through
the ingest, properties of the bootstrap, edge cases, the output formats, `nares check` and the demo corpus."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from check_cases import CHECKS_DIR, build_case, read_case
from typer.testing import CliRunner
from views_corpus import base_eval, base_log, build, rows, run, train_log

from application.output import render_checks
from cli import app
from ingest.errors import UserError
from warehouse.checks import check_warehouse, run_checks
from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.query import open_for_reading, share_rows
from warehouse.registry import checks
from warehouse.update import ingest_paths
from warehouse.viewfiles import shared_helpers

MSU, SUS = "MSU", "SUSTech"
BEST_EPOCH_CASE = CHECKS_DIR / "best_epoch" / "cases" / "best_before_first_decay.toml"


def best_epoch_warehouse(db: Path):
    """The warehouse of a best_epoch case: MSU runs 1 and 3 early, SUSTech run 2 not, run 4 unfinished."""
    return build_case(db, read_case(BEST_EPOCH_CASE))


# --- through the ingest: a tie in CW-40 ---------------------------------------------------------

def test_best_epoch_tie_in_cw40_through_the_ingest(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "arch_7.log").write_text(train_log([15.0, 37.0, 50.0, 50.0]))   # tie at epochs 2 and 3
    (logs / "arch_8.log").write_text(train_log([15.0, 37.0, 37.0, 50.0]))
    ingest_paths(tmp_path / "w.duckdb", [logs], workers=1)
    report = check_warehouse(tmp_path / "w.duckdb", ["best_epoch", "robust_overfitting"], details=True)
    best, overfitting = report.results
    assert [r[1:] for r in best.rows] == [(7, "unknown", 2, 4, 3, "planned", True), (8, "unknown", 3, 4, 3, "planned", False)]
    assert [r[1:] for r in overfitting.rows] == [(7, "unknown", 2, 50.0, 50.0, 0.0, False),
                                                 (8, "unknown", 3, 50.0, 50.0, 0.0, False)]


# --- duplicate_paired: the bootstrap interval (a property, not fixed rows) -------------------------

def paired_corpus(cw_deltas: list[float]):
    runs, evals = [], []
    for i, delta in enumerate(cw_deltas):
        arch = 100 + i
        runs += [run(2 * i + 1, arch, MSU), run(2 * i + 2, arch, SUS)]
        evals += [base_eval(1000 + 2 * i, 2 * i + 1, arch, MSU, cw40=40.0),
                  base_eval(1001 + 2 * i, 2 * i + 2, arch, SUS, cw40=40.0 + delta)]
    return runs, evals


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


# --- edge cases: empty warehouse, unknown name; the output formats -----------------------------------

def test_every_check_runs_on_an_empty_warehouse(tmp_path):
    con = build(tmp_path / "w.duckdb")
    report = run_checks(con, details=True)
    assert [(r.name, r.findings, r.rows) for r in report.results] == [(r.name, 0, []) for r in report.results]
    assert all(r.headline for r in report.results)
    assert report.warnings == []
    # a check that needs an input says that nothing was ingested, not that it may be a release file
    cannot = [r.headline for r in report.results if r.headline.startswith("cannot run")]
    assert cannot and all(h.endswith("(no runs or evaluations yet: no logs ingested)") for h in cannot), cannot


def test_unknown_check_name_is_refused(tmp_path):
    con = build(tmp_path / "w.duckdb")
    with pytest.raises(WarehouseError, match="no check named nonsense: choose from best_epoch, code_versions, config_drift"):
        run_checks(con, ["nonsense"])


def test_render_checks_formats(tmp_path):
    con = best_epoch_warehouse(tmp_path / "w.duckdb")
    report = run_checks(con, ["check_best_epoch", "orphan_evals"], details=True)
    assert render_checks(report, "table").splitlines() == [
        "best_epoch: MSU 100% early (2/2) vs SUSTech 0% early (0/1)",
        "orphan_evals: 0 evaluations not linked to a training run (of 0): 0 of archs with no run, "
        "0 of archs whose runs do not match",
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


# --- checks run together: the helper views they share are computed once ------------------------

@pytest.mark.slow
def test_checks_run_together_give_the_rows_each_gives_alone(demo_warehouse):
    """All checks at once read the rows of run_summary, run_neighbours, ... computed once; one
    check alone shares nothing and reads the views: the same headlines and rows."""
    con = open_for_reading(demo_warehouse.db)
    try:
        together = run_checks(con, details=True).results
        alone = [run_checks(con, [r.name], details=True).results[0] for r in together]
        # repr: the values and their types (a sum read back as DECIMAL instead of HUGEINT prints 10.0)
        assert [repr((r.name, r.headline, r.findings, r.columns, r.rows, r.n_flagged)) for r in together] == \
               [repr((r.name, r.headline, r.findings, r.columns, r.rows, r.n_flagged)) for r in alone]
        assert sum(r.findings for r in together) > 0
        # the shared rows went with the cursors: the caller's connection reads the views
        assert con.execute("select count(*) from duckdb_views() where temporary and view_name like 'run_%'"
                           ).fetchone() == (0,)
    finally:
        con.close()


def test_shared_helpers_are_the_helper_views_two_checks_read():
    shared = shared_helpers([[c.newest_view] for c in checks()])
    assert {"run_summary_v1", "run_neighbours_v2", "lr_decays_v1", "check_best_epoch_v2"} <= set(shared)
    assert "run_attributes_v1" not in shared  # read by check_explain alone
    assert "training_curves_v1" not in shared  # read by no check
    assert "check_explain_v1" not in shared  # read by no other check
    assert list(shared).index("run_summary_v1") < list(shared).index("run_neighbours_v2")  # after what it reads
    assert "run_summary_v1" in shared["run_neighbours_v2"] and "run_neighbours_v2" not in shared["run_summary_v1"]
    assert shared_helpers([["check_explain_v1"]]) == {}
    # a name without its version is the newest version; a query reading it again shares it
    assert "check_explain_v1" in shared_helpers([["check_explain"], ["check_explain", "runs"]])
    # the newest even where its alias comes later in install order (v1 reads v2)
    drift = shared_helpers([["check_config_drift"], ["check_config_drift"]])
    assert "check_config_drift_v2" in drift and "check_config_drift_v1" not in drift


def test_shared_rows_outlive_the_view_and_a_helper_that_fails_is_left_a_view(tmp_path):
    con = build(tmp_path / "w.duckdb")
    con.execute("create view failing_helper as select error('no value') as x")
    con.execute("create view fine_helper as select sum(1) as x")  # a HUGEINT, which Arrow has no type for
    cursors = [con.cursor(), con.cursor()]
    for cursor in cursors:
        cursor.execute("select 1").fetchone()  # a result left open, as a cursor's earlier queries may leave one
    share_rows(cursors, {"failing_helper": (), "fine_helper": ()})
    con.execute("drop view fine_helper")  # the cursors read the rows computed once
    for cursor in cursors:
        assert cursor.execute("select x, typeof(x) from fine_helper").fetchall() == [(1, "HUGEINT")]
        with pytest.raises(duckdb.Error, match="no value"):
            cursor.execute("select * from failing_helper").fetchall()


def test_a_shared_helper_reads_the_rows_of_the_helpers_it_reads(tmp_path):
    """Helpers computed on two cursors at once: each is computed after the helpers it reads, over
    their rows (`random()` gives other rows each time the view is computed)."""
    con = build(tmp_path / "w.duckdb")
    con.execute("create view base_helper as select random() as x from range(50)")
    con.execute("create view other_helper as select 1 as y")
    con.execute("create view reading_helper as select list(x order by x) as xs from base_helper")
    cursors = [con.cursor(), con.cursor()]
    share_rows(cursors, {"base_helper": (), "other_helper": (), "reading_helper": ("base_helper",)})
    for cursor in cursors:
        assert cursor.execute("select (select list(x order by x) from base_helper) = xs from reading_helper"
                              ).fetchone() == (True,)
    assert len({cursor.execute("select list(x order by x) from base_helper").fetchone()[0][0] for cursor in cursors}) == 1


# --- cli.py check --------------------------------------------------------------------------------------

@pytest.fixture
def corpus_db(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    best_epoch_warehouse(db).close()
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
    got = rows(con, "select site, count(*), count(*) filter (where early) from check_best_epoch "
                    "where site <> 'unknown' group by site")
    assert {s: (n, e) for s, n, e in got} == {s: (c["finished_runs"], c["best_before_first_decay"]) for s, c in counts.items()}


def test_demo_duplicates_and_worse_site_match_key(demo):
    _, key, con = demo
    findings = key["findings"]
    assert ([r[0] for r in rows(con, "select distinct arch_id from check_duplicate_archs order by 1")]
            == findings["duplicate_archs"])
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
    got = rows(con, "select site, list(arch_id order by arch_id) from check_missing_base_eval "
                    "where site <> 'unknown' group by site")
    assert dict(got) == key["findings"]["missing_base_eval"]


def test_demo_lr_decay_drift_found_by_config_drift(demo):
    out, key, con = demo
    drift = key["findings"]["lr_decay_drift"]
    assert rows(con, "select bool_or(differs) from check_config_drift where parameter = 'observed.lr_decay_epochs'") == [(True,)]
    observed = {_rel(out, p): e for p, e in rows(con, """
        select r.source_path, s.lr_decay_epochs from run_summary as s join runs as r using (run_id)
        where s.finished and s.lr_decay_epochs <> s.scheduled_decay_epochs""")}
    assert observed == {d["path"]: d["observed"] for d in drift}
    values = rows(con, "select value, n_runs from check_config_drift "
                       "where parameter = 'observed.lr_decay_epochs' and site = 'MSU'")
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
    # gpu_accuracy's flagged rows are those beyond chance: on 60 archs the planted GPU's 3 low runs of 6
    # are flagged by the threshold but within chance
    beyond = [row[gpus.columns.index("beyond_chance")] for row in gpus.rows]
    assert gpus.n_flagged == sum(beyond) == rows(con, "select count(*) from check_gpu_accuracy where beyond_chance")[0][0]
    assert beyond == sorted(beyond, reverse=True)
    bad = next(row for row in gpus.rows if row[gpus.columns.index("gpu")] == key["findings"]["bad_gpu"]["gpu"])
    assert bad[gpus.columns.index("flagged")] and not bad[gpus.columns.index("beyond_chance")]
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


def test_a_check_that_needs_sites_says_the_logs_lack_a_sites_file_not_a_release_file(samples_warehouse):
    # the real sample logs, ingested without a sites file: every run is of site `unknown`
    result = CliRunner().invoke(app, ["check", "--db", str(samples_warehouse)])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    needs_sites = [name for name, line in lines.items() if line.startswith("cannot run: no row holds runs.site")]
    assert set(needs_sites) >= {"duplicate_archs", "duplicate_paired", "noise", "timeline"}
    for name in needs_sites:
        assert "no run of a known site" in lines[name] and "--sites F" in lines[name], lines[name]
        assert "release file" not in lines[name], lines[name]


def test_a_check_without_training_logs_says_so_not_a_release_file(tmp_path):
    """Evaluation logs alone (the real samples' `eval/` folder): the checks that need the training
    logs' columns cannot run, and say there is no training log, not that a release file was loaded."""
    from conftest import SAMPLES

    from warehouse.update import ingest_paths

    db = tmp_path / "evals.duckdb"
    ingest_paths(db, [SAMPLES / "eval"], workers=1)
    result = CliRunner().invoke(app, ["check", "config_drift", "precision_path", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    for name in ("config_drift", "precision_path"):
        assert lines[name].startswith("cannot run: no row holds ") and lines[name].endswith(
            "(no training log: evaluations only)"), lines[name]
