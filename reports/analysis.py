"""The analysis as blocks: each hypothesis of the original analysis, its evidence, its conclusion.

Every section quotes the live headline of its check (warehouse/checks.py), embeds the figures
drawn from the check views, and ends with a verdict computed by a rule that the text states, e.g.
"supported when one site's share of early best epochs exceeds another's by 20 points or more".
Nothing here is written for one corpus: on data without a finding the verdict says so.
"""
from __future__ import annotations

import math

from reports.data import ReportData
from reports.document import Block, Bullets, FigureBlock, Heading, Para, Table, Verdict
from reports.figures import Context, Figure
from reports.root_cause import explanation_of, explanations, low_runs_explained, ratio, root_cause_section
from reports.style import UNKNOWN_SITE, pct
from warehouse.registry import checks as registered_checks

EARLY_GAP_POINTS = 20.0
TRAINING_SETTINGS = ("optimizer.", "scheduler.", "criterion.", "observed.", "epochs", "epsilon", "step_size",
                     "num_steps", "attack_step", "dataset.train_batch_size", "dataset.eval_batch_size",
                     "grad_clip", "apex_amp", "native_amp", "seed", "warmup_steps", "adjust_weight_decay")


def _of(figures: list[Figure], section: str) -> list[Figure]:
    return [f for f in figures if f.section == section]


def _headline(checks: dict, name: str) -> str:
    result = checks.get(name)
    return f"`check_{name}`: {result.headline}" if result else f"`check_{name}` is not installed in this warehouse"


def _is_training_setting(parameter: str) -> bool:
    return any(parameter == s or (s.endswith(".") and parameter.startswith(s)) for s in TRAINING_SETTINGS)


def opening(data: ReportData, context: Context, db_label: str, checks: dict) -> list[Block]:
    totals = data.rows("warehouse_totals")[0]
    sites = data.rows("report_sites")
    site_text = ", ".join(f"{s['site']} {s['n_runs']} runs ({s['n_finished']} finished)" for s in sites) or "none"
    # the warehouse's time, not the clock's: the same data gives the same text, so a report of
    # unchanged data rewrites no file (reports/outputs.py)
    as_of = f"{totals['last_ingest_at']} UTC" if totals.get("last_ingest_at") else "n/a"
    blocks: list[Block] = [
        Heading(1, (f"{context.banner}: " if context.banner else "")
                + "RobustNASBench training logs: the analysis, regenerated from the warehouse"),
        Para(f"From `{db_label}` as of its last ingest ({as_of}): {totals['n_runs']} training runs "
             f"({totals['n_finished']} finished) of {totals['n_archs']} architectures, "
             f"{totals['n_evals']} evaluations ({totals['n_base_evals']} "
             f"finished Linf Base), {totals['n_files']} files seen; runs started from {totals['trained_from'] or 'n/a'} "
             f"to {totals['trained_to'] or 'n/a'}. Sites: {site_text}."),
        *([Para("**Demo data.** The sites file of "
                + ", ".join(f"`{r['root']}`" for r in data.rows("demo_roots"))
                + " says its logs are synthetic (`[demo] synthetic = true`, written by `nares demo`): "
                  "every finding below was planted by the demo, none is a result of the benchmark.")]
          if context.banner else []),
        Para("Each section states a hypothesis of the original analysis, the evidence the warehouse's check views "
             "give (the live headline of `nares check`, and figures drawn from the same views), and the "
             "conclusion with the rule that decides it. Re-run `nares report` after an ingest and every "
             "number and verdict follows the data."),
    ]
    return blocks


def glance(checks: dict) -> list[Block]:
    return [
        Heading(2, "Checks at a glance"),
        Table(["check", "findings", "headline"],
              [[f"`check_{r.name}`", r.findings, r.headline] for r in checks.values()], numeric={1}),
    ]


def _noise(data: ReportData, metric: str) -> dict | None:
    """check_noise's row for a metric (the first pair of sites), None when not installed or empty."""
    rows = data.view("check_noise") if data.has_view("check_noise") else []
    return next((r for r in rows if r["metric"] == metric), None)


def _noise_words(row: dict | None) -> str:
    if row is None:
        return "check_noise has no comparison"
    floor = f"{row['noise_floor']:.1f}" if row["noise_floor"] is not None else "n/a"
    return (f"check_noise: {row['site_b']} - {row['site_a']} {row['difference']:+.1f} points, 95% interval "
            f"{row['ci95_low']:+.1f} to {row['ci95_high']:+.1f}, noise floor {floor}, minimum detectable effect "
            f"{row['min_detectable_effect']:.1f}: {row['verdict']}")


