"""The report's first section: which run attributes explain the runs that went wrong.

It states the strongest explanations of `check_explain` in words, with their numbers, says which
other attributes they absorb (the confounders: a GPU whose low runs all took the native-AMP path),
and lists the months a site's share of low runs changed beyond chance (`check_timeline`). Later
sections check their own verdicts against it through `explanation_of` (reports/analysis.py).
"""
from __future__ import annotations

from reports.data import ReportData
from reports.document import Block, Bullets, Heading, Para, Table, Verdict

OUTCOMES = {
    "low_accuracy": "Low accuracy (a run far below the archs of similar size, `run_neighbours`)",
    "early_best_epoch": "Early best epoch (best CW-40 before the first learning-rate decay, `check_best_epoch`)",
    "robust_overfitting": "Robust overfitting (final CW-40 well below the best, `check_robust_overfitting`)",
}
SHOWN = 5
"""Explanations per outcome in the table (the view holds all of them)."""
THRESHOLDS = ("the thresholds of `check_params` (explain.min_support, explain.min_risk_ratio, explain.min_outliers, "
              "explain.max_chance)")


def explanations(data: ReportData) -> list[dict]:
    """The rows of check_explain (none when the warehouse lacks the view)."""
    return data.view("check_explain") if data.has_view("check_explain") else []


def explanation_of(rows: list[dict], outcome: str, attribute: str, value: str) -> dict | None:
    """The single-value explanation `attribute = value` of an outcome, also when it is the alias
    of another value (the same runs); None when check_explain does not keep it."""
    wanted = f"{attribute} = {value}"
    for r in rows:
        if r["outcome"] != outcome or len(r["attributes"]) != 1:
            continue
        if r["explanation"] == wanted or wanted in (r["aliases"] or []):
            return r
    return None


def low_runs_explained(data: ReportData) -> list[dict]:
    """The low runs, each saying whether the strongest explanation of low accuracy matches it
    (sql/report/runs_explained.sql)."""
    return [r for r in data.rows("runs_explained") if r["is_low"]]


def accuracy_of_matched(data: ReportData) -> str | None:
    """The mean best CW-40 of the runs the strongest explanation of low accuracy matches, low or
    not, against the others': how large its effect is where a low run (one far below its
    neighbours) says little, e.g. a cause that lowered a whole block of neighbouring archs."""
    runs = data.rows("runs_explained")
    matched = [r["best_cw40_acc"] for r in runs if r["matched"]]
    others = [r["best_cw40_acc"] for r in runs if r["explanation"] and not r["matched"]]
    if not matched or not others:
        return None
    low = sum(r["is_low"] for r in runs if r["matched"])
    return (f"**Accuracy.** The {len(matched)} finished runs it matches reach a best CW-40 of "
            f"{sum(matched) / len(matched):.1f}% on average ({low} of them low against their neighbours), the "
            f"{len(others)} others {sum(others) / len(others):.1f}%.")


