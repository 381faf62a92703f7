"""Sites, git provenance, GPUs and eval-to-run linking, on git repositories built in the test."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import AA_COMPACT, BASE_LINF, TRAIN_LOG, git, query
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli import app
from ingest.gitlog import parse_log
from ingest.sites import MAX_SITES_BYTES, GlobMatcher, Site, SitesFileError, attribute_sites, glob_match, read_sites_file
from warehouse.update import ingest_paths

SITES = """\
[sites.SUSTech]
authors = ["zaber", "20830726+ZaberKo@users.noreply.github.com"]

[sites.MSU]
authors = ["shihuahuang"]
paths = ["msu/**"]
"""
SUSTECH = dict(author="zaber", email="zaber@example.org")
ZABER_NOREPLY = dict(author="Zhang Z", email="20830726+ZaberKo@users.noreply.github.com")
MSU = dict(author="shihuahuang", email="shh@msu.example")



def train_log(arch: int, best_cw40: str = "50.00", gpus: list[str] | None = None) -> str:
    """The real training log renamed to another arch, with its best CW-40 and GPU list changed."""
    text = TRAIN_LOG.read_text().replace("arch_2", f"arch_{arch}")
    text = text.replace("PGD-CW Correct Count: 50/100 Acc: 50.00", f"PGD-CW Correct Count: 50/100 Acc: {best_cw40}")
    if gpus is not None:
        line = f"2026-11-23 19:06:22,900 GPU List: {gpus!r}\n"
        text = line + text.replace("PyTorch Version: 2.13.0+cpu\n", "PyTorch Version: 2.13.0+cpu\n" + line, 1)
    return text


def eval_log(arch: int, best_pgdcw: str = "50.0") -> str:
    text = BASE_LINF.read_text().replace("arch_2", f"arch_{arch}")
    return text.replace("'best_pgdcw_acc': 50.0", f"'best_pgdcw_acc': {best_pgdcw}")


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_repo(tmp_path: Path) -> Path:
    """Two sites' commits, a later change by the other site, a rename, untracked files, a stranger."""
    repo = tmp_path / "logs"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "sites.toml", SITES)
    write(repo, "sustech/arch_1.log", train_log(1, gpus=["NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX 3090"]))
    write(repo, "sustech/arch_6000.log", train_log(6000, "44.00", gpus=["NVIDIA A100-SXM4-40GB"]))
    write(repo, "sustech/arch_6000_eval_Linf_Base.log", eval_log(6000, "44.0"))
    write(repo, "old/arch_3.log", train_log(3))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "sustech runs", **SUSTECH, date="2023-03-02T10:00:00+08:00")
    write(repo, "msu/arch_6000.log", train_log(6000, "41.00", gpus=["Tesla V100-SXM2-32GB"]))
    write(repo, "msu/arch_2.log", train_log(2, gpus=["Tesla V100-SXM2-32GB"]))
    write(repo, "evals/arch_6000_eval_Linf_Base.log", eval_log(6000, "41.0"))
    write(repo, "evals/arch_2_eval_Linf_Base.log", eval_log(2))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "msu runs", **MSU, date="2023-05-01T09:00:00-04:00")
    write(repo, "sustech/arch_1.log", train_log(1, gpus=["NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX 3090"]) + "\n")
    (repo / "new").mkdir()
    git(repo, "mv", "old/arch_3.log", "new/arch_0003.log")
    git(repo, "commit", "-qam", "msu touches a sustech log, renames another", **MSU, date="2023-06-01T00:00:00+00:00")
    write(repo, "sustech/arch_4.log", train_log(4))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "noreply address", **ZABER_NOREPLY, date="2023-06-02T00:00:00+00:00")
    write(repo, "misc/arch_5.log", train_log(5))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "stranger", author="someone", email="someone@else.org", date="2023-06-03T00:00:00+00:00")
    write(repo, "msu/arch_7.log", train_log(7))        # untracked, under the msu/** glob
    write(repo, "scratch/arch_8.log", train_log(8))    # untracked, matches nothing
    return repo


@pytest.fixture
def repo(made_once) -> Path:
    """`make_repo` for a test that changes it (made once per test process, conftest.py `made_once`)."""
    return made_once("sites-repo", make_repo)


def _ingested_repo(folder: Path) -> tuple[Path, Path]:
    repo = make_repo(folder)
    ingest_paths(folder / "wh.duckdb", [repo], workers=1)
    return repo, folder / "wh.duckdb"


@pytest.fixture
def ingested_repo(made_once) -> tuple[Path, Path]:
    """`make_repo` and the warehouse of one ingest of it, for a test that changes either (made
    once per test process)."""
    return made_once("sites-repo-ingested", _ingested_repo)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> tuple[Path, Path, object]:
    """`make_repo` ingested once for the tests that only read the result: (repo, warehouse, summary)."""
    root = tmp_path_factory.mktemp("sites-ingested")
    repo = make_repo(root)
    summary = ingest_paths(root / "wh.duckdb", [repo], workers=1)
    return repo, root / "wh.duckdb", summary


def files_by_name(db: Path) -> dict[str, tuple]:
    rows = query(db, "select repo_path, site, site_source, last_site, site_changed, added_author, added_at::varchar, n_commits "
                     "from files where kind = 'train'")
    return {r[0]: r[1:] for r in rows}


