"""What leaves the warehouse: the release file, Parquet for other engines, arch-id lists for the scripts.

    export_release(db, "cifar10.jsonl", exclude_checks=["best_epoch"])   SPEC section 6 format
    export_parquet(db, "out/")          out/<table>/site=<site>/*.parquet, out/_meta/schema.json
    flagged_arch_ids(db, "best_epoch")  [12, 40, ...]: one id per line for the retraining scripts

Everything is read through the one reading policy, warehouse/query.py `open_for_reading` (an older
file is migrated first, as for every reading command): a read-only connection with file system
access off, running the tool's own views and SQL only (a view or macro the file holds is never run);
the files are written here, in Python (pyarrow for Parquet). Nothing here changes the warehouse.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ingest.release import BASE_KEYS, EPOCH_LISTS
from ingest.write import open_whole, target_name, write_whole
from warehouse.errors import WarehouseError
from warehouse.migrate import schema_version, tool_tables
from warehouse.query import open_for_reading
from warehouse.sqlfiles import read_query
from warehouse.viewfiles import read_flagged


def flagged_arch_ids(db: Path, check: str, site: str | None = None) -> list[int]:
    """Arch ids the check flags (at `site` when given), ascending, each once."""
    sql = read_flagged(check)
    con = open_for_reading(db)
    try:
        if site is not None:
            known = [r[0] for r in con.execute("select distinct site from runs order by 1").fetchall()]
            if site not in known:
                raise WarehouseError(f"no runs of site {site!r}: sites are {', '.join(known) or 'none'}")
        rows = con.execute(
            f"select distinct arch_id from ({sql}) where ? is null or site = ? order by arch_id", [site, site]
        ).fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(f"check {check} failed: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return [r[0] for r in rows]


def write_arch_list(db: Path, check: str, out: Path | None, site: str | None = None) -> tuple[str, int]:
    """The arch-id list (one per line) as text, also written to `out` when given; and its length."""
    ids = flagged_arch_ids(db, check, site)
    text = "".join(f"{i}\n" for i in ids)
    if out is not None:
        write_whole(out, text)
    return text, len(ids)


# ---------------------------------------------------------------- Parquet


@dataclass
class ParquetExport:
    out: Path
    tables: dict[str, int]
    schema_version: int

    def line(self) -> str:
        rows = sum(self.tables.values())
        return f"wrote {len(self.tables)} tables ({rows} rows), schema version {self.schema_version} -> {self.out}"


EXPORT_MARKER = Path("_meta") / "schema.json"
"""What makes a folder a previous Parquet export, which `--overwrite` may replace."""


def _replaceable(out: Path, overwrite: bool) -> bool:
    """Whether `out` exists with content to replace; refuse what an export must not delete."""
    if not out.exists() and not out.is_symlink():
        return False
    if out.is_symlink() or not out.is_dir():
        raise WarehouseError(f"{out} exists and is not a folder: choose another folder")
    if not any(out.iterdir()):
        return True
    if not overwrite:
        raise WarehouseError(f"{out} exists and is not empty: choose another folder or pass --overwrite")
    if not (out / EXPORT_MARKER).is_file():
        raise WarehouseError(f"{out} does not look like a Parquet export (no {EXPORT_MARKER}): "
                             "refusing to replace it; choose another folder")
    return True


def _write_table(con: duckdb.DuckDBPyConnection, table: str, target: Path, version: int) -> tuple[int, bool]:
    """One table as Parquet under `target`: Hive partitions by site when it has a site column and
    rows, else `data.parquet`. Returns (rows, partitioned)."""
    metadata = {b"schema_version": str(version).encode(), b"warehouse_table": table.encode()}
    data = con.sql(f'select * from main."{table}"').to_arrow_table().replace_schema_metadata(metadata)
    partitioned = "site" in data.schema.names and data.num_rows > 0
    target.mkdir()
    if partitioned:
        # a NULL site goes to site=__HIVE_DEFAULT_PARTITION__, which Hive readers read as NULL
        ds.write_dataset(data, target, format="parquet", basename_template="data_{i}.parquet",
                         partitioning=ds.partitioning(pa.schema([("site", pa.string())]), flavor="hive"),
                         existing_data_behavior="error")
    else:
        pq.write_table(data, target / "data.parquet")
    return data.num_rows, partitioned


def export_parquet(db: Path, out: Path, overwrite: bool = False) -> ParquetExport:
    """Every table of the warehouse schema as Parquet: `<out>/<table>/site=<site>/*.parquet` for
    tables with a site column, `<out>/<table>/data.parquet` otherwise; `<out>/_meta/schema.json`
    and each file's key-value metadata carry the schema version. Read back with
    `read_parquet('<out>/<table>/**/*.parquet', hive_partitioning = true)`.

    Written into a new folder beside `out`, which replaces `out` only once complete: a failed
    export leaves `out` as it was. Only an empty folder or a previous export is replaced."""
    out = Path(out)
    replace = _replaceable(out, overwrite)
    if not out.parent.is_dir():
        raise WarehouseError(f"folder {out.parent} does not exist")
    new = out.with_name(f".{out.name}.new-{os.getpid()}")
    shutil.rmtree(new, ignore_errors=True)
    con = open_for_reading(db)
    try:
        version = schema_version(con)
        present = {r[0] for r in con.execute(read_query("catalog/main_tables")).fetchall()}
        counts, schema = {}, {}
        new.mkdir()
        for table in [t for t in tool_tables() if t in present]:
            columns = con.execute(read_query("export/table_columns"), [table]).fetchall()
            counts[table], partitioned = _write_table(con, table, new / table, version)
            schema[table] = {"columns": [{"name": c, "type": t} for c, t in columns],
                             "partitioned_by": ["site"] if partitioned else []}
        (new / EXPORT_MARKER).parent.mkdir()
        (new / EXPORT_MARKER).write_text(json.dumps(
            {"schema_version": version, "tables": schema, "rows": counts}, indent=1) + "\n")
        _swap_folder(new, out, replace)
    except duckdb.Error as exc:
        raise WarehouseError(f"Parquet export failed, {out} is unchanged: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise WarehouseError(f"Parquet export failed, {out} is unchanged: {exc.strerror or exc}") from None
    finally:
        con.close()
        shutil.rmtree(new, ignore_errors=True)
    return ParquetExport(out, counts, version)


def _swap_folder(new: Path, out: Path, replace: bool) -> None:
    """Put the complete export `new` at `out`; the previous export goes only once `new` is there."""
    if not replace:
        os.rename(new, out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- the release file

@dataclass
class ReleaseExport:
    out: Path
    archs: int
    excluded_runs: int
    stable_is_natural: int = 0
    """Archs whose Linf_cw_stable is null because their evaluation code printed a wrong value there."""
    re_evaluated: int = 0
    """Archs that took a test loss, CW Stable or CW LIP their Base evaluation lacks from the test-loss
    re-evaluation of the same checkpoint (776ae25)."""

    def line(self) -> str:
        excluded = f" ({self.excluded_runs} runs flagged by the excluded checks left out)" if self.excluded_runs else ""
        faulty = (f"; Linf_cw_stable is null for {self.stable_is_natural} of them: their evaluation code printed "
                  "the natural accuracy there (fixed on 2024-04-18; `nares check eval_code`)"
                  if self.stable_is_natural else "")
        again = (f"; {self.re_evaluated} took their test loss or CW Stable and LIP from the test-loss "
                 "re-evaluation of their checkpoint (776ae25)" if self.re_evaluated else "")
        return f"wrote {self.archs} archs{excluded} -> {target_name(self.out)}{again}{faulty}"


def _json_value(value):
    """NaN and infinities are not JSON (the benchmark's loader uses orjson): they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _lists(con: duckdb.DuckDBPyConnection, run_id: int, last_epoch: int) -> dict[str, list]:
    columns = list(EPOCH_LISTS.values())
    rows = con.execute(f"select epoch, {', '.join(columns)} from epochs where run_id = ? order by epoch", [run_id]).fetchall()
    n = max([last_epoch + 1] + [r[0] + 1 for r in rows])
    lists = {key: [None] * n for key in EPOCH_LISTS}
    for row in rows:
        for key, value in zip(EPOCH_LISTS, row[1:]):
            lists[key][row[0]] = _json_value(value)
    return lists


def release_records(con: duckdb.DuckDBPyConnection, exclude_checks: list[str] = ()) -> tuple[list[dict], int, int, int]:
    """The release objects (SPEC section 6) of the warehouse: per arch, its first finished run with a
    best epoch (known sites first), with the test results of that run's best checkpoint; the runs
    the excluded checks left out, the archs whose CW Stable came from faulty evaluation code, and
    those that took values from the test-loss re-evaluation."""
    excluded_sql = " union ".join(f"select run_id from ({read_flagged(c)})" for c in exclude_checks)
    con.execute(f"create or replace temp view _excluded as {excluded_sql or 'select null::bigint as run_id where false'}")
    excluded = con.execute("select count(distinct run_id) from _excluded where run_id is not null").fetchone()[0]
    cursor = con.execute(read_query("export/release_runs"))
    names = [d[0] for d in cursor.description]
    records, stable_is_natural, re_evaluated = [], 0, 0
    for row in cursor.fetchall():
        r = dict(zip(names, row))
        stable_is_natural += bool(r["cw40_stable_is_natural"])
        re_evaluated += r["re_evaluated"]
        corruptions = None
        if r["corruption_eval_id"] is not None:
            corruptions = {}
            for name, level, acc, loss in con.execute(
                "select corruption, level, acc, loss from corruptions where eval_id = ? order by corruption, level",
                [r["corruption_eval_id"]],
            ).fetchall():
                corruptions.setdefault(name, {})[str(level)] = {"acc": _json_value(acc), "loss": _json_value(loss)}
        base = {key: _json_value(r[column]) for key, column in BASE_KEYS.items()}
        test_best = {**base, "Linf_aa_acc": _json_value(r["aa_acc"])}
        if corruptions is not None:
            test_best["corruptions"] = corruptions
        records.append({
            "arch_id": r["arch_id"],
            "arch": {key: r[key.lower()] for key in ("D1", "W1", "D2", "W2", "D3", "W3")},
            "MACs": _json_value(r["macs_m"]),
            "Params": _json_value(r["params_mb"]),
            "train": [{
                "seed": r["seed"],
                "gpu_type": r["gpu"],
                "timestamp": r["day"],
                "training_time": _json_value(r["running_cost_days"]),
                "best_epoch": r["best_epoch"],
                **_lists(con, r["run_id"], r["best_epoch"]),
            }],
            "test_best": [test_best],
        })
    return records, excluded, stable_is_natural, re_evaluated


def export_release(db: Path, out: Path, exclude_checks: list[str] | None = None) -> ReleaseExport:
    """Write the release file: one JSON object per arch, loadable by the benchmark's
    NASBenchR_CIFAR10_Dataset (exactly one train and one test_best object per arch)."""
    for check in exclude_checks or []:
        read_flagged(check)
    out = Path(out)
    if not out.parent.is_dir():
        raise WarehouseError(f"folder {out.parent} does not exist")
    if out.is_dir():
        raise WarehouseError(f"{out} is a folder: name the release file to write (e.g. {out / 'cifar10.jsonl'})")
    con = open_for_reading(db)
    try:
        records, excluded, stable_is_natural, re_evaluated = release_records(con, exclude_checks or [])
    except duckdb.Error as exc:
        raise WarehouseError(f"release export failed: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    with open_whole(out) as handle:  # a full disk, an interrupt: `out` is left as it was
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":"), allow_nan=False).encode() + b"\n")
    return ReleaseExport(out, len(records), excluded, stable_is_natural, re_evaluated)
