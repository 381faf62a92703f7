"""The view registry: headers, sqlglot parsing and dependencies, installation, comments, the CLI."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlglot
from typer.testing import CliRunner
from views_corpus import SAMPLES

from cli import app
from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.migrate import migrate
from warehouse.params import install_check_params
from warehouse.update import ingest_paths
from warehouse.viewfiles import (
    SQL_DIR,
    flagged_checks,
    load_check_queries,
    load_view_files,
    parse_header,
    sql_fingerprint,
    tables_read,
    view_paths,
)
from warehouse.views import install_views

HELPERS = ["chosen_evals", "chosen_re_evaluations", "lr_decays", "params", "run_attributes", "run_neighbours",
           "run_outcomes", "run_summary", "training_curves"]
CHECKS = [
    "best_epoch", "code_versions", "config_drift", "duplicate_archs", "duplicate_paired", "eval_code", "explain",
    "gpu_accuracy", "incomplete_runs", "missing_base_eval", "noise", "orphan_evals", "precision_path",
    "robust_overfitting", "timeline", "vertical_lines",
]
REQUIRED_COLUMNS = {  # SPEC section 5
    "best_epoch": ["run_id", "arch_id", "site", "best_epoch", "epochs_planned", "early"],
    "duplicate_archs": ["arch_id", "metric", "site_a", "value_a", "site_b", "value_b", "delta"],
    "robust_overfitting": ["run_id", "arch_id", "site", "best_epoch", "best_cw40_acc", "final_cw40_acc", "gap"],
    "vertical_lines": ["band_id", "first_arch_id", "last_arch_id", "n_archs", "n_low", "sites", "trained_from", "trained_to"],
    "gpu_accuracy": ["site", "gpu", "n_runs", "mean_clean_acc", "mean_cw40_acc"],
    "missing_base_eval": ["run_id", "arch_id", "site"],
    "config_drift": ["parameter", "site", "value", "n_runs", "differs"],
    "incomplete_runs": ["run_id", "arch_id", "site", "reason"],
    "orphan_evals": ["eval_id", "arch_id", "link_note"],
}
# sqlglot fixtures: a query and the tables it reads (CTEs and table functions left out)
READS_CASES = [
    ("select * from runs", ("runs",)),
    ("with runs as (select 1 as a) select * from runs", ()),
    ("with a as (select * from runs) select * from a join evals using (run_id)", ("evals", "runs")),
    ("select * from range(3) as r(i) cross join check_params", ("check_params",)),
    ("select (select count(*) from evals) as n, unnest([1, 2]) as x from runs", ("evals", "runs")),
    ("select * from main.runs where run_id in (select run_id from epochs)", ("epochs", "main.runs")),
]


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory) -> Path:
    """A warehouse file migrated once for the module, without rows and without views."""
    path = tmp_path_factory.mktemp("migrated") / "empty.duckdb"
    con = connect(path)
    migrate(con, path)
    con.close()
    return path


def _opened_copy(source: Path, tmp_path: Path):
    """A connection to a private copy of `source`, closed after the test."""
    shutil.copyfile(source, tmp_path / source.name)
    con = connect(tmp_path / source.name)
    yield con
    con.close()


@pytest.fixture
def empty(migrated_file: Path, tmp_path: Path):
    """A migrated warehouse without rows and without views (a copy of `migrated_file`)."""
    yield from _opened_copy(migrated_file, tmp_path)


@pytest.fixture(scope="module")
def installed_file(migrated_file: Path, tmp_path_factory) -> Path:
    """`migrated_file` with the views of sql/ installed once for the module."""
    path = tmp_path_factory.mktemp("installed") / "installed.duckdb"
    shutil.copyfile(migrated_file, path)
    con = connect(path)
    install_views(con)
    con.close()
    return path


@pytest.fixture
def installed(installed_file: Path, tmp_path: Path):
    """A migrated warehouse without rows, with the views of sql/ installed (a copy of `installed_file`)."""
    yield from _opened_copy(installed_file, tmp_path)


@pytest.fixture
def sql_copy(tmp_path: Path) -> Path:
    """A private copy of sql/ that a test may break."""
    target = tmp_path / "sql"
    shutil.copytree(SQL_DIR, target)
    return target


def user_views(con) -> list[str]:
    return [r[0] for r in con.execute(
        "select view_name from duckdb_views() where not internal and schema_name = 'main' order by view_name"
    ).fetchall()]


def test_view_files_have_header_with_question_version_grain_reads_columns():
    for name, version, _kind, path in view_paths():
        header = parse_header(path.read_text(), path)
        assert header.version == version, path
        assert header.subject == name.removeprefix("check_"), path
        assert header.question.endswith(("?", ".", ")")) and len(header.question) > 20, path
        assert header.grain.startswith("one row per"), path
        assert header.columns and all(text for _, text in header.columns), path
        if version > 1:
            assert header.changes, f"{path}: a new version says what changed"


def test_view_files_are_lowercase_and_end_with_select_from_final():
    aliases = {f.path: f.alias_of for f in load_view_files() if f.alias_of}
    for _, _, _, path in view_paths():
        body = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
        if path in aliases:
            assert body.strip() == f"select * from {aliases[path]}", path
            continue
        assert "select * from final" in body, path
        assert not any(word in body for word in ("SELECT", "FROM ", "WHERE", "GROUP BY")), path


def test_view_files_cover_every_check_and_helper():
    names = {(kind, name) for name, _, kind, _ in view_paths()}
    assert names == {("helper", h) for h in HELPERS} | {("check", f"check_{c}") for c in CHECKS}
    for check in CHECKS:
        assert (SQL_DIR / "checks" / check / "headline.sql").exists()


@pytest.mark.parametrize("sql, expected", READS_CASES)
def test_tables_read_leaves_out_ctes_and_table_functions(sql, expected):
    assert tables_read(sqlglot.parse_one(sql, read="duckdb")) == expected


def test_load_view_files_orders_views_after_what_they_read():
    files = load_view_files()
    seen = set()
    for f in files:
        assert all(r in seen or not r.endswith(tuple(f"_v{n}" for n in range(1, 10))) for r in f.reads), f.view_name
        seen.add(f.view_name)


def test_install_views_creates_versions_and_current_aliases(installed):
    rows = installed.execute(
        "select name, version, view_name, kind, is_current from view_versions order by name, version").fetchall()
    assert ("check_best_epoch", 1, "check_best_epoch_v1", "check", False) in rows
    assert ("check_best_epoch", 2, "check_best_epoch_v2", "check", True) in rows
    assert ("run_summary", 1, "run_summary_v1", "helper", True) in rows
    assert ("check_best_epoch_headline", None, "check_best_epoch_headline", "headline", True) in rows
    assert ("check_best_epoch_flagged", None, "check_best_epoch_flagged", "flagged", True) in rows
    assert len(rows) == len(view_paths()) + len(CHECKS) + len(flagged_checks())
    views = user_views(installed)
    for name, _version, view_name, _, _ in rows:
        assert name in views and view_name in views
    definition = installed.execute("select sql from duckdb_views() where view_name = 'check_best_epoch'").fetchone()[0]
    assert "check_best_epoch_v2" in definition


def test_check_headline_and_flagged_views_give_what_check_and_exports_read(installed):
    from warehouse.checks import run_checks
    from warehouse.viewfiles import read_flagged

    for result in run_checks(installed, threads=1).results:
        if result.headline.startswith("cannot run:"):  # the check layer's line when inputs are absent
            continue
        assert installed.execute(f"select headline, findings from check_{result.name}_headline").fetchall() == [
            (result.headline, result.findings)]
    for check in flagged_checks():
        assert f"from check_{check}_flagged" in read_flagged(check)
        flagged = installed.execute(f"select * from check_{check}_flagged")
        assert [d[0] for d in flagged.description] == ["run_id", "arch_id", "site"]
    comment = installed.execute("select comment from duckdb_views() where view_name = 'check_best_epoch_headline'").fetchone()[0]
    assert comment.startswith("headline of check_best_epoch:") and "sql/checks/best_epoch/headline.sql" in comment


@pytest.mark.parametrize("kind, sql, message", [
    ("headline", "-- headline of x\nselect 1 as n", "a headline query returns headline, findings; this one returns n"),
    ("flagged", "-- flagged runs of x\nselect run_id, site from runs", "a flagged query returns run_id, arch_id, site"),
    ("headline", "select 'x' as headline, 0 as findings", "starts with no comment"),
])
def test_install_views_refuses_a_headline_or_flagged_query_of_other_columns(empty, sql_copy, kind, sql, message):
    (sql_copy / "checks" / "best_epoch" / f"{kind}.sql").write_text(sql)
    with pytest.raises(WarehouseError, match=f"sql/checks/best_epoch/{kind}.sql:1: {re.escape(message)}"):
        install_views(empty, sql_copy)
    assert user_views(empty) == []


def test_install_views_records_sha256_reads_and_columns(empty):
    files = {f.view_name: (f.sha256, f.reads, f.rel_path, [c for c, _ in f.header.columns]) for f in install_views(empty)}
    files.update({q.view_name: (q.sha256, q.reads, q.rel_path, [c for c, _ in q.columns]) for q in load_check_queries()})
    rows = empty.execute("select view_name, sha256, reads, columns, path from view_versions").fetchall()
    assert {r[0] for r in rows} == set(files)
    for view_name, sha, reads, columns, path in rows:
        assert (sha, tuple(reads), path, columns) == files[view_name]
    reads = empty.execute("select reads from view_versions where view_name = 'check_duplicate_paired_v1'").fetchone()[0]
    assert reads == ["check_duplicate_archs_v1", "params_v1"]


def test_install_views_columns_match_headers_and_spec(installed):
    for f in load_view_files():
        columns = [d[0] for d in installed.execute(f"select * from {f.view_name} limit 0").description]
        assert columns == [c for c, _ in f.header.columns], f.view_name
    for check, required in REQUIRED_COLUMNS.items():
        columns = [d[0] for d in installed.execute(f"select * from check_{check} limit 0").description]
        assert columns[: len(required)] == required or set(required) <= set(columns), check


def test_install_views_twice_changes_nothing(empty):
    install_views(empty)
    first = empty.execute("select * from view_versions order by view_name").fetchall()
    definitions = empty.execute("select view_name, sql, comment from duckdb_views() where not internal order by 1").fetchall()
    install_views(empty)
    assert empty.execute("select * from view_versions order by view_name").fetchall() == first
    assert (empty.execute("select view_name, sql, comment from duckdb_views() where not internal order by 1").fetchall()
            == definitions)


def test_install_views_new_sql_gets_new_installed_at(installed, sql_copy):
    installed.execute("update view_versions set installed_at = timestamp '2020-01-01'")
    path = sql_copy / "checks" / "orphan_evals" / "v1.sql"
    path.write_text(path.read_text() + "\n")  # same SQL: stripped before hashing
    other = sql_copy / "checks" / "incomplete_runs" / "v1.sql"
    other.write_text(other.read_text().replace("'NaN in the log'", "'NaN somewhere in the log'"))
    install_views(installed, sql_copy)
    stamps = dict(installed.execute("select view_name, cast(installed_at as varchar) from view_versions").fetchall())
    assert stamps["check_orphan_evals_v1"] == "2020-01-01 00:00:00"
    assert stamps["check_incomplete_runs_v1"] != "2020-01-01 00:00:00"


def test_install_views_drops_views_whose_file_was_removed(empty, sql_copy):
    v1 = sql_copy / "checks" / "orphan_evals" / "v1.sql"
    v2 = v1.with_name("v2.sql")
    v2.write_text(v1.read_text().replace("-- version: 1 (first version)", "-- version: 2 (a copy)"))
    install_views(empty, sql_copy)
    assert "check_orphan_evals_v2" in user_views(empty)
    v2.unlink()
    install_views(empty, sql_copy)
    views = user_views(empty)
    assert "check_orphan_evals_v2" not in views and "check_orphan_evals_v1" in views
    assert (empty.execute("select view_name from view_versions where name = 'check_orphan_evals'").fetchall()
            == [("check_orphan_evals_v1",)])
    definition = empty.execute("select sql from duckdb_views() where view_name = 'check_orphan_evals'").fetchone()[0]
    assert "check_orphan_evals_v1" in definition


@pytest.mark.parametrize("body, message", [
    ("select * from check_gpu_accuracy_v2 where flagged", "holds only `select * from check_gpu_accuracy_v2`"),
    ("select * from run_summary_v1", "holds only `select * from check_gpu_accuracy_v2`"),
])
def test_install_views_refuses_an_alias_that_is_not_only_its_target(empty, sql_copy, body, message):
    path = sql_copy / "checks" / "gpu_accuracy" / "v1.sql"
    header = "\n".join(line for line in path.read_text().splitlines() if line.startswith("--"))
    path.write_text(f"{header}\n\n{body}\n")
    with pytest.raises(WarehouseError,
                       match=re.escape(f"sql/checks/gpu_accuracy/v1.sql:1: an alias of a newer version {message}")):
        install_views(empty, sql_copy)


def test_alias_versions_keep_their_name_and_return_the_newer_versions_rows(empty):
    install_views(empty)
    aliases = [f for f in load_view_files() if f.alias_of]
    assert {f.view_name for f in aliases} == {
        "run_neighbours_v1", "check_vertical_lines_v1", "check_gpu_accuracy_v1", "check_config_drift_v1"}
    for f in aliases:
        definition = empty.execute("select sql from duckdb_views() where view_name = ?", [f.view_name]).fetchone()[0]
        assert f"from {f.alias_of}" in definition.lower()
        assert [d[0] for d in empty.execute(f"select * from {f.view_name}").description] == \
            [d[0] for d in empty.execute(f"select * from {f.alias_of}").description]


def test_install_views_refuses_to_drop_a_version_another_view_reads(empty, sql_copy):
    install_views(empty, sql_copy)
    before = user_views(empty)
    (sql_copy / "checks" / "best_epoch" / "v2.sql").unlink()
    with pytest.raises(WarehouseError, match=r"v1\.sql:1: reads check_best_epoch_v2: no such table or view file"):
        install_views(empty, sql_copy)
    assert user_views(empty) == before


@pytest.mark.parametrize("broken", ["        s.overfit_gap as as gap,", "        'unterminated,"])
def test_install_views_syntax_error_names_file_and_line_and_installs_nothing(empty, sql_copy, broken):
    path = sql_copy / "checks" / "robust_overfitting" / "v1.sql"
    lines = path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if "s.overfit_gap as gap" in line)
    lines[number - 1] = broken
    path.write_text("\n".join(lines))
    with pytest.raises(WarehouseError) as error:
        install_views(empty, sql_copy)
    message = str(error.value)
    assert f"checks/robust_overfitting/v1.sql:{number}: SQL syntax error" in message
    assert user_views(empty) == []
    assert empty.execute("select count(*) from view_versions").fetchone()[0] == 0


def test_install_views_duckdb_error_names_file_and_line_and_rolls_back(empty, sql_copy):
    path = sql_copy / "checks" / "orphan_evals" / "v1.sql"
    lines = path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if "e.link_note," in line)
    lines[number - 1] = "        e.no_such_column as link_note,"
    path.write_text("\n".join(lines))
    with pytest.raises(WarehouseError) as error:
        install_views(empty, sql_copy)
    assert f"checks/orphan_evals/v1.sql:{number}: DuckDB cannot create check_orphan_evals_v1" in str(error.value)
    assert user_views(empty) == []


@pytest.mark.parametrize("edit, message", [
    (("from evals as e", "from no_such_table as e"), "reads no_such_table: no such table or view file"),
    (("-- reads: evals, runs", "-- reads: evals"), "header says it reads evals, the SQL reads evals, runs"),
    (("-- grain: one row per evaluation not linked to a training run\n", ""), "header lacks grain"),
    (("--   link_note: why the evaluation is unlinked\n", ""), "header documents columns"),
    (("-- check: orphan_evals", "-- check: orphans"), "header names 'orphans', but the folder is 'orphan_evals'"),
    (("-- version: 1 (first version)", "-- version: 2"), "header says version 2, but the file is v1.sql"),
])
def test_install_views_refuses_inconsistent_files(empty, sql_copy, edit, message):
    path = sql_copy / "checks" / "orphan_evals" / "v1.sql"
    text = path.read_text()
    old, new = edit
    if old.startswith("from evals"):
        text = text.replace(old, new).replace("-- reads: evals, runs", "-- reads: no_such_table, runs")
    else:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    with pytest.raises(WarehouseError, match="orphan_evals/v1.sql"):
        try:
            install_views(empty, sql_copy)
        except WarehouseError as exc:
            assert message in str(exc)
            raise
    assert user_views(empty) == []


def test_install_views_refuses_reading_an_unversioned_helper(empty, sql_copy):
    path = sql_copy / "checks" / "robust_overfitting" / "v1.sql"
    path.write_text(path.read_text().replace("run_summary_v1", "run_summary"))
    with pytest.raises(WarehouseError, match=r"reads run_summary: read a fixed version \(run_summary_v1\)"):
        install_views(empty, sql_copy)


def test_install_views_puts_comments_on_every_view_and_column(installed):
    missing = installed.execute(
        "select view_name from duckdb_views() where not internal and (comment is null or comment = '')"
    ).fetchall()
    assert missing == []
    columns = installed.execute(
        """select c.table_name, c.column_name from duckdb_columns() as c
        join duckdb_views() as v on c.table_name = v.view_name and not v.internal
        where c.comment is null or c.comment = ''"""
    ).fetchall()
    assert columns == []
    comment = installed.execute("select comment from duckdb_views() where view_name = 'check_best_epoch_v1'").fetchone()[0]
    assert comment.startswith("Did the run reach its best CW-40 checkpoint before the first learning-rate decay?")
    assert "sql/checks/best_epoch/v1.sql" in comment


def test_check_params_are_documented_defaults(empty):
    rows = empty.execute("select name, value = default_value, description <> '', unit <> '' from check_params").fetchall()
    assert {r[0] for r in rows} >= {"best_epoch.early_fraction", "low_arch.window", "low_arch.min_drop"}
    assert all(r[1:] == (True, True, True) for r in rows)
    comments = empty.execute(
        "select count(*) from duckdb_columns() where table_name in ('check_params', 'view_versions') and comment is null"
    ).fetchone()[0]
    assert comments == 0


def test_every_check_param_is_read_by_a_view():
    """Each parameter is a column of params_v1 (the one pivot of check_params), and a view reads that column."""
    files = load_view_files()
    params = next(f for f in files if f.view_name == "params_v1")
    text = "\n".join(f.sql for f in files if f.view_name != "params_v1")
    con = duckdb.connect()
    migrate(con, ":memory:")
    install_check_params(con)
    names = [name for (name,) in con.execute("select name from check_params order by name").fetchall()]
    assert [c for c, _ in params.header.columns] == [n.replace(".", "_") for n in names]
    for name in names:
        assert re.search(rf"\b{name.replace('.', '_')} as ", text), name
    assert not [f.view_name for f in files if "check_params" in f.reads and f.view_name != "params_v1"]


def test_params_view_is_one_row_of_the_values_in_force(installed):
    installed.execute("update check_params set value = 0.5 where name = 'best_epoch.early_fraction'")
    installed.execute("delete from check_params where name = 'timeline.min_runs'")
    row = installed.execute("select best_epoch_early_fraction, low_arch_window, timeline_min_runs from params").fetchall()
    assert row == [(0.5, 25.0, None)]


def test_chosen_evals_is_the_latest_finished_ties_by_lowest_eval_id_and_run_summary_reads_it(tmp_path: Path):
    """One choice of a run's evaluation of each kind: latest finished, ties by the lowest eval_id."""
    from datetime import datetime

    from views_corpus import base_eval, build, run

    t = datetime(2024, 5, 1, 12)
    evals = [
        base_eval(13, 1, 70, finished_at=datetime(2024, 4, 1), cw40=10.0),
        base_eval(12, 1, 70, finished_at=t, cw40=20.0),
        base_eval(11, 1, 70, finished_at=t, cw40=30.0),
        base_eval(14, 1, 70, finished_at=datetime(2024, 6, 1), finished=False, cw40=40.0),
        base_eval(15, 1, 70, attack="AA", finished_at=t),
        base_eval(16, None, 70, finished_at=datetime(2024, 7, 1)),
        base_eval(21, 2, 71), base_eval(22, 2, 71),
    ]
    con = build(tmp_path / "w.duckdb", [run(1, 70), run(2, 71)], evals)
    assert con.execute("select * from chosen_evals order by all").fetchall() == [
        (1, "Linf", "AA", 15), (1, "Linf", "Base", 11), (2, "Linf", "Base", 21)]
    assert con.execute("select run_id, base_eval_id, test_cw40_acc from run_summary order by run_id").fetchall() == [
        (1, 11, 30.0), (2, 21, 48.0)]
    con.close()