def test_sites_from_git_authors_paths_and_unknown(ingested):
    _, db_path, summary = ingested
    assert summary.unknown_site == 2 and "2 files of unknown site" in summary.line()
    files = files_by_name(db_path)
    assert files["sustech/arch_6000.log"] == ("SUSTech", "author", "SUSTech", False, "zaber", "2023-03-02 02:00:00", 1)
    assert files["msu/arch_6000.log"][:4] == ("MSU", "author", "MSU", False)
    assert files["msu/arch_6000.log"][5] == "2023-05-01 13:00:00"  # author dates stored in UTC
    assert files["sustech/arch_4.log"][:2] == ("SUSTech", "author")  # matched by email
    assert files["misc/arch_5.log"][:2] == ("unknown", "none")
    assert files["msu/arch_7.log"][:2] == ("MSU", "path")
    assert files["scratch/arch_8.log"][:2] == ("unknown", "none")
    assert files["scratch/arch_8.log"][4] is None


def test_later_change_by_other_site_keeps_both_and_flags(ingested):
    _, db_path, _ = ingested
    assert files_by_name(db_path)["sustech/arch_1.log"] == ("SUSTech", "author", "MSU", True, "zaber", "2023-03-02 02:00:00", 2)
    assert query(db_path, "select site from runs where arch_id = 1") == [("SUSTech",)]


def test_renamed_file_keeps_who_added_it(ingested):
    _, db_path, _ = ingested
    site, source, last_site, changed, author, added_at, n = files_by_name(db_path)["new/arch_0003.log"]
    assert (site, author, added_at, n) == ("SUSTech", "zaber", "2023-03-02 02:00:00", 2)
    assert (last_site, changed) == ("MSU", True)


def test_same_name_at_two_sites_and_linking(ingested):
    _, db_path, _ = ingested
    runs = query(db_path, "select site, best_cw40_acc, gpu from runs where arch_id = 6000 order by site")
    assert runs == [("MSU", 41.0, "Tesla V100-SXM2-32GB"), ("SUSTech", 44.0, "NVIDIA A100-SXM4-40GB")]
    links = query(db_path, "select split_part(e.source_path, '/', -2), e.link_method, r.site from evals e "
                           "join runs r using (run_id) where e.arch_id = 6000 order by 1")
    assert links == [("evals", "best_cw40_match", "MSU"), ("sustech", "same_folder", "SUSTech")]
    assert query(db_path, "select site from evals where arch_id = 6000 order by 1") == [("MSU",), ("SUSTech",)]
    assert query(db_path, "select link_method from evals where arch_id = 2") == [("best_cw40_match",)]


def test_ambiguous_and_missing_links_say_why(repo, db_path):
    write(repo, "evals/arch_9_eval_Linf_Base.log", eval_log(9))
    write(repo, "a/arch_10.log", train_log(10, "44.00"))
    write(repo, "b/arch_10.log", train_log(10, "44.00") + "\n")
    write(repo, "evals/arch_10_eval_Linf_Base.log", eval_log(10, "44.0"))
    ingest_paths(db_path, [repo], workers=1)
    notes = dict(query(db_path, "select arch_id, link_note from evals where run_id is null"))
    assert notes[9] == "no training run of arch 9 in the warehouse"
    assert notes[10] == "2 runs of arch 10 have best CW-40 44.0: ambiguous"


def test_gpus_dimension_and_primary_gpu(ingested):
    _, db_path, _ = ingested
    assert query(db_path, "select gpu, vendor, n_runs from gpus order by gpu") == [
        ("NVIDIA A100-SXM4-40GB", "NVIDIA", 1, ), ("NVIDIA GeForce RTX 3090", "NVIDIA", 1), ("Tesla V100-SXM2-32GB", "Tesla", 2)]
    assert query(db_path, "select gpu, gpu_list from runs where arch_id = 1") == [
        ("NVIDIA GeForce RTX 3090", ["NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX 3090"])]
    assert query(db_path, "select count(*) from runs where gpu is null") == [(5,)]


def test_sites_table_records_authors_and_globs(ingested):
    _, db_path, _ = ingested
    assert query(db_path, "select site, authors, paths from sites order by site") == [
        ("MSU", ["shihuahuang"], ["msu/**"]),
        ("SUSTech", ["zaber", "20830726+ZaberKo@users.noreply.github.com"], []),
        ("unknown", [], []),
    ]


def test_only_a_changed_sites_file_reattributes_without_parsing(ingested_repo, tmp_path):
    repo, db_path = ingested_repo
    sites = tmp_path / "other-sites.toml"
    sites.write_text(SITES + '\n[sites.Elsewhere]\nauthors = ["someone"]\npaths = ["scratch/**"]\n')
    summary = ingest_paths(db_path, [repo], sites_file=sites, workers=1)
    assert (summary.wrote, summary.loaded, summary.bytes_read) == (True, 0, 0)
    files = files_by_name(db_path)
    assert files["misc/arch_5.log"][:2] == ("Elsewhere", "author")
    assert files["scratch/arch_8.log"][:2] == ("Elsewhere", "path")
    assert query(db_path, "select site from runs where arch_id = 5") == [("Elsewhere",)]