def _root_cause_note(data: ReportData, outcome: str, site_attribute: str = "site") -> str:
    """What the root-cause section says of an outcome the section blames on a site."""
    alone = [r for r in explanations(data) if r["outcome"] == outcome and r["explained_by"] is None]
    if not alone:
        return f"Root cause: no attribute explains {outcome.replace('_', ' ')} above the thresholds."
    top = alone[0]
    by_site = site_attribute in top["attributes"]
    return (f"Root cause: {outcome.replace('_', ' ')} is explained best by `{top['explanation']}` (risk ratio "
            f"{ratio(top['risk_ratio'])})" + ("" if by_site else ", an attribute other than the site") + ".")


def best_epoch_section(data: ReportData, figures: list[Figure], checks: dict) -> list[Block]:
    figs = _of(figures, "best_epoch")
    blocks: list[Block] = [
        Heading(2, "1. Best epochs: runs that peaked before the first learning-rate decay"),
        Para("**Hypothesis.** At one site the runs reached their best CW-40 validation accuracy long before the "
             "first learning-rate decay (epoch 75 of 100) and lost robustness afterwards, while with the benchmark's "
             "schedule the best checkpoint comes right after a decay."),
        Para(f"**Evidence.** {_headline(checks, 'best_epoch')}. {_headline(checks, 'robust_overfitting')}."),
        *[FigureBlock(f) for f in figs],
    ]
    shares = {f.facts["site"]: f.facts["share_pct"] for f in figs if f.facts["n_runs"]}
    if len(shares) < 2:
        blocks.append(Verdict(None, "Fewer than two sites have finished runs: nothing to compare."))
        return blocks
    # two different sites even when the shares tie (max and min would both pick the first)
    ordered = sorted(shares, key=lambda site: (-shares[site], site))
    worst, best = ordered[0], ordered[-1]
    gap = shares[worst] - shares[best]
    noise = _noise(data, "early_share")
    beyond_noise = noise is None or noise["verdict"] == "different"
    rule = (f"rule: supported when one site's share of early best epochs exceeds another's by {EARLY_GAP_POINTS:.0f} "
            "points or more, and check_noise calls the difference beyond the noise")
    text = (f"{worst}: {shares[worst]:.0f}% of finished runs peaked before the first decay, {best}: "
            f"{shares[best]:.0f}% ({gap:.0f} points apart; {_noise_words(noise)}). "
            f"{_root_cause_note(data, 'early_best_epoch')} ({rule}).")
    blocks.append(Verdict(gap >= EARLY_GAP_POINTS and beyond_noise, text))
    return blocks


def duplicates_section(data: ReportData, figures: list[Figure], checks: dict) -> list[Block]:
    figs = _of(figures, "duplicates")
    blocks: list[Block] = [
        Heading(2, "2. The same architecture trained at two sites"),
        Para("**Hypothesis.** An architecture trained at both sites gets a worse model at one of them: its test "
             "accuracies (clean, FGSM, PGD-20, CW-40; Linf Base evaluation of the best checkpoint) are "
             "systematically lower, so the benchmark's numbers depend on where an arch was trained."),
        Para(f"**Evidence.** {_headline(checks, 'duplicate_archs')}. {_headline(checks, 'duplicate_paired')}."),
        *[FigureBlock(f) for f in figs],
    ]
    tests = [f.facts["test"] for f in figs if f.facts.get("test")]
    if not tests:
        blocks.append(Verdict(None, "No arch has finished, evaluated runs at two sites."))
        return blocks
    significant = [t for t in tests if t["significant"]]
    lower = {t["site_a"] if t["mean_delta"] > 0 else t["site_b"] for t in significant}
    noise = _noise(data, "test_cw40")
    supported = len(significant) >= 3 and len(lower) == 1 and (noise is None or noise["verdict"] != "equivalent")
    # with few archs not even the most lopsided split is significant: then the test cannot tell
    alpha = 1.0 - data.params().get("duplicate_paired.confidence", 0.95)
    testable = [t for t in tests if sign_test_can_reject(t["n_a_higher"] + t["n_b_higher"], alpha)]
    site_a, site_b = tests[0]["site_a"], tests[0]["site_b"]
    deltas = ", ".join(f"{f.facts['label']} {f.facts['test']['mean_delta']:+.1f}" for f in figs if f.facts.get("test"))
    text = (f"{len(significant)} of {len(tests)} metrics differ significantly (sign test) over "
            f"{tests[0]['n_archs']} archs; mean {site_b} - {site_a}: {deltas} points"
            + (f"; {next(iter(lower))}'s models are the worse ones" if supported else "")
            + ("" if len(testable) >= 3 else
               f"; the sign test cannot find a difference in {len(tests) - len(testable)} of them, whatever their "
               + (f"values: it needs {n} archs or more that are not ties" if (n := min_sign_test_archs(alpha)) else
                  "values: at confidence 1 none can"))
            + f". Over all finished runs, test CW-40 {_noise_words(noise)}"
            + " (rule: supported when at least 3 of the 4 metrics differ significantly, all in the same direction, "
            "and check_noise does not call the sites' test CW-40 equivalent; not testable when fewer than 3 can).")
    blocks.append(Verdict(supported if len(testable) >= 3 else None, text))
    return blocks


