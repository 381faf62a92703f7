"""A warehouse file from elsewhere can never make the tool run its SQL or read a local file; a
repository from elsewhere never makes it run a program (the end of this file).

The hostile file is built here: a real warehouse of the sample logs, then, with file access on,
a view `check_best_epoch` over `read_text` of a secret file, and (second variant) macros standing
in for DuckDB's `strftime` and `split_part` that return the secret. Every command runs on it;
the secret must reach no output, no exported file and no table.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, python_nodes
from typer.testing import CliRunner

from cli import app
from warehouse.connect import connect, scratch_connection
from warehouse.errors import WarehouseError
from warehouse.update import ingest_paths

runner = CliRunner()
SECRET = "TOPSECRET-7f3a9c"


def _secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


def _plant(db: Path, *statements: str) -> None:
    con = duckdb.connect(str(db))  # the attacker's own DuckDB, with file access on
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def planted_view(secret: Path) -> str:
    return (f"create or replace view check_best_epoch as select content as run_id, content as arch_id, content as site, "
            f"true as early, content as best_epoch from read_text('{secret}')")


def planted_macros(secret: Path) -> list[str]:
    return [f"create macro strftime(a, b) as (select content from read_text('{secret}'))",
            f"create macro split_part(a, b, c) as (select content from read_text('{secret}'))"]


@pytest.fixture
def hostile(ingested_samples, tmp_path):
    """The sample warehouse with a planted view under a check's name (no macros)."""
    samples, db = ingested_samples
    secret = _secret_file(tmp_path)
    _plant(db, planted_view(secret))
    con = duckdb.connect(str(db), read_only=True)
    assert SECRET in str(con.execute("select * from check_best_epoch").fetchall())  # it works for the attacker
    con.close()
    return samples, db, secret


def everything_in(db: Path) -> str:
    """Every row of every table of the file, as text."""
    con = duckdb.connect(str(db), read_only=True, config={"enable_external_access": False})
    try:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return "\n".join(repr(con.execute(f'select * from "{t}"').fetchall()) for t in tables)
    finally:
        con.close()


def text_of_files(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


def run(*args: str):
    return runner.invoke(app, list(args))


COMMANDS = {
    "sql": lambda db, out: run("sql", "select * from check_best_epoch", "--db", str(db)),
    "check": lambda db, out: run("check", "--details", "--db", str(db)),
    "export release": lambda db, out: run("export", "release", str(out / "release.jsonl"), "--exclude-check", "best_epoch",
                                          "--db", str(db)),
    "export parquet": lambda db, out: run("export", "parquet", str(out / "parquet"), "--db", str(db)),
    "export arch-list": lambda db, out: run("export", "arch-list", "--check", "best_epoch", "--out", str(out / "archs.txt"),
                                            "--db", str(db)),
    "report": lambda db, out: run("report", "--format", "html", "--out", str(out / "report"), "--db", str(db)),
    "views": lambda db, out: run("views", "--db", str(db)),
}


SLOW_COMMANDS = {"check", "report", "export parquet", "export release"}
"""The commands whose run here takes more than about 1.5 s (marked slow)."""


@pytest.mark.parametrize("command", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW_COMMANDS else c
                                     for c in sorted(COMMANDS)])
def test_a_planted_view_is_never_run(hostile, tmp_path, command):
    samples, db, secret = hostile
    out = tmp_path / "out"
    out.mkdir()
    result = COMMANDS[command](db, out)
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert SECRET not in text_of_files(out)
    if command in ("sql", "check"):
        assert "warning: the warehouse's views differ from this tool's sql/ (check_best_epoch)" in result.output
    if command == "sql":
        assert "arch_id" in result.output and "6006" not in result.output.split("\n", 1)[0]