def ratio(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def chance_in_words(value: float) -> str:
    """check_explain's chance (rounded to 6 decimals) as a bound in words."""
    return "below 0.000001" if value < 0.000001 else f"at most {value:.2g}"


def in_words(r: dict) -> str:
    """One explanation as a sentence with its numbers."""
    unmatched = r["outliers"] - r["outliers_matched"]
    text = (f"`{r['explanation']}` matches {r['outliers_matched']} of the {r['outliers']} runs (support "
            f"{100 * r['support']:.0f}%) and {r['inliers_matched']} of the {r['inliers']} others: runs with it have "
            f"the outcome {ratio(r['risk_ratio'])} times as often as runs without it (95% interval "
            f"{ratio(r['risk_ratio_low'])} to {ratio(r['risk_ratio_high'])}; chance alone would give one as strong, "
            f"among all the combinations tried, with probability {chance_in_words(r['chance'])})")
    if unmatched:
        text += f"; it leaves {unmatched} of the runs unexplained"
    if r["aliases"]:
        # an alias holds for exactly the runs of one of the explanation's values, not of the combination
        names = ", ".join(f"`{a}`" for a in r["aliases"])
        text += (f"; the same runs as {names}" if len(r["attributes"]) == 1
                 else f"; attribute values that hold for exactly the same runs as one of its values: {names}")
    return text + "."


OUTCOME_RUNS = {
    "low_accuracy": ("The low runs", "low accuracy"),
    "early_best_epoch": ("The runs that peaked early", "early best epochs"),
    "robust_overfitting": ("The runs that overfit", "robust overfitting"),
}
"""How the verdict names the runs of each outcome, and the outcome."""
ROOT_CAUSE_RULE = ("rule: supported when an explanation of an outcome (low accuracy, early best epochs, robust "
                   "overfitting) stands on its own, no other attribute absorbing it")


def root_cause_verdict(rows: list[dict], outliers: dict[str, int]) -> Verdict:
    """One sentence per outcome that has runs: its strongest explanation that stands on its own, or
    that none does; supported when one outcome has such an explanation."""
    sentences, supported = [], False
    for outcome, (runs, name) in OUTCOME_RUNS.items():
        alone = [r for r in rows if r["outcome"] == outcome and r["explained_by"] is None]
        if alone:
            top, supported = alone[0], True
            sentences.append(f"{runs} are explained best by `{top['explanation']}` (support "
                             f"{100 * top['support']:.0f}%, risk ratio {ratio(top['risk_ratio'])}).")
        elif outliers.get(outcome):
            sentences.append(f"No explanation of {name} stands on its own.")
    if not sentences:
        return Verdict(None, f"No run is low, peaked early or overfit: nothing to explain ({ROOT_CAUSE_RULE}).")
    return Verdict(supported, " ".join(sentences) + f" ({ROOT_CAUSE_RULE}.)")


def root_cause_section(data: ReportData, checks: dict) -> list[Block]:
    rows = explanations(data)
    timeline = data.view("check_timeline") if data.has_view("check_timeline") else []
    blocks: list[Block] = [
        Heading(2, "Root cause"),
        Para("**Hypothesis.** One attribute of the runs, or a combination of two or three, explains the runs that "
             "went wrong: where they ran, on which GPU and PyTorch, when, which code and precision path, which "
             "settings. `check_explain` weighs every combination of the attributes of `run_attributes` (the "
             "explanation operator of MacroBase): its support is the share of the outcome's runs it matches, its "
             "risk ratio how many times as often runs with it have the outcome as runs without it. An explanation "
             "that holds no longer within the levels of another attribute is explained by that attribute (a "
             "confounder). With hundreds of combinations tried, some look strong by chance: one is kept only when "
             "chance alone would give one as strong less often than explain.max_chance (a G-test, Bonferroni over "
             "the combinations tried). The later sections' verdicts are checked against this section."),
    ]
    if not rows:
        blocks.append(Para(f"No combination of run attributes explains an outcome above {THRESHOLDS}."))
    outcome_runs = {o["outcome"]: o for o in data.rows("outcome_runs")}
    for outcome, title in OUTCOMES.items():
        ranked = [r for r in rows if r["outcome"] == outcome]
        if not ranked:
            counts = outcome_runs.get(outcome)
            if rows and counts and counts["n_outliers"]:  # runs to explain, and none explained: said, not left out
                blocks.append(Heading(3, title))
                blocks.append(Para(f"{counts['n_outliers']} of {counts['n_runs']} runs: no combination of run "
                                   f"attributes explains them above {THRESHOLDS}."))
            continue
        alone = [r for r in ranked if r["explained_by"] is None]
        absorbed = [r for r in ranked if r["explained_by"] is not None and len(r["attributes"]) == 1]
        blocks.append(Heading(3, title))
        if alone:
            blocks.append(Para(f"**Strongest explanation.** {in_words(alone[0])}"))
            effect = accuracy_of_matched(data) if outcome == "low_accuracy" else None
            if effect:
                blocks.append(Para(effect))
        items = [f"`{r['explanation']}` (risk ratio {ratio(r['risk_ratio'])}) is explained by `{r['explained_by']}`: "
                 f"within its levels the risk ratio is {ratio(r['explained_by_risk_ratio'])}" for r in absorbed[:SHOWN]]
        if items:
            blocks.append(Para("**Explained by another attribute** (not a cause of their own):"))
            blocks.append(Bullets(items))
        blocks.append(Table(
            ["rank", "explanation", "matched", "support", "risk ratio", "95% interval", "explained by"],
            [[r["rank"], f"`{r['explanation']}`", f"{r['outliers_matched']}/{r['outliers']} + {r['inliers_matched']}",
              f"{100 * r['support']:.0f}%", ratio(r["risk_ratio"]),
              f"{ratio(r['risk_ratio_low'])}-{ratio(r['risk_ratio_high'])}", r["explained_by"] or "-"]
             for r in ranked[:SHOWN]],
            numeric={0, 3, 4}, summary=f"The {min(SHOWN, len(ranked))} strongest of {len(ranked)} explanations "
                                       "(matched: outcome runs + other runs)"))
    changes = [t for t in timeline if t["beyond_chance"]]
    by_chance = len(timeline) - len(changes)
    chance_note = (f" ({by_chance} more change{'s' if by_chance > 1 else ''} of the share, within chance, left out)"
                   if by_chance else "")
    if changes:
        blocks.append(Para("**When.** The months a site's share of low runs changed beyond chance (`check_timeline`), "
                           f"with the training code versions it started or stopped using then{chance_note}:"))
        blocks.append(Bullets([
            f"{t['site']} {t['changed_at'][:7]}: low share {100 * t['low_share_before']:.0f}% -> "
            f"{100 * t['low_share_after']:.0f}% ({t['runs_before']} -> {t['runs_after']} finished runs; chance "
            f"{t['chance']:.2g}); native-AMP "
            f"share {100 * (t['native_share_before'] or 0):.0f}% -> {100 * (t['native_share_after'] or 0):.0f}%"
            + (f"; code versions started {', '.join(t['code_versions_started'])}" if t["code_versions_started"] else "")
            + (f"; ended {', '.join(t['code_versions_ended'])}" if t["code_versions_ended"] else "")
            for t in changes]))
    elif by_chance:
        blocks.append(Para("**When.** No month changed a site's share of low runs beyond chance "
                           f"(`check_timeline`){chance_note}."))
    blocks.append(root_cause_verdict(rows, {outcome: o["n_outliers"] for outcome, o in outcome_runs.items()}))
    return blocks
