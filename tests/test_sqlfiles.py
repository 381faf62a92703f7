"""The SQL home: every .sql file under sql/ is read by one loader and holds its header rule
(sql/README.md), every query file is used, and Python keeps no SQL longer than a wrapped line."""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, python_nodes

from warehouse.errors import WarehouseError
from warehouse.sqlfiles import KIND_FOLDERS, SQL_DIR, all_sql_files, check_header, read_named, read_sql
from warehouse.viewfiles import load_check_queries, view_paths

CODE = [ROOT / "cli.py", *sorted(p for folder in ("warehouse", "reports", "application", "ingest", "demo")
                                 for p in (ROOT / folder).rglob("*.py"))]
SQL_START = re.compile(r"\s*(select|with|insert|update|delete|create|alter|drop|copy)\s", re.I)


def test_every_sql_file_belongs_to_a_kind_and_holds_its_header_rule():
    views = {path for _, _, _, path in view_paths()} | {q.path for q in load_check_queries()}
    plain = all_sql_files()
    for kind, path in plain:
        read_sql(kind, path)  # raises on a header that breaks the rule
    every = set(SQL_DIR.rglob("*.sql"))
    assert every == views | {path for _, path in plain}
    assert {kind for kind, _ in plain} == set(KIND_FOLDERS)  # every kind has files


def _python_calls(name: str) -> list[str]:
    found = []
    for path in CODE:
        for node in python_nodes(path):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.append(node.args[0].value)
    return found


def test_every_query_file_is_read_by_the_code_and_every_read_names_a_file():
    used = set(_python_calls("read_query"))
    files = {path.relative_to(SQL_DIR / "queries").with_suffix("").as_posix()
             for kind, path in all_sql_files() if kind == "query"}
    assert used == files
    reports = {p.stem for kind, p in all_sql_files() if kind == "report"}
    assert set(_python_calls("rows")) <= reports | {"check_duplicate_paired"}  # reports read by name


def _sql_literals(path: Path) -> list[tuple[int, int]]:
    """(first, last line) of each string in `path` that is SQL: a literal or concatenation passed to
    execute/sql, or any other non-docstring string starting with an SQL keyword."""
    nodes = python_nodes(path)
    docstrings = {id(node.body[0].value) for node in nodes
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    out = []
    for node in nodes:
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("execute", "executemany", "sql"):
            if node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr, ast.BinOp)):
                out.append((node.args[0].lineno, node.args[0].end_lineno))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
              and SQL_START.match(node.value)):
            out.append((node.lineno, node.end_lineno))
    return out


def test_python_holds_no_sql_longer_than_a_wrapped_line():
    too_long = [f"{path.relative_to(ROOT)}:{first}" for path in CODE
                for first, last in _sql_literals(path) if last - first + 1 > 2]
    assert too_long == []


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(SQL_DIR, target, ignore=lambda folder, names: {"views", "checks"} if Path(folder) == SQL_DIR else set())
    return target


@pytest.mark.parametrize(("kind", "rel", "edit", "message"), [
    ("step", "steps/30_sites.sql", lambda t: t.replace("-- step: sites\n", ""), "must start with `-- step: sites`"),
    ("step", "steps/30_sites.sql", lambda t: t.replace("-- step: sites", "-- step: site"),
     "names 'site', but the file is 'sites'"),
    ("step", "steps/30_sites.sql", lambda t: t.replace("-- does:", "-- what:"), "lacks `-- does:`"),
    ("invariant", "invariants/20_known_statuses.sql", lambda t: t.replace("-- holds:", "-- checks:"), "lacks `-- holds:`"),
    ("report", "report/report_sites.sql", lambda t: t.replace("-- question:", "-- about:"), "lacks `-- question:`"),
    ("query", "queries/views/list_views.sql", lambda t: t.replace("-- query: views/list_views", "-- query: list_views"),
     "names 'list_views', but the file is 'views/list_views'"),
    ("query", "queries/views/list_views.sql", lambda t: "\n" + t, "must start with `-- query: views/list_views`"),
])
def test_a_header_that_breaks_the_rule_is_refused_naming_the_file(tmp_path, kind, rel, edit, message):
    sql_dir = _copy(tmp_path)
    path = sql_dir / rel
    path.write_text(edit(path.read_text()))
    with pytest.raises(WarehouseError, match=re.escape(message)):
        check_header(kind, path, path.read_text(), sql_dir)
    check_header(kind, SQL_DIR / rel, (SQL_DIR / rel).read_text())  # the file as shipped holds


def test_a_missing_named_file_is_one_clear_line():
    with pytest.raises(WarehouseError, match=r"report query sql/report/no_such\.sql is missing"):
        read_named("report", "no_such")
