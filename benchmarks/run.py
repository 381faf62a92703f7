"""Benchmark of the warehouse on a generated corpus: floors, ingest, re-ingest, checks, report, scaling.

    python -m benchmarks.run                         # full scale: 15,625 archs (~4 GB of logs)
    python -m benchmarks.run --archs 1000 4000 15625 # the scaling series, one corpus per point

Each point writes its corpus with `cli.py demo` into a temporary folder under `--corpus`
(default `bench-corpus/`), then measures on those same files, in this order: the physical floor
(`cat` of every log to /dev/null and DuckDB's raw line scan, both warm), the faster of two full ingests
into an empty warehouse (through `cli.py ingest` in a subprocess, with the memory of its worker
processes), a no-op re-ingest, every check view, `cli.py check`, `cli.py report`, and a re-ingest after 1% of the
training logs got one more newline. It prints one table row per measure and writes everything to
JSON (default `benchmarks/results/<timestamp>.json`). Nothing here changes the code it measures.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb

from benchmarks.proctree import RSS_METHOD, run_measured

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.discover import discover  # noqa: E402  (the same file list the ingest walks)

FULL_SCALE = 15625
CHANGED_SHARE = 0.01
SCALING_TOLERANCE = 1.10  # growth exponent in the number of files; 1.0 is linear

# every measure of a point, in table order; check_view:<name> rows are added per installed check
MEASURES = [
    "demo_seconds", "demo_mb_per_s", "corpus_files", "corpus_mb", "corpus_lines",
    "floor_cat_seconds", "floor_cat_mb_per_s", "floor_duckdb_scan_seconds", "floor_duckdb_scan_mb_per_s",
    "ingest_full_seconds", "ingest_full_mb_per_s", "ingest_full_lines_per_s",
    "ingest_full_peak_rss_mb", "ingest_full_peak_pss_mb", "ingest_full_maxrss_mb",
    "ingest_full_vs_cat", "ingest_full_vs_duckdb_scan", "provenance_share",
    "ingest_noop_seconds", "check_views_max_seconds", "check_cli_seconds", "check_cli_unkept_seconds", "report_seconds",
    "ingest_1pct_files", "ingest_1pct_seconds", "report_unchanged_seconds", "report_unchanged_redrawn",
    "readme_main_seconds", "readme_main_cold_seconds",
]
SCALED = ["ingest_full_seconds", "ingest_noop_seconds", "ingest_1pct_seconds",
          "check_views_max_seconds", "check_cli_seconds", "report_seconds", "report_unchanged_seconds"]

# a byte that never occurs in the logs: each line is one column
RAW_SCAN = (
    "select count(*) from read_csv($files, columns = {'line': 'VARCHAR'}, header = false, quote = '', "
    "escape = '', delim = '\x01', auto_detect = false, strict_mode = false, ignore_errors = true)"
)


# ----------------------------------------------------------------------------- machine
def machine() -> dict:
    """What the numbers were measured on."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal:"))
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "ram_gb": round(mem_kb / 1024 ** 2, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_average": list(os.getloadavg()),
        "code": code_version(),
    }


def code_version() -> dict:
    """The commit measured, and whether the working tree differed from it (other sessions commit too)."""
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {"commit": git("rev-parse", "HEAD") or None, "changed_files": changed}


def describe_machine(m: dict) -> str:
    return (f"machine: {m['cores']} cores ({m['cores_usable']} usable), {m['ram_gb']} GB RAM, {m['cpu']}, "
            f"{m['disk_free_gb']} GB free at {m['disk_path']}, Linux {m['kernel']}, "
            f"Python {m['python']}, DuckDB {m['duckdb']}; load average {m['load_average'][0]:.2f}; "
            f"code {(m['code']['commit'] or 'unknown')[:10]}{' + local changes' if m['code']['changed_files'] else ''}")


