"""Small warehouses whose answers are known, for the tests of the views and checks.

`build(path, runs=[...], evals=[...])` writes a warehouse of this tool's schema and views (a copy
of the cached empty warehouse, as an ingest starts one) with exactly the rows given, so a test
states its corpus in a few lines:

    con = build(tmp_path / "w.duckdb", runs=[run(1, 10, "MSU", cw=[30, 45, 40, 38])])

`run()` derives what the ingest would (best epoch = first epoch with the highest CW-40, final
CW-40, the lr schedule of the benchmark: x0.1 at ceil(0.75 E) and ceil(0.9 E)) from a list of CW-40
accuracies per epoch. `train_log()` and `base_log()` rewrite the real sample logs instead, for tests
that go through the ingest.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from warehouse.connect import connect
from warehouse.migrate import migrate
from warehouse.steps import STEPS_DIR
from warehouse.template import start_from_template
from warehouse.views import install_views, views_fingerprint

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "samples"
GPU = "NVIDIA GeForce RTX 3090"
NAN = float("nan")
T0 = datetime(2023, 3, 1, 8, 0, 0)


def lr_schedule(epochs: int, decays: list[int] | None = None) -> list[float]:
    decays = decays if decays is not None else [math.ceil(0.75 * epochs), math.ceil(0.9 * epochs)]
    return [round(0.1 * 0.1 ** sum(1 for d in decays if e >= d), 6) for e in range(epochs)]


def run(run_id: int, arch_id: int, site: str = "SUSTech", cw: list[float] | None = None, *,
        gpu: str | None = GPU, finished: bool = True, resumed: bool = False, epochs_planned: int | None = None,
        decays: list[int] | None = None, started_at: datetime | None = None, val_acc: float = 80.0,
        nan_from: int | None = None) -> dict:
    """A run and its epochs; cw gives the CW-40 validation accuracy of each logged epoch."""
    cw = list(cw if cw is not None else [30.0, 40.0, 45.0, 46.0])
    planned = epochs_planned or len(cw)
    lrs = lr_schedule(planned, decays)
    scored = [(v, e) for e, v in enumerate(cw) if v is not None and not math.isnan(v)]
    best = max(v for v, _ in scored) if scored else None
    best_epoch = min(e for v, e in scored if v == best) if scored else None
    started = started_at or T0 + timedelta(days=run_id)
    epochs = [{
        "run_id": run_id, "epoch": e, "segment": 0, "lr": lrs[e] if e < len(lrs) else lrs[-1],
        "train_loss": NAN if nan_from is not None and e >= nan_from else 1.5,
        "train_acc": 50.0, "val_loss": 1.0, "val_acc": val_acc, "pgd20_acc": None if v is None else v + 1,
        "cw40_acc": v, "cw40_loss": NAN if nan_from is not None and e >= nan_from else -40.0,
    } for e, v in enumerate(cw)]
    row = {
        "run_id": run_id, "file_id": run_id, "arch_id": arch_id, "site": site, "gpu": gpu,
        "gpu_list": [gpu] if gpu else None, "seed": 0, "source_path": f"/logs/{site}/arch_{arch_id}.log",
        "started_at": started, "finished_at": started + timedelta(days=1) if finished else None,
        "last_logged_at": started + timedelta(days=1), "epochs_planned": planned,
        "epochs_logged": len(cw), "epochs_completed": len(scored), "last_epoch": len(cw) - 1,
        "best_epoch": best_epoch, "best_cw40_acc": best,
        "best_pgd20_acc": best + 1 if best is not None else None, "best_val_acc": val_acc if scored else None,
        "final_cw40_acc": scored[-1][0] if scored else None, "finished": finished, "resumed": resumed,
        "n_segments": 2 if resumed else 1, "resume_epochs": [len(cw) // 2] if resumed else [],
        "has_nan": nan_from is not None, "lr_milestones": [75, 90, 100], "pytorch_version": "1.8.0",
    }
    return {"run": row, "epochs": epochs}


def base_eval(eval_id: int, run_id: int | None, arch_id: int, site: str = "SUSTech", *, clean: float = 80.0,
              fgsm: float = 55.0, pgd20: float = 50.0, cw40: float = 48.0, finished: bool = True,
              norm: str = "Linf", attack: str = "Base", link_note: str | None = None,
              finished_at: datetime | None = None, **columns) -> dict:
    """A test evaluation row (Linf Base unless told); `columns` are other evals columns, as stored
    (`cw40_stable_is_natural = true`)."""
    return columns | {
        "eval_id": eval_id, "file_id": eval_id, "arch_id": arch_id, "run_id": run_id, "site": site,
        "norm": norm, "attack": attack, "clean_acc": clean if finished else None,
        "fgsm_acc": fgsm if finished and norm == "Linf" else None, "pgd20_acc": pgd20 if finished else None,
        "cw40_acc": cw40 if finished else None, "aa_acc": None, "finished": finished,
        "finished_at": (finished_at or T0) if finished else None,
        "link_note": link_note if run_id is None else None,
        "source_path": f"/logs/{site}/arch_{arch_id}_eval_{norm}_{attack}.log",
    }


def settings(run_id: int, **values: str) -> list[dict]:
    """run_settings rows; `optimizer__lr="0.1"` becomes parameter optimizer.lr (source config)."""
    rows = []
    for key, value in values.items():
        parameter = key.replace("__", ".")
        rows.append({"run_id": run_id, "parameter": parameter, "value": value,
                     "source": "config" if "." in parameter else "argument"})
    return rows


def _insert(con, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    names = list(dict.fromkeys(k for r in rows for k in r))
    types = dict(con.execute(f"select column_name, data_type from duckdb_columns() where table_name = '{table}'").fetchall())
    arrow = pa.table({n: [r.get(n) for r in rows] for n in names})
    con.register("_rows", arrow)
    try:
        casts = ", ".join(f"cast({n} as {types[n]}) as {n}" for n in names)
        con.execute(f"insert into {table} by name select {casts} from _rows")
    finally:
        con.unregister("_rows")


def build(path: Path, runs: list[dict] = (), evals: list[dict] = (), run_settings: list[dict] = (),
          params: dict[str, float] | None = None):
    """A warehouse of this tool's schema and views holding exactly these rows; returns the connection.
    It starts as the copy of the empty warehouse an ingest starts from, else (no cache folder) is
    migrated and its views installed in place."""
    templated = start_from_template(path)
    con = connect(path)
    if not templated:
        migrate(con, path)
    _insert(con, "runs", [r["run"] for r in runs])
    _insert(con, "epochs", [e for r in runs for e in r["epochs"]])
    _insert(con, "evals", list(evals))
    _insert(con, "run_settings", list(run_settings))
    for name, value in (params or {}).items():
        con.execute("update check_params set value = ? where name = ?", [value, name])
    # the lr drops every ingest derives from epochs; the rest of what the steps derive (sites from
    # files, links, archs) the rows given here hold already
    con.execute((STEPS_DIR / "20_lr_drops.sql").read_text())
    if not templated:
        install_views(con)
    con.execute("delete from meta where key = 'views_fingerprint'")
    con.execute("insert into meta values ('views_fingerprint', ?)", [views_fingerprint()])
    return con


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# --- real sample logs, rewritten -------------------------------------------------------------

def train_log(cw: list[float], gpu: str | None = None) -> str:
    """The real 4-epoch sample training log with the CW-40 accuracy of each epoch replaced."""
    text = (SAMPLES / "train" / "arch_2.log").read_text()
    values = iter(cw)

    def block(match: re.Match) -> str:
        value = next(values)
        count = round(value)
        out = re.sub(r"PGD-CW Correct Count: \d+/100 Acc: [\d.]+", f"PGD-CW Correct Count: {count}/100 Acc: {value:.2f}",
                     match.group(0))
        return re.sub(r"Best PGDCW-40 accuracy: [\d.]+", f"Best PGDCW-40 accuracy: {value:.2f}", out)

    text = re.sub(r"---- PGD-CW attacking results ----.*?Best PGDCW-40 accuracy: [\d.]+", block, text, flags=re.S)
    if gpu:
        stamp = text[:23]
        text = f"{stamp} GPU List: ['{gpu}']\n" + text
    return text


def base_log(clean: float, fgsm: float, pgd20: float, cw40: float, best_pgdcw: float) -> str:
    """The real Linf Base sample evaluation with its four result accuracies replaced."""
    text = (SAMPLES / "eval" / "arch_2_eval_Linf_Base.log").read_text()
    text = re.sub(r"(Natural Correct Count: )\d+/200, Acc: [\d.]+",
                  lambda m: f"{m.group(1)}{round(clean * 2)}/200, Acc: {clean:.2f}", text)
    text = re.sub(r"(FGSM with 1 step Correct Count: )\d+/200, Acc: [\d.]+",
                  lambda m: f"{m.group(1)}{round(fgsm * 2)}/200, Acc: {fgsm:.2f}", text)
    text = re.sub(r"(PGD with 20 steps Correct Count: )\d+/200, Acc: [\d.]+",
                  lambda m: f"{m.group(1)}{round(pgd20 * 2)}/200, Acc: {pgd20:.2f}", text)
    text = re.sub(r"(CW with 40 steps Correct Count: )\d+/200, Acc: [\d.]+",
                  lambda m: f"{m.group(1)}{round(cw40 * 2)}/200, Acc: {cw40:.2f}", text)
    return re.sub(r"'best_pgdcw_acc': [\d.]+", f"'best_pgdcw_acc': {best_pgdcw}", text)
