"""Test-set evaluation logs of a best checkpoint: `arch_<id>_eval_<norm>_<attack>.log`.

`Base` logs end with the clean / FGSM (Linf only) / PGD-20 / CW-40 result lines, AutoAttack logs
(`AA`, `AA-Compact`) with `Linf-AA Acc:` (or `L2-AA Acc:`); both then print the checkpoint dict and
`Running Cost`. A log that stops before its result lines is an unfinished evaluation.

Every result-line format the evaluation code ever wrote is read (SPEC section 8):

    Natural Correct Count: 134/200, Acc: 67.00 Test Loss: 1.2325      (` Test Loss:` from 2024-04-18)
    FGSM with 1 step Correct Count: 104/200, Acc: 52.00, Stable: 85.00  (Linf only)
    PGD with 20 steps Correct Count: 99/200, Acc: 49.50, Stable: 82.50 LIP: 375.4113
    CW with 40 steps Correct Count: 98/200, Acc: 49.00, Stable: 82.00 LIP: 294.2399   (LIP from 2024-04-18)

A value a format does not have is NULL. Two faults of older code are recognised, not repaired:
before 2024-01-07 `Correct Count: a/b` printed `int()` of a float sum, so `a` can be one less than
round(Acc x b / 100) (`counts_truncated`; the Acc is right); before 2024-04-18 the CW line's
`Stable:` printed the natural accuracy (`cw40_stable_is_natural`: then `cw40_stable` is NULL and the
printed number is kept in `cw40_stable_logged`).

`arch_<id>_eval_test-loss.log` is the re-evaluation script's log (eval_test_loss.py, Linf only; its
argument lines, the loaded checkpoint, no model printout): from d45212d (2024-02-26) one record
`Test Loss: 1.2325` (its first version, 74e1e92, stops on its own bug before any result) and the
cost in seconds; from 776ae25 (2024-04-29), which re-ran the test loss and CW-40 of evaluations
made before the CW Stable fix, the Natural and CW result lines above (with Test Loss and LIP). Its
evaluation has attack `test-loss`; it is finished when those results are there.
"""
from __future__ import annotations

from ingest._scan import argument_start, argument_starts, eval_results, find, header_records
from ingest.appended import read_runs, runs_ended_by_their_cost
from ingest.errors import ParseError
from ingest.eval_header import checkpoint_fields, eval_header
from ingest.header import PRINTOUT, after_printout
from ingest.log_format import evaluation_format
from ingest.logtext import check_log_bytes
from ingest.numbers import to_float
from ingest.records import ParsedLog

TEST_LOSS = "test-loss"
"""The attack of a re-evaluation log (`_eval_test-loss.log`): clean accuracy, test loss and CW-40 only."""
_WANTS = {"AA": 1, "AA-Compact": 1, TEST_LOSS: 2}
"""What `eval_results` reads beyond the result lines: AutoAttack's clean accuracy (1), a `Test Loss:` record (2)."""
_RESULT_MARKERS = (b" loaded!\n", b"Nature Acc: ", b"Natural Correct Count: ", b"====================AA with ")
"""What starts the results (after the header), the one usually first (the loaded checkpoint) first."""
_ATTACKS = {"Base": "Base", "AA": "AA"}
RESULT_COLUMNS = (
    "clean_correct", "n_test", "clean_acc", "test_loss", "fgsm_acc", "fgsm_stable", "pgd20_acc",
    "pgd20_stable", "pgd20_lip", "cw40_acc", "cw40_stable", "cw40_stable_logged", "cw40_lip", "aa_acc",
    "counts_truncated", "cw40_stable_is_natural",
)


def _results_start(data: bytes, body: int = 0) -> int:
    """Where the header ends: the first progress or result line after `body` (the end of the model
    printout).

    Each marker is only looked for before the earliest one found so far (the result is the earliest
    of all, in any order): a marker a log does not have would otherwise cost a search through the
    whole file."""
    start = len(data)
    for marker in _RESULT_MARKERS:
        found = data.find(marker, body, start + len(marker) - 1)
        if found >= 0:
            start = found
    return start