# ----------------------------------------------------------------------------- measures
def measure(name: str, value, unit: str, target: str = "", passed: bool | None = None, note: str = "") -> dict:
    if isinstance(value, float):
        value = round(value, 4)
    return {"name": name, "value": value, "unit": unit, "target": target, "passed": passed, "note": note}


def at_most(name: str, value: float, unit: str, limit: float, note: str = "") -> dict:
    return measure(name, value, unit, f"<= {limit:g}", value is not None and value <= limit, note)


def cli(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), *args]


def log_files(corpus: Path) -> list:
    """The files the ingest parses (it walks everything but .git and reads only known names)."""
    return [f for f in discover([corpus]) if f.kind.kind != "other"]


WARM_RUNS = 2  # after one run that warms the cache; the fastest warm run counts (both are in the JSON)
INGEST_RUNS = 2
"""Full ingests of the same files, each into an empty warehouse, right after the floors (the files
warm): the faster counts, as the floors' faster warm run does (both are in the JSON). Single runs
of the same ingest minutes apart took 12.5 to 16.9 s on this machine: one run against the floors'
best measured the machine's minute as much as the ingest. Each run starts without what an earlier
run kept in the cache folder (`forget_kept_since`): `nares ingest` computes every check's headline on the
new version and keeps it under the tables' fingerprints, so a second ingest of the same files found
them all and skipped that work (~0.7 s at full scale), which no ingest of new logs can."""


