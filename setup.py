"""The one compiled part of the project: `ingest._scan` (see ingest/_scan.c). Everything else
about the package is in pyproject.toml."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("ingest._scan", ["ingest/_scan.c"], extra_compile_args=["-O2", "-std=c11"])])
