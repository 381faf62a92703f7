"""The one compiled part of the project: `ingest._epochs` (see ingest/_epochs.c). Everything else
about the package is in pyproject.toml."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("ingest._epochs", ["ingest/_epochs.c"], extra_compile_args=["-O2", "-std=c11"])])