def cat_seconds(paths: list[str]) -> list[float]:
    """Reading every byte once with cat to /dev/null: seconds of each warm run."""
    listing = "\0".join(paths).encode()
    times = []
    for _ in range(1 + WARM_RUNS):
        started = time.perf_counter()
        subprocess.run(["xargs", "-0", "cat"], input=listing, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return times[1:]


def duckdb_scan(paths: list[str]) -> tuple[list[float], int]:
    """DuckDB's own line scan of the same files: seconds of each warm run, and the number of lines.

    ignore_errors: the corpus holds planted binary and non-UTF-8 files, whose bad lines DuckDB
    skips instead of stopping (so `lines` misses a handful of garbled lines)."""
    con = duckdb.connect()
    try:
        times, lines = [], 0
        for _ in range(1 + WARM_RUNS):
            started = time.perf_counter()
            lines = con.execute(RAW_SCAN, {"files": paths}).fetchone()[0]
            times.append(time.perf_counter() - started)
        return times[1:], lines
    finally:
        con.close()


VIEW_TARGET_SECONDS = 0.3
VIEW_TARGETS = {"explain": 1.0}
"""Seconds each check view may take at full scale; check_explain (issue 20) weighs every
combination of up to three run attributes and has 1 s."""


def check_view_seconds(db: Path) -> dict[str, float]:
    """Every row of every installed check view (fetched: a count would let DuckDB skip columns the
    view computes), on one read-only connection."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select name from view_versions where kind = 'check' and is_current order by name").fetchall()]
        out = {}
        for name in names:
            started = time.perf_counter()
            con.execute(f"select * from {name}").fetchall()
            out[name.removeprefix("check_")] = time.perf_counter() - started
        return out
    finally:
        con.close()


STEP_COLUMNS = "step_lines, grad_norm_nonfinite, grad_norm_median, grad_norm_max, steps_per_second"
PROVENANCE_SAMPLE = 2000  # training logs scanned both ways
PROVENANCE_SHARE = 0.10   # issue 19: the provenance columns cost at most 10% of the full ingest


def provenance_seconds(files: list, db: Path, workers: int) -> dict:
    """What the columns of "which code ran" add to a full ingest, in its three places:

    - parse: scanning every step line of every epoch (|gn|, it/s, counts) instead of only the last
      one (lr, loss and accuracy, all an ingest without those columns needs): the CPU of
      `scan_training_log` both ways over a sample of training logs, scaled to all of them and
      divided by the ingest's parser processes, which share it;
    - load: the five step-line columns of `epochs`, timed as a copy of the table with and without them;
    - derive: the step `sql/steps/70_code.sql` (precision paths, code versions, commit
      windows), run on a copy of the warehouse and rolled back.
    The fingerprint of each header (a hash of names already read) is left out: microseconds a file."""
    from ingest._scan import scan_training_log

    training = [f for f in files if f.kind.kind == "train"]
    sample = random.Random(0).sample(training, min(PROVENANCE_SAMPLE, len(training)))
    spent = {False: 0.0, True: 0.0}
    for f in sample:
        data = Path(f.path).read_bytes()
        for last_only in (False, True):
            started = time.process_time()
            scan_training_log(data, last_only)
            spent[last_only] += time.process_time() - started
    parse = max(0.0, spent[False] - spent[True]) * len(training) / max(1, len(sample)) / workers

    scratch = Path(tempfile.mkdtemp(prefix="provenance-", dir=db.parent))
    try:
        copy = scratch / "copy.duckdb"
        shutil.copyfile(db, copy)
        con = duckdb.connect(str(copy))
        try:
            columns = [r[0] for r in con.execute(
                "select column_name from duckdb_columns() where table_name = 'epochs' order by column_index").fetchall()]
            without = [c for c in columns if c not in STEP_COLUMNS.split(", ")]
            timed = {}
            for name, chosen in (("with", columns), ("without", without)):
                started = time.perf_counter()
                con.execute(f"create temp table copy_{name} as select {', '.join(chosen)} from epochs")
                timed[name] = time.perf_counter() - started
            step = (ROOT / "sql" / "steps" / "70_code.sql").read_text()
            con.execute("begin")
            started = time.perf_counter()
            con.execute(step)
            derive = time.perf_counter() - started
            con.execute("rollback")
        finally:
            con.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"parse": parse, "load": max(0.0, timed["with"] - timed["without"]), "derive": derive,
            "sample": len(sample), "training_logs": len(training), "workers": workers}


def readme_main(work: Path) -> list[dict]:
    """The README's main command without its pip step, in an empty folder as on a fresh clone:
    `cli.py report` writes the default demo corpus, ingests it and reports; first with an empty
    cache folder, as on a newcomer's machine (no empty warehouse, renderings, Vega bundle or kept
    results yet), then with this machine's."""
    rows = []
    for name, cold in (("readme_main_cold_seconds", True), ("readme_main_seconds", False)):
        folder = work / name.removesuffix("_seconds").replace("_", "-")
        folder.mkdir()
        with tempfile.TemporaryDirectory(prefix="nares-empty-cache-") as empty:
            env = {**os.environ, "XDG_CACHE_HOME": empty} if cold else None
            main = run_measured(cli("report", "--db", "robustnasbench.duckdb", "--out", "report"),
                                cwd=folder, env=env).check()
        rows.append(at_most(name, main.seconds, "s", 10, "demo corpus, ingest and report, incl. Python start"
                            + ("; empty cache folder" if cold else "; this machine's cache folder")))
    return rows


def kept_files() -> set[Path]:
    """The kept results and fingerprints in the cache folder now (warehouse/results.py)."""
    from warehouse.cache import cache_dir
    from warehouse.results import FINGERPRINTS, RESULTS

    return {path for folder in (RESULTS, FINGERPRINTS) for path in (cache_dir() / folder).glob("*") if path.is_file()}


def forget_kept_since(before: set[Path]) -> None:
    """Remove the kept results and fingerprints that were not in the cache folder at `before`."""
    for path in kept_files() - before:
        path.unlink(missing_ok=True)