def attack_name(attack_choice: str | None, aa_type: str | None) -> str | None:
    """The file-name spelling of an evaluation: `Base`, `AA` (standard AutoAttack) or `AA-Compact`."""
    if attack_choice == "AA":
        return "AA-Compact" if (aa_type or "").lower() == "compact" else "AA"
    return _ATTACKS.get(attack_choice or "")


def _truncated(groups: tuple | None) -> bool | None:
    """Whether a result line's `Correct Count: a/b` is below round(Acc x b / 100) (the int() fault)."""
    if groups is None:
        return None
    correct, total, acc = int(groups[0]), int(groups[1]), to_float(groups[2])
    if acc is None or acc != acc:
        return None
    return correct < round(acc * total / 100.0)


def base_results(natural: tuple | None, fgsm: tuple | None, pgd: tuple | None, cw: tuple | None,
                 norm: str | None) -> tuple[dict, list[str]]:
    """The result columns of a Base evaluation and the names of the results it lacks, from the groups
    of its last result line of each kind (`eval_results`)."""
    result = dict.fromkeys(RESULT_COLUMNS)
    if natural:
        result.update(clean_correct=int(natural[0]), n_test=int(natural[1]),
                      clean_acc=to_float(natural[2]), test_loss=to_float(natural[3]))
    if fgsm:
        result.update(fgsm_acc=to_float(fgsm[2]), fgsm_stable=to_float(fgsm[3]))
    if pgd:
        result.update(pgd20_acc=to_float(pgd[2]), pgd20_stable=to_float(pgd[3]), pgd20_lip=to_float(pgd[4]))
    if cw:
        stable = to_float(cw[3])
        # the fault fixed on 2024-04-18 printed the natural accuracy as CW Stable (and no LIP yet)
        is_natural = False if cw[4] is not None else (None if natural is None else cw[3] == natural[2])
        result.update(cw40_acc=to_float(cw[2]), cw40_stable_logged=stable,
                      cw40_stable=None if is_natural is not False else stable, cw40_lip=to_float(cw[4]),
                      cw40_stable_is_natural=is_natural)
    flags = [_truncated(groups) for groups in (natural, fgsm, pgd, cw) if groups is not None]
    result["counts_truncated"] = any(flags) if flags else None
    needed = ["clean_acc", "pgd20_acc", "cw40_acc"] + (["fgsm_acc"] if norm == "Linf" else [])
    return result, [name for name in needed if result[name] is None]


def test_loss_results(data: bytes, lines: tuple) -> tuple[dict, list[str]]:
    """The result columns of a re-evaluation log (`test-loss`) and the names of the results it lacks:
    clean and CW-40 (776ae25 on: also when only its progress lines `Nature Acc: ...` are there), or
    the test loss alone (the first version's `Test Loss:` record)."""
    natural, fgsm, pgd, cw, _, _, test_loss = lines[:7]
    result, _ = base_results(natural, fgsm, pgd, cw, None)
    if result["clean_acc"] is not None or result["cw40_acc"] is not None or find(data, b"Nature Acc: ") >= 0:
        return result, [name for name in ("clean_acc", "cw40_acc") if result[name] is None]
    result["test_loss"] = to_float(test_loss)
    return result, [] if test_loss is not None else ["test_loss"]


