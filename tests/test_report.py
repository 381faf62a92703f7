"""`cli.py report`: every file, readable PNGs, offline HTML, figures that show the planted answers,
and index.html rendered by a real browser.

One small demo corpus (known answers in its demo_key.json) is reported once through the CLI, the
way the README runs it: with no warehouse yet, so the command builds one from `demo-corpus/`.
The figures' data is read back from the specs saved in the per-figure HTML pages, i.e. the data
the charts really draw.
"""
from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from cli import app
from demo import write_demo_repository
from reports import build as build_module
from reports.render import vega_bundle
from warehouse.update import ingest_paths

runner = CliRunner()
ARCHS, EPOCHS = 60, 20
SITES = ("sustech", "msu")
PNG_SCALE = 2
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND",
]


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> dict:
    """A demo corpus in demo-corpus/, no warehouse: `cli.py report` builds one and reports."""
    work = tmp_path_factory.mktemp("report")
    write_demo_repository(work / "demo-corpus", archs=ARCHS, epochs=EPOCHS, seed=0)
    db, out = work / "wh.duckdb", work / "report"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        result = runner.invoke(app, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    key = json.loads((work / "demo-corpus" / "demo_key.json").read_text())
    return {"work": work, "db": db, "out": out, "output": result.output, "key": key, "findings": key["findings"]}


def chart_data(out: Path, name: str) -> dict[str, list[dict]]:
    """The datasets a figure's chart draws, from the spec saved in its HTML page."""
    text = (out / f"{name}.html").read_text()
    spec = json.loads(re.search(r'<script type="application/json" id="figure-spec">(.*?)</script>', text, re.S)
                      .group(1).replace("<\\/", "</"))
    found = dict(spec.get("datasets", {}))

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("data"), dict) and "values" in node["data"]:
                found[f"inline{len(found)}"] = node["data"]["values"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def rows_with(data: dict[str, list[dict]], *fields: str, merge: bool = False) -> list[dict]:
    """The rows of the first dataset that has all `fields` (the layer of interest), or of all such
    datasets when one chart splits its rows over layers (`merge`)."""
    matching = [rows for rows in data.values() if rows and all(f in rows[0] for f in fields)]
    assert len(matching) >= 1, f"no dataset with {fields}: {[list(r[0]) for r in data.values() if r]}"
    return [row for rows in matching for row in rows] if merge else matching[0]


def png_size(path: Path) -> tuple[int, int]:
    """Decode a PNG far enough to prove it whole: signature, IHDR, and every IDAT inflated to the
    exact byte count its size needs."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name}: not a PNG"
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0], path.name
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND", path.name
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    assert len(raw) == height * (1 + (width * channels * depth + 7) // 8), f"{path.name}: truncated pixel data"
    return width, height


def svg_size(path: Path) -> tuple[float, float]:
    head = path.read_text()[:400]
    return float(re.search(r'width="([\d.]+)"', head).group(1)), float(re.search(r'height="([\d.]+)"', head).group(1))


def expected_names(reported: dict) -> set[str]:
    curves = sorted(p.name for p in reported["out"].glob("dup_Arch*_training_curves.png"))
    stems = [f"best_epoch_{s}" for s in SITES] + ["dup_test_acc", "dup_test_fgsm", "dup_test_pgd", "dup_test_cw"]
    stems += ["training_curves"] + [c.removesuffix(".png") for c in curves] + ["local_train_issue"]
    stems += [f"{s}_gpu_issue" for s in SITES] + [f"{s}_missing_eval" for s in SITES] + ["code_timeline"]
    names = {f"{stem}.{fmt}" for stem in stems for fmt in ("png", "svg", "html")}
    lists = ({f"{s}_incomplete_base.txt" for s in SITES}
             | ({"unknown_incomplete_base.txt"} if unknown_missing(reported) else set()))
    return names | lists | {"report.md", "index.html"}


def unknown_missing(reported: dict) -> list[int]:
    """Arch ids of unknown-site runs without a finished Linf Base evaluation, from the warehouse."""
    con = duckdb.connect(str(reported["db"]), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "select distinct arch_id from check_missing_base_eval where site = 'unknown' order by arch_id").fetchall()]
    finally:
        con.close()


def spec_of(out: Path, name: str) -> dict:
    text = (out / f"{name}.html").read_text()
    return json.loads(re.search(r'<script type="application/json" id="figure-spec">(.*?)</script>', text, re.S)
                      .group(1).replace("<\\/", "</"))


# ----------------------------------------------------------------------------- files
def test_report_builds_demo_warehouse_and_says_so(reported):
    lines = reported["output"].strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"no warehouse at {reported['db']}: built it from the demo corpus in demo-corpus/")
    assert reported["db"].exists()


def test_report_writes_every_file_and_lists_them(reported):
    on_disk = {p.name for p in reported["out"].iterdir()} - {".report-outputs.json"}  # the record of outputs (reports/outputs.py)
    assert on_disk == expected_names(reported)
    curves = [n for n in on_disk if n.startswith("dup_Arch") and n.endswith(".png")]
    assert len(curves) == 1   # issue 21: the top arch in detail; the others are panels of training_curves
    panels = {r["arch_id"] for r in rows_with(chart_data(reported["out"], "training_curves"), "arch_id", "acc",
                                                  merge=True)}
    assert len(panels) == min(5, len(reported["findings"]["duplicate_archs"]))
    last = reported["output"].strip().splitlines()[-1]
    assert last.startswith(f"wrote {len(on_disk)} files to {reported['out']}/ in ")
    for name in on_disk:
        stem = name.rsplit(".", 1)[0]
        assert stem in last or name in last, name


def test_report_pngs_decode_at_twice_the_svg_size(reported):
    for png in sorted(reported["out"].glob("*.png")):
        width, height = png_size(png)
        svg_w, svg_h = svg_size(png.with_suffix(".svg"))
        assert (width, height) == (round(svg_w * PNG_SCALE), round(svg_h * PNG_SCALE)), png.name
        assert width >= 800 and height >= 250, f"{png.name} is only {width}x{height}"


def test_report_html_loads_nothing_from_a_network(reported):
    """Only the inlined Vega bundle mentions URLs (XML namespaces, documentation links); no page
    references anything outside itself."""
    bundle = vega_bundle()
    pages = [reported["out"] / "index.html", *reported["out"].glob("*_training_curves.html"),
             reported["out"] / "local_train_issue.html"]
    for page in pages:
        text = page.read_text()
        assert text.count(bundle) == 1, page.name
        rest = text.replace(bundle, "")
        assert not re.search(r"https?://|//cdn|<link\b", rest, re.I), page.name
        assert not re.search(r"<(script|img|iframe)[^>]+src=", rest, re.I), page.name
        assert not re.search(r'"url"\s*:', rest), f"{page.name}: a chart loads data from a URL"
    assert not re.search(r"\bimport\s*\(|importScripts|<script", bundle)


def test_report_sql_files_document_their_columns(reported):
    con = duckdb.connect(str(reported["db"]), read_only=True)
    try:
        for path in sorted((ROOT / "sql" / "report").glob("*.sql")):
            text = path.read_text()
            assert text.startswith(f"-- report: {path.stem}\n"), path.name
            header = text.split("\n\n", 1)[0]
            for key in ("grain", "reads", "question", "columns"):
                assert f"\n-- {key}:" in header, f"{path.name} has no {key} line"
            documented = re.findall(r"^--   ([a-z_0-9]+):", header.split("-- columns:")[1], re.M)
            examples = {"arch_ids": [5990], "outcome": "low_accuracy", "max_order": 3}
            params = {k: v for k, v in examples.items() if f"${k}" in text} or None
            cursor = con.execute(text, params) if params else con.execute(text)
            assert [d[0] for d in cursor.description] == documented, path.name
    finally:
        con.close()


# ----------------------------------------------------------------------------- the data behind the charts
def test_best_epoch_histograms_count_the_early_runs(reported):
    for site, counts in reported["findings"]["best_epoch_counts"].items():
        bins = rows_with(chart_data(reported["out"], f"best_epoch_{site.lower()}"), "best_epoch", "n_runs")
        assert sum(b["n_runs"] for b in bins) == counts["finished_runs"], site
        assert sum(b["n_runs"] for b in bins if b["early"]) == counts["best_before_first_decay"], site
        assert all(b["best_epoch"] < reported["findings"]["first_decay_epoch"] for b in bins if b["early"])


def test_duplicate_figures_show_every_pair_and_the_worse_site(reported):
    findings = reported["findings"]
    for name in ("dup_test_acc", "dup_test_fgsm", "dup_test_pgd", "dup_test_cw"):
        pairs = rows_with(chart_data(reported["out"], name), "arch_id", "value_a", "value_b")
        assert sorted(p["arch_id"] for p in pairs) == sorted(findings["duplicate_archs"]), name
        worse = findings["duplicate_worse_site"]
        lower = [p["site_a"] if p["value_a"] < p["value_b"] else p["site_b"] for p in pairs]
        assert lower.count(worse) > len(pairs) / 2, name


def test_training_curves_draw_both_sites_with_their_decays(reported):
    findings = reported["findings"]
    curves = sorted(reported["out"].glob("dup_Arch*_training_curves.html"))
    assert curves
    for page in curves:
        arch_id = int(re.search(r"dup_Arch(\d+)_", page.name).group(1))
        assert arch_id in findings["duplicate_archs"]
        data = chart_data(reported["out"], page.stem)
        lines = rows_with(data, "epoch", "acc", "metric")
        assert {r["site"] for r in lines} == {"SUSTech", "MSU"}
        assert {r["metric"] for r in lines} == {"clean", "PGD-20", "CW-40"}
        assert len(lines) == 2 * 3 * EPOCHS
        decays = rows_with(data, "epoch", "lr_before", "lr_after")
        assert {d["epoch"] for d in decays if d["site"] == "SUSTech"} == {15, 18}


def test_arch_figure_shades_the_planted_bands(reported):
    data = chart_data(reported["out"], "local_train_issue")
    bands = rows_with(data, "band_id", "shade_from", "shade_to")
    planted = [(b["first_arch_id"], b["last_arch_id"]) for b in reported["findings"]["vertical_line_bands"]]
    assert sorted((b["first_arch_id"], b["last_arch_id"]) for b in bands) == sorted(planted)
    runs = rows_with(data, "arch_rank", "best_cw40_acc", "month")
    early = {r["arch_id"] for r in runs if r["month"] == "2022-12"}
    assert {r["arch_id"] for r in reported["findings"]["december_2022_runs_in_bands"]} <= early


def test_gpu_figure_flags_the_planted_gpu(reported):
    bad = reported["findings"]["bad_gpu"]
    rows = rows_with(chart_data(reported["out"], f"{bad['site'].lower()}_gpu_issue"), "gpu", "q1_acc")
    assert {r["gpu"] for r in rows if r["flagged"]} == {bad["gpu"]}
    other = [r for r in rows if r["site"] != bad["site"]]
    assert not other
    # the caption counts the runs as the check does (a finished run without a CW-40 accuracy too)
    con = duckdb.connect(str(reported["db"]), read_only=True)
    try:
        n_low, n_runs = con.execute("select n_low, n_runs from check_gpu_accuracy where site = ? and gpu = ?",
                                    [bad["site"], bad["gpu"]]).fetchone()
    finally:
        con.close()
    page = (reported["out"] / f"{bad['site'].lower()}_gpu_issue.html").read_text()
    assert f"{bad['gpu']}: {n_low} of {n_runs} runs low" in page


def test_missing_eval_strips_and_lists_match_the_planted_archs(reported):
    for site, arch_ids in reported["findings"]["missing_base_eval"].items():
        listed = (reported["out"] / f"{site.lower()}_incomplete_base.txt").read_text().split()
        assert [int(a) for a in listed] == sorted(arch_ids), site
        segments = rows_with(chart_data(reported["out"], f"{site.lower()}_missing_eval"), "status", "first_rank",
                             merge=True)
        trained = {r["arch_id"] for r in reported["key"]["runs"]}
        assert sum(s["n_archs"] for s in segments) == len(trained), site
        assert sum(s["n_archs"] for s in segments if s["status"] == "no Base evaluation") == len(arch_ids), site


def test_report_md_embeds_every_png_and_states_the_verdicts(reported):
    text = (reported["out"] / "report.md").read_text()
    for png in reported["out"].glob("*.png"):
        assert f"![{png.stem}]({png.name})" in text
    assert text.count("> **Supported.**") + text.count("> **Not supported.**") + text.count("> **Not testable.**") == 9
    msu = reported["findings"]["best_epoch_counts"]["MSU"]
    share = 100 * msu["best_before_first_decay"] / msu["finished_runs"]
    assert f"MSU: {share:.0f}% of finished runs peaked before the first decay" in text
    assert "| setting | source | SUSTech | MSU |" in text
    assert "## 7. Configuration drift between sites" in text


def test_report_opens_with_the_root_cause_and_checks_later_verdicts_against_it(reported):
    """Issue 20: the first section names the planted cause in words with its numbers; the GPU
    section, whose flagged GPU is only where the native-path runs ran, says it is a confounder."""
    text = (reported["out"] / "report.md").read_text()
    planted = reported["findings"]["precision_path"]
    headings = re.findall(r"(?m)^## (.+)$", text)
    assert headings[0] == "Root cause" and headings[1] == "Checks at a glance"
    root = text.split("## Root cause")[1].split("## Checks at a glance")[0]
    low = root.split("### Low accuracy")[1].split("###")[0]
    assert "**Strongest explanation.** `precision_path = native_amp_unscaled` matches" in low
    assert "> **Supported.** The low runs are explained best by `precision_path = native_amp_unscaled`" in root
    con = duckdb.connect(str(reported["db"]), read_only=True)
    try:
        matched, outliers = con.execute(
            "select outliers_matched, outliers from check_explain where outcome = 'low_accuracy' and rank = 1").fetchone()
    finally:
        con.close()
    assert f"matches {matched} of the {outliers} runs" in low
    assert matched <= planted["low_native_runs"]
    gpus = text.split("## 5. Accuracy by GPU")[1].split("## 6.")[0]
    bad = reported["findings"]["bad_gpu"]
    assert f"{bad['site']} {bad['gpu']} flagged" in gpus
    assert "> **Not supported.**" in gpus and "the GPU is a confounder, not the cause" in gpus
    # 3 of the GPU's 6 runs are low, 3 of the site's 21 others: as many fall on a GPU by chance
    assert f"; {bad['site']} {bad['gpu']} within chance: as many low runs fall on a GPU by chance" in gpus
    # 10 of this small corpus's 56 archs are low: chance alone forms bands of 4 low archs as often as not
    bands = text.split("## 4. Bands of low archs")[1].split("## 5.")[0]
    assert "> **Not supported.** 2 bands of low archs, 0 beyond chance." in bands
    bullets = [line for line in bands.splitlines() if line.startswith("- band ")]
    assert len(bullets) == 2 and all("; within chance: chance forms 0.5 bands as large" in b for b in bullets)


def test_root_cause_gives_the_accuracy_of_the_runs_its_explanation_matches(reported):
    """Low or not: a cause that lowers a block of neighbouring archs leaves few runs low against their
    neighbours, and the mean accuracy says how large it is."""
    text = (reported["out"] / "report.md").read_text()
    low = text.split("### Low accuracy")[1].split("###")[0]
    con = duckdb.connect(str(reported["db"]), read_only=True)
    try:
        (_, n, mean, n_low), (_, m, other, _) = con.execute(
            "select coalesce(r.precision_path = 'native_amp_unscaled', false) as matched, count(*), avg(n.best_cw40_acc), "
            "count(*) filter (where n.is_low) from run_neighbours as n join runs as r using (run_id) "
            "group by matched order by matched desc").fetchall()
    finally:
        con.close()
    assert (f"**Accuracy.** The {n} finished runs it matches reach a best CW-40 of {mean:.1f}% on average ({n_low} of "
            f"them low against their neighbours), the {m} others {other:.1f}%.") in low


# ----------------------------------------------------------------------------- the browser
def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium is not installed: the HTML report is tested in a real browser; "
                    "run scripts/test-setup, which installs Debian's chromium")
    return path


def _render(page: Path, profile: Path) -> tuple[str, str]:
    result = subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=30000", "--dump-dom",
         page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("page", ["index.html", "local_train_issue.html"])
def test_html_renders_every_chart_in_chromium_without_console_messages(reported, tmp_path, page):
    html_path = reported["out"] / page
    expected = html_path.read_text().count('data-spec="')
    dom, log = _render(html_path, tmp_path / "profile")
    assert expected == (len(list(reported["out"].glob("*.png"))) if page == "index.html" else 1)
    assert f'data-charts-rendered="{expected}"' in dom
    assert dom.count('class="marks"') == expected, "a chart drew no SVG"
    assert '<p class="render-error">' not in dom, "a chart failed to render"
    assert re.search(r'<pre id="render-errors"[^>]*hidden', dom), "the page reported a script error"
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert not console, "\n".join(console)


@pytest.mark.slow
# ----------------------------------------------------------------------------- options and errors
def test_report_arch_option_draws_the_chosen_arch(reported, svg_report, tmp_path):
    arch_id = reported["findings"]["duplicate_archs"][-1]
    tmp_path = copy_of(svg_report, tmp_path)
    result = runner.invoke(app, ["report", "--db", str(reported["db"]), "--out", str(tmp_path), "--format", "svg",
                                 "--arch", str(arch_id)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*training_curves*")) == [
        f"dup_Arch{arch_id}_training_curves.svg", "training_curves.svg"]
    assert not list(tmp_path.glob("*.png"))
    assert "![" not in (tmp_path / "report.md").read_text().split("## 1.")[0]


def _report_svg(reported, out: Path, *args: str) -> str:
    result = runner.invoke(app, ["report", "--db", str(reported["db"]), "--out", str(out), "--format", "svg", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _stamps(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix in (".svg", ".html")}


@pytest.fixture(scope="module")
def svg_report(reported, tmp_path_factory) -> tuple[Path, str]:
    """A first SVG report of the demo warehouse into an empty folder, and its last line: the
    starting point of the tests of later reports into the same folder (each works on a copy)."""
    out = tmp_path_factory.mktemp("svg") / "report"
    return out, _report_svg(reported, out)


def copy_of(svg_report: tuple[Path, str], tmp_path: Path) -> Path:
    """A copy of the first SVG report's folder (its record of outputs included) in `tmp_path`."""
    out = tmp_path / "report"
    shutil.copytree(svg_report[0], out)
    return out


@pytest.mark.slow
def test_a_second_report_of_the_same_data_keeps_every_figure(reported, svg_report, tmp_path, monkeypatch):
    """... and builds no chart at all: each figure's key is what its chart is made from."""
    from reports.figures import Drawing

    first = svg_report[1]
    tmp_path = copy_of(svg_report, tmp_path)
    n = len(list(tmp_path.glob("*.svg")))
    assert f"; {n} redrawn, 0 unchanged since the last report" in first
    before = _stamps(tmp_path)
    built = []
    real = Drawing.chart
    monkeypatch.setattr(Drawing, "chart", lambda drawing: built.append(drawing.make.__name__) or real(drawing))
    second = _report_svg(reported, tmp_path)
    assert f"; 0 redrawn, {n} unchanged since the last report" in second
    assert _stamps(tmp_path) == before  # figure files and index.html not rewritten
    assert built == []


@pytest.mark.slow
@pytest.mark.parametrize("specs_kept", [True, False])
def test_index_html_written_again_around_unchanged_figures_is_the_same_page(reported, svg_report, tmp_path,
                                                                             monkeypatch, specs_kept):
    """index.html is written again whenever the report's text changes (an ingest changes the
    totals), though no figure changed: with the specs kept when the figures were drawn
    (reports/outputs.py `keep_spec`) no chart is built for it; without them (an empty cache
    folder) every chart is built. Either way the page is the one built from the charts."""
    from reports.figures import Drawing

    out = copy_of(svg_report, tmp_path)
    before = (out / "index.html").read_text()
    record = json.loads((out / ".report-outputs.json").read_text())
    record["figures"]["index"]["key"] = "0" * 64  # as after a change of the report's text
    (out / ".report-outputs.json").write_text(json.dumps(record))
    (out / "index.html").write_text("old page")
    if not specs_kept:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    built = []
    real = Drawing.chart
    monkeypatch.setattr(Drawing, "chart", lambda drawing: built.append(drawing.make.__name__) or real(drawing))
    n = len(list(out.glob("*.svg")))
    assert f"; 0 redrawn, {n} unchanged since the last report" in _report_svg(reported, out)
    assert (out / "index.html").read_text() == before
    assert len(built) == (0 if specs_kept else n)


@pytest.mark.slow
def test_a_figure_whose_key_or_file_changed_is_drawn_again_alone(reported, svg_report, tmp_path):
    tmp_path = copy_of(svg_report, tmp_path)
    record_path = tmp_path / ".report-outputs.json"
    record = json.loads(record_path.read_text())
    record["figures"]["best_epoch_msu"]["key"] = "0" * 64
    record_path.write_text(json.dumps(record))
    (tmp_path / "dup_test_acc.svg").unlink()
    before = _stamps(tmp_path)
    line = _report_svg(reported, tmp_path)
    n = len(list(tmp_path.glob("*.svg")))
    assert f"; 2 redrawn, {n - 2} unchanged since the last report" in line
    after = _stamps(tmp_path)
    assert sorted(name for name in after if after[name] != before.get(name)) == ["best_epoch_msu.svg", "dup_test_acc.svg"]


@pytest.mark.slow
def test_an_interrupted_report_says_so_in_one_line_and_the_next_one_finishes_it(reported, svg_report, tmp_path,
                                                                                   monkeypatch):
    tmp_path = copy_of(svg_report, tmp_path)
    record_path = tmp_path / ".report-outputs.json"
    record = json.loads(record_path.read_text())
    for name in ("best_epoch_msu", "dup_test_acc"):
        record["figures"][name]["key"] = "0" * 64
    record_path.write_text(json.dumps(record))
    real_write = build_module.write_figure
    written = []

    def interrupted_at_the_second(out, name, *args, **kwargs):
        if written:
            raise KeyboardInterrupt  # Ctrl-C while the second redrawn figure is written
        written.append(name)
        return real_write(out, name, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(build_module, "write_figure", interrupted_at_the_second)
        result = runner.invoke(app, ["report", "--db", str(reported["db"]), "--out", str(tmp_path), "--format", "svg"])
    assert result.exit_code == 130
    assert result.stderr == (f"error: report interrupted: {tmp_path}/ may hold some figures of this report beside the "
                             "last one's, each file whole; run the report again to finish it\n")
    assert len(written) == 1 and json.loads(record_path.read_text()) == record  # the record is the last report's
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]
    line = _report_svg(reported, tmp_path)
    n = len(list(tmp_path.glob("*.svg")))
    assert f"; 2 redrawn, {n - 2} unchanged since the last report" in line
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.svg")} == {
        p.name: p.read_bytes() for p in svg_report[0].glob("*.svg")}


