"""Tests of the synthetic log repository (`demo/`).

Line shapes are learnt from the real samples (copied in `tests/fixtures/samples/`) (plus the few record kinds
SPEC section 3 describes but the CPU samples cannot show: `GPU List`, corruption lines, the other
AutoAttack steps), never from the generator. Facts in `demo_key.json` are re-derived from the files
with a small reader written here.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

from demo import write_demo_repository
from demo import formats
from demo.space import macs_and_params, search_space

from conftest import SAMPLES

TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
ARCHS, EPOCHS = 40, 8


# ----------------------------------------------------------------------------- line shapes
def shape(line: str) -> str:
    """A line with its values abstracted: timestamps, numbers, quoted strings, paths, lists."""
    prefix = ""
    match = TS.match(line)
    if match:
        prefix, line = "T ", line[match.end():]
    line = re.sub(r"^PyTorch Version: .*$", "PyTorch Version: V", line)
    line = re.sub(r"np\.float64\(([^)]*)\)", r"\1", line)
    line = re.sub(r"'[^']*'", "'s'", line)
    line = re.sub(r"(?<![\w.])[\w.-]*/[\w./-]*", "P", line)
    line = re.sub(r"-?\d+(?:\.\d+)?(?:e-?\d+)?|\bnan\b", "#", line)
    line = re.sub(r"\b(?:True|False)\b", "B", line)
    previous = None
    while previous != line:
        previous, line = line, re.sub(r"\[[^\[\]]*\]", "L", line)
    return prefix + line


def sample_shapes() -> Set[str]:
    shapes = set()
    for path in SAMPLES.rglob("*.log"):
        shapes |= {shape(line) for line in path.read_text().split("\n")}
    # AutoAttack's standard version runs two more attacks with the same messages
    for attack, upper in (("fab-t", "FAB-T"), ("square", "SQUARE")):
        shapes |= {s.replace("apgd-t", attack).replace("APGD-T", upper) for s in list(shapes)}
    # SPEC section 3: GPU runs, corruption evaluations, the device of a GPU run
    shapes |= {"T GPU List: L", "T device: cuda", "T Average Accuracy: #"}
    shapes |= {f"T {name} (level=#): Loss: #, Acc: #" for name in formats.CORRUPTIONS}
    return shapes


# ----------------------------------------------------------------------------- fixtures
def _build(root: Path, seed: int) -> Path:
    out = root / f"seed{seed}"
    write_demo_repository(out, archs=ARCHS, epochs=EPOCHS, seed=seed)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("demo_a"), 0)


@pytest.fixture(scope="module")
def key(corpus) -> Dict:
    return json.loads((corpus / "demo_key.json").read_text())


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _files(root: Path) -> Dict[str, bytes]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath) / name
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


# ----------------------------------------------------------------------------- search space
def test_space_reproduces_sample_sizes():
    assert macs_and_params([4, 4, 4], [16, 16, 32, 64]) == (55.214784, 0.369498)
    assert macs_and_params([7, 5, 4], [16, 16, 32, 128]) == (125.093248, 1.198362)
    assert macs_and_params([5, 4, 4], [16, 16, 64, 64]) == (112.198336, 0.593818)


def test_space_ids_agree_with_published_configs():
    space = search_space()
    assert len(space) == 15625
    macs = [space[i].macs_m for i in range(1, 15626)]
    assert macs == sorted(macs)
    assert space[1][1:7] == (4, 8, 4, 8, 4, 8) and space[15625][1:7] == (11, 16, 11, 16, 11, 16)
    assert space[25][1:7] == (5, 8, 4, 8, 7, 8) and space[26][1:7] == (4, 8, 7, 8, 5, 8)
    assert space[13072][1:7] == (7, 8, 11, 16, 11, 10)


def test_model_printout_matches_samples():
    for sample, depths, channels in (("train/arch_2.log", (4, 4, 4), (16, 16, 32, 64)),
                                     ("truncated/arch_6006.log", (7, 5, 4), (16, 16, 32, 128)),
                                     ("eval/arch_170_eval_L2_Base.log", (5, 4, 4), (16, 16, 64, 64))):
        text = (SAMPLES / sample).read_text()
        start = text.index("PreActRobustNetwork(")
        end = text.index("\n)\n", start) + 3
        assert formats.model_printout(depths, channels) == text[start:end]


def test_saved_config_has_the_sample_shape():
    sections = formats.config_sections([4, 4, 4], [16, 16, 32, 64], 4, 0, "./datasets", 8, True, 50)
    mine = [shape(line) for line in formats.yaml_text(sections).splitlines()]
    theirs = [shape(line) for line in (SAMPLES / "train/arch_2.yaml").read_text().splitlines()]
    assert mine == theirs


# ----------------------------------------------------------------------------- determinism
def test_same_seed_same_bytes_and_commits(corpus, tmp_path):
    again = _build(tmp_path, 0)
    assert _files(again) == _files(corpus)
    assert _git(again, "rev-list", "main") == _git(corpus, "rev-list", "main")


def test_other_seed_differs(corpus, tmp_path):
    other = _build(tmp_path, 1)
    mine, theirs = _files(corpus), _files(other)
    assert mine != theirs
    assert _git(other, "rev-list", "main") != _git(corpus, "rev-list", "main")


def test_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty"):
        write_demo_repository(tmp_path, archs=5, epochs=4)
    assert (tmp_path / "x.txt").read_text() == "keep me"


# ----------------------------------------------------------------------------- formats
def _logs(corpus: Path, key: Dict) -> List[Path]:
    return [corpus / r["path"] for r in key["runs"]] + [corpus / e["path"] for e in key["evals"]]


def test_every_line_has_a_sample_shape(corpus, key):
    allowed = sample_shapes()
    unknown = {}
    for path in _logs(corpus, key):
        for line in path.read_text().split("\n"):
            if shape(line) not in allowed:
                unknown.setdefault(shape(line), str(path))
    assert not unknown, list(unknown.items())[:5]


def test_records_carry_their_formats(corpus, key):
    normal = next(corpus / r["path"] for r in key["runs"] if r["finished"] and r["gpu"] and not r["resumed"])
    text = normal.read_text()
    assert text.startswith(text[:24] + "GPU List: ['")
    assert text.count(" ### Start to evaluate from 0.0 Epoch ### \n") == 2
    assert "\tEval acc: " in text and "\n\n" in text and text.endswith(" Days\n")
    assert re.search(r"scheduler: Config\(\[\('name', 'MultiStepLR'\), \('milestones', \[6, 8, 8\]\)", text)


# ----------------------------------------------------------------------------- key file vs files
def read_run(text: str) -> Dict:
    """Tiny independent reader: per-epoch CW-40 (later record wins), lr per epoch, finished."""
    cw: Dict[int, float] = {}
    lr: Dict[int, float] = {}
    epoch: Optional[int] = None
    for line in text.split("\n"):
        m = re.search(r"=+Eval Epoch (\d+)=+", line)
        if m:
            epoch = int(m.group(1))
        m = re.search(r"PGD-CW Correct Count: \d+/\d+ Acc: ([\d.]+)", line)
        if m:
            cw[epoch] = float(m.group(1))
        m = re.search(r" epoch=(\d+)\tglobal_step=\d+\tacc=[^\t]*\t.*\tlr=([\d.]+)\t", line)
        if m:
            lr[int(m.group(1))] = float(m.group(2))
    top = max(cw.values()) if cw else None
    decays = [e for e in sorted(lr) if e - 1 in lr and lr[e] < lr[e - 1]]
    return {"best_epoch": min(e for e, v in cw.items() if v == top) if cw else None,
            "best_cw40_acc": top, "final_cw40_acc": cw[max(cw)] if cw else None,
            "finished": "Running Cost" in text, "lr_decay_epochs": decays, "epochs_logged": len(cw)}


def test_key_agrees_with_training_logs(corpus, key):
    for run in key["runs"]:
        mine = read_run((corpus / run["path"]).read_text())
        assert {k: run[k] for k in mine} == mine, run["path"]


def test_evaluations_link_to_their_run(corpus, key):
    runs = {r["path"]: r for r in key["runs"]}
    for ev in key["evals"]:
        text = (corpus / ev["path"]).read_text()
        if not ev["finished"] or ev["attack"] == "cifar10c":
            continue
        best = float(re.search(r"'best_pgdcw_acc': ([\d.]+)", text).group(1))
        if ev["run_path"] is not None:
            assert round(best, 2) == runs[ev["run_path"]]["best_cw40_acc"], ev["path"]
        if ev["attack"] == "Base":
            clean = float(re.search(r"Natural Correct Count: \d+/10000, Acc: ([\d.]+)", text).group(1))
            assert clean == ev["clean_acc"]


def test_resumed_run_repeats_its_killed_epoch(corpus, key):
    path = key["dirt"]["resumed"][0]
    text = (corpus / path).read_text()
    assert "load_model: True" in text and "_last.pth loaded!" in text
    restart = int(re.findall(r"Starting Epoch: (\d+)", text)[-1])
    assert restart > 0 and text.count(f"====================Training Epoch {restart}====") == 2


# ----------------------------------------------------------------------------- git history
def test_git_history_attributes_sites(corpus, key):
    log = _git(corpus, "log", "--reverse", "-M", "--name-status", "--format=C%x09%an%x09%ae%x09%at")
    added: Dict[str, str] = {}
    changed_by: Dict[str, Set[str]] = {}
    author = ""
    for line in log.splitlines():
        parts = line.split("\t")
        if parts[0] == "C":
            author = parts[1]
        elif parts[0] == "A":
            added.setdefault(parts[1], author)
        elif parts[0] == "M":
            changed_by.setdefault(parts[1], set()).add(author)
        elif parts[0].startswith("R"):
            added[parts[2]] = added.pop(parts[1])
    site_of = {"zaber": "SUSTech", "ZaberKo": "SUSTech", "shihuahuang": "MSU"}
    for run in key["runs"]:
        if run["tracked"]:
            assert site_of.get(added[run["path"]], "unknown") == run["site"], run["path"]
        else:
            assert run["path"] not in added
    assert "demo_key.json" not in added and "sites.toml" in added
    for path in key["dirt"]["site_changed"]:
        assert changed_by[path] == {"shihuahuang"} and site_of[added[path]] == "SUSTech"
    assert key["dirt"]["renamed"] and key["dirt"]["unknown_author"]
    assert _git(corpus, "status", "--porcelain", "--untracked-files=no") == ""


def test_commits_come_after_the_runs_they_hold(corpus, key):
    started = {r["path"]: r["started_at"] for r in key["runs"]}
    log = _git(corpus, "log", "--diff-filter=A", "--name-only", "--format=C%x09%ad", "--date=format-local:%Y-%m-%d %H:%M:%S")
    date = ""
    for line in log.splitlines():
        if line.startswith("C\t"):
            date = line[2:]
        elif line in started:
            assert date > started[line][:10], line
    dates = _git(corpus, "log", "--format=%ad", "--date=iso-strict").split()
    assert all(d.startswith(("2023", "2024", "2025")) for d in dates)


# ----------------------------------------------------------------------------- planted findings
def test_findings_are_planted(key):
    findings = key["findings"]
    counts = findings["best_epoch_counts"]
    assert counts["MSU"]["best_before_first_decay"] > counts["MSU"]["finished_runs"] / 2
    assert counts["SUSTech"]["best_before_first_decay"] <= counts["SUSTech"]["finished_runs"] / 10
    base = {(e["arch_id"], e["site"]): e for e in key["evals"]
            if e["attack"] == "Base" and e["norm"] == "Linf" and e["finished"]}
    for arch_id in findings["duplicate_archs"]:
        sustech, msu = base[(arch_id, "SUSTech")], base[(arch_id, "MSU")]
        assert all(msu[m] < sustech[m] for m in ("clean_acc", "fgsm_acc", "pgd20_acc", "cw40_acc"))
    runs = {r["arch_id"]: r for r in key["runs"] if r["finished"] and "dup" not in r["roles"]}
    for band in findings["vertical_line_bands"]:
        inside = [runs[i]["best_cw40_acc"] for i in range(band["first_arch_id"], band["last_arch_id"] + 1)
                  if i in runs]
        around = [runs[i]["best_cw40_acc"] for i in (band["first_arch_id"] - 1, band["last_arch_id"] + 1)
                  if i in runs and "band" not in runs[i]["roles"]]
        assert inside and around and max(inside) < min(around) - 4
    assert all(r["started_at"].startswith("2023-03") for r in findings["early_2023_runs_in_bands"])
    assert findings["bad_gpu"]["band_runs_on_gpu"] * 2 >= findings["bad_gpu"]["band_runs"] / 2
    missing = findings["missing_base_eval"]
    assert len(missing["MSU"]) > len(missing["SUSTech"])
    assert findings["lr_decay_drift"]


def test_dirt_is_planted(corpus, key):
    dirt = key["dirt"]
    assert dirt["unfinished"] and dirt["nan"] and dirt["zero_padded"] and len(dirt["untracked"]) >= 3
    broken = {b["why"].split()[0]: corpus / b["path"] for b in dirt["broken"]}
    assert broken["empty"].stat().st_size == 0
    assert b"\x00" in broken["binary"].read_bytes()
    assert not TS.match(broken["text"].read_text())
    for copy in dirt["duplicate_copies"]:
        assert (corpus / copy["path"]).read_bytes() == (corpus / copy["copy_of"]).read_bytes()
    for path in dirt["unfinished"]:
        last = (corpus / path).read_text().rstrip("\n").rsplit("\n", 1)[-1]
        assert "\tglobal_step=" in last
    assert any(p.startswith("msu/") for p in dirt["untracked"])
    assert any(not p.startswith("msu/") for p in dirt["untracked"])


@pytest.mark.slow
def test_default_scale_training_logs_are_realistic(tmp_path):
    out = tmp_path / "full"
    write_demo_repository(out, archs=300, epochs=100, seed=3)
    key = json.loads((out / "demo_key.json").read_text())
    sizes = [(out / r["path"]).stat().st_size for r in key["runs"] if r["finished"] and not r["resumed"]]
    assert 200_000 <= min(sizes) and max(sizes) <= 300_000
    assert len(key["findings"]["duplicate_archs"]) >= 20


def test_parallel_rendering_writes_the_same_corpus(tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    write_demo_repository(serial, archs=60, epochs=4, seed=2, workers=1)
    write_demo_repository(parallel, archs=60, epochs=4, seed=2, workers=2)
    assert _files(serial) == _files(parallel)
    assert _git(serial, "rev-list", "main") == _git(parallel, "rev-list", "main")