def test_chosen_re_evaluation_prefers_one_with_a_cw_stable_then_the_latest(tmp_path: Path):
    """One choice of a run's test-loss re-evaluation, read by check_eval_code and the release file:
    a finished one that printed a CW Stable first, then the one that finished last, then the lowest id."""
    from datetime import datetime

    from views_corpus import base_eval, build, run

    def re_evaluation(eval_id, run_id, **columns):
        return base_eval(eval_id, run_id, 70 + (run_id or 0), attack="test-loss", fgsm=None, pgd20=None, **columns)

    early, late = datetime(2024, 5, 1), datetime(2024, 6, 1)
    evals = [
        re_evaluation(31, 1, finished_at=late, test_loss=1.5),  # the latest, but the first version: no CW Stable
        re_evaluation(32, 1, finished_at=early, test_loss=1.2, cw40_stable=81.0, cw40_lip=290.0),
        re_evaluation(33, 1, finished=False, cw40_stable=90.0),  # unfinished: never chosen
        re_evaluation(41, 2, finished_at=early, test_loss=1.1),
        re_evaluation(42, 2, finished_at=late, test_loss=1.3),
        re_evaluation(44, 3, finished_at=late, test_loss=1.0, cw40_stable=80.0),
        re_evaluation(43, 3, finished_at=late, test_loss=1.4, cw40_stable=82.0),
        re_evaluation(51, None, finished_at=late, test_loss=1.0, cw40_stable=70.0),  # no run: never chosen
        base_eval(61, 4, 74, finished_at=late, test_loss=0.9, cw40_stable=60.0),  # not a re-evaluation
    ]
    con = build(tmp_path / "w.duckdb", [run(1, 71), run(2, 72), run(3, 73), run(4, 74)], evals)
    assert con.execute("select * from chosen_re_evaluations order by run_id").fetchall() == [
        (1, 32, 1.2, 81.0, 290.0), (2, 42, 1.3, None, None), (3, 43, 1.4, 82.0, None)]
    con.close()