@pytest.mark.slow
def test_figures_no_longer_drawn_are_removed(reported, svg_report, tmp_path):
    first, second = reported["findings"]["duplicate_archs"][:2]
    tmp_path = copy_of(svg_report, tmp_path)
    _report_svg(reported, tmp_path, "--arch", str(first))
    assert [p.name for p in tmp_path.glob(f"*{first}*")]
    line = _report_svg(reported, tmp_path, "--arch", str(second))
    assert not list(tmp_path.glob(f"*{first}*")) and list(tmp_path.glob(f"*{second}*"))
    assert "removed 1 files of figures no longer drawn" in line
    # a later report in fewer formats keeps the other formats' files
    result = runner.invoke(app, ["report", "--db", str(reported["db"]), "--out", str(tmp_path), "--format", "html",
                                 "--arch", str(second)])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.glob(f"*{second}*.svg")) and list(tmp_path.glob(f"*{second}*.html"))


ODD_LISTINGS = ["../victim.svg", "/tmp/victim.svg", "sub/victim.svg", "victim.txt", "victim.svg\0"]
"""Files a damaged or planted record of outputs may list that are not a plain figure name in the
report's folder: a parent's file, an absolute path, a subfolder's file, another suffix, a NUL."""


@pytest.mark.slow
def test_the_record_of_outputs_never_removes_other_files(reported, svg_report, tmp_path):
    """The last report's record (its figures as they are, so none is drawn again) also lists
    figures no longer drawn, each with one of ODD_LISTINGS, and one with a plain figure name: only
    the plain one is removed."""
    out = copy_of(svg_report, tmp_path)
    (out / "sub").mkdir(parents=True)
    victims = [tmp_path / "victim.svg", out / "sub" / "victim.svg", out / "victim.txt"]
    for victim in victims:
        victim.write_text("keep me")
    (out / "older.svg").write_text("<svg/>")
    record = json.loads((out / ".report-outputs.json").read_text())
    for number, listed in enumerate(ODD_LISTINGS):
        record["figures"][f"old{number}"] = {"key": "x", "files": [listed.replace("/tmp/", f"{tmp_path}/")]}
    record["figures"]["older"] = {"key": "x", "files": ["older.svg"]}
    (out / ".report-outputs.json").write_text(json.dumps(record))
    line = _report_svg(reported, out)
    assert all(v.read_text() == "keep me" for v in victims)
    assert not (out / "older.svg").exists() and "removed 1 files of figures no longer drawn" in line