def sign_test_can_reject(n: int, alpha: float) -> bool:
    """Whether an exact two-sided sign test of `n` untied pairs can give p < alpha at all: its
    smallest p-value, all pairs one way, is 2 x 0.5^n."""
    return n > 0 and 2.0 * 0.5 ** n < alpha


def min_sign_test_archs(alpha: float) -> int | None:
    """The fewest untied pairs with which the sign test can give p < alpha (None: no number can)."""
    return math.floor(math.log2(2.0 / alpha)) + 1 if alpha > 0 else None


def curves_section(data: ReportData, figures: list[Figure]) -> list[Block]:
    figs = _of(figures, "curves")
    blocks: list[Block] = [
        Heading(2, "3. Training curves of the archs that differ most"),
        Para("**Hypothesis.** The test-set differences come from training: for the same arch, one site's run "
             "peaks early and loses robust accuracy before the decay, while the other profits from the decays."),
        Para("**Evidence.** The archs trained at two sites with the largest test difference (`curve_archs`): their "
             "CW-40 validation curves side by side, and the first of them in detail (clean, PGD-20, CW-40); "
             "`--arch ID` draws others. The verdict counts every arch trained at two sites (`duplicate_early_peaks`), "
             "not only those drawn."),
        *[FigureBlock(f) for f in figs],
    ]
    peaks = data.rows("duplicate_early_peaks")
    total = max((r["n_archs_total"] for r in peaks), default=0)
    if not total:
        blocks.append(Verdict(None, "No arch has training runs from two sites."))
        return blocks
    early = {r["site"]: r["n_early"] for r in peaks if r["n_early"]}
    counts = "; ".join(f"{r['site']}: {r['n_early']} of {r['n_archs']}" for r in peaks)
    top = max(early.values(), default=0)
    blocks.append(Verdict(
        bool(early) and top * 2 >= total and len(early) == 1,
        f"Archs whose run peaked at its best CW-40 epoch before its first logged lr decay, among all {total} archs "
        f"trained at two sites: {counts} (rule: supported when at least half of the archs show it, at one site only).",
    ))
    return blocks