def test_new_commit_reattributes_without_parsing(ingested_repo):
    repo, db_path = ingested_repo
    git(repo, "add", "msu/arch_7.log")
    git(repo, "commit", "-qm", "commit msu log", **MSU, date="2023-07-01T00:00:00+00:00")
    summary = ingest_paths(db_path, [repo], workers=1)
    assert (summary.wrote, summary.loaded) == (True, 0)
    assert files_by_name(db_path)["msu/arch_7.log"][:2] == ("MSU", "author")


PROVENANCE = ("select path, repo_root, repo_path, added_commit, added_author, added_email, added_at, last_commit, "
              "last_author, last_email, last_at, n_commits, changed_by, site, site_source, last_site, site_changed, "
              "sites_path, sites_sha256 from files order by path")


def histories_read(monkeypatch) -> list[list[str]]:
    """The roots whose git history each ingest from now on reads in full (one list per read)."""
    import warehouse.pipeline

    reads: list[list[str]] = []
    real = warehouse.pipeline.repo_histories

    def noted(roots, with_files=True, started=None):
        if with_files and roots:
            reads.append([str(r) for r in roots])
        return real(roots, with_files, started)

    monkeypatch.setattr(warehouse.pipeline, "repo_histories", noted)
    return reads


@pytest.mark.slow
def test_changed_logs_keep_their_provenance_and_only_new_paths_need_the_history(ingested_repo, tmp_path, monkeypatch):
    """A re-ingest of changed logs, with the sites file and HEAD unchanged, decides nothing again:
    the replaced files rows keep their provenance and site, and no git history is read. A file at a
    new path is decided (the history is read for it). Either way every files row says what an
    ingest from scratch says."""
    repo, db = ingested_repo
    reads = histories_read(monkeypatch)
    write(repo, "sustech/arch_6000.log", train_log(6000, "45.00"))  # tracked, changed in the worktree
    write(repo, "msu/arch_7.log", train_log(7, "46.00"))  # untracked, changed
    summary = ingest_paths(db, [repo], workers=1)
    assert (summary.wrote, summary.loaded, reads) == (True, 2, [])
    assert query(db, "select best_cw40_acc from runs where arch_id = 7") == [(46.0,)]
    assert query(db, PROVENANCE) == query(ingest_paths_into(tmp_path / "first.duckdb", repo), PROVENANCE)
    reads.clear()  # that ingest from scratch read it

    write(repo, "scratch/arch_9.log", train_log(9))  # a new path: its provenance is decided now
    summary = ingest_paths(db, [repo], workers=1)
    assert (summary.wrote, summary.loaded, reads) == (True, 1, [[str(repo.resolve())]])
    assert files_by_name(db)["scratch/arch_9.log"][:2] == ("unknown", "none")
    assert query(db, PROVENANCE) == query(ingest_paths_into(tmp_path / "second.duckdb", repo), PROVENANCE)


def git_logs_started_by_the_plan(monkeypatch) -> list[list[Path]]:
    """For each ingest from now on: the repositories whose `git log` its plan started."""
    import warehouse.pipeline

    started: list[list[Path]] = []

    def noted(run):
        started.append(list(run.logs))
        return real.run(run)

    real = next(stage for stage in warehouse.pipeline.STAGES if stage.name == "parse")
    stages = tuple(warehouse.pipeline.Stage("parse", noted) if stage is real else stage
                   for stage in warehouse.pipeline.STAGES)
    monkeypatch.setattr(warehouse.pipeline, "STAGES", stages)
    return started


def test_git_log_starts_with_the_plan_only_for_roots_decided_again(ingested_repo, monkeypatch):
    """The plan starts the history of a repository while it finds the files only when the sites
    file or HEAD changed (every file is decided again); a changed log needs none, and the history
    for a new path is read while the logs are parsed."""
    repo, db = ingested_repo
    started, reads = git_logs_started_by_the_plan(monkeypatch), histories_read(monkeypatch)
    write(repo, "msu/arch_7.log", train_log(7, "46.00"))
    ingest_paths(db, [repo], workers=1)
    write(repo, "scratch/arch_9.log", train_log(9))
    ingest_paths(db, [repo], workers=1)
    git(repo, "add", "scratch/arch_9.log")
    git(repo, "commit", "-qm", "a new log", **MSU, date="2023-07-01T00:00:00+00:00")
    ingest_paths(db, [repo], workers=1)
    assert started == [[], [], [repo.resolve()]]
    assert reads == [[str(repo.resolve())]] * 2


def test_a_changed_head_decides_every_file_again(ingested_repo, monkeypatch):
    repo, db = ingested_repo
    reads = histories_read(monkeypatch)
    write(repo, "msu/arch_7.log", train_log(7, "46.00"))
    git(repo, "add", "msu/arch_7.log")
    git(repo, "commit", "-qm", "commit msu log", **MSU, date="2023-07-01T00:00:00+00:00")
    summary = ingest_paths(db, [repo], workers=1)
    assert (summary.loaded, reads) == (1, [[str(repo.resolve())]])
    assert files_by_name(db)["msu/arch_7.log"][:2] == ("MSU", "author")


