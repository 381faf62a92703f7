"""The demo corpus through the real ingest: what was planted is what the warehouse finds.

Issue 4's acceptance: `demo` then `ingest` gives zero errors except the deliberately broken files,
and every run and evaluation of the key file is recovered exactly.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from demo import write_demo_repository
from warehouse.update import ingest_paths


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    corpus = root / "corpus"
    write_demo_repository(corpus, archs=60, epochs=10, seed=3)
    db = root / "wh.duckdb"
    summary = ingest_paths(db, [corpus], workers=2)
    key = json.loads((corpus / "demo_key.json").read_text())
    con = duckdb.connect(str(db), read_only=True)
    yield corpus, key, con, summary
    con.close()


def rel(corpus: Path, path: str) -> str:
    return str(Path(path).relative_to(corpus.resolve()))


def test_only_the_broken_files_fail(demo_warehouse):
    corpus, key, con, summary = demo_warehouse
    errors = {rel(corpus, p) for (p,) in con.execute("select path from files where status = 'error'").fetchall()}
    assert errors == {b["path"] for b in key["dirt"]["broken"]}
    assert summary.errors == len(key["dirt"]["broken"]) and summary.warnings == []


def test_duplicate_copy_is_loaded_once(demo_warehouse):
    corpus, key, con, _ = demo_warehouse
    for copy in key["dirt"]["duplicate_copies"]:
        row = con.execute("select status, duplicate_of from files where path like ?", [f"%/{copy['path']}"]).fetchone()
        assert row[0] == "skipped" and rel(corpus, row[1]) == copy["copy_of"]


def test_every_planted_run_is_recovered(demo_warehouse):
    corpus, key, con, _ = demo_warehouse
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


def test_every_planted_evaluation_is_recovered_and_linked(demo_warehouse):
    corpus, key, con, _ = demo_warehouse
    rows = con.execute(
        "select e.source_path, e.arch_id, e.norm, e.attack, e.finished, e.clean_acc, e.fgsm_acc, e.pgd20_acc, e.cw40_acc, "
        "e.aa_acc, r.source_path from evals e left join runs r using (run_id)"
    ).fetchall()
    found = {rel(corpus, r[0]): (*r[1:10], rel(corpus, r[10]) if r[10] else None) for r in rows}
    planted = {
        e["path"]: (e["arch_id"], None if e["attack"] == "cifar10c" else e["norm"], e["attack"], e["finished"],
                    e["clean_acc"], e["fgsm_acc"], e["pgd20_acc"], e["cw40_acc"], e["aa_acc"], e["run_path"])
        for e in key["evals"]
    }
    assert found == planted


def test_sites_renames_and_site_changes(demo_warehouse):
    corpus, key, con, summary = demo_warehouse
    sites = dict((rel(corpus, p), s) for p, s in con.execute("select path, site from files").fetchall())
    for path in key["dirt"]["unknown_author"]:
        assert sites[path] == "unknown"
    changed = {rel(corpus, p) for (p,) in con.execute("select path from files where site_changed").fetchall()}
    assert changed == set(key["dirt"]["site_changed"])
    for move in key["dirt"]["renamed"]:
        added = con.execute("select added_commit is not null, n_commits from files where path like ?", [f"%/{move['to']}"]).fetchone()
        assert added == (True, 2)


def test_reingest_of_the_demo_reads_nothing(demo_warehouse, tmp_path):
    corpus, key, con, _ = demo_warehouse
    db = Path(con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0])
    summary = ingest_paths(db, [corpus], workers=1)
    assert (summary.loaded, summary.bytes_read, summary.wrote) == (0, 0, False)