def bands_section(data: ReportData, figures: list[Figure], checks: dict) -> list[Block]:
    figs = _of(figures, "bands")
    blocks: list[Block] = [
        Heading(2, "4. Bands of low archs: the vertical lines"),
        Para("**Hypothesis.** Stretches of consecutive arch ids are far less accurate than their neighbours (vertical "
             "lines in accuracy against arch id). Neighbouring ids have similar size, so this is a training problem "
             "of a batch of runs (a machine, a period), not of the archs; the training month shows which batch."),
        Para(f"**Evidence.** {_headline(checks, 'vertical_lines')}."),
        *[FigureBlock(f) for f in figs],
    ]
    if not figs:
        blocks.append(Verdict(None, "No finished run with a CW-40 accuracy."))
        return blocks
    runs, bands = figs[0].rows["runs"], figs[0].facts["bands"]
    items = []
    for b in bands:
        low = [r for r in runs if r["band_id"] == b["band_id"] and r["is_low"]]
        gpus = sorted({r["gpu"] for r in low})
        months = sorted({r["month"] for r in low})
        site_runs = [r for r in runs if r["site"] in b["sites"].split("/") and r["band_id"] != b["band_id"]]
        same_month = sum(r["month"] in months for r in site_runs)
        note = (f"; the site's other runs in {', '.join(months)}: {same_month} of {len(site_runs)}"
                if site_runs else "")
        items.append(f"band {b['band_id']}: archs {b['arch_ids']}, {b['n_low']} low archs of {b['n_archs']}, "
                     f"{b['sites']}, {b['mean_points_below']:.1f} points below their neighbours, trained "
                     f"{b['trained']} on {', '.join(gpus)}{note}; {b['chance_words']}")
    low_runs = low_runs_explained(data) if bands else []
    cause = next((r["explanation"] for r in low_runs if r["explanation"]), None)
    for i, b in enumerate(bands):
        in_band = [r for r in low_runs if r["band_id"] == b["band_id"]]
        if cause and in_band:
            items[i] += f"; {sum(r['matched'] for r in in_band)} of its {len(in_band)} low runs match `{cause}`"
    if items:
        blocks.append(Bullets(items))
    beyond = {b["band_id"] for b in bands if b["beyond_chance"]}
    banded = [r for r in low_runs if r["band_id"] in beyond]
    matched = sum(r["matched"] for r in banded)
    note = (f" Root cause: {matched} of the {len(banded)} low runs in bands beyond chance match the strongest "
            f"explanation of low accuracy, `{cause}`: the bands are the runs it explains, not archs that are hard to train."
            if cause and banded and 2 * matched >= len(banded) else "")
    blocks.append(Verdict(bool(beyond), f"{len(bands)} band{'s' if len(bands) != 1 else ''} of low archs, {len(beyond)} "
                          f"beyond chance.{note} (rule: supported when check_vertical_lines finds a band beyond chance: "
                          "the same share of low archs lying at random forms at most vertical_lines.max_chance bands "
                          "as large)."))
    return blocks


def gpu_root_cause(gpu: str, alone: dict | None, cause: dict | None, low: list[dict]) -> tuple[str, str | None]:
    """What the root-cause section says of a flagged GPU: the words of its bullet, and a clause
    saying why its low runs are a confounder's (None when they are not). `alone` is the row of check_explain for
    `gpu = <gpu>` by itself, `cause` the strongest explanation of low accuracy (a runs_explained
    row), `low` the GPU's low runs there."""
    if alone is not None and alone["explained_by"]:
        return (f"root cause: `gpu = {gpu}` (risk ratio {ratio(alone['risk_ratio'])}) is explained by "
                f"`{alone['explained_by']}`: within its levels the risk ratio is "
                f"{ratio(alone['explained_by_risk_ratio'])}"), f"`gpu = {gpu}` is explained by `{alone['explained_by']}`"
    if cause and "gpu" not in cause["explanation_attributes"] and low and all(r["matched"] for r in low):
        return (f"root cause: all {len(low)} of its low runs match `{cause['explanation']}`",
                f"{gpu}'s low runs are all matched by `{cause['explanation']}`")
    if alone is not None and cause and len(cause["explanation_attributes"]) > 1 \
            and f"gpu = {gpu}" in cause["explanation"].split(" and "):
        return (f"root cause: the strongest explanation of low accuracy, `{cause['explanation']}`, names the GPU "
                f"with other attributes; `gpu = {gpu}` alone (risk ratio {ratio(alone['risk_ratio'])}) also matches "
                f"{alone['inliers_matched']} runs that are not low"), None
    if alone is not None:
        return f"root cause: `gpu = {gpu}` explains low accuracy on its own (risk ratio {ratio(alone['risk_ratio'])})", None
    return f"`check_explain` does not rank `gpu = {gpu}` among the explanations of low accuracy", None