@pytest.mark.slow
def test_ingest_reinstalls_the_tools_view_and_reads_no_file(hostile):
    samples, db, secret = hostile
    (samples / "train" / "arch_2.log").write_text((samples / "train" / "arch_2.log").read_text() + "\n")
    result = run("ingest", str(samples), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert ("warning: the warehouse's views check_best_epoch differed from this tool's sql/ (an older tool, or "
            "changed by hand): reinstalled") in result.output
    assert SECRET not in result.output and SECRET not in everything_in(db)
    con = duckdb.connect(str(db))  # file access on: if the planted view were still there it would read the secret
    try:
        assert SECRET not in str(con.execute("select * from check_best_epoch").fetchall())
    finally:
        con.close()
    assert run("verify", "--db", str(db)).exit_code == 0


@pytest.mark.slow
def test_a_planted_view_alone_makes_even_a_no_op_ingest_reinstall(hostile):
    samples, db, secret = hostile
    summary = ingest_paths(db, [samples], workers=1)
    assert (summary.loaded, summary.wrote) == (0, True)
    assert run("verify", "--db", str(db)).exit_code == 0


def test_a_planted_helper_view_is_replaced_for_the_tools_views_that_read_it(ingested_samples, tmp_path):
    """Only the views that differ from the tool's are created as TEMP views; the file's views that
    are the tool's resolve the names they read when run, so they read the TEMP one: a planted
    run_summary_v1 (read by several checks) reaches no check, and the checks say what they said
    before it was planted."""
    from warehouse.trust import use_tool_views

    samples, db = ingested_samples
    before = run("check", "--db", str(db))
    assert before.exit_code == 0, before.output
    _plant(db, f"create or replace view run_summary_v1 as select content as run_id from read_text('{_secret_file(tmp_path)}')")
    after = run("check", "--db", str(db))
    assert after.exit_code == 0 and SECRET not in after.output
    warning = "warning: the warehouse's views differ from this tool's sql/ (run_summary_v1)"
    assert [line for line in after.output.splitlines() if not line.startswith(warning)] == before.output.splitlines()
    con = connect(db, read_only=True)
    try:
        assert use_tool_views(con)
        temporary = "select view_name from duckdb_views() where temporary and not internal"
        assert con.execute(temporary).fetchall() == [("run_summary_v1",)]
        assert SECRET not in str(con.execute("select * from check_best_epoch").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("command", ["ingest", "sql", "check", "export release", "export parquet", "export arch-list", "report"])
def test_macros_replacing_duckdb_functions_are_refused(hostile, tmp_path, command):
    samples, db, secret = hostile
    _plant(db, *planted_macros(secret))
    before = db.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    if command == "ingest":
        (samples / "train" / "arch_2.log").write_text((samples / "train" / "arch_2.log").read_text() + "\n")
        result = run("ingest", str(samples), "--db", str(db))
    else:
        result = COMMANDS[command](db, out)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and SECRET not in result.output
    assert result.output.startswith(f"error: {db} holds code the tool would run: macro split_part replaces DuckDB's own "
                                    "split_part; macro strftime replaces DuckDB's own strftime.")
    assert db.read_bytes() == before
    assert SECRET not in text_of_files(out)


def test_verify_lists_the_planted_code_and_rebuild_removes_it(hostile):
    samples, db, secret = hostile
    _plant(db, *planted_macros(secret), "create view notes as select 1 as x")
    result = run("verify", "--db", str(db))
    assert result.exit_code == 1 and SECRET not in result.output
    assert result.output.splitlines() == [
        "macro split_part replaces DuckDB's own split_part: the other commands refuse this file",
        "macro strftime replaces DuckDB's own strftime: the other commands refuse this file",
        "view notes is not one of the tool's views",
    ]
    result = run("ingest", "--rebuild", str(samples), "--db", str(db))
    assert result.exit_code == 0 and SECRET not in result.output
    assert "check_params of the old warehouse not carried over, the defaults apply" in result.output
    assert run("verify", "--db", str(db)).output.endswith("every check holds (6 files, 2 runs, 3 evaluations)\n")
    assert SECRET not in everything_in(db)


def test_a_view_in_the_place_of_a_table_is_refused(hostile):
    samples, db, secret = hostile
    _plant(db, "create table files_backup as select * from gpus", "drop table gpus",
           f"create view gpus as select content as gpu, content as vendor, 0 as n_runs, 0 as n_evals from read_text('{secret}')")
    result = run("check", "--db", str(db))
    assert result.exit_code == 1 and SECRET not in result.output
    assert "view gpus stands where the tool's table gpus belongs" in result.output


@pytest.mark.parametrize("statement, problem", [
    ("alter table gpus add column note varchar default lower('X')", "column gpus.note computes lower('X')"),
    ("create or replace table sites (site varchar check (length(site) > 0), authors varchar[], paths varchar[], "
     "source varchar, sites_sha256 varchar)", "table sites checks CHECK((length(site) > 0))"),
])
def test_an_expression_attached_to_a_tools_table_is_refused(hostile, statement, problem):
    samples, db, secret = hostile
    _plant(db, statement)
    result = run("check", "--db", str(db))
    assert result.exit_code == 1 and problem in result.output
    assert run("verify", "--db", str(db)).output.splitlines()[0] == f"{problem}: the other commands refuse this file"


def test_a_file_replaced_while_this_process_holds_the_old_one_open_is_searched_when_opened_again(ingested_samples,
                                                                                                  tmp_path):
    """While a connection holds a version, DuckDB answers another open of the same path with that
    version: a search then sees the old file, not the one on disk. So no search result is kept for a
    later open (as any memory of files found clean by their identity on disk would)."""
    samples, db = ingested_samples
    hostile_copy = tmp_path / "hostile.duckdb"
    shutil.copyfile(db, hostile_copy)
    _plant(hostile_copy, *planted_macros(_secret_file(tmp_path)))
    holder = connect(db, read_only=True)
    try:
        os.replace(hostile_copy, db)
        try:
            connect(db, read_only=True).close()  # DuckDB 1.4-2.0: the version `holder` keeps open, clean
        except WarehouseError:
            pass  # a DuckDB that opens the file on disk: searched and refused, as it must be
    finally:
        holder.close()
    with pytest.raises(WarehouseError, match="holds code the tool would run: macro split_part"):
        connect(db, read_only=True)


def test_every_connection_has_file_access_off(tmp_path, ingested_samples):
    samples, db = ingested_samples
    for con in (connect(db, read_only=True), connect(db, read_only=True, inspect=True), scratch_connection()):
        try:
            assert con.execute("select current_setting('enable_external_access')").fetchone() == (False,)
            with pytest.raises(duckdb.PermissionException):
                con.execute(f"select * from read_text('{samples / 'train' / 'arch_2.log'}')")
        finally:
            con.close()
    con = connect(tmp_path / "new.duckdb")
    try:
        assert con.execute("select current_setting('enable_external_access')").fetchone() == (False,)
    finally:
        con.close()


def test_the_tool_opens_duckdb_only_through_connect():
    """Every `duckdb.connect` of the tool's code is the one in warehouse/connect.py, or an in-memory
    database opened with file access off in its configuration."""
    found = []
    for path in [ROOT / "cli.py", *sorted((ROOT / "warehouse").rglob("*.py")), *sorted((ROOT / "reports").rglob("*.py")),
                 *sorted((ROOT / "ingest").rglob("*.py"))]:
        for node in python_nodes(path):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "duckdb.connect":
                found.append((path.relative_to(ROOT).as_posix(), ast.unparse(node)))
    unguarded = [(p, call) for p, call in found
                 if p != "warehouse/connect.py" and not re.search(r"enable_external_access['\"]?: False|config=config", call)]
    assert unguarded == []
    assert {p for p, _ in found} <= {"warehouse/connect.py", "warehouse/trust.py", "warehouse/viewfiles.py"}


# --- a repository from elsewhere: its own .git/config -------------------------------------------

def _hostile_repository(repo: Path, marker: Path) -> None:
    """A repository whose last commit is signed and whose own config names programs for git to
    run: on every `git log` (signature check), on reading the index, on a lazy fetch."""
    import subprocess

    from conftest import git

    program = repo.parent / f"{repo.name}-program.sh"
    program.write_text(f"#!/bin/sh\necho ran >> {marker}\nexit 1\n")
    program.chmod(0o755)
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    parent = git(repo, "rev-parse", "HEAD").strip()
    signed = (f"tree {tree}\nparent {parent}\nauthor zaber <zaber@example.org> 1700000000 +0000\n"
              "committer zaber <zaber@example.org> 1700000000 +0000\n"
              "gpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\n\nsigned\n")
    commit = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=repo, input=signed.encode(),
                            capture_output=True, check=True).stdout.decode().strip()
    git(repo, "update-ref", "HEAD", commit)
    for key, value in (("log.showSignature", "true"), ("gpg.program", str(program)), ("gpg.format", "openpgp"),
                       ("core.fsmonitor", str(program)), ("core.sshCommand", str(program)),
                       ("core.pager", str(program)), ("log.mailmap", "true")):
        git(repo, "config", key, value)


def test_a_repositorys_own_config_never_makes_the_ingest_run_a_program(tmp_path):
    """Logs and code from elsewhere may come with their `.git/config` (a tarball of a clone)."""
    import subprocess

    from conftest import SAMPLES, git, query

    marker = tmp_path / "ran.txt"
    logs, code = tmp_path / "logs", tmp_path / "code"
    logs.mkdir()
    (logs / "arch_2.log").write_bytes((SAMPLES / "train" / "arch_2.log").read_bytes())
    code.mkdir()
    (code / "main.py").write_text("import logging\nlogging.info('x')\n")
    for repo in (logs, code):
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", "first")
        _hostile_repository(repo, marker)
    # the planted program does run when git is started the plain way
    subprocess.run(["git", "log"], cwd=logs, capture_output=True)
    assert marker.exists()
    marker.unlink()
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [logs], workers=1, code_repos=[code])
    assert not marker.exists()
    assert query(db, "select added_author from files where kind = 'train'") == [("zaber",)]  # the history was read
    assert query(db, "select n_commits from code_repos") == [(2,)]


