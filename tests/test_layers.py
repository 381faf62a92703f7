"""The layering of the code: lower layers never import higher ones, and no module imports itself
through others (imports inside functions count: they only hide a cycle).

    ingest/, demo/   read and write files, never the database (ingest/errors.py: UserError)
    warehouse/       owns the database (warehouse/pipeline.py: the ingest)
    reports/         turns views into figures and text
    application/     the commands and what they print; the one reading policy's callers
    nares.py         the Python API (application/reading.py re-exported)
    cli.py           wires Typer to application/
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT, python_nodes

LAYERS = {"ingest": 0, "demo": 0, "warehouse": 1, "reports": 2, "application": 3, "nares": 4, "cli": 5}


PACKAGES = [name for name in LAYERS if (ROOT / name).is_dir()]
"""The tool's packages (the others of LAYERS are modules)."""


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            name = f"{package}.{path.stem}".removesuffix(".__init__")
            found[name] = path
    found["nares"], found["cli"] = ROOT / "nares.py", ROOT / "cli.py"
    return found


def imported(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports anywhere in it (`from x import y` counts x and x.y)."""
    names = set()
    for node in python_nodes(path):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names & known


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported(path, set(modules)) - {name} for name, path in modules.items()}


def layer(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def test_no_module_imports_a_higher_layer(graph):
    upward = sorted(f"{m} imports {d}" for m, deps in graph.items() for d in deps if layer(d) > layer(m))
    assert upward == []


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk meets (each as the path that closes it)."""
    state: dict[str, int] = {}
    found = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                found.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                walk(dep, path + [dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    return found


def test_no_import_cycles(graph):
    assert [" -> ".join(c) for c in cycles(graph)] == []


def test_the_rules_see_a_cycle_and_an_upward_import():
    made_up = {"warehouse.a": {"warehouse.b"}, "warehouse.b": {"reports.c"}, "reports.c": {"warehouse.a"}}
    assert cycles(made_up) == [["reports.c", "warehouse.a", "warehouse.b", "reports.c"]]
    assert [d for m, deps in made_up.items() for d in deps if layer(d) > layer(m)] == ["reports.c"]


def test_every_package_has_a_layer():
    """A new top-level package or module must be placed in LAYERS, or the rules above miss it."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "build", "benchmarks", "scripts"}
    modules = {p.stem for p in ROOT.glob("*.py")} - {"setup"}
    assert sorted((packages | modules) - set(LAYERS)) == []


def test_the_cli_reaches_the_layers_below_only_through_the_application():
    """cli.py only wires Typer to application/: it imports nothing of warehouse/, reports/ or ingest/."""
    modules = project_modules()
    assert sorted(d for d in imported(modules["cli"], set(modules)) if layer(d) < LAYERS["application"]) == []



def test_the_cli_turns_errors_into_one_line_in_one_place():
    """Every `except` of cli.py is in `Commands.invoke`: no command catches an error of its own."""
    tree = ast.parse((ROOT / "cli.py").read_text())
    owners = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Try):
                    owners.setdefault(id(inner), node.name)
    handlers = [n for n in ast.walk(tree) if isinstance(n, ast.Try)]
    assert len(handlers) == 1 and owners[id(handlers[0])] == "invoke"


def test_every_list_of_the_tools_packages_names_each_package():
    """setup.py installs CODE_PACKAGES, the benchmark byte-compiles PACKAGES (the tests too:
    tests/conftest.py) and this file checks the layers of its PACKAGES: each names every package
    folder of the project (one with an __init__.py, benchmarks/ aside), so a new package is
    installed, compiled and checked, or this test says which list lacks it."""
    from benchmarks import run

    setup = next(node.value for node in python_nodes(ROOT / "setup.py") if isinstance(node, ast.Assign)
                 and [getattr(t, "id", None) for t in node.targets] == ["CODE_PACKAGES"])
    folders = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"benchmarks"}
    lists = {"setup.py CODE_PACKAGES": ast.literal_eval(setup), "benchmarks/run.py PACKAGES": run.PACKAGES,
             "tests/test_layers.py PACKAGES": PACKAGES}
    assert {name: sorted(packages) for name, packages in lists.items()} == dict.fromkeys(lists, sorted(folders))
