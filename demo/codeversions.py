"""Which version of the benchmark's training and evaluation code wrote a log, by date.

Facts from the public histories of the benchmark's two code repositories (SPEC section 8): the
argparse names each version logs, what its logs look like, and the dated commits that changed it.
A log is written by the code current at its first timestamp; the planner starts each run and each
evaluation inside its version's window, and the code repositories the demo writes (`coderepo`)
replay the same commits, so the key file can say which commits could have written each log.

Commit times are wall-clock times at +0800 (the authors' zone), comparable with the logs of the
SUSTech machines; logs of other machines are kept clear of commits by more than their zone offset
(`clear_of_commits`), so that any reading of the two clocks gives the same answer.

>>> train_code_at(ms_of("2022-12-19 12:00:00")).name, eval_code_at(ms_of("2024-04-18 12:00:00")).label
('T5', 'E4')
"""
from __future__ import annotations

import bisect
import dataclasses
from functools import lru_cache
from typing import Dict, List, Sequence, Tuple

from .clock import ms_of

_T3 = ("exp_name", "config_path", "version", "seed", "fix_seed", "stop_epoch", "warmup_steps",
       "train_eval_epoch", "data_parallel", "load_model", "load_best_model", "attack_choice", "epsilon",
       "num_steps", "step_size", "apex_amp", "native_amp")
_T4 = _T3[:7] + ("save_epochs",) + _T3[7:]
_T6 = ("exp_name", "config_path", "version", "seed", "stop_epoch", "warmup_steps", "save_epochs",
       "train_eval_epoch", "data_parallel", "load_model", "load_best_model", "attack_choice", "epsilon",
       "num_steps", "step_size", "apex_amp", "native_amp")
_T7 = _T6[:4] + ("data_path", "run") + _T6[4:]
_T9 = _T7[:11] + ("valset",) + _T7[11:14] + ("attack_step",) + _T7[14:]
_T1 = ("seed", "fix_seed", "version", "stop_epoch", "warmup_steps", "exp_name", "config_path", "load_model",
       "load_best_model", "data_parallel", "train", "attack_choice", "epsilon", "num_steps", "step_size",
       "train_eval_epoch", "apex_amp", "native_amp")


@dataclasses.dataclass(frozen=True)
class TrainCode:
    """One version of `main.py`/`trainer.py`: what its training logs look like.

    arguments: the argparse dests in declaration order (the `name: value` lines);
    added: attributes set after parsing that are not options (they log after the options);
    forced: options the code overwrites after parsing, with the value it sets;
    exp_levels: `size` (./ablation_dir/nasbench/small), `arch` (.../small/arch_0042), `run` (.../r1/arch_42);
    list_label: attack lines labelled with the repr of the attack list, `['PGD', 'PGD-CW']`;
    cw_block: the PGD-CW validation block runs (T3's if/elif runs only PGD);
    cw_steps: the steps printed in the CW block's `with %.1f steps` line (T4 prints num_steps, 20).
    """

    name: str
    arguments: Tuple[str, ...]
    added: Tuple[str, ...] = ()
    forced: Tuple[Tuple[str, object], ...] = ()
    exp_levels: str = "run"
    random_seed: bool = False
    config_seed: bool = True
    list_label: bool = False
    cw_block: bool = True
    cw_steps: int = 40
    last_checkpoint: str = "_last.pth"
    extra_checkpoint: str = "_{}e.pth"
    extra_at_70_percent: bool = False
    nan_exit: bool = False
    best_from_attack_step: bool = False
    runs: bool = True          # False: crashes before its first epoch

    @property
    def zero_padded(self) -> bool:
        """Runs of this code used the zero-padded config names (`arch_0042`)."""
        return self.exp_levels != "run"


_OLD = dict(config_seed=False, last_checkpoint=".pth", extra_checkpoint="_{}.pth")
_FORCED_APEX = (("data_parallel", True), ("apex_amp", True), ("train_eval_epoch", 0.0))
TRAIN_CODES: Dict[str, TrainCode] = {c.name: c for c in (
    TrainCode("T1", _T1, added=("ema", "tau", "static_decay"), exp_levels="size", random_seed=True,
              cw_block=False, runs=False, **_OLD),
    TrainCode("T2", _T1, exp_levels="size", random_seed=True, runs=False, **_OLD),
    TrainCode("T3", _T3, forced=_FORCED_APEX, exp_levels="size", random_seed=True, list_label=True,
              cw_block=False, extra_at_70_percent=True, **_OLD),
    TrainCode("T4", _T4, forced=_FORCED_APEX, exp_levels="size", random_seed=True, list_label=True,
              cw_steps=20, **_OLD),
    TrainCode("T5", _T4, forced=_FORCED_APEX, exp_levels="arch", random_seed=True, **_OLD),
    TrainCode("T6", _T6, exp_levels="arch", config_seed=False),
    TrainCode("T7", _T7, forced=(("native_amp", True),)),
    TrainCode("T8", _T7, nan_exit=True),
    TrainCode("T9", _T9, nan_exit=True, best_from_attack_step=True),
)}

