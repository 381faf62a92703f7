"""The records the planner hands to the renderers: one `RunSpec` per training run (with its
evaluations) and one `StaticFile` per other file. Frozen and picklable, so worker processes can
render any run from its spec alone, which keeps the output independent of scheduling."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from ingest.space import Arch

GPU_3090 = "NVIDIA GeForce RTX 3090"
GPU_A100 = "NVIDIA A100-SXM4-40GB"
GPU_A6000 = "NVIDIA RTX A6000"
GPU_V100 = "Tesla V100-SXM2-32GB"

#: git identities: name, email, UTC offset in minutes (winter, summer)
IDENTITIES = {
    "zaber": ("zaber", "zaber@mail.sustech.edu.cn", (480, 480)),
    "zaberko": ("ZaberKo", "20830726+ZaberKo@users.noreply.github.com", (480, 480)),
    "shihuahuang": ("shihuahuang", "huangshihua@msu.edu", (-300, -240)),
    "labadmin": ("lab-admin", "admin@robustbench-lab.org", (0, 0)),
    # authors of the code repositories (`coderepo`), as in the benchmark's public code history
    "code_shihuahuang": ("shihuahuang", "shihuahuang95@gmail.com", (480, 480)),
    "code_zaber": ("zaber", "20830726+ZaberKo@users.noreply.github.com", (480, 480)),
}
SITE_OF_IDENTITY = {"zaber": "SUSTech", "zaberko": "SUSTech", "shihuahuang": "MSU", "labadmin": "unknown"}

SITES_TOML = """# Which git authors (name or email, case-insensitive) and which path globs belong to which site.
[sites.SUSTech]
authors = ["zaber", "20830726+ZaberKo@users.noreply.github.com"]

[sites.MSU]
authors = ["shihuahuang"]
paths = ["msu/**"]            # used when the repository has no git history for a file

[code]
# git repositories of the training and evaluation code (paths relative to this file)
repos = ["code/train", "code/eval"]

[demo]
# written by `cli.py demo`: every log here is synthetic; reports and checks of it say so
synthetic = true
"""


@dataclass(frozen=True)
class EvalSpec:
    """One evaluation log of a run's best checkpoint."""

    path: str
    attack: str          # Base | AA | AA-Compact | cifar10c (the key file's `attack`)
    norm: str            # Linf | L2
    start_ms: int
    ready_ms: int        # no later than the log's last record
    gpu_list: Tuple[str, ...]
    torch_version: str
    numpy2: bool         # numpy >= 2 prints `np.float64(...)` in the checkpoint dict
    speed: float
    stop_batch: Optional[int] = None  # unfinished: stops after this many test batches
    code: str = "E5"     # the eval.py version that wrote it (`codeversions.EVAL_CODES`)

    @property
    def attack_choice(self) -> str:
        return "Base" if self.attack == "Base" else "AA"

    @property
    def aa_type(self) -> str:
        return "Compact" if self.attack == "AA-Compact" else "Standard"


@dataclass(frozen=True)
class RunSpec:
    """One training run, where its files go, and every flaw planted in it."""

    index: int
    arch: Arch
    stem: str                      # `arch_42` or zero-padded `arch_0042`: file and version name
    folder: str                    # folder of the run's files, relative to the repository
    log_path: Optional[str]        # None: the log is absent (orphan evaluations)
    yaml_path: Optional[str]
    site: str                      # the site attribution the ingest should find
    committer: Optional[str]       # identity key of the adding commit; None = untracked
    gpu_list: Tuple[str, ...]
    torch_version: str
    seed: int
    epochs: int
    start_ms: int
    epoch_ms: int
    ready_ms: int                  # no earlier than the log's last record
    behaviour: str                 # late | early (best CW-40 epoch before the first decay)
    clean_top: float
    cw_top: float
    overfit: float
    decays: Tuple[int, ...]        # epochs where the lr really drops
    exp_name: str
    config_path: str
    data_path: str
    workers: int
    run_name: str
    data_parallel: bool
    unfinished_at: Optional[Tuple[int, int]] = None   # (epoch, step lines written)
    resumed_at: Optional[Tuple[int, int, int]] = None  # (epoch, step lines, ms until restart)
    nan_from: Optional[int] = None
    evals: Tuple[EvalSpec, ...] = ()
    roles: Tuple[str, ...] = field(default=())
    code: str = "T8"               # the training code version that wrote it (`codeversions.TRAIN_CODES`)
    amp: str = "fp32"              # precision path that ran: apex | native (GradScaler, never unscaled) | fp32
    apex_flag: bool = False        # apex_amp as logged
    native_flag: bool = False      # native_amp as logged
    apex_importable: bool = True   # whether `import apex` worked on the machine
    train_speed: float = 1.0       # training step time relative to fp32 (AMP on a GPU: 0.6)
    gn_bad: Tuple[Tuple[int, int, str], ...] = ()  # (epoch, step line, 'inf'|'nan'): |gn| overflowed
    namespace_sorted: bool = False  # Python <= 3.8 prints Namespace(...) in alphabetical order

    @property
    def grad_norm_scale(self) -> float:
        """|gn| on step lines: the loss scale (65,536) times the true norm on the unscaled native path."""
        return 65536.0 if self.amp == "native" and self.gpu_list else 1.0

    @property
    def rng_key(self) -> str:
        return f"{self.folder}/{self.stem}"


@dataclass(frozen=True)
class StaticFile:
    """A file that is not a rendered log: unrelated files, broken logs, the sites file."""

    path: str
    content: bytes
    committer: Optional[str]
    ready_ms: int
    site: str
    role: str