def test_rows_moved_to_the_copy_git_added_first_keep_their_lr_drops(tmp_path):
    """A copy parsed now whose rows move to an older copy that git says was added first (the rows
    of a copy of the same log already loaded go): the moved run keeps the learning-rate drops
    derived from its epochs, and the warehouse holds what an ingest from scratch holds."""
    repo, db = tmp_path / "logs", tmp_path / "wh.duckdb"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    log = train_log(2)
    write(repo, "b/arch_2.log", log)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "b", date="2023-05-01T00:00:00+00:00")
    write(repo, "c/arch_2.log", log)  # untracked: a copy of b's, skipped
    ingest_paths(db, [repo], workers=1)
    write(repo, "a/arch_2.log", log)  # new: parsed now, the first by path of the copies with rows
    git(repo, "add", "c/arch_2.log")
    git(repo, "commit", "-qm", "c", date="2023-01-01T00:00:00+00:00")  # c is the copy added first now
    ingest_paths(db, [repo], workers=1)
    moved = "select f.path, count(d.epoch) from runs as r join files as f using (file_id) " \
            "left join lr_drops as d using (run_id) group by all"
    assert query(db, moved) == [(str((repo / "c/arch_2.log").resolve()), 1)]
    derived = ["select * from runs order by all", "select * from epochs order by all", "select * from lr_drops order by all",
               "select path, status, duplicate_of from files order by all"]
    fresh = ingest_paths_into(tmp_path / "fresh.duckdb", repo)
    assert [query(db, q) for q in derived] == [query(fresh, q) for q in derived]


def test_a_commit_alone_moves_the_rows_to_the_copy_it_adds(tmp_path):
    """Two untracked copies of a log: the first by path holds the rows. A commit that adds the other
    (no file changes on disk) makes that one the original: the rows move to it, as an ingest from
    scratch places them."""
    repo, db = tmp_path / "logs", tmp_path / "wh.duckdb"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "sites.toml", SITES)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "sites")
    for rel in ("u/arch_2.log", "w/arch_2.log"):
        write(repo, rel, train_log(2))
    ingest_paths(db, [repo], workers=1)
    holder = "select f.path from runs as r join files as f using (file_id)"
    assert query(db, holder) == [(str((repo / "u/arch_2.log").resolve()),)]
    git(repo, "add", "w/arch_2.log")
    git(repo, "commit", "-qm", "w")
    ingest_paths(db, [repo], workers=1)
    assert query(db, holder) == [(str((repo / "w/arch_2.log").resolve()),)]
    fresh = ingest_paths_into(tmp_path / "fresh.duckdb", repo)
    placed = ["select * from runs order by all", "select * from epochs order by all", "select * from lr_drops order by all",
              "select path, status, duplicate_of from files order by all"]
    assert [query(db, q) for q in placed] == [query(fresh, q) for q in placed]


def test_each_run_of_an_appended_aa_log_moves_to_the_copy_git_added_with_its_line(tmp_path):
    """An `_AA.log` holding the standard then the compact AutoAttack (code before 2e6cd80) is two
    evaluations: the last with the file's id and path, the first with xor(file_id, 1) and
    `<path>#line=1`. When a commit makes another copy the original, both move to it and keep their
    line, as an ingest from scratch places them (the ingest's invariants hold throughout)."""
    compact = AA_COMPACT.read_text()
    standard = compact.replace("aa_type: Compact", "aa_type: Standard").replace("Linf-AA Acc: 50.00", "Linf-AA Acc: 48.25")
    repo, db = tmp_path / "logs", tmp_path / "wh.duckdb"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "sites.toml", SITES)
    write(repo, "u/arch_2.log", train_log(2))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "sites")
    for rel in ("u/arch_2_eval_Linf_AA.log", "w/arch_2_eval_Linf_AA.log"):
        write(repo, rel, standard + compact)
    ingest_paths(db, [repo], workers=1)
    evals = ("select e.eval_id, f.file_id, e.source_path, e.attack, e.aa_acc, e.run_id is not null "
             "from evals as e join files as f using (file_id) order by e.source_path")
    u = str((repo / "u/arch_2_eval_Linf_AA.log").resolve())
    u_id = query(db, "select file_id from files where path = ?", [u])[0][0]
    assert query(db, evals) == [(u_id, u_id, u, "AA-Compact", 50.0, True), (u_id ^ 1, u_id, f"{u}#line=1", "AA", 48.25, True)]
    git(repo, "add", "w/arch_2_eval_Linf_AA.log")
    git(repo, "commit", "-qm", "w")
    ingest_paths(db, [repo], workers=1)
    w = str((repo / "w/arch_2_eval_Linf_AA.log").resolve())
    w_id = query(db, "select file_id from files where path = ?", [w])[0][0]
    assert query(db, evals) == [(w_id, w_id, w, "AA-Compact", 50.0, True), (w_id ^ 1, w_id, f"{w}#line=1", "AA", 48.25, True)]
    fresh = ingest_paths_into(tmp_path / "fresh.duckdb", repo)
    placed = ["select * from evals order by all", "select path, status, duplicate_of from files order by all"]
    assert [query(db, q) for q in placed] == [query(fresh, q) for q in placed]