_E0 = ("seed", "version", "config_path", "attack_choice", "norm", "load_best_model", "epsilon", "step_size",
       "aa_type")
_E1 = ("seed", "model", "model_path", "attack_choice", "norm", "load_best_model", "epsilon", "step_size",
       "aa_type", "progress_bar")
_E2 = ("seed", "model", "model_path", "attack_choice", "norm", "load_best_model", "aa_type", "progress_bar")
_E2B = _E2[:3] + ("log_path",) + _E2[3:]


@dataclasses.dataclass(frozen=True)
class EvalCode:
    """One version of `eval.py`: its argument lines and result lines.

    label: E0..E5 as SPEC section 8 numbers them (several internal versions share a label);
    options / added: argparse dests, then attributes set after parsing (all log, in that order);
    l2_linf_epsilon: an L2 run used epsilon 8/255 (printed 0.03137254901960784);
    truncates: `Correct Count` printed with int() of a float sum (one low when it falls just short);
    cw_stable_natural: the CW line's `Stable:` prints the natural accuracy;
    test_loss / cw_lip: the natural line has ` Test Loss:`, the CW line ` LIP:`;
    compact_file: the file-name attack of a compact AutoAttack run (`AA` until the naming fix).
    """

    name: str
    label: str
    options: Tuple[str, ...]
    added: Tuple[str, ...] = ("epsilon", "step_size", "device")
    l2_linf_epsilon: bool = False
    truncates: bool = True
    cw_stable_natural: bool = True
    test_loss: bool = False
    cw_lip: bool = False
    compact_file: str = "AA-Compact"
    runs: bool = True

    @property
    def arguments(self) -> Tuple[str, ...]:
        return self.options + tuple(a for a in self.added if a not in self.options)


EVAL_CODES: Dict[str, EvalCode] = {c.name: c for c in (
    EvalCode("E0", "E0", _E0, added=("device",), l2_linf_epsilon=True, compact_file="AA", runs=False),
    EvalCode("E1", "E1", _E1, added=("device",), l2_linf_epsilon=True, compact_file="AA"),
    EvalCode("E2a", "E2", _E2, compact_file="AA"),
    EvalCode("E2b", "E2", _E2B, compact_file="AA"),
    EvalCode("E2c", "E2", _E2B),
    EvalCode("E3", "E3", _E2B, truncates=False),
    EvalCode("E4", "E4", _E2B, truncates=False, cw_stable_natural=False),
    EvalCode("E5", "E5", _E2B, truncates=False, cw_stable_natural=False, test_loss=True, cw_lip=True),
)}


@dataclasses.dataclass(frozen=True)
class CodeCommit:
    """One commit of a code repository: when (+0800 wall clock), who, what it changed.

    code: the version of the entry scripts after this commit; script: it changed them;
    variant: a detail of the scripts that this commit changed without changing what the logs say.
    """

    when: str
    author: str
    message: str
    code: str
    files: Tuple[str, ...]
    script: bool = True
    variant: str = ""

    @property
    def ms(self) -> int:
        return ms_of(self.when)