def run_starts(data: bytes) -> list[int]:
    """Where each evaluation run of a log starts, in file order ([0] for a log of one run).

    The evaluation code's logger appends: a file may hold several runs, e.g. before 2e6cd80 the
    standard and the compact AutoAttack of an arch and norm both wrote `_AA.log`. Each run logs its
    argument lines, then the model printout: a run starts where its argument lines do
    (`argument_starts`, compiled: `seed:` then `model: arch_...`, after the `GPU List:` of a GPU run), also
    one killed before its printout. Before each printout after the first, the argument lines
    (records whose key is a Python identifier) right before it start a run too, should they lack
    that pair. Each span between two printouts is read once: linear in the file."""
    starts = {0, *argument_starts(data)}
    previous = find(data, PRINTOUT)
    while previous >= 0:
        printout = find(data, PRINTOUT, previous + len(PRINTOUT))
        if printout < 0:
            break
        line = data.rfind(b"\n", 0, printout) + 1
        start = line
        for offset, key, _ in reversed(header_records(data, previous, line)):
            if not key.isidentifier():
                break
            start = offset
            if key == "seed" and (arguments := argument_start(data, offset)) is not None:
                start = arguments  # this run's own first argument line: what comes before is the run before
                break
        starts.add(start)
        previous = printout
    return sorted(starts)


def parse_eval_log(data: bytes, path: str, norm: str | None = None, attack: str | None = None) -> ParsedLog:
    """Parse a Base, AutoAttack or test-loss evaluation; `norm`/`attack` are what the file name says.

    A log holding more than one run (`run_starts`; a test-loss log has no model printout: its runs
    end with their cost or where the next one's argument lines start) is read as its last run,
    which carries the file's id and status; each run before it is an evaluation of its own
    (ingest/appended.py)."""
    check_log_bytes(data, path)
    starts = runs_ended_by_their_cost(data) if attack == TEST_LOSS else run_starts(data)
    return read_runs(data, starts, path, lambda run: _parse_run(run, path, norm, attack))


def _parse_run(data: bytes, path: str, norm: str | None, attack: str | None) -> ParsedLog:
    """One evaluation run (the whole log, or one run of a log of several)."""
    body = after_printout(data)
    results = _results_start(data, body)
    header = eval_header(data, results, body)
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

    lines = eval_results(data, results, _WANTS.get(attack, 0))
    natural, fgsm, pgd, cw, aa, aa_clean, _, n_batches, messages = lines
    if attack == "Base":
        result, missing = base_results(natural, fgsm, pgd, cw, norm)
    elif attack == TEST_LOSS:
        result, missing = test_loss_results(data, lines)
    elif attack in ("AA", "AA-Compact"):
        result = dict.fromkeys(RESULT_COLUMNS)
        result["aa_acc"] = to_float(aa[0]) if aa else None
        result["clean_acc"] = to_float(aa_clean)  # AutoAttack first reports the clean accuracy of its test subset
        missing = [] if aa else ["aa_acc"]
    else:
        raise ParseError(path, 1, f"unknown attack_choice {header['attack_choice']!r}: not a Base or AutoAttack evaluation")

    finished = not missing
    if not finished:
        notes.insert(0, f"unfinished evaluation: no {', '.join(missing)} result line")
    elif header["running_cost_days"] is None:
        notes.append("no 'Running Cost' line after the results")
    if result["counts_truncated"]:
        notes.append("Correct Count truncated by the evaluation code before 2024-01-07 (the Acc values are right)")
    if result["cw40_stable_is_natural"]:
        notes.append("CW Stable is the natural accuracy (evaluation code before 2024-04-18): cw40_stable left NULL")
    evaluation = {
        **header,
        **result,
        **checkpoint_fields(data),
        "norm": norm,
        "attack": attack,
        "n_batches": n_batches,  # the `Nature Acc: ` lines after `results` (none before: one of its markers)
        "finished": finished,
        "corruption_mean_acc": None,
    }
    return ParsedLog(
        kind="eval",
        status="ok" if finished else "partial",
        message="; ".join(notes) if notes else f"finished {norm} {attack} evaluation"
        + (" (a re-evaluation: clean accuracy, test loss, CW-40)" if attack == TEST_LOSS else ""),
        code=evaluation_format(messages, header["argument_names"],
                               "re-evaluation" if attack == TEST_LOSS else "evaluation"),
        eval=evaluation,
    )


__all__ = ["parse_eval_log", "attack_name", "base_results", "test_loss_results", "RESULT_COLUMNS", "TEST_LOSS"]