def ingest_paths_into(db: Path, repo: Path) -> Path:
    ingest_paths(db, [repo], workers=1)
    return db


def test_folder_outside_git_uses_globs(tmp_path, db_path):
    logs = tmp_path / "plain"
    write(logs, "msu/arch_1.log", train_log(1))
    write(logs, "other/arch_2.log", train_log(2))
    write(logs, "sites.toml", SITES)
    summary = ingest_paths(db_path, [logs], workers=1)
    assert summary.warnings == []
    assert query(db_path, "select arch_id, site from runs order by 1") == [(1, "MSU"), (2, "unknown")]


def test_broken_git_repository_warns_and_falls_back(repo, db_path):
    (repo / ".git" / "HEAD").write_text("garbage\n")
    summary = ingest_paths(db_path, [repo], workers=1)
    assert summary.warnings and "sites come from path globs" in summary.warnings[0]
    assert query(db_path, "select count(*) from runs") == [(9,)]
    assert query(db_path, "select site from runs where arch_id = 7") == [("MSU",)]


def test_shallow_clone_warns_and_falls_back(repo, tmp_path, db_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True, capture_output=True)
    summary = ingest_paths(db_path, [clone], workers=1)
    assert any("shallow clone" in w for w in summary.warnings)
    assert query(db_path, "select git_problem from roots") == [(next(w for w in summary.warnings if "shallow clone" in w),)]
    assert query(db_path, "select count(*) from files where added_commit is not null") == [(0,)]
    assert query(db_path, "select site from runs where arch_id = 2") == [("MSU",)]


@pytest.mark.parametrize("text, message", [
    ("[sites.A]\nauthors = [\"x\"\n", "sites.toml:2: TOML syntax error"),
    ("[sites.A]\nauthors = [\"x\"]\n[sites.B]\nauthors = [\"X\"]\n", "sites.toml:4: author 'X' is in both A and B"),
    ("[sites.A]\nauthor = [\"x\"]\n", "sites.toml:1: sites.A has unknown keys ['author']"),
    ("title = 'no sites'\n", "sites.toml:1: no [sites.<name>] tables"),
])
def test_bad_sites_file_names_file_and_line(tmp_path, text, message):
    path = tmp_path / "sites.toml"
    path.write_text(text)
    with pytest.raises(SitesFileError) as info:
        read_sites_file(path)
    assert str(info.value).startswith(str(tmp_path / message.split(":")[0]) + ":" + message.split(":", 1)[1])


def test_sites_file_that_is_not_a_regular_file_is_refused_at_once(tmp_path):
    """A folder, or a FIFO (which would block a reader forever), named as the sites file."""
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path, reason in ((tmp_path, "not a regular file"), (fifo, "not a regular file"), (tmp_path / "none.toml", "cannot read")):
        with pytest.raises(SitesFileError, match=reason):
            read_sites_file(path)