@pytest.mark.slow
def test_an_unreadable_record_of_outputs_draws_everything(reported, svg_report, tmp_path):
    tmp_path = copy_of(svg_report, tmp_path)
    (tmp_path / ".report-outputs.json").write_bytes(b"\xff\x00 not json")
    line = _report_svg(reported, tmp_path)
    n = len(list(tmp_path.glob("*.svg")))
    assert n > 10 and f"; {n} redrawn, 0 unchanged since the last report" in line


@pytest.mark.slow
def test_report_arch_option_names_one_site_archs_and_removes_older_curves(reported, svg_report, tmp_path):
    """Issue 21: a second `--arch` left the first one's curve figures behind, and an arch trained at
    one site was named dup_Arch...; files the report did not write stay."""
    tmp_path = copy_of(svg_report, tmp_path)
    sites: dict[int, set] = {}
    for r in reported["key"]["runs"]:
        sites.setdefault(r["arch_id"], set()).add(r["site"])
    single = next(a for a, s in sorted(sites.items()) if len(s) == 1 and a not in reported["findings"]["duplicate_archs"])
    double = reported["findings"]["duplicate_archs"][0]
    (tmp_path / "dup_Arch1_notes.txt").write_text("mine")
    first = runner.invoke(app, ["report", "--db", str(reported["db"]), "--out", str(tmp_path), "--format", "svg,html",
                                "--arch", str(double)])
    assert first.exit_code == 0, first.output
    assert (tmp_path / f"dup_Arch{double}_training_curves.svg").exists()
    second = runner.invoke(app, ["report", "--db", str(reported["db"]), "--out", str(tmp_path), "--format", "svg",
                                 "--arch", str(single)])
    assert second.exit_code == 0, second.output
    assert sorted(p.name for p in tmp_path.glob("*_training_curves.*")) == [f"arch_{single}_training_curves.svg"]
    assert (tmp_path / "dup_Arch1_notes.txt").read_text() == "mine"
    assert not list(tmp_path.glob("dup_Arch*_training_curves*"))


