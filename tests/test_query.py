"""`cli.py sql`: queries only (not EXPLAIN ANALYZE, which executes), a time limit, a row limit."""
from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.errors import SIGPIPE_EXIT
from cli import app
from warehouse.query import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, run_query

runner = CliRunner()
CLI = [sys.executable, str(Path(__file__).resolve().parents[1] / "cli.py")]


@pytest.fixture
def db(samples_warehouse):
    """The real sample logs' warehouse, shared by the session (tests/conftest.py): queries only read it."""
    return samples_warehouse


@pytest.mark.parametrize("statement", [
    "explain analyze select * from runs",
    "EXPLAIN ANALYSE select 1",
    "explain (analyze) select 1",
    "explain (format json, analyze) select 1",
    "/* a comment */ explain -- another\n analyze select 1",
    "select 1; explain analyze select 2",
])
def test_explain_analyze_is_refused(db, statement):
    result = runner.invoke(app, ["sql", statement, "--db", str(db)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith("error: EXPLAIN ANALYZE executes the statement it explains")


def test_explain_alone_still_works(db):
    result = runner.invoke(app, ["sql", "explain select count(*) from runs", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0 and "physical_plan" in result.output


def test_rows_beyond_max_rows_are_cut_and_it_says_so(db):
    result = runner.invoke(app, ["sql", "select range as n from range(25)", "--db", str(db), "--format", "csv",
                                 "--max-rows", "10"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:11] == ["n", *map(str, range(10))]
    assert lines[11:] == ["note: only the first 10 rows are shown: the query returns more (raise --max-rows)"]
    result = runner.invoke(app, ["sql", "select range as n from range(10)", "--db", str(db), "--format", "csv",
                                 "--max-rows", "10"])
    assert result.output.splitlines() == ["n", *map(str, range(10))]


def test_defaults_are_sane(db):
    assert (DEFAULT_TIMEOUT, DEFAULT_MAX_ROWS) == (60.0, 10_000)
    result = run_query(db, "select range from range(20000)")
    assert (len(result.rows), result.truncated) == (10_000, True)


@pytest.mark.slow
def test_a_query_that_would_run_for_hours_is_stopped_at_the_timeout(db):
    """10^16 rows: no machine finishes before the limit, so the limit (connection.interrupt from a
    timer thread) decides the outcome, never the machine's speed."""
    endless = "select sum(hash(a.range + b.range)) from range(100000000) as a, range(100000000) as b"
    result = runner.invoke(app, ["sql", endless, "--db", str(db), "--timeout", "0.5"])
    assert (result.exit_code, result.output) == (1, "error: query stopped after 0.5 s (--timeout)\n")


def test_a_reader_that_stops_early_ends_the_query_quietly(db, tmp_path):
    """`nares sql ... | head`: the rows the pipe did not take are not dropped as if read (the text
    stream's short write ended the command with code 0); the closed pipe ends it quietly, with the
    code a shell gives a command SIGPIPE killed."""
    proc = subprocess.Popen([*CLI, "sql", "select range as n from range(100000)", "--db", str(db),
                             "--format", "csv", "--max-rows", "200000"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    # more than the pipe holds: the writer meets the closed end whenever the reader closes it
    output_bytes = len("n\n") + sum(len(str(n)) + 1 for n in range(100000))
    assert output_bytes > fcntl.fcntl(proc.stdout, fcntl.F_GETPIPE_SZ)
    assert proc.stdout.read(10) == b"n\n0\n1\n2\n3\n"
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == SIGPIPE_EXIT
    assert err == b""


def test_the_whole_output_reaches_a_reader_that_reads_it_all(db, tmp_path):
    """The same query read to its end: every row, exit code 0 (the writing loop drops nothing)."""
    done = subprocess.run([*CLI, "sql", "select range as n from range(100000)", "--db", str(db),
                           "--format", "csv", "--max-rows", "200000"], cwd=tmp_path, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines() == ["n", *map(str, range(100000))]
