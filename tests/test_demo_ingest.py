"""The demo corpus through the real ingest: what was planted is what the warehouse finds.

Issue 4's acceptance: `demo` then `ingest` gives zero errors except the deliberately broken files,
and every run and evaluation of the key file is recovered exactly. Issue 16: the demo writes every
historical format (training logs of the December 2022 code, evaluations without ` Test Loss:` or
CW ` LIP:`, with the natural accuracy as CW `Stable:`, with truncated counts; checkpoint dicts with
the unrounded `best_pgdcw_acc`), and each value the format has is recovered, each one it lacks is
NULL.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.update import ingest_paths


@pytest.fixture(scope="module")
def ingested(demo_warehouse):
    """The session's demo corpus and its warehouse (tests/conftest.py), read through one connection."""
    con = duckdb.connect(str(demo_warehouse.db), read_only=True)
    yield demo_warehouse.corpus, demo_warehouse.key, con, demo_warehouse.summary
    con.close()


def rel(corpus: Path, path: str) -> str:
    return str(Path(path).relative_to(corpus.resolve()))


def evals_by_path(corpus: Path, con, columns: str) -> dict:
    rows = con.execute(f"select e.source_path, {columns} from evals e left join runs r using (run_id)").fetchall()
    return {rel(corpus, r[0]): r[1:] for r in rows}


def test_only_the_broken_files_fail(ingested):
    corpus, key, con, summary = ingested
    errors = {rel(corpus, p) for (p,) in con.execute("select path from files where status = 'error'").fetchall()}
    assert errors == {b["path"] for b in key["dirt"]["broken"]}
    assert summary.errors == len(key["dirt"]["broken"]) and summary.warnings == []


def test_duplicate_copy_is_loaded_once(ingested):
    corpus, key, con, _ = ingested
    for copy in key["dirt"]["duplicate_copies"]:
        row = con.execute("select status, duplicate_of from files where path like ?", [f"%/{copy['path']}"]).fetchone()
        assert row[0] == "skipped" and rel(corpus, row[1]) == copy["copy_of"]


def test_corpus_has_every_historical_format(ingested):
    """The fixture corpus holds what the tests below must recover (else they could pass vacuously)."""
    _, key, _, _ = ingested
    assert {r["code_version"] for r in key["runs"]} >= {"T3", "T4", "T5", "T6", "T7", "T8"}
    finished = [e for e in key["evals"] if e["finished"] and e["attack"] == "Base"]
    assert {e["code_version"] for e in finished} >= {"E1", "E2", "E3", "E5"}
    assert any(e["counts_truncated"] for e in finished) and not all(e["counts_truncated"] for e in finished)
    assert any(e["cw40_stable_is_natural"] for e in finished) and any(not e["cw40_stable_is_natural"] for e in finished)
    assert any(e["missing_fields"] for e in finished) and any(not e["missing_fields"] for e in finished)
    linked = [e for e in key["evals"] if e["run_path"] and e["checkpoint_best_pgdcw_acc"] is not None]
    assert any(e["checkpoint_best_pgdcw_acc_unrounded"] for e in linked)
    assert any(r["best_epoch"] is None and r["finished"] for r in key["runs"])   # the PGD-only run


def test_every_planted_run_is_recovered(ingested):
    corpus, key, con, _ = ingested
    rows = con.execute(
        "select source_path, arch_id, site, gpu, gpu_list, seed, finished, resumed, has_nan, epochs_completed, "
        "best_epoch, best_cw40_acc, final_cw40_acc, strftime(started_at, '%Y-%m-%d %H:%M:%S') from runs"
    ).fetchall()
    found = {rel(corpus, r[0]): r[1:] for r in rows}
    planted = {
        r["path"]: (r["arch_id"], r["site"], r["gpu"], r["gpu_list"] or None, r["seed"], r["finished"], r["resumed"],
                    r["has_nan"], r["epochs_logged"], r["best_epoch"], r["best_cw40_acc"], r["final_cw40_acc"], r["started_at"])
        for r in key["runs"]
    }
    assert found == planted


def test_every_planted_evaluation_is_recovered_and_linked(ingested):
    corpus, key, con, _ = ingested
    found = evals_by_path(corpus, con, "e.arch_id, e.norm, e.attack, e.finished, e.clean_acc, e.fgsm_acc, e.pgd20_acc, "
                                       "e.cw40_acc, e.aa_acc, r.source_path")
    found = {p: (*v[:-1], rel(corpus, v[-1]) if v[-1] else None) for p, v in found.items()}
    planted = {
        e["path"]: (e["arch_id"], None if e["attack"] == "cifar10c" else e["norm"], e["attack"], e["finished"],
                    e["clean_acc"], e["fgsm_acc"], e["pgd20_acc"], e["cw40_acc"], e["aa_acc"], e["run_path"])
        for e in key["evals"]
    }
    assert found == planted