def test_sql_fingerprint_changes_with_a_view_file_only(sql_copy):
    before = sql_fingerprint(sql_copy)
    (sql_copy / "README.md").write_text("changed")
    assert sql_fingerprint(sql_copy) == before
    (sql_copy / "checks" / "best_epoch" / "headline.sql").write_text("-- headline\nselect 'x' as headline, 0 as findings")
    assert sql_fingerprint(sql_copy) != before
    before = sql_fingerprint(sql_copy)
    path = sql_copy / "views" / "run_summary" / "v1.sql"
    path.write_text(path.read_text() + "\n-- trailing note\n")
    assert sql_fingerprint(sql_copy) != before


def test_ingest_installs_views_and_keeps_user_params(tmp_path: Path):
    logs = tmp_path / "logs"
    shutil.copytree(SAMPLES, logs)
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [logs], workers=1)
    con = connect(db)
    assert con.execute("select count(*) from view_versions").fetchone()[0] == len(view_paths()) + len(load_check_queries())
    con.execute("update check_params set value = 0.5 where name = 'best_epoch.early_fraction'")
    con.close()
    (logs / "train" / "arch_2.log").rename(logs / "train" / "arch_3.log")
    summary = ingest_paths(db, [logs], workers=1)
    assert summary.wrote
    con = connect(db, read_only=True)
    assert con.execute("select value from check_params where name = 'best_epoch.early_fraction'").fetchone()[0] == 0.5
    assert (con.execute("select arch_id, best_epoch, first_decay_epoch, early from check_best_epoch").fetchall()
            == [(3, 3, 2, False)])
    con.close()


