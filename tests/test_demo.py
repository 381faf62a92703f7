"""Tests of the synthetic log repository (`demo/`).

Line shapes are learnt from the real samples (copied in `tests/fixtures/samples/`) (plus the few record kinds
SPEC section 3 describes but the CPU samples cannot show: `GPU List`, corruption lines, the other
AutoAttack steps, and the lines of the older code versions SPEC section 8 describes), never from the
generator. Facts in `demo_key.json` are re-derived from the files
with a small reader written here.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest
from code_names import T3, T4, T6, T7, T9, TRAIN_NAMES, log_names
from conftest import HISTORY, SAMPLES

from demo import formats, write_demo_repository
from ingest.space import macs_and_params, search_space

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


#: lines of the older code versions that no sample shows, as SPEC section 8 and the notes on the code's
#: history describe them (written here from those facts, not from the generator)
HISTORY_LINES = [
    "2022-12-18 17:50:00,000 fix_seed: False",                                      # T3..T5 argument
    "2022-12-18 17:50:00,000 ['PGD', 'PGD-CW'] Correct Count: 2166/5000 Acc: 43.32 ",   # T3/T4 labels
    "2022-12-18 17:50:00,000 ['PGD', 'PGD-CW'] with 20.0 steps Loss Avg: 1.80 ",
    "2022-12-20 19:50:00,000 epoch=1\tglobal_step=12\tacc=0.1875\tacc_avg=0.1875\tloss=2.4634\tloss_avg=2.2803"
    "\tlr=0.1000\t|gn|=inf\ttime=0.36it/s",                                          # overflow, native AMP
]


def namespace_is_historical(line: str) -> bool:
    """A `Namespace(...)` record listing one version's names, in declaration order or (Python <= 3.8)
    alphabetically."""
    names = tuple(re.findall(r"(?:\(|, )(\w+)=", line[line.index("Namespace("):]))
    return any(names in (known, tuple(sorted(known))) for known in TRAIN_NAMES)


def sample_shapes() -> Set[str]:
    shapes = set()
    for path in [*SAMPLES.rglob("*.log"), *HISTORY.rglob("*.log")]:   # today's logs and older versions
        shapes |= {shape(line) for line in path.read_text().split("\n")}
    # AutoAttack's standard version runs two more attacks with the same messages
    for attack, upper in (("fab-t", "FAB-T"), ("square", "SQUARE")):
        shapes |= {s.replace("apgd-t", attack).replace("APGD-T", upper) for s in list(shapes)}
    # SPEC section 3: GPU runs, corruption evaluations, the device of a GPU run
    shapes |= {"T GPU List: L", "T device: cuda", "T Average Accuracy: #"}
    shapes |= {f"T {name} (level=#): Loss: #, Acc: #" for name in formats.CORRUPTIONS}
    shapes |= {shape(line) for line in HISTORY_LINES}
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
            if shape(line) not in allowed and not (" Namespace(" in line and namespace_is_historical(line)):
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
    """Tiny independent reader: per-epoch CW-40 (later record wins), lr per epoch, finished.

    The CW-40 value is the attacked `Correct Count` line of the `---- PGD-CW attacking results ----`
    block, whatever its label (`PGD-CW`, or `['PGD', 'PGD-CW']` in the December 2022 code)."""
    cw: Dict[int, float] = {}
    lr: Dict[int, float] = {}
    epoch: Optional[int] = None
    block = None
    for line in text.split("\n"):
        m = re.search(r"=+Eval Epoch (\d+)=+", line)
        if m:
            epoch = int(m.group(1))
        m = re.search(r"---- (\S+) attacking results ----", line)
        if m:
            block = m.group(1)
        m = re.search(r" (?!Natural)\S.* Correct Count: \d+/\d+ Acc: ([\d.]+)", line)
        if m and block == "PGD-CW":
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


def test_checkpoint_keeps_the_unrounded_best_pgdcw_acc(corpus, key):
    """The dict holds `(count / 5000) * 100` as the training run computed it (48.559999999999995),
    the training log printed it with two decimals."""
    seen = []
    for ev in key["evals"]:
        if ev["checkpoint_best_pgdcw_acc"] is None:
            continue
        text = (corpus / ev["path"]).read_text()
        printed = re.search(r"'best_pgdcw_acc': ([^,]+),", text).group(1)
        assert printed == repr(ev["checkpoint_best_pgdcw_acc"]), ev["path"]
        unrounded = printed != repr(round(float(printed), 2))
        assert unrounded == ev["checkpoint_best_pgdcw_acc_unrounded"]
        count = round(float(printed) * 50)
        assert printed == repr((count / 5000) * 100)
        seen.append(unrounded)
    assert any(seen) and not all(seen)


# ----------------------------------------------------------------------------- code history (SPEC 8)
#: (names, first start, end) of the training code versions, from SPEC section 8 (+0800)
TRAIN_WINDOWS = ((T3, "2022-12-18 17:11:19", "2022-12-18 20:35:39"), (T4, "2022-12-18 20:35:39", "2022-12-19 21:56:35"),
                 (T6, "2022-12-19 21:56:35", "2022-12-20 19:41:26"), (T7, "2022-12-20 19:41:26", "2024-06-13 17:00:53"),
                 (T9, "2024-06-13 17:00:53", "2099"))


def test_training_logs_follow_the_code_of_their_date(corpus, key):
    """Each log lists the argument names of the training code current at its first timestamp, and
    has that version's traits: zero-padded names, no `seed:` config line and a random seed before
    T7 (d0bb88d8 fixed the seed), native_amp forced to True from 2022-12-20 to 2023-01-02, only a PGD
    block in T3, the `['PGD', 'PGD-CW']` labels in T3/T4."""
    versions = set()
    for run in key["runs"]:
        text = (corpus / run["path"]).read_text()
        names = log_names(text)
        window = next(w for w in TRAIN_WINDOWS if w[0] == names)
        assert window[1] <= run["started_at"] < window[2], run["path"]
        old = names in (T3, T4, T6)
        assert ("seed: " in text.split("param size")[0].split("PreActRobustNetwork(")[1]) != old
        assert bool(re.search(r"/arch_0\d+\.log$", run["path"])) == (old and run["arch_id"] < 1000)
        forced_native = "2022-12-20 19:41:26" <= run["started_at"] < "2023-01-02 11:41:11"
        assert ("native_amp: True" in text) == forced_native
        assert ("---- PGD-CW attacking results ----" in text) == (names != T3 and run["epochs_logged"] > 0)
        assert ("['PGD', 'PGD-CW'] Correct Count" in text) == (names == T3 or run["code_version"] == "T4")
        if names in (T3, T4):
            assert run["seed"] == int(re.search(r" seed: (\d+)\n", text).group(1))
        versions.add(run["code_version"])
    assert versions >= {"T3", "T4", "T5", "T6", "T7", "T8"}


def step_values(text: str, name: str) -> list:
    return [float(v) for v in re.findall(rf"\t{re.escape(name)}=([^\t\n]+)", text)]


def test_precision_path_shows_in_the_gradient_norm(corpus, key):
    """The unscaled native path prints |gn| 65,536 times the true norm (1e4..1e6, now and then inf or
    nan); apex and fp32 print the true norm (0.5..10 or so)."""
    paths = set()
    for run in key["runs"]:
        values = step_values((corpus / run["path"]).read_text(), "|gn|")
        finite = sorted(v for v in values if math.isfinite(v))
        assert len(values) - len(finite) == run["grad_norm_nonfinite_steps"], run["path"]
        if not finite:
            continue
        median = finite[len(finite) // 2]
        native = run["precision_path"] == "native_amp_unscaled"
        assert (1e4 < median < 1e6) if native else (0.5 < median < 20), (run["path"], median)
        paths.add(run["precision_path"])
    assert paths == {"native_amp_unscaled", "fp32_or_apex"}


def test_native_path_runs_are_the_low_runs(key):
    """The planted cause: most band runs took the native path, and most native runs are low."""
    native = [r for r in key["runs"] if r["precision_path"] == "native_amp_unscaled" and r["finished"]]
    band = [r for r in key["runs"] if "band" in r["roles"]]
    assert band and sum(r["precision_path"] == "native_amp_unscaled" for r in band) > len(band) / 2
    assert native and sum(r["planted_low"] for r in native) > len(native) / 2
    stretch = key["findings"]["precision_path"]["native_stretch"]
    msu_native = [r for r in key["runs"] if r["site"] == "MSU" and r["precision_path"] == "native_amp_unscaled"]
    assert msu_native and all(stretch["from"] <= r["started_at"] <= stretch["to"] for r in msu_native)
    assert all(not r["apex_importable"] and r["apex_amp_logged"] for r in msu_native)


def correct_counts(text: str) -> list:
    """(printed count, total, Acc) of every result line."""
    return [(int(a), int(b), float(x)) for a, b, x in
            re.findall(r"Correct Count: (\d+)/(\d+), Acc: ([\d.]+)", text)]


def test_evaluation_logs_follow_the_code_of_their_date(corpus, key):
    """Before 2024-01-07 counts are int() of a float sum (one short now and then); before 2024-04-18
    04:41 the CW Stable is the natural accuracy; before 22:29 that day no Test Loss and no CW LIP;
    before 2023-11-23 L2 used epsilon 8/255; before 2023-11-26 no log_path; before 2023-12-05 a
    compact AutoAttack run was written to `_AA.log`."""
    codes = set()
    for ev in key["evals"]:
        if ev["attack"] == "cifar10c":
            continue
        text = (corpus / ev["path"]).read_text()
        start = text[:19]
        assert start == ev["started_at"]
        assert ("log_path: " in text) == (start >= "2023-11-26 17:03:40")
        epsilon = float(re.search(r" epsilon: ([\d.]+)", text).group(1))
        assert epsilon == (0.5 if ev["norm"] == "L2" and start >= "2023-11-23 23:35:45" else 8 / 255)
        if "aa_type: Compact" in text and "attack_choice: AA" in text:
            assert ev["path"].endswith("_AA.log" if start < "2023-12-05 10:36:16" else "_AA-Compact.log")
        if not ev["finished"] or ev["attack"] != "Base":
            continue
        codes.add(ev["code_version"])
        short = any(a < round(x * b / 100) for a, b, x in correct_counts(text))
        assert short == ev["counts_truncated"]
        assert not short or start < "2024-01-07 01:40:58"
        natural = re.search(r"Natural Correct Count: \S+ Acc: ([\d.]+)", text).group(1)
        cw_stable = re.search(r"CW with 40 steps .* Stable: ([\d.]+)", text).group(1)
        assert (cw_stable == natural) == (start < "2024-04-18 04:41:10") == ev["cw40_stable_is_natural"]
        new = start >= "2024-04-18 22:29:58"
        assert (" Test Loss: " in text) == new and bool(re.search(r"CW with 40 steps .* LIP: ", text)) == new
    assert codes >= {"E1", "E2", "E3", "E5"}


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
    assert all(d.startswith(("2022-12", "2023", "2024", "2025")) for d in dates)


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
    assert findings["december_2022_runs_in_bands"]
    assert all("2022-12-20" <= r["started_at"] < "2023-01-01" for r in findings["december_2022_runs_in_bands"])
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
    sizes = [(out / r["path"]).stat().st_size for r in key["runs"]
             if r["finished"] and not r["resumed"] and r["best_epoch"] is not None]  # not the PGD-only run
    assert 190_000 <= min(sizes) and max(sizes) <= 300_000   # 2022 formats: shorter checkpoint paths
    assert len(key["findings"]["duplicate_archs"]) >= 20


def test_parallel_rendering_writes_the_same_corpus(tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    write_demo_repository(serial, archs=60, epochs=4, seed=2, workers=1)
    write_demo_repository(parallel, archs=60, epochs=4, seed=2, workers=2)
    assert _files(serial) == _files(parallel)
    assert _git(serial, "rev-list", "main") == _git(parallel, "rev-list", "main")


def test_no_cause_is_the_same_corpus_without_low_runs(key, tmp_path):
    """`cause="none"`: the same runs, dates, code versions and precision paths, but no band, no
    planted low run, and native-path runs as good as the others (for the explanation views' null case)."""
    out = tmp_path / "none"
    write_demo_repository(out, archs=ARCHS, epochs=EPOCHS, seed=0, cause="none")
    other = json.loads((out / "demo_key.json").read_text())
    shape_of = lambda k: [(r["path"], r["started_at"], r["code_version"], r["precision_path"])  # noqa: E731
                          for r in k["runs"]]
    assert shape_of(other) == shape_of(key)
    assert other["cause"] == "none" and not other["findings"]["vertical_line_bands"]
    assert not any(r["planted_low"] for r in other["runs"])
    finished = [r for r in other["runs"] if r["finished"] and r["best_cw40_acc"] is not None]
    native = [r["best_cw40_acc"] for r in finished if r["precision_path"] == "native_amp_unscaled"]
    mean = sum(r["best_cw40_acc"] for r in finished) / len(finished)
    assert native and sum(native) / len(native) > mean - 2.0
    with pytest.raises(ValueError, match="unknown cause"):
        write_demo_repository(tmp_path / "x", archs=5, epochs=4, cause="weather")


def test_a_gpu_cause_makes_the_runs_of_one_gpu_low_and_no_others(key, tmp_path):
    """`cause="gpu"`: the same schedule (runs, dates, code versions, precision paths) as the demo's
    (its flaws, drawn after the cause, fall elsewhere), but the low runs are exactly those of one GPU
    model, native path or not, and no band is planted."""
    out = tmp_path / "gpu"
    write_demo_repository(out, archs=ARCHS, epochs=EPOCHS, seed=0, cause="gpu")
    other = json.loads((out / "demo_key.json").read_text())
    when = lambda k: sorted((r["arch_id"], r["started_at"], r["code_version"], r["precision_path"])  # noqa: E731
                            for r in k["runs"])
    assert when(other) == when(key)
    planted = other["findings"]["gpu_cause"]
    low = [r for r in other["runs"] if r["planted_low"]]
    assert other["cause"] == "gpu" and not other["findings"]["vertical_line_bands"] and key["findings"]["gpu_cause"] is None
    assert low and {r["gpu"] for r in low} == {planted["gpu"]} and {r["site"] for r in low} == {planted["site"]}
    assert len(low) == planted["low_runs"] == planted["runs"] == sum(r["gpu"] == planted["gpu"] for r in other["runs"])
    assert {r["precision_path"] for r in low} >= {"fp32_or_apex"}


def test_common_and_rare_epoch_paths_print_the_same_bytes():
    """An epoch goes through the general path when a step line's |gn| overflows: marking a step line
    that does not exist (line 99) sends every epoch there, and the log must not change."""
    import dataclasses
    import random

    from demo import build_plan
    from demo.curves import make_curves
    from demo.trainlog import render_train_log

    checked = set()
    for spec in build_plan(ARCHS, EPOCHS, 0).runs:
        if not spec.log_path:
            continue
        texts = []
        for gn_bad in ((), tuple((e, 99, "inf") for e in range(spec.epochs))):
            run = dataclasses.replace(spec, gn_bad=gn_bad)
            rng = random.Random(f"check:{run.rng_key}")
            curves = make_curves(rng, run.epochs, run.decays, run.clean_top, run.cw_top, run.behaviour,
                                 run.overfit, run.nan_from)
            texts.append(render_train_log(run, curves, rng)[0])
        assert texts[0] == texts[1], spec.stem
        checked.add((spec.code, spec.amp))
    assert {code for code, _ in checked} >= {"T5", "T6", "T7", "T8"} and {"native", "apex", "fp32"} <= {a for _, a in checked}


def test_the_demo_command_takes_a_cause_and_refuses_an_unknown_one_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "gpu"), "--archs", "12", "--epochs", "4",
                                 "--cause", "gpu"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "gpu" / "demo_key.json").read_text())["cause"] == "gpu"
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "x"), "--cause", "weather"])
    assert (result.exit_code, result.output) == (1, "error: unknown cause 'weather': use one of precision_path, gpu, none\n")
    assert not (tmp_path / "x").exists()
