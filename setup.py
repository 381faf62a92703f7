"""What pyproject.toml cannot say statically: the one compiled module, `ingest._scan` (see
ingest/_scan.c; required: a build without it fails, saying what to install), and the packages,
whose SQL folders are listed folder by folder.

The SQL ships inside `warehouse`: the repository's top-level `sql/` (views, checks, migrations,
ingest steps, invariants, report and module queries) as `warehouse/sql`, where
warehouse/sqlfiles.py `sql_dir` finds it in an installed package (a source checkout and an
editable install read `sql/` itself). setuptools ships a folder's files only for a package it is
told of, so every folder of them is named here as a data package (no __init__.py): a new check
folder ships without an edit. A check's `cases/` (its test cases, data for tests/test_check_cases.py)
are not shipped.
"""
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CompileError

CODE_PACKAGES = ["ingest", "warehouse", "reports", "demo", "application"]
SQL_FOLDERS = {"warehouse.sql": "sql"}
SQL_FILES = ["*.sql", "*.md", "*.toml"]


def sql_packages() -> dict[str, str]:
    """Data package name -> its folder, for every folder under the SQL folders."""
    packages = {}
    for package, folder in SQL_FOLDERS.items():
        root = Path(folder)
        packages[package] = folder
        for sub in sorted(p for p in root.rglob("*") if p.is_dir() and not {"__pycache__", "cases"} & set(p.parts)):
            packages[".".join([package, *sub.relative_to(root).parts])] = sub.as_posix()
    return packages


SQL_PACKAGES = sql_packages()

NO_COMPILER = (
    "ingest._scan (ingest/_scan.c) could not be compiled: {error}\n"
    "The ingest does not run without it (it is the one reader of training logs). It needs a C compiler "
    "and the Python headers (Debian/Ubuntu: apt install gcc python3-dev; macOS: xcode-select --install)."
)


class build_required_ext(build_ext):
    """build_ext that fails with one clear reason when the scanner cannot be compiled: the extension
    is required, so a missing compiler or header must stop the build, and say what to install."""

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as error:  # the compiler missing (OSError), failing (CompileError), ...
            raise CompileError(NO_COMPILER.format(error=error)) from error

setup(
    packages=CODE_PACKAGES + list(SQL_PACKAGES),
    package_dir={"warehouse.sql": "sql"},
    package_data={package: SQL_FILES for package in SQL_PACKAGES},
    ext_modules=[Extension("ingest._scan", ["ingest/_scan.c"], extra_compile_args=["-O2", "-std=c11"], optional=False)],
    cmdclass={"build_ext": build_required_ext},
)