_TRAIN_SCRIPTS = ("main.py", "trainer.py", "util.py")
#: the training repository's history: one commit per real commit that changed main.py, trainer.py or
#: util.py, and some of the commits that changed other files
TRAIN_COMMITS: Tuple[CodeCommit, ...] = (
    CodeCommit("2022-12-15 21:59:59", "shihuahuang", "initial files", "T1", _TRAIN_SCRIPTS + ("README.md",)),
    CodeCommit("2022-12-17 08:02:56", "shihuahuang", "update", "T2", ("main.py", "trainer.py")),
    CodeCommit("2022-12-18 17:11:19", "shihuahuang", "update", "T3", ("main.py", "trainer.py")),
    CodeCommit("2022-12-18 17:16:52", "shihuahuang", "update", "T3", ("train_scripts/robust_cifar10_random.sh",),
               script=False),
    CodeCommit("2022-12-18 20:35:39", "shihuahuang", "update", "T4", ("main.py",)),
    CodeCommit("2022-12-19 07:22:01", "shihuahuang", "update", "T5", ("main.py",)),
    CodeCommit("2022-12-19 07:47:54", "shihuahuang", "Dec 19 final version", "T5", ("main.py",),
               variant="attack_choices"),
    CodeCommit("2022-12-19 10:03:00", "shihuahuang", "remove 1.5w configs", "T5", ("configs/README.md",),
               script=False, variant="attack_choices"),
    CodeCommit("2022-12-19 21:56:35", "shihuahuang", "Adding README file", "T6", ("main.py", "util.py", "README.md")),
    CodeCommit("2022-12-20 19:41:26", "shihuahuang", "revise some files", "T7", ("main.py", "trainer.py")),
    CodeCommit("2022-12-20 19:45:38", "shihuahuang", "update", "T7", ("README.md",), script=False),
    CodeCommit("2023-01-02 11:41:11", "shihuahuang", "adding support for NaN catching", "T8", ("main.py", "trainer.py")),
    CodeCommit("2023-01-02 11:41:54", "shihuahuang", "Update eval_robustness.py", "T8", ("eval_robustness.py",),
               script=False),
    CodeCommit("2023-01-02 11:42:29", "shihuahuang", "training scripts", "T8",
               ("train_scripts/robust_cifar10_random.sh",), script=False),
    CodeCommit("2024-06-13 17:00:53", "zaber", "cleanup workspace", "T9", ("main.py",)),
    CodeCommit("2024-06-13 18:17:12", "zaber", "update requirements and readme", "T9",
               ("README.md", "requirements.txt"), script=False),
    CodeCommit("2024-06-14 21:48:41", "zaber", "update readme", "T9", ("README.md",), script=False),
)

#: the evaluation repository's history: every real commit that changed eval.py, and some others
EVAL_COMMITS: Tuple[CodeCommit, ...] = (
    CodeCommit("2023-10-31 09:59:34", "zaber", "init", "", ("README.md", ".gitignore"), script=False),
    CodeCommit("2023-11-05 10:49:18", "shihuahuang", "initi adv attackers: Linf and L2 norm FGSM, PGD, CW, AA",
               "E0", ("eval.py",)),
    CodeCommit("2023-11-05 10:52:53", "shihuahuang", "Create README.md", "E0", ("README.md",), script=False),
    CodeCommit("2023-11-05 10:54:27", "shihuahuang", "Update eval.py", "E0", ("eval.py",), variant="norm_log_name"),
    CodeCommit("2023-11-05 10:55:05", "shihuahuang", "Update eval.py", "E0", ("eval.py",),
               variant="norm_log_name,imports"),
    CodeCommit("2023-11-12 23:55:30", "zaber", "fix bugs && refactor codes", "E1", ("eval.py",)),
    CodeCommit("2023-11-23 23:30:25", "zaber", "refine CW codes", "E1", ("attacks.py",), script=False),
    CodeCommit("2023-11-23 23:35:45", "zaber", "use fixed epsilon and step_size", "E2a", ("eval.py",)),
    CodeCommit("2023-11-26 17:03:40", "zaber", "add seperate log-path option", "E2b", ("eval.py",)),
    CodeCommit("2023-11-26 18:21:42", "zaber", "use new log_path", "E2b", ("eval.py",), variant="model_log_dir"),
    CodeCommit("2023-12-05 10:36:16", "zaber", "update log name with aa-type", "E2c", ("eval.py",),
               variant="model_log_dir"),
    CodeCommit("2023-12-27 18:13:33", "zaber", "update readme", "E2c", ("README.md",), script=False,
               variant="model_log_dir"),
    CodeCommit("2024-01-07 01:40:58", "zaber", "fix precision issue on \"Correct Count\"", "E3", ("eval.py",),
               variant="model_log_dir"),
    CodeCommit("2024-01-12 11:33:13", "zaber", "add evaluation script run.sh", "E3", ("README.md", "run.sh"),
               script=False, variant="model_log_dir"),
    CodeCommit("2024-01-18 17:22:04", "zaber", "set default eval script --model-path", "E3", ("eval.py",),
               variant="model_log_dir,models_home"),
    CodeCommit("2024-02-26 12:04:01", "zaber", "add cifar10c eval && cifar10 testset loss", "E3", ("eval.py",),
               variant="model_log_dir,models_home,args_device"),
    CodeCommit("2024-03-07 15:56:21", "zaber", "fix typo in run.sh", "E3", ("run.sh",), script=False,
               variant="model_log_dir,models_home,args_device"),
    CodeCommit("2024-04-18 04:41:10", "zaber", "fix wrong cw_stable", "E4", ("eval.py",),
               variant="model_log_dir,models_home,args_device"),
    CodeCommit("2024-04-18 22:29:58", "zaber", "add test_loss and cw_stable", "E5", ("eval.py",),
               variant="model_log_dir,models_home,args_device"),
    CodeCommit("2024-05-27 03:02:20", "zaber", "update run.sh", "E5", ("run.sh",), script=False,
               variant="model_log_dir,models_home,args_device"),
    CodeCommit("2024-06-14 18:33:34", "zaber", "update readme", "E5", ("README.md",), script=False,
               variant="model_log_dir,models_home,args_device"),
)