def test_report_refuses_unknown_arch_and_format(reported, tmp_path):
    result = runner.invoke(app, ["report", "--db", str(reported["db"]), "--out", str(tmp_path), "--arch", "15625"])
    assert result.exit_code == 1
    assert "no training run of arch 15625" in result.output
    result = runner.invoke(app, ["report", "--db", str(reported["db"]), "--format", "png,gif"])
    assert result.exit_code == 1
    assert "unknown figure format gif" in result.output


@pytest.mark.slow
def test_report_on_a_warehouse_without_findings(samples, tmp_path):
    """The real sample logs (one finished run, no sites file): a report, no crash, honest verdicts,
    and no demo banner (issue 21)."""
    db = tmp_path / "wh.duckdb"
    ingest_paths(db, [samples])
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(tmp_path / "r"), "--format", "svg,html"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r" / "report.md").read_text()
    assert "Not testable" in text and "## 9. Other findings of the checks" in text
    assert (tmp_path / "r" / "index.html").exists()
    assert text.splitlines()[0] == "# RobustNASBench training logs: the analysis, regenerated from the warehouse"
    assert "DEMO DATA" not in text and "DEMO DATA" not in (tmp_path / "r" / "index.html").read_text()
    for page in (tmp_path / "r").glob("*.html"):
        if page.name != "index.html":
            assert "DEMO DATA" not in json.dumps(spec_of(tmp_path / "r", page.stem).get("title")), page.name
    check = runner.invoke(app, ["check", "best_epoch", "--db", str(db)])
    assert "demo data" not in check.output




BREAKS = [
    ("an unknown mark", lambda spec: {**spec, "mark": {"type": "pointy"}}),
    ("an unknown property", lambda spec: {**spec, "colour": "red"}),
    ("a width of the wrong kind", lambda spec: {**spec, "width": "wide"}),
    ("a title of the wrong type", lambda spec: {**spec, "title": {"text": "t", "fontSize": "big"}}),
]


@pytest.mark.parametrize("why, damage", BREAKS, ids=[why for why, _ in BREAKS])
def test_a_spec_that_breaks_the_schema_is_refused(why, damage):
    import altair as alt
    from jsonschema.exceptions import ValidationError

    from reports.figures import validate_structure

    spec = alt.Chart(alt.Data(values=[{"a": i} for i in range(100)])).mark_point().encode(x="a:Q").to_dict()
    validate_structure(spec)
    with pytest.raises(ValidationError):
        validate_structure(damage(spec))


@pytest.mark.slow
def test_the_compiled_schema_check_agrees_with_jsonschema(reported):
    """The report checks specs with jsonschema-rs against a copy of the schema with percent-encoded
    references (reports/figures.py); jsonschema, with the schema as Altair ships it, gives the same
    verdict on every figure of the demo report and on a broken copy of each."""
    from jsonschema.validators import validator_for

    from reports import figures

    schema = figures._schema()
    python = validator_for(schema)(schema)
    pages = sorted(p.stem for p in reported["out"].glob("*.html") if p.name != "index.html")
    specs = [figures._sampled(spec_of(reported["out"], name)) for name in pages]
    for n, spec in enumerate(specs):
        assert figures._validator().is_valid(spec) and python.is_valid(spec), pages[n]
        why, damage = BREAKS[n % len(BREAKS)]
        broken = damage(spec)
        assert not figures._validator().is_valid(broken), (pages[n], why)
        assert not python.is_valid(broken), (pages[n], why)


# ----------------------------------------------------------------------------- issue 21: what a reader sees
def test_report_says_demo_data_in_its_first_lines(reported):
    md = (reported["out"] / "report.md").read_text().splitlines()
    assert md[0].startswith("# DEMO DATA: synthetic logs written by `nares demo`, not benchmark results: ")
    body = (reported["out"] / "index.html").read_text().split("<body>", 1)[1]
    first_heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S).group(1)
    assert first_heading.startswith("DEMO DATA: synthetic logs written by <code>nares demo</code>")
    assert body.index("<h1") < body.index("<h2")
    for page in reported["out"].glob("*.html"):
        if page.name != "index.html":
            title = spec_of(reported["out"], page.stem)["title"]
            assert title["text"][0].startswith("DEMO DATA: "), page.name
    check = runner.invoke(app, ["check", "best_epoch", "--db", str(reported["db"])])
    assert "note: the warehouse holds demo data" in check.output


def test_report_figures_fit_a_1000_px_window_and_name_no_internals(reported):
    for svg in reported["out"].glob("*.svg"):
        width, _ = svg_size(svg)
        assert width <= 1000, f"{svg.name} is {width:.0f} px wide"
    for page in reported["out"].glob("*.html"):
        if page.name == "index.html":
            continue
        title = json.dumps(spec_of(reported["out"], page.stem).get("title"))
        assert not re.search(r"low_arch\.|check_[a-z_]+|[a-z]+_[a-z]+\.(?!txt\b)[a-z_]+", title), (page.name, title)


def test_histograms_have_a_tick_above_the_tallest_bar(reported):
    def y_encodings(node):
        if isinstance(node, dict):
            enc = node.get("encoding", {}).get("y")
            if isinstance(enc, dict) and enc.get("title") in ("finished runs", "archs"):
                yield enc
            for value in node.values():
                yield from y_encodings(value)
        elif isinstance(node, list):
            for value in node:
                yield from y_encodings(value)

    for site in SITES:
        name = f"best_epoch_{site}"
        tallest = max(b["n_runs"] for b in rows_with(chart_data(reported["out"], name), "best_epoch", "n_runs"))
        (enc,) = list(y_encodings(spec_of(reported["out"], name)))
        ticks = enc["axis"]["values"]
        assert enc["scale"]["domain"] == [0, ticks[-1]] and ticks[-1] > tallest, name
        assert all(float(t).is_integer() for t in ticks)
    for name in ("dup_test_acc", "dup_test_cw"):
        (enc,) = list(y_encodings(spec_of(reported["out"], name)))
        assert enc["axis"]["values"][-1] == enc["scale"]["domain"][1] >= 1
        assert all(float(t).is_integer() for t in enc["axis"]["values"])


def test_curve_dashes_tell_the_attacks_apart(reported):
    def dash_scales(node):
        if isinstance(node, dict):
            if isinstance(node.get("strokeDash"), dict) and "scale" in node["strokeDash"]:
                yield node["strokeDash"]["scale"]
            for value in node.values():
                yield from dash_scales(value)
        elif isinstance(node, list):
            for value in node:
                yield from dash_scales(value)

    spec = spec_of(reported["out"], next(reported["out"].glob("dup_Arch*_training_curves.html")).stem)
    (scale,) = list(dash_scales(spec))
    by_metric = dict(zip(scale["domain"], map(tuple, scale["range"])))
    assert len(set(by_metric.values())) == 3
    assert by_metric["PGD-20"][0] >= 3 * by_metric["CW-40"][0]   # long dashes against dots