def gpus_section(data: ReportData, figures: list[Figure], checks: dict) -> list[Block]:
    figs = _of(figures, "gpus")
    bands = _of(figures, "bands")
    blocks: list[Block] = [
        Heading(2, "5. Accuracy by GPU"),
        Para("**Hypothesis.** One GPU model (a machine) of a site produced worse models: its runs are far more "
             "often below archs of similar size than the site's other runs."),
        Para(f"**Evidence.** {_headline(checks, 'gpu_accuracy')}."),
        *[FigureBlock(f) for f in figs],
    ]
    flagged = [(f.facts["site"], g) for f in figs for g in f.facts["flagged"]]
    chance = {(f.facts["site"], g): words for f in figs for g, words in f.facts["chance"].items()}
    beyond = {(f.facts["site"], g) for f in figs for g in f.facts["beyond_chance"]}
    ranked = explanations(data)
    low_runs = low_runs_explained(data) if flagged else []
    absorbed: dict[str, str] = {}
    items = []
    for site, gpu in flagged:
        item = f"{site} {gpu}"
        if bands:
            in_bands = [r for r in bands[0].rows["runs"] if r["site"] == site and r["gpu"] == gpu and r["is_low"]]
            inside = sum(r["band_id"] is not None for r in in_bands)
            item += f": {len(in_bands)} low runs, {inside} of them inside a band of section 4"
        low = [r for r in low_runs if r["site"] == site and r["gpu"] == gpu]
        cause = next((r for r in low_runs if r["explanation"]), None)
        text, confounded = gpu_root_cause(gpu, explanation_of(ranked, "low_accuracy", "gpu", gpu), cause, low)
        if confounded:
            absorbed[gpu] = confounded
        items.append(f"{item}; {chance[(site, gpu)]}; {text}")
    if items:
        blocks.append(Bullets(items))
    standing = [(s, g) for s, g in flagged if g not in absorbed and (s, g) in beyond]
    text = (", ".join(f"{s} {g}" for s, g in flagged) + " flagged") if flagged else "No site and GPU flagged"
    within = [f"{s} {g}" for s, g in flagged if (s, g) not in beyond]
    if within:
        text += f"; {', '.join(within)} within chance: as many low runs fall on a GPU by chance"
    if absorbed:
        text += ("; " + ", ".join(absorbed.values())
                 + " (see Root cause): the GPU is a confounder, not the cause")
    text += _unflagged_gpu_cause(ranked, {g for _, g in flagged})
    blocks.append(Verdict(bool(standing) if figs else None,
                          f"{text} (rule: supported when check_gpu_accuracy flags a site and GPU beyond chance whose "
                          "low runs no other attribute explains: check_explain does not put the GPU under another "
                          "attribute, and the strongest explanation of low accuracy, if it does not name the GPU, "
                          "misses some of them)."))
    return blocks


def _unflagged_gpu_cause(ranked: list[dict], flagged: set[str]) -> str:
    """What the verdict adds when the strongest explanation of low accuracy names a GPU the check
    does not flag (a GPU with another attribute: large archs on one GPU, say)."""
    top = next((r for r in ranked if r["outcome"] == "low_accuracy" and r["explained_by"] is None), None)
    if top is None or "gpu" not in top["attributes"]:
        return ""
    gpu = top["attribute_values"][top["attributes"].index("gpu")]
    if gpu in flagged:
        return ""
    return (f"; the strongest explanation of low accuracy names a GPU, `{top['explanation']}` (see Root cause), "
            "which check_gpu_accuracy does not flag: too few of the GPU's runs are low for its threshold")


def missing_section(data: ReportData, figures: list[Figure], checks: dict) -> list[Block]:
    figs = _of(figures, "missing_eval")
    blocks: list[Block] = [
        Heading(2, "6. Missing test evaluations"),
        Para("**Hypothesis.** Not every trained arch was evaluated on the test set: for those the release has no "
             "`test_best`, and the published loader, which requires one, cannot load them."),
        Para(f"**Evidence.** {_headline(checks, 'missing_base_eval')}. The lists `<site>_incomplete_base.txt` hold "
             "their arch ids, one per line, to re-run the evaluations; archs of files no site claims are in "
             "`unknown_incomplete_base.txt`."),
        *[FigureBlock(f) for f in figs],
    ]
    # counted from the lists, not the figures: a site without a strip (unknown) has its list too
    missing: dict[str, int] = {f.facts["site"]: 0 for f in figs}  # the sites of the strips first, in their order
    for r in data.rows("incomplete_base_archs"):
        missing[r["site"]] = missing.get(r["site"], 0) + 1
    if not any(r["n_finished"] for r in data.rows("report_sites")):
        blocks.append(Verdict(None, "No training run finished: no arch is due an evaluation."))
        return blocks
    total = sum(missing.values())
    per_site = ", ".join(f"{s} {n}" for s, n in missing.items() if n) + "; " if total else ""
    blocks.append(Verdict(total > 0, f"{total} archs without a finished Linf Base evaluation "
                          f"({per_site}rule: supported when any finished run's arch lacks one)."))
    return blocks