@contextmanager
def cache_without_results() -> Iterator[dict]:
    """The environment of a command that finds no kept results or fingerprints
    (warehouse/results.py): a copy of the cache folder without them."""
    from warehouse.cache import cache_dir
    from warehouse.results import FINGERPRINTS, RESULTS

    with tempfile.TemporaryDirectory(prefix="nares-cache-") as folder:
        copy = Path(folder) / "nares"
        if cache_dir().exists():
            shutil.copytree(cache_dir(), copy, ignore=shutil.ignore_patterns(RESULTS, FINGERPRINTS))
        yield {**os.environ, "XDG_CACHE_HOME": folder}


def touch_training_logs(files: list, share: float) -> list[str]:
    """Append a newline to `share` of the training logs (every k-th by path): size and content change.

    Only logs whose size no other training log has: a byte-identical copy (planted in the corpus)
    would stop being a copy and load as one more run, which is not the change meant here."""
    sizes: dict[int, int] = {}
    for f in files:
        if f.kind.kind == "train":
            sizes[f.size] = sizes.get(f.size, 0) + 1
    train = sorted(f.path for f in files if f.kind.kind == "train" and sizes[f.size] == 1)
    if not train:
        return []
    count = min(len(train), max(1, round(sum(sizes.values()) * share)))
    step = max(1, len(train) // count)
    chosen = train[::step][:count]
    for path in chosen:
        with open(path, "ab") as handle:
            handle.write(b"\n")
    return chosen


def run_point(archs: int, epochs: int, parent: Path, keep: bool, report: bool, say) -> dict:
    """Every measure on one corpus of `archs` architectures.

    The corpus is left in place (`main` removes every point's folder at the end unless --keep):
    deleting gigabytes of files just before the next point's `cli.py demo` slows the files that
    command creates on some filesystems (ext4 here), and that would be charged to the generator.
    """
    work = Path(tempfile.mkdtemp(prefix=f"archs{archs}-", dir=parent))
    corpus, db = work / "logs", work / "warehouse.duckdb"
    rows: list[dict] = []
    info: dict = {"archs": archs, "epochs": epochs, "folder": str(work), "kept": keep}
    try:
        say(f"[{archs} archs] generating the corpus in {corpus}")
        demo = run_measured(cli("demo", "--out", str(corpus), "--archs", str(archs), "--epochs", str(epochs))).check()
        info["demo_line"] = demo.stdout.strip()
        # the gigabytes just written are still being flushed to disk by the kernel: wait for that
        # (untimed), or the flush would compete with the measures below for the two cores
        os.sync()
        files = log_files(corpus)
        paths = [f.path for f in files]
        total = sum(f.size for f in files)
        mb = total / 1e6
        demo_mb = float(m.group(1)) if (m := re.search(r"files, ([\d.]+) MB", demo.stdout)) else mb
        rate, note = demo_mb / demo.seconds, f"{demo_mb:.1f} MB written incl. other files"
        # the generation rate is a figure, not a target (issue 22): it only feeds the benchmark
        rows += [measure("demo_seconds", demo.seconds, "s", note="cli.py demo, wall"),
                 measure("demo_mb_per_s", rate, "MB/s", note=note)]

        say(f"[{archs} archs] floors: cat and DuckDB raw scan of {len(paths)} log files, {mb:.0f} MB")
        cat_runs = cat_seconds(paths)
        scan_runs, lines = duckdb_scan(paths)
        cat_s, scan_s = min(cat_runs), min(scan_runs)
        info["floor_runs"] = {"cat_seconds": cat_runs, "duckdb_scan_seconds": scan_runs}
        rows += [measure("corpus_files", len(paths), "files", note="log files the ingest parses (.git and other names excluded)"),
                 measure("corpus_mb", mb, "MB"),
                 measure("corpus_lines", lines, "lines", note="from the DuckDB scan"),
                 measure("floor_cat_seconds", cat_s, "s", note="xargs cat > /dev/null, best warm run"),
                 measure("floor_cat_mb_per_s", mb / cat_s, "MB/s"),
                 measure("floor_duckdb_scan_seconds", scan_s, "s", note="read_csv one VARCHAR column, best warm run"),
                 measure("floor_duckdb_scan_mb_per_s", mb / scan_s, "MB/s")]

        say(f"[{archs} archs] full ingest ({INGEST_RUNS} runs)")
        runs = []
        before = kept_files()
        for _ in range(INGEST_RUNS):  # each into an empty warehouse; the last one's is measured on below
            for stale in (db, db.with_name(db.name + ".wal")):
                stale.unlink(missing_ok=True)
            forget_kept_since(before)  # the headlines an earlier run kept for the same files
            runs.append(run_measured(cli("ingest", str(corpus), "--db", str(db))).check())
        full = min(runs, key=lambda run: run.seconds)
        info["ingest_full_line"] = full.stdout.strip()
        info["ingest_full_runs"] = [run.seconds for run in runs]
        rows += [measure("ingest_full_seconds", full.seconds, "s",
                         note=f"cli.py ingest into an empty warehouse, wall, best of {INGEST_RUNS} (like the floors), "
                              "none finding headlines an earlier run kept"),
                 measure("ingest_full_mb_per_s", mb / full.seconds, "MB/s"),
                 measure("ingest_full_lines_per_s", lines / full.seconds, "lines/s"),
                 at_most("ingest_full_peak_rss_mb", max(run.tree_rss_mb for run in runs), "MB", 4096,
                         "sum over the process tree (upper bound), the larger of the runs"),
                 measure("ingest_full_peak_pss_mb", max(run.tree_pss_mb for run in runs), "MB", note="sum over the process tree"),
                 measure("ingest_full_maxrss_mb", max(run.maxrss_mb for run in runs), "MB",
                         note="largest single process (wait4)"),
                 at_most("ingest_full_vs_cat", full.seconds / cat_s, "x", 6) if archs == FULL_SCALE
                 else measure("ingest_full_vs_cat", full.seconds / cat_s, "x", note="target <= 6 at full scale"),
                 # like the demo rate: the target is for the full benchmark. A small corpus is
                 # dominated by what every ingest pays whatever its size (~0.9 s: Python start,
                 # schema, views, commits), which a scan of a few hundred MB does not
                 at_most("ingest_full_vs_duckdb_scan", full.seconds / scan_s, "x", 2) if archs == FULL_SCALE
                 else measure("ingest_full_vs_duckdb_scan", full.seconds / scan_s, "x",
                              note="target <= 2 at full scale; fixed costs dominate here")]

        say(f"[{archs} archs] what the provenance columns cost")
        cost = provenance_seconds(files, db, os.cpu_count() or 1)
        info["provenance"] = cost
        added = cost["parse"] + cost["load"] + cost["derive"]
        rows.append(at_most("provenance_share", added / full.seconds, "x", PROVENANCE_SHARE,
                            f"parse {cost['parse']:.2f} s + load {cost['load']:.2f} s + derive {cost['derive']:.2f} s "
                            f"of the full ingest"))

        say(f"[{archs} archs] no-op re-ingest")
        noop = run_measured(cli("ingest", str(corpus), "--db", str(db))).check()
        info["ingest_noop_line"] = noop.stdout.strip()
        rows.append(at_most("ingest_noop_seconds", noop.seconds, "s", 1, "unchanged corpus, incl. Python start"))

        say(f"[{archs} archs] check views, check, report")
        views = check_view_seconds(db)
        rows += [at_most(f"check_view:{name}", s, "s", VIEW_TARGETS.get(name, VIEW_TARGET_SECONDS),
                         "every row, read-only") for name, s in views.items()]
        others = [s for name, s in views.items() if name not in VIEW_TARGETS]
        rows.append(at_most("check_views_max_seconds", max(others, default=0.0), "s", VIEW_TARGET_SECONDS,
                            f"slowest of {len(others)} views with the {VIEW_TARGET_SECONDS} s target"))
        check = run_measured(cli("check", "--db", str(db))).check()
        info["check_output"] = check.stdout.strip().splitlines()
        rows.append(at_most("check_cli_seconds", check.seconds, "s", 1,
                            "cli.py check, every check, incl. Python start (headlines kept by the ingest)"))
        with cache_without_results() as env:
            unkept = run_measured(cli("check", "--db", str(db)), env=env).check()
        assert unkept.stdout == check.stdout, "check with and without the kept results printed different lines"
        rows.append(measure("check_cli_unkept_seconds", unkept.seconds, "s",
                            note="cli.py check with no kept results (e.g. after the duckdb shell changed the file)"))
        if report:
            rep = run_measured(cli("report", "--db", str(db), "--out", str(work / "report"))).check()
            info["report_line"] = rep.stdout.strip()
            rows.append(at_most("report_seconds", rep.seconds, "s", 10, "cli.py report from scratch, png+svg+html"))
        else:
            rows.append(measure("report_seconds", None, "s", "<= 10", None, "skipped (--no-report)"))

        chosen = touch_training_logs(files, CHANGED_SHARE)
        say(f"[{archs} archs] re-ingest after appending a newline to {len(chosen)} training logs")
        changed = run_measured(cli("ingest", str(corpus), "--db", str(db))).check()
        info["ingest_1pct_line"] = changed.stdout.strip()
        rows += [measure("ingest_1pct_files", len(chosen), "files", note="training logs changed (1%)"),
                 at_most("ingest_1pct_seconds", changed.seconds, "s", 2, changed.stdout.strip())]
        if report:
            # a newline more changes no figure's data: the report keeps every figure's files
            again = run_measured(cli("report", "--db", str(db), "--out", str(work / "report"))).check()
            info["report_unchanged_line"] = again.stdout.strip()
            redrawn = re.search(r"; (\d+) redrawn, ", again.stdout)
            assert redrawn, f"the report line names no redrawn figures: {again.stdout.strip()}"
            rows += [at_most("report_unchanged_seconds", again.seconds, "s", 2, "cli.py report after the 1% re-ingest"),
                     at_most("report_unchanged_redrawn", int(redrawn.group(1)), "figures", 0,
                             "figures drawn again although their data did not change")]
        else:
            rows += [measure("report_unchanged_seconds", None, "s", "<= 2", None, "skipped (--no-report)"),
                     measure("report_unchanged_redrawn", None, "figures", "<= 0", None, "skipped (--no-report)")]
        rows += (readme_main(work) if report else
                 [measure(name, None, "s", "<= 10", None, "skipped (--no-report)")
                  for name in ("readme_main_cold_seconds", "readme_main_seconds")])
    finally:
        info["measures"] = {r["name"]: r for r in rows}
    return info


def scaling(points: list[dict]) -> list[dict]:
    """Growth exponent of each timed measure in the number of files between successive points."""
    rows = []
    ordered = sorted(points, key=lambda p: p["measures"]["corpus_files"]["value"])
    for a, b in zip(ordered, ordered[1:]):
        fa, fb = a["measures"]["corpus_files"]["value"], b["measures"]["corpus_files"]["value"]
        if fb <= fa:
            continue
        for name in SCALED + ["demo_seconds"]:
            ta, tb = a["measures"][name]["value"], b["measures"][name]["value"]
            if not ta or not tb:
                continue
            exponent = math.log(tb / ta) / math.log(fb / fa)
            row = at_most(f"scaling:{name}:{a['archs']}->{b['archs']}", exponent, "exponent",
                          SCALING_TOLERANCE, f"{ta:.2f} s -> {tb:.2f} s for {fa} -> {fb} files")
            if name not in SCALED:  # the generator is measured, not judged
                row.update(target="", passed=None)
            rows.append(row)
    return rows


# ----------------------------------------------------------------------------- output
def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,}"