def test_a_sign_test_of_too_few_archs_leaves_the_paired_sites_not_testable(reported):
    """The 60-arch demo trains 5 archs at both sites: the sign test's smallest p-value is then
    2 x 0.5^5 = 0.0625, never below 0.05 however far apart the sites are, so section 2 cannot tell."""
    section = (reported["out"] / "report.md").read_text().split("## 2.")[1].split("## 3.")[0]
    con = duckdb.connect(str(reported["db"]), read_only=True)
    try:
        untied = con.execute("select max(n_a_higher + n_b_higher) from check_duplicate_paired").fetchone()[0]
    finally:
        con.close()
    assert untied <= 5
    verdict = section.split("> **")[1]
    assert verdict.startswith("Not testable.**")
    assert "the sign test cannot find a difference in 4 of them, whatever their values: it needs 6 archs or more" in verdict


@pytest.mark.parametrize("alpha, fewest", [(0.05, 6), (0.0625, 6), (0.01, 8), (0.5, 3), (1.0, 2), (0.0, None)])
def test_the_fewest_archs_a_sign_test_needs(alpha, fewest):
    from reports.analysis import min_sign_test_archs, sign_test_can_reject

    assert min_sign_test_archs(alpha) == fewest
    if fewest is not None:
        assert sign_test_can_reject(fewest, alpha) and not sign_test_can_reject(fewest - 1, alpha)
    assert not sign_test_can_reject(0, alpha)


def test_configuration_drift_of_one_site_is_not_testable(reported, tmp_path):
    """The logs of one site (SUSTech's folder of the demo) have settings but no other site to differ
    from: section 7 cannot tell, as section 1 cannot, rather than call the hypothesis refuted."""
    from reports.analysis import config_section
    from reports.data import ReportData
    from reports.figures import Context
    from warehouse.query import open_for_reading

    db = tmp_path / "one-site.duckdb"
    ingest_paths(db, [reported["work"] / "demo-corpus" / "logs"], workers=1)
    con = open_for_reading(db)
    try:
        data = ReportData(con)
        assert {r["site"] for r in data.view("check_config_drift")} == {"SUSTech"}
        verdict = config_section(data, Context.from_data(data), {})[-1]
    finally:
        con.close()
    assert verdict.supported is None and verdict.text == "Fewer than two sites have runs: nothing to compare."


def test_missing_evaluations_of_logs_no_site_claims_are_counted(reported, tmp_path):
    """Logs copied out of their repository (no sites file, no git) belong to no known site: no strip
    is drawn for site unknown, yet its archs without a Base evaluation are listed and counted."""
    from reports import missing_eval
    from reports.analysis import missing_section
    from reports.data import ReportData
    from reports.figures import Context
    from warehouse.query import open_for_reading

    for folder in ("logs", "msu"):
        shutil.copytree(reported["work"] / "demo-corpus" / folder, tmp_path / "copy" / folder)
    db = tmp_path / "copy.duckdb"
    ingest_paths(db, [tmp_path / "copy"], workers=1)
    con = open_for_reading(db)
    try:
        data = ReportData(con)
        listed = data.rows("incomplete_base_archs")
        figures = missing_eval.figures(data, Context.from_data(data))
        verdict = missing_section(data, figures, {})[-1]
    finally:
        con.close()
    assert figures == [] and listed and {r["site"] for r in listed} == {"unknown"}
    assert verdict.supported is True
    assert verdict.text.startswith(f"{len(listed)} archs without a finished Linf Base evaluation (unknown {len(listed)}; ")