def _duckdb_cli() -> str | None:
    beside = Path(sys.executable).parent / "duckdb"
    return str(beside) if beside.exists() else shutil.which("duckdb")


@pytest.mark.slow
@pytest.mark.skipif(_duckdb_cli() is None, reason="the duckdb CLI (duckdb-cli package) is not installed")
def test_views_work_in_the_duckdb_cli(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [SAMPLES], workers=1)
    con = connect(db, read_only=True)
    names = [r[0] for r in con.execute("select view_name from view_versions "
                                       "union all select name from view_versions where is_current").fetchall()]
    expected = {n: con.execute(f"select count(*) from {n}").fetchone()[0] for n in names}
    con.close()
    script = "".join(f"select '{n}', count(*) from {n};\n" for n in names)
    result = subprocess.run([_duckdb_cli(), "-readonly", "-csv", "-noheader", str(db)], input=script,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    counts = dict(line.split(",") for line in result.stdout.split())
    assert {n: int(c) for n, c in counts.items()} == expected


def test_cli_views_lists_versions_and_reads(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [SAMPLES], workers=1)
    result = CliRunner().invoke(app, ["views", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "view,current_as,kind,reads,question,changes,installed_at"
    assert any(line.startswith('check_best_epoch_v2,check_best_epoch,check,"params_v1, run_summary_v1",') for line in lines)
    assert any(line.startswith("check_best_epoch_v1,,check,") for line in lines)
    assert any(line.startswith("check_best_epoch_headline,check_best_epoch_headline,headline,check_best_epoch,")
               for line in lines)


@pytest.mark.parametrize("columns", [60, 100, 400])
def test_cli_views_fits_the_terminal_and_keeps_every_question(tmp_path: Path, monkeypatch, columns):
    """Issue 21: the table was 744 characters wide whatever the terminal; on a narrow one each
    view's long columns are wrapped below it, and nothing of the text is lost."""
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [SAMPLES], workers=1)
    monkeypatch.setenv("COLUMNS", str(columns))
    result = CliRunner().invoke(app, ["views", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= columns
    words = " ".join(line.strip() for line in lines).split()
    for name, description in _questions(db):
        assert name in words
        question = " ".join(description.split())
        assert question[: question.index("?") + 1] in " ".join(words), name


def _questions(db: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select view_name, description from view_versions where kind in ('check', 'helper')").fetchall()
    finally:
        con.close()


def test_cli_views_questions_are_the_headers_first_sentence(tmp_path: Path):
    """Issue 21: three questions ended in '??' (the listing added a '?' to a question that ended the
    description); each is now its file's `question:` up to its question mark."""
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [SAMPLES], workers=1)
    result = CliRunner().invoke(app, ["views", "--db", str(db), "--format", "json"])
    import json

    listed = {r["view"]: r["question"] for r in json.loads(result.output)}
    for name, version, _kind, path in view_paths():
        question = " ".join(parse_header(path.read_text(), path).question.split())
        expected = question[: question.index("?") + 1] if "?" in question else question
        assert " ".join(listed[f"{name}_v{version}"].split()) == expected, path
        assert not listed[f"{name}_v{version}"].endswith("??")


def test_cli_views_without_warehouse_fails_with_one_line(tmp_path: Path):
    result = CliRunner().invoke(app, ["views", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "no warehouse at" in result.output


@pytest.mark.slow
def test_reingest_keeps_current_views_and_restores_a_dropped_one(tmp_path: Path, monkeypatch):
    import warehouse.pipeline as update

    logs = tmp_path / "logs"
    shutil.copytree(SAMPLES, logs)
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [logs], workers=1)
    installs = []
    real_install = update.install_views
    monkeypatch.setattr(update, "install_views", lambda con, **kw: installs.append(1) or real_install(con, **kw))

    (logs / "train" / "arch_2.log").rename(logs / "train" / "arch_3.log")
    assert ingest_paths(db, [logs], workers=1).wrote
    assert installs == []  # the copy already holds these very views
    con = connect(db)
    con.execute("drop view check_best_epoch")
    con.close()
    (logs / "train" / "arch_3.log").rename(logs / "train" / "arch_4.log")
    ingest_paths(db, [logs], workers=1)
    assert installs == [1]
    con = connect(db, read_only=True)
    assert con.execute("select arch_id from check_best_epoch").fetchall() == [(4,)]
    con.close()


@pytest.mark.slow
def test_trust_covers_headline_and_flagged_views(empty):
    """A headline or flagged view edited by hand is not the tool's: reading commands use their own."""
    from warehouse.trust import differing_views, use_tool_views

    install_views(empty)
    assert differing_views(empty) == []
    empty.execute("create or replace view check_best_epoch_flagged as select run_id, arch_id, site from runs")
    empty.execute("drop view check_vertical_lines_headline")
    assert differing_views(empty) == ["check_best_epoch_flagged", "check_vertical_lines_headline"]
    assert use_tool_views(empty)
    assert empty.execute("select headline from check_vertical_lines_headline").fetchone()[0]
