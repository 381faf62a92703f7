"""The tool as a user installs it: the wheel's `nares` command from a folder other than the source
tree, and the default warehouse of the working folder."""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import pytest
from conftest import ROOT, SAMPLES, query
from typer.testing import CliRunner

from cli import app
from warehouse import default_db_path

PACKAGED = ["pyproject.toml", "setup.py", "README.md", "ingest", "warehouse", "reports", "demo", "application", "sql",
            *(f"{module}.py"
              for module in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["py-modules"])]
"""What a build reads: copied away from the checkout, so that no build/ folder left there (which
setuptools never cleans) can put stale files into the wheel, and the build writes nothing here."""


def test_default_warehouse_is_robustnasbench_duckdb_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("RNB_DB", raising=False)
    shutil.copytree(SAMPLES, tmp_path / "logs")
    monkeypatch.chdir(tmp_path)
    assert default_db_path() == Path("robustnasbench.duckdb")
    result = CliRunner().invoke(app, ["ingest", "logs"])
    assert result.exit_code == 0, result.output
    assert query(tmp_path / "robustnasbench.duckdb", "select count(*) from runs")[0][0] > 0

    monkeypatch.setenv("RNB_DB", str(tmp_path / "elsewhere.duckdb"))
    assert default_db_path() == tmp_path / "elsewhere.duckdb"
    result = CliRunner().invoke(app, ["sql", "select count(*) as n from runs"])
    assert result.exit_code == 1 and "no warehouse at" in result.output and "elsewhere.duckdb" in result.output


def _run(args: list, cwd: Path, env: dict, timeout: int = 600) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}: {result.stderr[-2000:]}"
    return result.stdout


@pytest.mark.slow
def test_the_wheel_installs_a_nares_command_that_works_from_any_folder(tmp_path):
    """Build the wheel, install it into a fresh venv, and run demo, ingest, check and report with its
    `nares` from an empty folder. The venv reaches the dependencies through a .pth file naming this
    environment's site-packages (no download; `--system-site-packages` would give the base
    interpreter's, which need not hold them); the project's own files come from the wheel alone:
    the venv's site-packages comes first on its path, and the test asserts where they resolve."""
    source = tmp_path / "source"
    source.mkdir()
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", wheels, source], cwd=tmp_path, env=dict(os.environ))
    [wheel] = wheels.glob("*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=dict(os.environ))
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel], cwd=tmp_path, env=dict(os.environ))
    [packages] = venv.glob("lib/python*/site-packages")
    (packages / "zz_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("RNB_DB", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    files = _run([python, "-c", "import cli, nares, ingest._scan, reports, warehouse.viewfiles as v; "
                  "print(cli.__file__, nares.__file__, ingest._scan.__file__, reports.__file__, v.__file__, "
                  "v.SQL_DIR, sep='\\n')"],
                 cwd=work, env=env).split()
    assert all(Path(f).resolve().is_relative_to(packages.resolve()) for f in files), files
    assert Path(files[-1]).resolve() == (packages / "warehouse" / "sql").resolve()
    assert shutil.which("nares", path=env["PATH"]) == str(venv / "bin" / "nares")

    out = _run(["nares", "demo", "--out", "corpus", "--archs", "12", "--epochs", "6"], cwd=work, env=env)
    assert "-> corpus" in out and (work / "corpus" / "demo_key.json").is_file()
    out = _run(["nares", "ingest", "corpus"], cwd=work, env=env)
    db = work / "robustnasbench.duckdb"
    runs = query(db, "select count(*) from runs")[0][0]
    assert runs == 12 and f"runs {runs}," in out
    assert query(db, "select count(*) from view_versions where path like 'sql/checks/%'")[0][0] > 0
    out = _run([python, "-c", "from nares import open_warehouse; print(open_warehouse().check('best_epoch').height)"],
               cwd=work, env=env)
    assert int(out) == query(db, "select count(*) from check_best_epoch")[0][0] > 0
    out = _run(["nares", "check", "best_epoch", "duplicate_archs"], cwd=work, env=env)
    assert [line.split(":")[0] for line in out.splitlines()] == ["best_epoch", "duplicate_archs"]
    out = _run(["nares", "report", "--format", "svg"], cwd=work, env=env)
    assert out.startswith("wrote ") and "to report/" in out
    assert {"report.md", "index.html"} <= {p.name for p in (work / "report").iterdir()}
    assert list((work / "report").glob("*.svg"))
    assert not list(venv.rglob("*.duckdb"))