def test_report_sections_agree_with_the_views(reported):
    text = (reported["out"] / "report.md").read_text()
    drift = text.split("## 7.")[1].split("## 8.")[0]
    same = drift.split("settings that are the same at every site")[1]
    for line in same.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| `"):
            assert len(set(cells[2:])) == 1, line   # issue 21: lr_decay_epochs was listed as the same
    con = duckdb.connect(str(reported["db"]), read_only=True)
    try:
        n_params, n_differ = con.execute(
            "select count(distinct parameter), count(distinct parameter) filter (where differs) from check_config_drift"
        ).fetchone()
    finally:
        con.close()
    assert f"{n_differ} of {n_params} settings differ" in drift
    assert f"The {n_params - n_differ} settings that are the same at every site" in drift
    curves = text.split("## 3.")[1].split("## 4.")[0]
    n_dup = len(reported["findings"]["duplicate_archs"])
    assert f"among all {n_dup} archs trained at two sites" in curves
    assert "MSU: " in curves.split("> **")[1]


def test_unknown_site_archs_get_their_incomplete_list(reported):
    missing = unknown_missing(reported)
    assert missing, "the demo plants an unknown-site arch without a Base evaluation"
    listed = (reported["out"] / "unknown_incomplete_base.txt").read_text().split()
    assert [int(a) for a in listed] == missing
    assert "`unknown_incomplete_base.txt`" in (reported["out"] / "report.md").read_text()


def _point_figure(name: str, xs: list[int]):
    import altair as alt

    from reports.figures import Drawing, Figure, inline

    rows = [{"x": x} for x in xs]
    chart = alt.Chart(inline(rows)).mark_point().encode(x="x:Q")
    return Figure(name=name, drawing=Drawing.of(chart), section="s", caption=f"{name} caption", rows={"points": rows})


def test_a_figure_whose_spec_fails_the_schema_stops_the_report_before_any_figure_file(tmp_path):
    """The figures are drawn in other processes while their specs are checked here: one spec
    that fails stops the report, and no figure's file is written (not even a valid one's)."""
    from jsonschema.exceptions import ValidationError

    from reports.build import Progress, ReportResult, _draw
    from reports.outputs import OutputRecord

    # the largest figure is checked first: the bad one here, so no drawing process starts
    good, bad = _point_figure("good", [1, 2]), _point_figure("bad", [3, 4, 5])
    bad.unchecked_spec()["mark"] = {"type": "pointy"}
    with pytest.raises(ValidationError):
        _draw(tmp_path, [good, bad], ("svg",), OutputRecord({}), ReportResult(out=tmp_path, figures=[good, bad]),
              Progress())
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_figures_key_follows_what_its_chart_is_made_from(monkeypatch):
    """The key of a figure's files changes with its rows, its chart function, its banner, its
    caption and the source of reports/ (which makes the spec), and with nothing else."""
    from reports import build, outputs
    from reports.figures import Drawing, Figure
    from reports.missing_eval import missing_eval_chart

    def key(rows=({"x": 1},), make=build.collect_figures, banner=None, caption="c"):
        figure = Figure(name="f", drawing=Drawing(make, (list(rows), "title")), section="s", caption=caption,
                        banner=banner)
        return outputs.figure_key(figure.made_from(), figure.caption, ("svg",), build.drawing_version())

    same = key()
    assert key() == same and key(rows=[{"x": 1}]) == same
    others = [key(rows=[{"x": 2}]), key(rows=[{"x": 1}, {"x": 1}]), key(make=missing_eval_chart),
              key(banner="DEMO"), key(caption="d")]
    assert len({same, *others}) == 1 + len(others)
    monkeypatch.setattr(build, "reports_source", lambda: "changed")
    assert key() != same


def test_only_the_figures_drawn_are_checked_against_the_schema(tmp_path, monkeypatch):
    """A figure whose key is the last report's keeps its files and is not checked again (its spec
    is byte for byte one that was checked before it was drawn); a figure drawn is checked."""
    from reports import figures
    from reports.build import Progress, ReportResult, _draw
    from reports.outputs import OutputRecord, read_record, write_record

    checked = []
    real = figures.validate_structure
    monkeypatch.setattr(figures, "validate_structure", lambda spec: checked.append(spec) or real(spec))

    def report(*drawn):
        result = ReportResult(out=tmp_path, figures=list(drawn))
        write_record(tmp_path, OutputRecord(_draw(tmp_path, list(drawn), ("svg",), read_record(tmp_path), result,
                                                  Progress())))
        return result.redrawn

    assert report(_point_figure("a", [1, 2])) == ["a"] and len(checked) == 1
    checked.clear()
    assert report(_point_figure("a", [1, 2]), _point_figure("b", [3])) == ["b"]
    assert [list(spec["datasets"].values()) for spec in checked] == [[[{"x": 3}]]]
    checked.clear()
    assert report(_point_figure("a", [1, 2, 5]), _point_figure("b", [3])) == ["a"] and len(checked) == 1


@pytest.mark.parametrize("recorded, formats, starts", [
    ({}, ("png", "svg", "html"), True),  # a folder without a report: every figure will be drawn
    ({}, ("svg",), True),
    ({}, ("html",), False),  # nothing to draw in another process
    ({"best_epoch_msu": ("k", ["best_epoch_msu.png"])}, ("png", "svg", "html"), False),  # may redraw nothing
])
def test_drawing_processes_start_before_the_data_is_read_only_when_every_figure_will_be_drawn(recorded, formats, starts):
    from contextlib import ExitStack

    from reports.build import DRAWING_PROCESSES, _early_pool
    from reports.outputs import OutputRecord

    with ExitStack() as stack:
        pool = _early_pool(stack, OutputRecord(recorded), formats)
        assert (pool is not None) == starts
        if pool is not None:  # its processes are up, each with its engine started (the initializer ran)
            assert sorted(pool.map(abs, [-1, -2])) == [1, 2]
            assert len(pool._processes) == DRAWING_PROCESSES


def test_an_engine_started_draws_the_same_chart():
    from reports.draw import images, start_engine

    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"values": [{"x": 1}, {"x": 3}]},
            "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}
    before = images(spec, ("svg",))
    start_engine()
    assert images(spec, ("svg",)) == before and before["svg"].startswith("<svg")


@pytest.mark.slow
def test_charts_composed_in_place_give_the_specs_altair_gives_with_its_copies(demo_warehouse, monkeypatch):
    """The figure functions hand each chart to `layer`, `hconcat`, ... without Altair's deep copy
    (reports/figures.py `in_place`): every figure of the demo warehouse has the spec it has when
    Altair copies each chart it composes."""
    from reports import figures
    from reports.build import collect_figures
    from reports.data import ReportData
    from warehouse.query import open_for_reading

    con = open_for_reading(demo_warehouse.db)
    try:
        data = ReportData(con)

        def specs() -> dict[str, str]:
            made = collect_figures(data, figures.Context.from_data(data))
            return {f.name: json.dumps(f.unchecked_spec(), sort_keys=True) for f in made}

        in_place = specs()
        with monkeypatch.context() as m:
            m.setattr(figures, "in_place", lambda chart: chart)
            copied = specs()
    finally:
        con.close()
    assert len(in_place) >= 10 and in_place == copied


def test_a_figures_chart_handed_out_copies_whole(demo_warehouse):
    """The chart a notebook gets (`Figure.chart`, `Warehouse.figure`) was composed in place, but
    copies as Altair's charts do: a change to a part of its copy leaves the chart as it was."""
    from reports.build import collect_figures
    from reports.data import ReportData
    from reports.figures import Context
    from warehouse.query import open_for_reading

    con = open_for_reading(demo_warehouse.db)
    try:
        data = ReportData(con)
        figure = next(f for f in collect_figures(data, Context.from_data(data)) if f.name == "dup_test_acc")
        spec = figure.unchecked_spec()
        chart = figure.chart
        copied = chart.copy()
        copied.hconcat[0].layer[0].mark = "square"
        assert copied.hconcat[0].layer[0].mark == "square" != chart.hconcat[0].layer[0].mark
        assert chart.to_dict(validate=False)["hconcat"][0]["layer"][0]["mark"] == spec["hconcat"][0]["layer"][0]["mark"]
    finally:
        con.close()


def test_figures_give_altair_channel_classes_not_text(demo_warehouse, monkeypatch):
    """A channel given as text (`x2="to:Q"`) or as `alt.value(0)` makes Altair look its class up
    in the whole schema (`from_dict`: ~2.5 ms each, 66 of them in a report), so the figures give
    the class itself (`alt.X2("to:Q")`, `alt.YValue(0)`). Building every figure of the demo
    warehouse never makes Altair look one up."""
    from altair.utils.schemapi import SchemaBase

    from reports.build import collect_figures
    from reports.data import ReportData
    from reports.figures import Context
    from warehouse.query import open_for_reading

    looked_up = []
    from_dict = SchemaBase.from_dict.__func__
    monkeypatch.setattr(SchemaBase, "from_dict",
                        classmethod(lambda cls, dct, validate=True: looked_up.append(dct) or from_dict(cls, dct, validate)))
    con = open_for_reading(demo_warehouse.db)
    try:
        data = ReportData(con)
        made = collect_figures(data, Context.from_data(data))
        assert len(made) >= 10 and all(f.unchecked_spec() for f in made)
    finally:
        con.close()
    assert looked_up == []


# ----------------------------------------------------------------------------- the GPU section's root cause
GPU = "NVIDIA GeForce RTX 3090"


def _alone(explained_by=None) -> dict:
    return {"risk_ratio": 115.0, "explained_by": explained_by, "explained_by_risk_ratio": 1.2, "inliers_matched": 160}


def _cause(explanation: str) -> dict:
    return {"explanation": explanation, "explanation_attributes": [a.split(" = ")[0] for a in explanation.split(" and ")]}


@pytest.mark.parametrize("alone, cause, low, words, confounded", [
    (_alone("precision_path"), None, [], "is explained by `precision_path`: within its levels", True),
    (_alone(), _cause("precision_path = native_amp_unscaled"), [{"matched": True}], "all 1 of its low runs match", True),
    (_alone(), _cause(f"gpu = {GPU} and site = MSU"), [{"matched": True}],
     f"names the GPU with other attributes; `gpu = {GPU}` alone (risk ratio 115) also matches 160 runs that are not low",
     False),
    (_alone(), _cause(f"gpu = {GPU}"), [{"matched": True}], "explains low accuracy on its own (risk ratio 115)", False),
    (_alone(), _cause(f"gpu = {GPU} Ti and site = MSU"), [{"matched": True}], "explains low accuracy on its own", False),
    (None, None, [], "does not rank", False),
], ids=["absorbed", "matched by another", "with other attributes", "alone", "another gpu's combination", "unranked"])
def test_the_gpu_sections_root_cause_says_what_check_explain_says(alone, cause, low, words, confounded):
    """A GPU whose strongest explanation holds it with another attribute (its runs at one site, say)
    is not said to explain low accuracy on its own: the GPU alone also matches runs that are fine."""
    from reports.analysis import gpu_root_cause

    text, why = gpu_root_cause(GPU, alone, cause, low)
    assert words in text and (why is not None) == confounded
    # the verdict joins the clauses as they are: each names its subject ("low runs is" read wrong)
    assert why is None or why.startswith((f"`gpu = {GPU}` is explained by", f"{GPU}'s low runs are all matched by"))


# ----------------------------------------------------------------------------- the verdict of "which code ran"
def _version(fingerprint: str, n_finished: int, n_low: int, site: str = "MSU", kind: str = "training") -> dict:
    return {"site": site, "fingerprint": fingerprint, "kind": kind, "n_finished": n_finished, "n_low": n_low}


def _eval_code(findings):
    from warehouse.checks import CheckResult

    return {} if findings is None else {"eval_code": CheckResult("eval_code", "check_eval_code_v2", "", findings)}


@pytest.mark.parametrize("paths, versions, faulty, supported, words", [
    # the demo's cause: the native-AMP path
    ({("MSU", "native_amp_unscaled"): [30, 30, 25], ("MSU", "fp32_or_apex"): [100, 100, 10]},
     [_version("a", 130, 35)], 0, True, "25 of 30 finished native-AMP runs are low (83%)"),
    # one training code version at both sites, no native-path run
    ({("MSU", "fp32_or_apex"): [100, 100, 20], ("SUSTech", "fp32_or_apex"): [100, 100, 10]},
     [_version("a", 10, 8), _version("a", 13, 12, "SUSTech"), _version("b", 177, 10),
      _version("e", 300, 0, kind="evaluation")], 0, True,
     "the runs of `a` are low most often, 20 of 23 (87%), against 10 of 177 of the other versions (6%; chance "),
    # a version of 3 runs, 1 low: 28 points above the others', but chance gives as much (1 - C(189, 3) / C(200, 3)
    # = 0.16, for the 2 versions compared 0.31)
    ({("MSU", "fp32_or_apex"): [200, 200, 11]}, [_version("a", 3, 1), _version("b", 197, 10)], 0, False,
     "the runs of `a` are low most often, 1 of 3 (33%), against 10 of 197 of the other versions (5%; chance 0.31 "
     "among the 2 compared)"),
    # the native-AMP path on 3 runs, 1 low: chance 0.16
    ({("MSU", "native_amp_unscaled"): [3, 3, 1], ("MSU", "fp32_or_apex"): [197, 197, 10]}, [_version("a", 200, 11)],
     0, False, "1 of 3 finished native-AMP runs are low (33%), 10 of 197 of the others (5%; chance 0.16)"),
    # published numbers from faulty evaluation code alone
    ({("MSU", "fp32_or_apex"): [100, 100, 20]}, [_version("a", 100, 20)], 1, True,
     "1 evaluation from code with a known fault was replaced by no other evaluation of its run: its numbers still "
     "stand (as the run's, or as the arch's for an evaluation linked to no run)"),
    # nothing holds: versions compared, no faulty numbers
    ({("MSU", "fp32_or_apex"): [100, 100, 20]}, [_version("a", 50, 10), _version("b", 50, 10)], 0, False,
     "no evaluation from code with a known fault gives numbers any more"),
    # the version of the largest difference is low less often than the rest: no version is "low most often"
    ({("SUSTech", "fp32_or_apex"): [318, 318, 14]}, [_version("a", 313, 13), _version("b", 3, 0), _version("c", 2, 1)],
     0, False, "the runs of none of the 2 versions compared are low more often than those of the other versions "
     "(the closest, `b`: 0 of 3 (0%), against 14 of 315 (4%))"),
    # no run is low at all
    ({("MSU", "fp32_or_apex"): [100, 100, 0]}, [_version("a", 50, 0), _version("b", 50, 0)], 0, False,
     "no finished run of the 2 versions is low"),
    # nothing to compare and no eval_code check
    ({}, [_version("a", 100, 20)], None, None, "too few to compare (1 with finished runs)"),
], ids=["native path", "code version", "a small version by chance", "a small native path by chance",
        "faulty evaluations", "none holds", "none more often", "none low", "not testable"])
def test_which_code_ran_is_supported_by_any_of_its_three_parts(paths, versions, faulty, supported, words):
    """The section's hypothesis names the precision path, the training code version and faulty
    evaluation code: the verdict weighs all three, not the precision path alone."""
    from reports.analysis import _code_version_part, _faulty_numbers_part, _precision_part, code_verdict

    verdict = code_verdict(paths, versions, _eval_code(faulty))
    assert verdict.supported is supported and words in verdict.text
    parts = [_precision_part(paths), _code_version_part(versions), _faulty_numbers_part(_eval_code(faulty))]
    assert verdict.text.startswith(" ".join(text for _, text in parts))


def test_the_gpu_caption_counts_the_runs_as_the_check_does():
    """A finished run without a CW-40 accuracy is in no box but is one of the check's runs: the
    caption's "N of M runs low" is the check's share (25 of 115 = 22%), not 25 of the 114 boxed."""
    from reports.gpus import render_gpu_issue

    rows = [{"site": "MSU", "gpu": "G", "metric": metric, "n_runs": 114, "n_checked": 115, "n_low": 25,
             "low_share_pct": 100.0 * 25 / 115, "flagged": True, "mean_acc": 40.0, "chance": 0.0123,
             "beyond_chance": True} for metric in ("clean", "CW-40")]
    figure = render_gpu_issue("MSU", rows, 20.0, 10.0)
    assert "G: 25 of 115 runs low (22%), mean CW-40 40.0%, beyond chance (chance 0.012)" in figure.caption
    assert figure.caption.startswith("MSU: 1 GPU flagged, 1 beyond chance: ")
    assert figure.facts["groups"]["G"]["n_runs"] == 115


@pytest.mark.parametrize("attributes, explanation, words", [
    (["gpu"], "gpu = A100", "; the same runs as `pytorch_version = 1.10`."),
    (["gpu", "size_class"], "gpu = A100 and size_class = large",
     "; attribute values that hold for exactly the same runs as one of its values: `pytorch_version = 1.10`."),
], ids=["one value", "a combination"])
def test_an_explanations_aliases_are_said_to_stand_for_one_of_its_values(attributes, explanation, words):
    """check_explain's aliases hold for the runs of one value of the combination: a combination's
    sentence does not say they cover its own runs (11 runs where the alias holds for 67)."""
    from reports.root_cause import in_words

    row = {"explanation": explanation, "attributes": attributes, "aliases": ["pytorch_version = 1.10"],
           "outliers": 11, "outliers_matched": 11, "inliers": 300, "inliers_matched": 0, "support": 1.0,
           "risk_ratio": 588.0, "risk_ratio_low": 80.0, "risk_ratio_high": 4000.0, "chance": 1e-9}
    assert in_words(row).endswith(words)


class _NoViews:
    """Report data of a warehouse without the optional views (check_noise, check_explain)."""

    def has_view(self, name: str) -> bool:
        return False


def test_best_epoch_verdict_names_two_sites_when_their_shares_tie():
    """Equal early shares (0% and 0%): the verdict compares MSU with SUSTech, not a site with itself."""
    from reports.analysis import best_epoch_section
    from reports.figures import Drawing, Figure

    figures = [Figure(name=f"best_epoch_{site.lower()}", drawing=Drawing(print, ()), section="best_epoch", caption="",
                      facts={"site": site, "share_pct": 0.0, "n_runs": 40}) for site in ("SUSTech", "MSU")]
    verdict = best_epoch_section(_NoViews(), figures, {})[-1]
    assert verdict.text.startswith("MSU: 0% of finished runs peaked before the first decay, SUSTech: 0% (0 points apart")
    assert verdict.supported is False


def _explanation(outcome: str, explanation: str, explained_by: str | None = None) -> dict:
    return {"outcome": outcome, "explanation": explanation, "explained_by": explained_by, "support": 1.0,
            "risk_ratio": 498.0, "attributes": [explanation.split(" = ")[0]]}


@pytest.mark.parametrize("rows, outliers, supported, words", [
    # no run is low, but robust overfitting has a cause of its own
    ([_explanation("robust_overfitting", "setting.optimizer.weight_decay = 0.0001"),
      _explanation("robust_overfitting", "site = SUSTech", "setting.optimizer.weight_decay")],
     {"low_accuracy": 0, "early_best_epoch": 0, "robust_overfitting": 67}, True,
     "The runs that overfit are explained best by `setting.optimizer.weight_decay = 0.0001` (support 100%"),
    # low runs that nothing explains on its own
    ([_explanation("low_accuracy", "site = MSU", "gpu")], {"low_accuracy": 13, "early_best_epoch": 0}, False,
     "No explanation of low accuracy stands on its own."),
    # nothing went wrong
    ([], {"low_accuracy": 0, "early_best_epoch": 0, "robust_overfitting": 0}, None, "nothing to explain"),
], ids=["overfitting explained", "low unexplained", "nothing wrong"])
def test_the_root_cause_verdict_weighs_every_outcome(rows, outliers, supported, words):
    """The section explains low accuracy, early best epochs and robust overfitting: its verdict is not
    'nothing to explain' when no run is low but the overfitting runs have a cause."""
    from reports.root_cause import root_cause_verdict

    verdict = root_cause_verdict(rows, outliers)
    assert verdict.supported is supported and words in verdict.text


@pytest.mark.parametrize("attributes, values, flagged, noted", [
    (["gpu", "size_class"], ["NVIDIA A100-SXM4-40GB", "large"], set(), True),
    (["gpu", "size_class"], ["NVIDIA A100-SXM4-40GB", "large"], {"NVIDIA A100-SXM4-40GB"}, False),
    (["precision_path"], ["native_amp_unscaled"], set(), False),
], ids=["an unflagged gpu with an attribute", "a flagged gpu", "no gpu"])
def test_the_gpu_verdict_says_when_the_root_cause_names_a_gpu_the_check_does_not_flag(attributes, values, flagged, noted):
    """Low runs of large archs on one GPU: too few of the GPU's runs are low for check_gpu_accuracy,
    and the GPU section says the root cause names the GPU all the same."""
    from reports.analysis import _unflagged_gpu_cause

    explanation = " and ".join(f"{a} = {v}" for a, v in zip(attributes, values))
    ranked = [{"outcome": "low_accuracy", "explained_by": None, "attributes": attributes, "attribute_values": values,
               "explanation": explanation}]
    text = _unflagged_gpu_cause(ranked, flagged)
    assert (f"names a GPU, `{explanation}`" in text) is noted and (text == "") is not noted


@pytest.mark.parametrize("n_bands, words", [(1, "1 band of consecutive archs"), (2, "2 bands of consecutive archs")])
def test_the_bands_caption_counts_its_bands_in_words(n_bands, words):
    from reports.arch_bands import render_arch_bands

    rows = [{"arch_id": a, "trained_month": "2023-03-01", "is_low": a in (11, 12, 31, 32)} for a in range(1, 41)]
    vlines = [{"band_id": i + 1, "first_arch_id": 11 + 20 * i, "last_arch_id": 12 + 20 * i, "n_low": 2, "n_archs": 2,
               "sites": ["MSU"], "trained_from": "2023-03-01", "trained_to": "2023-03-02", "chance_bands": 0.01 + i,
               "beyond_chance": i == 0} for i in range(n_bands)]
    assert render_arch_bands(rows, vlines, ["MSU"]).caption.startswith(f"{words} far below their neighbours, 1 beyond chance")


def test_bands_are_shaded_red_beyond_chance_and_grey_within(demo_warehouse):
    """Each band's shade and zoomed panel say whether it is beyond chance (check_vertical_lines
    beyond_chance): the session's demo plants its bands beyond chance; set as the same bands with a
    threshold no band meets, they are grey."""
    from reports.arch_bands import BEYOND_CHANCE_SHADE, CHANCE_SHADE, render_arch_bands
    from reports.data import ReportData
    from warehouse.query import open_for_reading

    con = open_for_reading(demo_warehouse.db)
    try:
        data = ReportData(con)
        runs, vlines = data.rows("arch_accuracy"), [dict(b) for b in data.view("check_vertical_lines")]
    finally:
        con.close()
    assert vlines and all(b["beyond_chance"] for b in vlines)
    for beyond, shade in ((True, BEYOND_CHANCE_SHADE), (False, CHANCE_SHADE)):
        for b in vlines:
            b["beyond_chance"] = beyond
        spec = json.dumps(render_arch_bands([dict(r) for r in runs], vlines, ["MSU", "SUSTech"]).unchecked_spec())
        other = CHANCE_SHADE if beyond else BEYOND_CHANCE_SHADE
        assert shade in spec and other not in spec
        assert spec.count("beyond chance: chance forms" if beyond else "within chance: chance forms") >= len(vlines)


def test_bands_beyond_chance_are_supported_and_set_against_the_root_cause(demo_warehouse):
    """The bands section on the session's demo: its planted bands are beyond chance, so the
    hypothesis is supported, and their low runs are those of the planted precision path."""
    from reports import arch_bands
    from reports.analysis import bands_section
    from reports.data import ReportData
    from reports.document import Verdict
    from reports.figures import Context
    from warehouse.query import open_for_reading

    con = open_for_reading(demo_warehouse.db)
    try:
        data = ReportData(con)
        figures = arch_bands.figures(data, Context.from_data(data))
        blocks = bands_section(data, figures, {})
        n_bands = con.execute("select count(*) from check_vertical_lines where beyond_chance").fetchone()[0]
    finally:
        con.close()
    verdict = next(b for b in blocks if isinstance(b, Verdict))
    assert n_bands >= 1 and verdict.supported is True
    assert verdict.text.startswith(f"{n_bands} band{'s' if n_bands > 1 else ''} of low archs, {n_bands} beyond chance.")
    assert "beyond chance match the strongest explanation of low accuracy, `precision_path = native_amp_unscaled`" in verdict.text


def test_the_root_cause_lists_the_months_that_changed_beyond_chance(demo_warehouse):
    """Under the root cause, "When" lists check_timeline's change points beyond chance with their
    chance, and counts the others: the session's demo has one of each kind."""
    from reports.data import ReportData
    from reports.document import Bullets, Para
    from reports.root_cause import root_cause_section
    from warehouse.query import open_for_reading

    con = open_for_reading(demo_warehouse.db)
    try:
        changes = con.execute("select site, strftime(changed_at, '%Y-%m'), chance, beyond_chance from check_timeline "
                              "order by site, changed_at").fetchall()
        blocks = root_cause_section(ReportData(con), {})
    finally:
        con.close()
    beyond = [c for c in changes if c[3]]
    assert beyond and len(beyond) < len(changes)
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Para) and b.text.startswith("**When.**"))
    n_left = len(changes) - len(beyond)
    assert f"({n_left} more change{'s' if n_left > 1 else ''} of the share, within chance, left out)" in blocks[at].text
    items = blocks[at + 1]
    assert isinstance(items, Bullets) and len(items.items) == len(beyond)
    for (site, month, chance, _), item in zip(beyond, items.items):
        assert item.startswith(f"{site} {month}: ") and f"; chance {chance:.2g})" in item


@pytest.mark.parametrize("low_on_gpu, supported", [(True, True), (False, False)],
                         ids=["every low run on the GPU", "one low run of three"])
def test_the_gpu_verdict_needs_a_flagged_gpu_beyond_chance(tmp_path, low_on_gpu, supported):
    """60 archs of one site. Either the A6000 (every fifth arch) ran them and all 12 low runs (a
    cause on its own), or it ran 3 archs of which one is low, while 5 low runs lie elsewhere: 33%
    of its runs are low, over gpu_accuracy.max_low_share, but as many fall on 3 runs by chance.
    Flagged both times; the GPU section calls the hypothesis supported only for the first."""
    from views_corpus import build, run

    from reports import gpus
    from reports.analysis import gpus_section
    from reports.data import ReportData
    from reports.document import Verdict
    from reports.figures import Context

    fine, low = [30.0, 40.0, 45.0, 46.0], [20.0, 25.0, 28.0, 30.0]
    if low_on_gpu:
        on_gpu = lows = set(range(5, 61, 5))
    else:
        on_gpu, lows = {10, 30, 50}, {10, 17, 24, 37, 44, 57}
    corpus = [run(i, i, "SUSTech", low if i in lows else fine,
                  gpu="NVIDIA RTX A6000" if i in on_gpu else "NVIDIA GeForce RTX 3090") for i in range(1, 61)]
    con = build(tmp_path / "w.duckdb", corpus)
    try:
        flagged, beyond = con.execute("select flagged, beyond_chance from check_gpu_accuracy "
                                      "where gpu = 'NVIDIA RTX A6000'").fetchone()
        data = ReportData(con)
        blocks = gpus_section(data, gpus.figures(data, Context.from_data(data)), {})
    finally:
        con.close()
    assert flagged and beyond == supported
    verdict = next(b for b in blocks if isinstance(b, Verdict))
    assert verdict.supported is supported
    assert ("within chance: as many low runs fall on a GPU by chance" in verdict.text) is not supported


@pytest.mark.parametrize("low, runs, all_low, all_runs, exact", [
    (3, 4, 3, 31, 4 / 4495),                                    # C(4, 3) C(27, 0) / C(31, 3)
    (1, 3, 11, 200, 1 - 189 * 188 * 187 / (200 * 199 * 198)),  # at least one of 11 low among 3 of 200
    (0, 10, 5, 100, 1.0),
    (5, 5, 5, 5, 1.0),
])
def test_more_low_by_chance_is_the_hypergeometric_tail(low, runs, all_low, all_runs, exact):
    from reports.analysis import more_low_by_chance

    assert more_low_by_chance(low, runs, all_low, all_runs) == pytest.approx(exact, rel=1e-9)


def test_more_low_by_chance_stays_finite_at_full_scale():
    """15,000 runs: the terms are formed in logarithms, so the tail of a large gap is a tiny number (or
    0.0 below the smallest float), never an overflow or NaN."""
    from reports.analysis import more_low_by_chance

    assert 0.0 < more_low_by_chance(120, 1000, 1000, 15000) < 1e-6
    assert more_low_by_chance(700, 1000, 1000, 15000) == 0.0


@pytest.mark.slow
def test_a_first_report_on_a_machine_takes_what_was_made_meanwhile(tmp_path, monkeypatch):
    """The README's first command on an empty cache folder: the empty warehouse, the renderings and
    the Vega bundle are made by the process started for them while the demo corpus is written;
    the report's own process waits for each and makes none of them itself."""
    import importlib

    from reports import render
    from warehouse import cache, template, trust

    connect = importlib.import_module("warehouse.connect")  # the package's `connect` is the function

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_MEANWHILE", [])
    monkeypatch.chdir(tmp_path)
    for made_once in (connect.tool_table_statements, trust.tool_view_definitions, render.vega_bundle):
        made_once.cache_clear()

    def refused(*_args, **_kwargs):
        raise AssertionError("made by the report's own process")

    monkeypatch.setattr(template, "_build", refused)
    monkeypatch.setattr(connect, "render_in_scratch_file", refused)
    monkeypatch.setattr(trust, "render_in_scratch_file", refused)
    monkeypatch.setattr(render.vl_convert, "javascript_bundle", refused)
    try:
        result = runner.invoke(app, ["report"])
        assert result.exit_code == 0, result.output
        kept = sorted(p.name for p in (tmp_path / "cache" / "nares").iterdir())
        assert [n for n in kept if n.endswith(".duckdb")] == [f"{template.template_key()}.duckdb"]
        assert not [n for n in kept if ".part" in n]
        assert len([n for n in kept if n.startswith(("tables-", "views-", "vega-bundle-"))]) == 3
        assert render.vega_bundle() in (tmp_path / "report" / "index.html").read_text()
    finally:
        for made_once in (connect.tool_table_statements, trust.tool_view_definitions, render.vega_bundle):
            made_once.cache_clear()  # made from this test's cache folder: the next test makes its own