def config_section(data: ReportData, context: Context, checks: dict) -> list[Block]:
    rows = data.view("check_config_drift") if data.has_view("check_config_drift") else []
    sites = context.sites
    by_param: dict[str, dict] = {}
    for r in rows:
        # a setting differs when any of its rows says so: the rows of site unknown never do
        entry = by_param.setdefault(r["parameter"], {"source": r["source"], "differs": False, "values": {}})
        entry["differs"] = entry["differs"] or bool(r["differs"])
        share = f" ({100 * r['share']:.0f}%)" if r.get("share") is not None and r["share"] < 0.995 else ""
        entry["values"].setdefault(r["site"], []).append(f"{r['value']}{share}")

    def table_rows(differs: bool) -> list[list]:
        return [[f"`{p}`", e["source"], *["; ".join(e["values"].get(s, ["-"])) for s in sites]]
                for p, e in sorted(by_param.items()) if e["differs"] == differs]

    differing = [p for p, e in by_param.items() if e["differs"]]
    training = sorted(p for p in differing if _is_training_setting(p))
    blocks: list[Block] = [
        Heading(2, "7. Configuration drift between sites"),
        Para("**Hypothesis.** The sites did not run the same training: some setting the logs record (epochs, "
             "learning rate and the epochs it really decayed at, batch size, weight decay, attack radius, steps "
             "and step size, AMP, ...) differs between them."),
        Para(f"**Evidence.** {_headline(checks, 'config_drift')}. {len(differing)} of {len(by_param)} settings "
             "differ (share of the site's runs when not all):"),
        Table(["setting", "source", *sites], table_rows(True)),
        Table(["setting", "source", *sites], table_rows(False),
              summary=f"The {len(by_param) - len(differing)} settings that are the same at every site"),
    ]
    env = sorted(p for p in differing if p not in training)
    text = (f"Training settings that differ: {', '.join(training)}" if training
            else "No training setting differs") + (f"; environment and software: {', '.join(env)}" if env else "")
    if len({r["site"] for r in rows} - {UNKNOWN_SITE}) < 2:  # a setting can only differ between two known sites
        blocks.append(Verdict(None, "Fewer than two sites have runs: nothing to compare."))
        return blocks
    blocks.append(Verdict(bool(training),
                          text + " (rule: supported when a setting that changes the training recipe differs; "
                          "paths, workers, GPUs, data parallelism and library versions count as environment)."))
    return blocks


LOW_GAP_POINTS = 20.0
"""How many points more often the runs of a precision path or training code version must be low than
the others for the section "Which code ran" to call it a cause."""
MAX_CHANCE = 0.05
"""The most chance (`more_low_by_chance`) a precision path's or training code version's low runs may
have for the section "Which code ran" to call it a cause: the same as the checks' `max_chance`."""


def more_low_by_chance(low: int, runs: int, all_low: int, all_runs: int) -> float:
    """How likely `runs` runs drawn at random from `all_runs`, of which `all_low` are low, hold at
    least `low` low ones: the one-sided p-value of Fisher's exact test (the hypergeometric tail), as
    check_gpu_accuracy computes it in SQL. Log-gamma keeps the terms of large counts finite."""
    def log_choose(n: int, k: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)

    first, last = max(low, runs - (all_runs - all_low)), min(runs, all_low)
    whole = log_choose(all_runs, runs)
    return min(1.0, sum(math.exp(log_choose(all_low, x) + log_choose(all_runs - all_low, runs - x) - whole)
                        for x in range(first, last + 1)))