def render_table(points: list[dict], scale_rows: list[dict]) -> str:
    """One row per measure and corpus size, through the project's table renderer."""
    from reports.tables import render_rows

    rows = [(str(p["archs"]), r) for p in points for r in p["measures"].values()]
    rows += [("series", r) for r in scale_rows]
    cells = [
        (archs, r["name"], _fmt(r["value"]), r["unit"], r["target"],
         "" if r["passed"] is None else ("pass" if r["passed"] else "FAIL"))
        for archs, r in rows
    ]
    return render_rows(["archs", "measure", "value", "unit", "target", "result"], cells)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, nargs="+", default=[FULL_SCALE],
                        help="Corpus sizes in architectures, one point each (default: 15625, the full scale).")
    parser.add_argument("--epochs", type=int, default=100, help="Epochs per training run (default 100, as the benchmark).")
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench-corpus",
                        help="Folder under which each point's corpus and warehouse are written (default bench-corpus/).")
    parser.add_argument("--keep", action="store_true", help="Keep the corpora and warehouses (the 1%% change stays applied).")
    parser.add_argument("--json", type=Path, default=None,
                        help="JSON file to write (default benchmarks/results/<timestamp>.json).")
    parser.add_argument("--no-report", action="store_true", help="Skip `cli.py report` (for quick runs).")
    args = parser.parse_args(argv)
    for n in args.archs:
        if not 1 <= n <= FULL_SCALE:
            parser.error(f"--archs {n}: must be between 1 and {FULL_SCALE}")
    return args


