"""Test-set evaluation logs of a best checkpoint: `arch_<id>_eval_<norm>_<attack>.log`.

`Base` logs end with the clean / FGSM (Linf only) / PGD-20 / CW-40 result lines, AutoAttack logs
(`AA`, `AA-Compact`) with `Linf-AA Acc:` (or `L2-AA Acc:`); both then print the checkpoint dict and
`Running Cost`. A log that stops before its result lines is an unfinished evaluation.
"""
from __future__ import annotations

import re

from ingest.errors import ParseError
from ingest.logrecords import NUM, checkpoint_fields, count, decode_log, eval_header, find, rfind, search, to_float, to_int
from ingest.records import ParsedLog

_END = r"[ \t]*\n"
_NATURAL = re.compile(rf"Natural Correct Count: (\d+)/(\d+), Acc: ({NUM}) Test Loss: ({NUM}){_END}")
_FGSM = re.compile(rf"FGSM with \d+ steps? Correct Count: \d+/\d+, Acc: ({NUM}), Stable: ({NUM}){_END}")
_PGD = re.compile(rf"PGD with (\d+) steps Correct Count: \d+/\d+, Acc: ({NUM}), Stable: ({NUM}) LIP: ({NUM}){_END}")
_CW = re.compile(rf"CW with (\d+) steps Correct Count: \d+/\d+, Acc: ({NUM}), Stable: ({NUM}) LIP: ({NUM}){_END}")
_AA = re.compile(rf"-AA Acc: ({NUM}){_END}")
_AA_CLEAN = re.compile(rf"initial accuracy: ({NUM})%")
_RESULT_MARKERS = ("Nature Acc: ", "Natural Correct Count: ", "====================AA with ", " loaded!\n")


def _results_start(text: str) -> int:
    """Where the header ends: the first progress or result line (C-speed finds, no regex scan).

    Each marker is only looked for before the earliest one found so far: a marker a log does not
    have would otherwise cost a search through the whole file."""
    start = len(text)
    for marker in _RESULT_MARKERS:
        found = find(text, marker, 0, start + len(marker) - 1)
        if found >= 0:
            start = found
    return start


def _search_from(pattern: re.Pattern, text: str, literal: str) -> re.Match | None:
    """Match `pattern` at the last occurrence of its leading `literal` (results sit at the end)."""
    pos = rfind(text, literal)
    return pattern.match(text, pos) if pos >= 0 else None
_ATTACKS = {"Base": "Base", "AA": "AA"}


def attack_name(attack_choice: str | None, aa_type: str | None) -> str | None:
    """The file-name spelling of an evaluation: `Base`, `AA` (standard AutoAttack) or `AA-Compact`."""
    if attack_choice == "AA":
        return "AA-Compact" if (aa_type or "").lower() == "compact" else "AA"
    return _ATTACKS.get(attack_choice or "")


def parse_eval_log(data: bytes, path: str, norm: str | None = None, attack: str | None = None) -> ParsedLog:
    """Parse a Base or AutoAttack evaluation; `norm`/`attack` are what the file name says."""
    text = decode_log(data, path)
    results = _results_start(text)
    header = eval_header(text, results)
    if not header["model"] and not header["attack_choice"]:
        raise ParseError(path, 1, "no argument lines (model:, attack_choice:): not an evaluation log")
    logged_attack = attack_name(header["attack_choice"], header["aa_type"])
    notes = []
    if attack and logged_attack and logged_attack != attack:
        notes.append(f"file name says {attack} but the log ran {logged_attack}")
    if norm and header["norm"] and header["norm"] != norm:
        notes.append(f"file name says {norm} but the log ran {header['norm']}")
    attack = logged_attack or attack
    norm = header["norm"] or norm

    result = {name: None for name in (
        "clean_correct", "n_test", "clean_acc", "test_loss", "fgsm_acc", "fgsm_stable", "pgd20_acc",
        "pgd20_stable", "pgd20_lip", "cw40_acc", "cw40_stable", "cw40_lip", "aa_acc")}
    if attack == "Base":
        natural = _search_from(_NATURAL, text, "Natural Correct Count: ")
        if natural:
            result.update(clean_correct=int(natural.group(1)), n_test=int(natural.group(2)),
                          clean_acc=to_float(natural.group(3)), test_loss=to_float(natural.group(4)))
        fgsm = _search_from(_FGSM, text, "FGSM with ")
        if fgsm:
            result.update(fgsm_acc=to_float(fgsm.group(1)), fgsm_stable=to_float(fgsm.group(2)))
        pgd = _search_from(_PGD, text, "PGD with ")
        if pgd:
            result.update(pgd20_acc=to_float(pgd.group(2)), pgd20_stable=to_float(pgd.group(3)),
                          pgd20_lip=to_float(pgd.group(4)))
        cw = _search_from(_CW, text, "CW with ")
        if cw:
            result.update(cw40_acc=to_float(cw.group(2)), cw40_stable=to_float(cw.group(3)),
                          cw40_lip=to_float(cw.group(4)))
        needed = ["clean_acc", "pgd20_acc", "cw40_acc"] + (["fgsm_acc"] if norm == "Linf" else [])
        missing = [name for name in needed if result[name] is None]
    elif attack in ("AA", "AA-Compact"):
        aa = _search_from(_AA, text, "-AA Acc: ")
        if aa:
            result["aa_acc"] = to_float(aa.group(1))
        clean = search(_AA_CLEAN, text, "initial accuracy: ")  # AutoAttack first reports the clean accuracy of its test subset
        if clean:
            result["clean_acc"] = to_float(clean.group(1))
        missing = [] if aa else ["aa_acc"]
    else:
        raise ParseError(path, 1, f"unknown attack_choice {header['attack_choice']!r}: not a Base or AutoAttack evaluation")

    finished = not missing
    if not finished:
        notes.insert(0, f"unfinished evaluation: no {', '.join(missing)} result line")
    elif header["running_cost_days"] is None:
        notes.append("no 'Running Cost' line after the results")
    evaluation = {
        **header,
        **result,
        **checkpoint_fields(text),
        "norm": norm,
        "attack": attack,
        "n_batches": count(text, "Nature Acc: ", results),  # none before: it is one of the start markers
        "finished": finished,
        "corruption_mean_acc": None,
    }
    return ParsedLog(
        kind="eval",
        status="ok" if finished else "partial",
        message="; ".join(notes) if notes else f"finished {norm} {attack} evaluation",
        eval=evaluation,
    )


__all__ = ["parse_eval_log", "attack_name", "to_int"]