@pytest.mark.parametrize("text, message", [
    ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", ":1: TOML nested too deeply to read"),
    ("[sites.A]\npaths = [" + ", ".join(['"x"'] * (MAX_SITES_BYTES // 5)) + "]\n", ": sites file larger than 16 MB"),
    (b"[sites.A]\nauthors = [\"\xff\"]\n", ":1: sites file is not UTF-8 text"),
])
def test_sites_file_beyond_what_can_be_read_is_one_line(tmp_path, text, message):
    path = tmp_path / "sites.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SitesFileError) as info:
        read_sites_file(path)
    assert str(info.value) == f"{path}{message}"


def _roots_row(db: Path) -> tuple:
    return query(db, "select sites_path, sites_sha256, sites_problem from roots")[0]


def test_a_bad_sites_file_is_one_line_and_a_roots_row_and_the_logs_load_of_site_unknown(repo, db_path):
    (repo / "sites.toml").write_text("[sites.A\n")
    result = CliRunner().invoke(app, ["ingest", str(repo), "--db", str(db_path)])
    assert result.exit_code == 0, result.stderr
    problem = f"{(repo / 'sites.toml').resolve()}:1: TOML syntax error"
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"warning: {problem}")
    assert "not used; the files under" in result.stderr and "are of site unknown until it is fixed" in result.stderr
    assert query(db_path, "select count(*), count(*) filter (site = 'unknown') from runs") == [(9, 9)]  # every log
    path, sha256, recorded = _roots_row(db_path)
    assert (path, sha256) == (None, None) and recorded.startswith(problem)


def test_a_sites_file_that_goes_bad_keeps_the_sites_it_gave_until_it_is_fixed(ingested_repo):
    repo, db = ingested_repo
    before = files_by_name(db)
    good_row = _roots_row(db)
    (repo / "sites.toml").write_text("[sites.MSU]\nauthors = [1]\n")  # parses, but is no sites file
    write(repo, "msu/arch_9.log", train_log(9))  # untracked, under the kept msu/** glob
    summary = ingest_paths(db, [repo], workers=1)
    warning = [w for w in summary.warnings if "sites.toml" in w]
    assert len(warning) == 1 and "sites.MSU.authors must be a list of strings" in warning[0]
    assert f"keep the sites of {good_row[0]} as last read (sha256 {good_row[1][:12]})" in warning[0]
    after = files_by_name(db)
    assert {k: v for k, v in after.items() if k in before} == before
    assert after["msu/arch_9.log"][:2] == ("MSU", "path")
    assert _roots_row(db)[:2] == good_row[:2] and "must be a list of strings" in _roots_row(db)[2]
    assert query(db, "select count(*) from sites where source = ?", [good_row[0]]) == [(2,)]
    from warehouse.checks import check_warehouse

    said = [w for w in check_warehouse(db, ["best_epoch"]).warnings if "sites file" in w]
    assert len(said) == 1 and said[0].startswith(f"{repo.resolve()}: its sites file could not be used at its last ingest: ")
    assert said[0].endswith("sites.MSU.authors must be a list of strings")
    # nothing changed: nothing written, the same line again
    again = ingest_paths(db, [repo], workers=1)
    assert not again.wrote and [w for w in again.warnings if "sites.toml" in w] == warning
    # fixed (here: the same sites again): read, and the problem is gone
    (repo / "sites.toml").write_text(SITES)
    fixed = ingest_paths(db, [repo], workers=1)
    assert not [w for w in fixed.warnings if "sites.toml" in w]
    assert _roots_row(db) == good_row and files_by_name(db) == after


def test_a_bad_sites_option_is_skipped_like_a_bad_sites_file_in_the_folder(repo, tmp_path, db_path):
    given = tmp_path / "given.toml"
    given.write_bytes(b"[sites.A]\nauthors = [\"\xff\"]\n")
    summary = ingest_paths(db_path, [repo], sites_file=given, workers=1)
    assert [w for w in summary.warnings if str(given) in w] == [
        f"{given}:1: sites file is not UTF-8 text: not used; the files under {repo.resolve()} are of site unknown "
        "until it is fixed"]
    assert query(db_path, "select distinct site from runs") == [("unknown",)]
    assert _roots_row(db_path)[2] == f"{given}:1: sites file is not UTF-8 text"


@pytest.mark.parametrize("pattern, path, expected", [
    ("msu/**", "msu/a/arch_1.log", True),
    ("msu/**", "msux/arch_1.log", False),
    ("**/arch_*.log", "arch_1.log", True),
    ("**/arch_*.log", "a/b/arch_1.log", True),
    ("msu/*.log", "msu/a/arch_1.log", False),
    ("msu/arch_?.log", "msu/arch_1.log", True),
])
def test_glob_semantics(pattern, path, expected):
    assert glob_match(pattern, path) is expected


def reference_glob(pattern: str) -> re.Pattern:
    """A glob as the backtracking regex it used to be (only for small inputs)."""
    out, i = [], 0
    while i < len(pattern):
        for token, regex in (("**/", "(?:.*/)?"), ("**", ".*"), ("*", "[^/]*"), ("?", "[^/]")):
            if pattern.startswith(token, i):
                out.append(regex)
                i += len(token)
                break
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.S)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(glob=st.lists(st.sampled_from(["a", "b", "/", "*", "**", "**/", "?", ".", "\n"]), max_size=8).map("".join),
       path=st.lists(st.sampled_from(["a", "b", "/", ".", "ab/", "\n"]), max_size=10).map("".join))
def test_glob_matcher_agrees_with_the_globs_meaning(glob, path):
    assert glob_match(glob, path) is (reference_glob(glob).fullmatch(path) is not None)


def test_first_matching_glob_decides_the_site():
    matcher = GlobMatcher([("A", "x/*.log"), ("B", "**/*.log"), ("A", "y/**")])
    assert [matcher.site_of(p) for p in ("x/arch_1.log", "y/arch_1.log", "y/z/notes", "z/arch_1.yaml")] == ["A", "B", "A", None]


def test_attribute_sites_is_case_insensitive():
    sites = [Site("A", ("Zaber",), ()), Site("B", ("x@y.org",), ("b/**",))]
    decided = attribute_sites([
        {"repo_path": "a.log", "added_author": "ZABER", "added_email": "q@q", "later_authors": [("n", "X@Y.ORG")]},
        {"repo_path": "b/c.log", "added_author": None, "added_email": None, "later_authors": []},
    ], sites)
    assert decided == [
        {"site": "A", "site_source": "author", "last_site": "B", "site_changed": True},
        {"site": "B", "site_source": "path", "last_site": "B", "site_changed": False},
    ]


def test_parse_log_follows_renames_and_deletes():
    raw = (b"\x01c1\x1fa\x1fa@x\x1f2023-01-01T00:00:00+00:00\x00\nA\x00x.log\x00A\x00y.log\x00"
           b"\x01c2\x1fb\x1fb@x\x1f2023-01-02T00:00:00+00:00\x00\nR100\x00x.log\x00z.log\x00D\x00y.log\x00")
    files = parse_log(raw)
    assert sorted(files) == ["z.log"]
    assert (files["z.log"].added_commit, files["z.log"].last_author, files["z.log"].n_commits) == ("c1", "b", 2)


def test_copy_committed_first_is_the_original(tmp_path, db_path):
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "sites.toml", SITES)
    write(repo, "z/arch_1.log", train_log(1))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "original", **MSU, date="2023-01-01T00:00:00+00:00")
    write(repo, "a/arch_1.log", train_log(1))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "backup copy", **SUSTECH, date="2023-02-01T00:00:00+00:00")
    ingest_paths(db_path, [repo], workers=1)
    assert query(db_path, "select split_part(source_path, '/', -2), site from runs") == [("z", "MSU")]
    assert query(db_path, "select status, split_part(duplicate_of, '/', -2) from files "
                          "where path like '%/a/arch_1.log'") == [("skipped", "z")]