PACKAGES = ("application", "demo", "ingest", "reports", "warehouse")


def byte_compile() -> None:
    """The tool's modules compiled to bytecode once, as `pip install` leaves an installed tool: with
    PYTHONDONTWRITEBYTECODE set every command would compile the sources it imports again, and the
    measures would count Python's compiler. Silent: a module it cannot compile or write (a read-only
    tree) is compiled at import, as before (and a syntax error is raised there)."""
    import compileall

    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=2)
    for module in ("cli.py", "nares.py"):
        compileall.compile_file(ROOT / module, quiet=2)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.json or ROOT / "benchmarks" / "results" / f"{stamp}.json"
    args.corpus.mkdir(parents=True, exist_ok=True)
    m = machine()
    m["disk_path"] = str(args.corpus)
    m["disk_free_gb"] = round(shutil.disk_usage(args.corpus).free / 1e9, 1)
    print(describe_machine(m), flush=True)
    print(f"memory: {RSS_METHOD}", flush=True)
    byte_compile()

    def say(text: str) -> None:
        print(f"  {datetime.now().strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    points: list[dict] = []
    before = set(args.corpus.glob("archs*-*"))
    try:
        for n in args.archs:
            points.append(run_point(n, args.epochs, args.corpus, args.keep, not args.no_report, say))
    finally:
        if not args.keep:  # the folders this run made (run_point leaves them for the end)
            for folder in sorted(set(args.corpus.glob("archs*-*")) - before):
                shutil.rmtree(folder, ignore_errors=True)
    scale_rows = scaling(points)
    result = {
        "started_at": stamp,
        "command": "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": m,
        "rss_method": RSS_METHOD,
        "points": points,
        "scaling": scale_rows,
        "seconds": round(time.perf_counter() - started, 1),
        "code_at_end": code_version(),
    }
    print(render_table(points, scale_rows))
    for p in points:
        for key in ("demo_line", "ingest_full_line", "ingest_noop_line", "ingest_1pct_line", "report_line"):
            if key in p:
                print(f"{p['archs']} archs, {key.removesuffix('_line')}: {p[key]}")
    failed = [r["name"] for p in points for r in p["measures"].values() if r["passed"] is False]
    failed += [r["name"] for r in scale_rows if r["passed"] is False]
    print(f"targets failed: {', '.join(dict.fromkeys(failed)) or 'none'}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    if result["code_at_end"] != m["code"]:
        print("warning: the code changed while the benchmark ran (see code and code_at_end in the JSON)")
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