def test_finished_evaluations_of_every_format_are_ok(ingested):
    corpus, key, con, _ = ingested
    status = {rel(corpus, p): s for p, s in con.execute("select path, status from files").fetchall()}
    for e in key["evals"]:
        assert status[e["path"]] == ("ok" if e["finished"] else "partial"), (e["path"], e["code_version"])


def test_result_fields_are_recovered_and_null_where_the_format_lacks_them(ingested):
    corpus, key, con, _ = ingested
    found = evals_by_path(corpus, con, "e.test_loss, e.fgsm_stable, e.pgd20_stable, e.pgd20_lip, e.cw40_stable, "
                                       "e.cw40_stable_logged, e.cw40_lip, e.cw40_stable_is_natural, e.counts_truncated")
    fields = ("test_loss", "fgsm_stable", "pgd20_stable", "pgd20_lip", "cw40_stable", "cw40_stable_logged", "cw40_lip",
              "cw40_stable_is_natural", "counts_truncated")
    planted = {e["path"]: tuple(e[f] for f in fields) for e in key["evals"]
               if e["finished"] and e["attack"] == "Base"}
    assert {p: found[p] for p in planted} == planted
    for path, values in planted.items():
        missing = next(e["missing_fields"] for e in key["evals"] if e["path"] == path)
        assert ("test_loss" in missing) == (values[0] is None) and ("cw40_lip" in missing) == (values[6] is None)


def test_checkpoint_best_pgdcw_acc_is_read_unrounded(ingested):
    corpus, key, con, _ = ingested
    found = evals_by_path(corpus, con, "e.ckpt_best_pgdcw_acc")
    planted = {e["path"]: (e["checkpoint_best_pgdcw_acc"],) for e in key["evals"]
               if e["checkpoint_best_pgdcw_acc"] is not None}
    assert {p: found[p] for p in planted} == planted


def test_step_lines_show_the_planted_precision_path(ingested):
    """|gn| of the unscaled native path is ~65,536 x the true norm; overflowed steps print inf or nan."""
    corpus, key, con, _ = ingested
    found = {rel(corpus, p): (m, n) for p, m, n in con.execute(
        "select source_path, grad_norm_median, grad_norm_nonfinite from runs").fetchall()}
    for run in key["runs"]:
        median, nonfinite = found[run["path"]]
        assert nonfinite == run["grad_norm_nonfinite_steps"], run["path"]
        assert (median > 1e4) == (run["precision_path"] == "native_amp_unscaled"), run["path"]
    assert any(r["grad_norm_nonfinite_steps"] for r in key["runs"] if not r["has_nan"])


def test_sites_renames_and_site_changes(ingested):
    corpus, key, con, summary = ingested
    sites = dict((rel(corpus, p), s) for p, s in con.execute("select path, site from files").fetchall())
    for path in key["dirt"]["unknown_author"]:
        assert sites[path] == "unknown"
    changed = {rel(corpus, p) for (p,) in con.execute("select path from files where site_changed").fetchall()}
    assert changed == set(key["dirt"]["site_changed"])
    for move in key["dirt"]["renamed"]:
        added = con.execute("select added_commit is not null, n_commits from files where path like ?",
                            [f"%/{move['to']}"]).fetchone()
        assert added == (True, 2)


def test_code_repositories_are_not_logs(ingested):
    """The code repositories beside the logs hold no log: nothing from them is a run or an evaluation."""
    corpus, key, con, _ = ingested
    sources = [rel(corpus, p) for (p,) in con.execute(
        "select source_path from runs union all select source_path from evals").fetchall()]
    assert sources and not [p for p in sources if p.startswith("code/")]
    assert not con.execute("select count(*) from files where path like '%/code/%' "
                           "and status in ('ok', 'partial', 'error')").fetchone()[0]


def test_reingest_of_the_demo_reads_nothing(ingested, demo_warehouse_copy):
    corpus, key, con, _ = ingested
    summary = ingest_paths(demo_warehouse_copy, [corpus], workers=1)
    assert (summary.loaded, summary.bytes_read, summary.wrote) == (0, 0, False)