def test_the_tool_starts_git_only_through_gitrun():
    """Every git the ingest starts goes through ingest/gitrun.py (the repository's config cannot
    name programs for it); the demo generator runs git on the repositories it creates. The one
    other program the tool starts is its own Python (warehouse/cache.py `make_meanwhile`)."""
    found = []
    for path in [ROOT / "cli.py", *sorted((ROOT / "warehouse").rglob("*.py")), *sorted((ROOT / "reports").rglob("*.py")),
                 *sorted((ROOT / "ingest").rglob("*.py")), *sorted((ROOT / "application").rglob("*.py"))]:
        for node in python_nodes(path):
            if isinstance(node, ast.Call) and re.fullmatch(r"(subprocess\.(run|Popen|call|check_call|check_output)|"
                                                           r"os\.(system|popen|exec\w*|spawn\w*))",
                                                           ast.unparse(node.func)):
                program = ast.unparse(node.args[0]) if node.args else ""
                found.append((path.relative_to(ROOT).as_posix(), program.startswith("[sys.executable, ")))
    assert set(found) == {("ingest/gitrun.py", False), ("warehouse/cache.py", True)}


def test_a_link_in_a_folder_from_elsewhere_is_a_skipped_row_and_never_read(tmp_path):
    """A folder from elsewhere may hold a link named like a log that points at a local file."""
    import os

    from conftest import query

    secret = _secret_file(tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "arch_5.log").symlink_to(secret)
    (logs / "arch_5_eval_Linf_Base.log").symlink_to(tmp_path)  # a link to a folder
    os.mkfifo(logs / "arch_6.log")  # a reader would wait on it forever
    db = tmp_path / "wh.duckdb"
    summary = ingest_paths(db, [logs], workers=1)
    assert (summary.seen, summary.skipped, summary.runs, summary.not_read) == (3, 3, 0, 3)
    assert "; 3 links or FIFOs not read (files.message);" in summary.line()
    link = "a symbolic link: not followed (it may point anywhere); ingest what it points to"
    rows = query(db, "select rel_path, kind, status, sha256, message from files order by rel_path")
    assert rows == [
        ("arch_5.log", "train", "skipped", None, link),
        ("arch_5_eval_Linf_Base.log", "eval", "skipped", None, link),
        ("arch_6.log", "train", "skipped", None, "not a regular file (a FIFO, socket or device): not read"),
    ]
    con = connect(db, read_only=True)
    try:
        assert not any(SECRET in str(row) for table in ("files", "runs", "evals", "meta")
                       for row in con.execute(f"select * from {table}").fetchall())
    finally:
        con.close()