def test_rows_move_to_a_copy_that_becomes_the_original(tmp_path, db_path):
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "sites.toml", SITES)
    write(repo, "a/arch_1.log", train_log(1))          # both copies untracked: the smaller path holds the rows
    write(repo, "z/arch_0001.log", train_log(1))
    ingest_paths(db_path, [repo], workers=1)
    assert query(db_path, "select split_part(source_path, '/', -2) from runs") == [("a",)]
    git(repo, "add", "z/arch_0001.log")
    git(repo, "commit", "-qm", "commit one copy", **MSU, date="2023-01-01T00:00:00+00:00")
    summary = ingest_paths(db_path, [repo], workers=1)
    assert (summary.loaded, summary.bytes_read) == (0, 0)
    assert query(db_path, "select split_part(source_path, '/', -2), site, run_id = file_id from runs") == [("z", "MSU", True)]
    assert query(db_path, "select count(distinct run_id), count(*) from epochs") == [(1, 4)]
    assert query(db_path, "select f.status from files f join runs r on f.file_id = r.file_id") == [("ok",)]
    assert query(db_path, "select status from files where path like '%/a/arch_1.log'") == [("skipped",)]


def test_started_log_gives_the_history_a_fresh_read_gives(repo):
    from ingest.gitlog import read_history, start_log

    root = repo.resolve()
    started = {root: start_log(root)}
    ahead = read_history(repo, started=started)
    assert started == {}  # taken, and not read twice
    fresh = read_history(repo)
    assert ahead.files and ahead.files == fresh.files and ahead.head == fresh.head


def _git_children() -> list[str]:
    import os

    me = str(os.getpid())
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2:].split()[1] == me and "git" in stat[stat.index("(") + 1:stat.rindex(")")]:
            found.append(pid)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_git_log_started_early_is_never_left_running(ingested_repo, monkeypatch):
    import ingest.gitlog

    repo, db_path = ingested_repo
    # a `git log` that outlives the ingest unless it is stopped
    monkeypatch.setattr(ingest.gitlog, "_LOG", ["-c", "alias.slowlog=!sleep 3", "slowlog"])
    summary = ingest_paths(db_path, [repo], workers=1)  # nothing to write: the log is not read
    assert not summary.wrote
    assert _git_children() == []


# --- sites per root (issue 17, item 2) -----------------------------------------------------------

SITES_B = """\
[sites.Elsewhere]
authors = ["someone"]
paths = ["**"]
"""


def site_columns(db: Path) -> list[tuple]:
    return query(db, "select path, site, site_source, last_site, site_changed, sites_path, sites_sha256 from files order by path")


def two_roots(tmp_path: Path, repo: Path) -> Path:
    """A second folder outside git: a log of its own, and no sites file."""
    other = tmp_path / "new"
    write(other, "arch_9.log", train_log(9))
    write(other, "arch_2.log", train_log(2) + "\n")
    return other


def test_ingesting_another_folder_never_changes_the_sites_of_the_first(ingested_repo, tmp_path):
    """Issue 17: `ingest demo/` then `ingest new/` (no sites.toml there) made every run unknown."""
    repo, db = ingested_repo
    other = two_roots(tmp_path, repo)
    before = {r[0]: r[1:] for r in site_columns(db)}
    summary = ingest_paths(db, [other], workers=1)
    after = {r[0]: r[1:] for r in site_columns(db)}
    assert {p: after[p] for p in before} == before
    assert summary.unknown_site == 2 and "2 files of unknown site" in summary.line()
    assert query(db, "select site, count(*) from runs group by site order by site") == [
        ("MSU", 3), ("SUSTech", 4), ("unknown", 4)]
    sites_file = str((repo / "sites.toml").resolve())
    assert {v[4] for p, v in after.items() if p.startswith(str(repo.resolve()))} == {sites_file}
    assert {v[4] for p, v in after.items() if p.startswith(str(other.resolve()))} == {None}


@pytest.mark.slow
def test_folder_order_never_matters_for_sites(repo, tmp_path):
    from test_ingest import content_hash

    other = two_roots(tmp_path, repo)
    write(other, "sites.toml", SITES_B)
    a, b, c = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    ingest_paths(a, [repo], workers=1)
    ingest_paths(a, [other], workers=1)
    ingest_paths(b, [other], workers=1)
    ingest_paths(b, [repo], workers=1)
    ingest_paths(c, [repo, other], workers=1)
    assert site_columns(a) == site_columns(b) == site_columns(c)
    assert content_hash(a) == content_hash(b) == content_hash(c)
    assert query(a, "select site from runs where arch_id = 9") == [("Elsewhere",)]