def code_section(data: ReportData, figures: list[Figure], checks: dict) -> list[Block]:
    """Which code ran: precision paths, code versions and evaluations from faulty code."""
    figs = _of(figures, "code")
    paths = data.view("check_precision_path") if data.has_view("check_precision_path") else []
    versions = data.view("check_code_versions") if data.has_view("check_code_versions") else []
    faults = data.rows("eval_code_faults") if data.has_view("check_eval_code") else []
    totals: dict[tuple, list[int]] = {}
    for r in paths:
        entry = totals.setdefault((r["site"], r["precision_path"]), [0, 0, 0])
        entry[0] += r["n_runs"]
        entry[1] += r["n_finished"]
        entry[2] += r["n_low"]
    blocks: list[Block] = [
        Heading(2, "8. Which code ran"),
        Para("**Hypothesis.** The sites did not run the same code: the training code's precision path (SPEC "
             "section 8: without apex on the machine it takes the native-AMP path, which clips the scaled "
             "gradients and never unscales them), the version of the training code, or an evaluation code with a "
             "known fault explains low runs or wrong published numbers. No setting records the precision path: "
             "only the gradient norms on the step lines show it (about 65,536 x the true norm)."),
        Para(f"**Evidence.** {_headline(checks, 'precision_path')}. {_headline(checks, 'code_versions')}. "
             f"{_headline(checks, 'eval_code')}."),
        *[FigureBlock(f) for f in figs],
        Table(["site", "precision path", "runs", "finished", "low", "low share"],
              [[site, path, n, f, low, pct(100.0 * low / f if f else None)]
               for (site, path), (n, f, low) in sorted(totals.items())], numeric={2, 3, 4, 5},
              summary="Runs per site and precision path"),
        Table(["site", "code version", "kind", "logs", "first log", "last log", "low share", "commits"],
              [[v["site"], f"`{v['fingerprint']}`", v["kind"], v["n_logs"], v["first_log_at"] or "-",
                v["last_log_at"] or "-", pct(100.0 * v["low_share"] if v["low_share"] is not None else None),
                (f"{v['n_commits']}: `{(v['first_commit'] or '')[:8]}`..`{(v['last_commit'] or '')[:8]}`"
                 if v["n_commits"] else "no code repository" if v["n_commits"] is None else "none match")]
               for v in versions], numeric={3, 6}, summary="Code versions per site"),
        Table(["fault", "wrong value", "site", "evaluations", "replaced since", "archs to evaluate again", "fixed on"],
              [[r["fault"], r["wrong_value"], r["site"], r["n_evals"], r["n_replaced"], r["n_archs"], r["fixed_on"]]
               for r in faults],
              numeric={3, 4, 5}, summary="Evaluations from evaluation code with a known fault; those another "
              "evaluation of their run replaced (a re-run, or the test-loss re-evaluation for the CW Stable) no longer "
              "give the run's numbers "
              "(`nares export arch-list --check eval_code` lists the archs to evaluate again)"),
    ]
    blocks.append(code_verdict(totals, versions, checks))
    return blocks


def code_verdict(totals: dict[tuple, list[int]], versions: list[dict], checks: dict) -> Verdict:
    """Supported when any of the hypothesis' three parts holds (precision path, training code
    version, evaluation code); not supported when none holds and one could be tested."""
    parts = [_precision_part(totals), _code_version_part(versions), _faulty_numbers_part(checks)]
    supported = True if any(p[0] for p in parts) else False if any(p[0] is False for p in parts) else None
    return Verdict(supported, " ".join(text for _, text in parts) + CODE_RULE)


CODE_RULE = (f" Rule: supported when native-path runs are low at least {LOW_GAP_POINTS:.0f} points more often "
             f"than the others, when the runs of one training code version are low at least {LOW_GAP_POINTS:.0f} "
             "points more often than those of the other versions (each comparison needs 3 finished runs on either "
             f"side, and a chance of at most {MAX_CHANCE:g}: Fisher's exact test, for code versions times the versions "
             "compared), or when an evaluation from code with a known fault was replaced by no other evaluation of "
             "its run.")


def _precision_part(totals: dict[tuple, list[int]]) -> tuple[bool | None, str]:
    """Native-AMP runs against the others: (supported, sentence)."""
    native = [sum(v[i] for (_, path), v in totals.items() if path == "native_amp_unscaled") for i in range(3)]
    other = [sum(v[i] for (_, path), v in totals.items() if path != "native_amp_unscaled") for i in range(3)]
    if native[1] < 3 or other[1] < 3:
        return None, f"Precision path: too few finished runs to compare ({native[1]} on the native-AMP path)."
    share_native, share_other = 100.0 * native[2] / native[1], 100.0 * other[2] / other[1]
    chance = more_low_by_chance(native[2], native[1], native[2] + other[2], native[1] + other[1])
    return (share_native - share_other >= LOW_GAP_POINTS and chance <= MAX_CHANCE,
            f"Precision path: {native[2]} of {native[1]} finished native-AMP runs are low ({share_native:.0f}%), "
            f"{other[2]} of {other[1]} of the others ({share_other:.0f}%; chance {chance:.2g}).")