_TRAIN_MS = [c.ms for c in TRAIN_COMMITS]
_EVAL_MS = [c.ms for c in EVAL_COMMITS]


def train_code_at(ms: int) -> TrainCode:
    """The training code current at a (+0800) time."""
    i = bisect.bisect_right(_TRAIN_MS, ms) - 1
    return TRAIN_CODES[TRAIN_COMMITS[max(0, i)].code]


def eval_code_at(ms: int) -> EvalCode:
    """The evaluation code current at a (+0800) time (E0 before the first working version)."""
    i = bisect.bisect_right(_EVAL_MS, ms) - 1
    return EVAL_CODES[EVAL_COMMITS[i].code or "E0"] if i >= 1 else EVAL_CODES["E0"]


# ----------------------------------------------------------------------------- which commits fit a log
def train_names_match(commit_code: str, log_code: str) -> bool:
    """Same argument names in order; the result-line templates of T3..T9 all match each other's lines
    (`'%s Correct Count: ...' % label`, `Best PGD-%d`), so the names decide."""
    return TRAIN_CODES[commit_code].arguments == TRAIN_CODES[log_code].arguments


def eval_templates_match(commit_code: str, log_code: str, kind: str) -> bool:
    """Same argument names; for Base logs also the same result-line templates (` Test Loss:` and the CW
    ` LIP:` from E5 on). `int()`/`round()` and which meter fills `Stable:` are not in the templates."""
    if not commit_code:
        return False
    mine, theirs = EVAL_CODES[commit_code], EVAL_CODES[log_code]
    if mine.arguments != theirs.arguments:
        return False
    return kind != "Base" or (mine.test_loss, mine.cw_lip) == (theirs.test_loss, theirs.cw_lip)


def _train_exact(commit_code: str, log_code: str) -> bool:
    return commit_code == log_code


def _eval_exact(commit_code: str, log_code: str, kind: str, attack: str) -> bool:
    """The commit's eval.py, run with the logged arguments, writes this very log (and file name)."""
    if not commit_code:
        return False
    mine, theirs = EVAL_CODES[commit_code], EVAL_CODES[log_code]
    if mine.arguments != theirs.arguments:
        return False
    if kind == "Base":
        fields = ("truncates", "cw_stable_natural", "test_loss", "cw_lip", "l2_linf_epsilon")
        return all(getattr(mine, f) == getattr(theirs, f) for f in fields)
    return attack != "AA-Compact" or mine.compact_file == theirs.compact_file


@lru_cache(maxsize=None)
def _train_candidates(log_code: str, exact: bool) -> Tuple[Tuple[int, int], ...]:
    test = _train_exact if exact else train_names_match
    return tuple((c.ms, i) for i, c in enumerate(TRAIN_COMMITS) if TRAIN_CODES[c.code].runs and test(c.code, log_code))


@lru_cache(maxsize=None)
def _eval_candidates(log_code: str, kind: str, attack: str, exact: bool) -> Tuple[Tuple[int, int], ...]:
    return tuple((c.ms, i) for i, c in enumerate(EVAL_COMMITS)
                 if (_eval_exact(c.code, log_code, kind, attack) if exact else eval_templates_match(c.code, log_code, kind)))


def train_commit_indexes(log_code: str, start_ms: int, exact: bool = False) -> List[int]:
    """Indexes into TRAIN_COMMITS of the commits whose code could have written a training log."""
    return [i for ms, i in _train_candidates(log_code, exact) if ms <= start_ms]


def eval_commit_indexes(log_code: str, kind: str, attack: str, start_ms: int, exact: bool = False) -> List[int]:
    """Indexes into EVAL_COMMITS of the commits whose eval.py could have written an evaluation log."""
    return [i for ms, i in _eval_candidates(log_code, kind, attack, exact) if ms <= start_ms]


def clear_of_commits(ms: int, times: Sequence[int], before_ms: int, after_ms: int) -> int:
    """`ms`, moved later until none of the commit `times` lies in (ms - before, ms + after].

    With every commit whose code fits the same logs at least `after_ms` after a log (and
    `before_ms` before it), comparing the log's wall clock with a commit's in any zone up to that
    far apart gives the same answer.
    """
    moved = True
    while moved:
        moved = False
        for t in times:
            if ms - before_ms < t <= ms + after_ms:
                ms = t + before_ms + 60_000
                moved = True
    return ms