def test_sites_table_describes_every_sites_file_in_use(repo, tmp_path):
    import hashlib

    other = two_roots(tmp_path, repo)
    write(other, "sites.toml", SITES_B)
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [repo, other], workers=1)
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (repo / "sites.toml", other / "sites.toml")}
    assert query(db, "select site, authors, paths, source, sites_sha256 from sites order by source nulls last, site") == [
        ("MSU", ["shihuahuang"], ["msu/**"], str(repo.resolve() / "sites.toml"), digest[repo / "sites.toml"]),
        ("SUSTech", ["zaber", "20830726+ZaberKo@users.noreply.github.com"], [], str(repo.resolve() / "sites.toml"),
         digest[repo / "sites.toml"]),
        ("Elsewhere", ["someone"], ["**"], str(other.resolve() / "sites.toml"), digest[other / "sites.toml"]),
        ("unknown", [], [], None, None),
    ]
    # a changed sites file of one root replaces its own rows and re-attributes only its own files
    (other / "sites.toml").write_text(SITES_B.replace("Elsewhere", "Moved"))
    ingest_paths(db, [other], workers=1)
    assert query(db, "select distinct site from sites order by 1") == [("MSU",), ("Moved",), ("SUSTech",), ("unknown",)]
    assert (query(db, "select site, count(*) from runs group by 1 order by 1")
            == [("MSU", 3), ("Moved", 2), ("SUSTech", 4), ("unknown", 2)])


def test_unchanged_sites_and_history_do_not_rewrite(ingested_repo, tmp_path):
    """What each root's sites were decided from is recorded per root (`roots`): ingesting two
    folders in turn rewrites nothing the second time round."""
    repo, db = ingested_repo
    other = two_roots(tmp_path, repo)
    ingest_paths(db, [other], workers=1)
    assert not ingest_paths(db, [repo], workers=1).wrote
    assert not ingest_paths(db, [other], workers=1).wrote
    assert query(db, "select root, sites_path is not null, head_commit is not null from roots order by root") == sorted([
        (str(repo.resolve()), True, True), (str(other.resolve()), False, False)])


@pytest.mark.parametrize("kind", ["folder", "fifo", "missing"])
def test_sites_option_that_is_not_a_file_gives_one_line(repo, tmp_path, kind):
    import os
    import sys

    target = tmp_path / "sites-thing"
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    result = subprocess.run([sys.executable, "cli.py", "ingest", str(repo), "--db", str(tmp_path / "w.duckdb"),
                             "--sites", str(target)],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    expected = {"folder": "is a folder", "fifo": "is not a regular file", "missing": "does not exist"}[kind]
    assert result.stderr.startswith(f"error: sites file {target} {expected}")
    assert not (tmp_path / "w.duckdb").exists()


def test_missing_git_object_warns_instead_of_silently_using_globs(repo, db_path):
    tree = git(repo, "rev-parse", "HEAD~2^{tree}").strip()
    (repo / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    summary = ingest_paths(db_path, [repo], workers=1)
    assert any(w.startswith(f"git log failed in {repo.resolve()}") and "sites come from path globs" in w
               for w in summary.warnings), summary.warnings
    assert query(db_path, "select site from runs where arch_id = 7") == [("MSU",)]  # the globs still apply
    recorded = query(db_path, "select git_problem from roots")
    assert recorded[0][0].startswith(f"git log failed in {repo.resolve()}")
    from warehouse.checks import check_warehouse

    warnings = check_warehouse(db_path, ["best_epoch"]).warnings
    assert f"{repo.resolve()}: its git history could not be read at its last ingest: {recorded[0][0]}" in warnings
    # a changed log keeps its row's provenance: this ingest reads no history, and keeps the record
    write(repo, "msu/arch_7.log", train_log(7) + "\n")
    again = ingest_paths(db_path, [repo], workers=1)
    assert again.wrote and not any(w.startswith("git log failed") for w in again.warnings)
    assert query(db_path, "select git_problem from roots") == recorded


@pytest.mark.parametrize("text, synthetic", [
    ('[sites.A]\nauthors = ["a"]\n', False),
    ('[sites.A]\nauthors = ["a"]\n[demo]\nsynthetic = true\n', True),
    ('[sites.A]\nauthors = ["a"]\n[demo]\nsynthetic = false\n', False),
])
def test_sites_file_demo_marker(tmp_path, text, synthetic):
    """Issue 21: the demo's sites file says its logs are synthetic; a real one says nothing."""
    from ingest.sites import parse_sites_text

    assert parse_sites_text(text, tmp_path / "sites.toml").synthetic is synthetic


@pytest.mark.parametrize("extra", ['[demo]\nsynthetic = "yes"\n', '[demo]\nsynthetic = true\nreal = false\n', 'demo = 1\n'])
def test_sites_file_bad_demo_marker_is_one_line(tmp_path, extra):
    from ingest.sites import SitesFileError, parse_sites_text

    text = ('demo = 1\n[sites.A]\nauthors = ["a"]\n' if extra == 'demo = 1\n'
            else '[sites.A]\nauthors = ["a"]\n' + extra)
    with pytest.raises(SitesFileError, match=r"sites.toml:\d+: \[demo\] holds one key"):
        parse_sites_text(text, tmp_path / "sites.toml")