def _code_version_part(versions: list[dict]) -> tuple[bool | None, str]:
    """The training code version whose runs are low most often against the other versions'."""
    finished: dict[str, list[int]] = {}
    for v in versions:
        if v["kind"] == "training" and v["n_finished"]:
            entry = finished.setdefault(v["fingerprint"], [0, 0])
            entry[0] += v["n_finished"]
            entry[1] += v["n_low"] or 0
    total = [sum(f for f, _ in finished.values()), sum(low for _, low in finished.values())]
    gaps = [(100.0 * low / f - 100.0 * (total[1] - low) / (total[0] - f), fingerprint, f, low)
            for fingerprint, (f, low) in finished.items() if f >= 3 and total[0] - f >= 3]
    if not gaps:
        return None, f"Training code versions: too few to compare ({len(finished)} with finished runs)."
    if not total[1]:
        return False, f"Training code versions: no finished run of the {len(finished)} versions is low."
    gap, fingerprint, f, low = max(gaps, key=lambda g: (g[0], g[1]))
    rest_f, rest_low = total[0] - f, total[1] - low
    shares = f"{low} of {f} ({100.0 * low / f:.0f}%), against {rest_low} of {rest_f}"
    if gap <= 0:  # the largest difference is none: every version's runs are low as often as the rest's, or less
        return False, (f"Training code versions: the runs of none of the {len(gaps)} versions compared are low more "
                       f"often than those of the other versions (the closest, `{fingerprint}`: {shares} "
                       f"({100.0 * rest_low / rest_f:.0f}%)).")
    chance = min(1.0, more_low_by_chance(low, f, total[1], total[0]) * len(gaps))
    return (gap >= LOW_GAP_POINTS and chance <= MAX_CHANCE,
            f"Training code versions: the runs of `{fingerprint}` are low most often, {shares} of the other versions "
            f"({100.0 * rest_low / rest_f:.0f}%; chance {chance:.2g}"
            + (f" among the {len(gaps)} compared)." if len(gaps) > 1 else ")."))


def _faulty_numbers_part(checks: dict) -> tuple[bool | None, str]:
    """Evaluations from faulty evaluation code whose numbers are still their runs' (check_eval_code findings)."""
    result = checks.get("eval_code")
    if result is None or result.findings is None:
        return None, "Evaluation code: check_eval_code is not installed in this warehouse."
    if result.findings:
        words = ("evaluations", "were", "their") if result.findings > 1 else ("evaluation", "was", "its")
        return True, (f"Evaluation code: {result.findings} {words[0]} from code with a known fault {words[1]} replaced by "
                      f"no other evaluation of {words[2]} run: {words[2]} numbers still stand (as the run's, or as the "
                      "arch's for an evaluation linked to no run).")
    return False, ("Evaluation code: no evaluation from code with a known fault gives numbers any more (there is none, "
                   "or another evaluation of its run replaced each).")


def other_section(checks: dict) -> list[Block]:
    return [
        Heading(2, "9. Other findings of the checks"),
        Bullets([_headline(checks, c.name) for c in registered_checks() if c.section == "other"]),
    ]


def _grouped(files: list[str]) -> list[str]:
    """`a.png`, `a.svg`, `b.txt` -> `a` (png, svg), `b.txt`."""
    stems: dict[str, list[str]] = {}
    for name in files:
        stem, _, ext = name.rpartition(".")
        if ext in ("png", "svg", "html") and name != "index.html":
            stems.setdefault(stem, []).append(ext)
        else:
            stems[name] = []
    return [f"`{s}` ({', '.join(e)})" if e else f"`{s}`" for s, e in stems.items()]


def closing(files: list[str]) -> list[Block]:
    return [
        Heading(2, "Files and how to reproduce"),
        Para("Written by `nares report`: " + ", ".join(_grouped(files)) + "."),
        Para("Every figure is drawn from the check views; their rows are one query away, e.g. "
             "`nares check --details best_epoch`, `nares sql \"select * from check_vertical_lines\"`. "
             "The figures' own queries are the files of `sql/report/`."),
    ]


def analysis_blocks(data: ReportData, context: Context, figures: list[Figure], checks: dict,
                    db_label: str, files: list[str]) -> list[Block]:
    """The whole document, in order."""
    return [
        *opening(data, context, db_label, checks),
        *root_cause_section(data, checks),
        *glance(checks),
        *best_epoch_section(data, figures, checks),
        *duplicates_section(data, figures, checks),
        *curves_section(data, figures),
        *bands_section(data, figures, checks),
        *gpus_section(data, figures, checks),
        *missing_section(data, figures, checks),
        *config_section(data, context, checks),
        *code_section(data, figures, checks),
        *other_section(checks),
        *closing(files),
    ]
