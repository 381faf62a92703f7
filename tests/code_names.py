"""The argparse option names (dest form, declaration order) of the benchmark's entry scripts at
each code version (SPEC section 8), for the tests that check the demo's logs and code
repositories against the real history, and the names a log prints."""

import re

T3 = ("exp_name", "config_path", "version", "seed", "fix_seed", "stop_epoch", "warmup_steps", "train_eval_epoch",
      "data_parallel", "load_model", "load_best_model", "attack_choice", "epsilon", "num_steps", "step_size",
      "apex_amp", "native_amp")
T4 = T3[:7] + ("save_epochs",) + T3[7:]
T6 = tuple(n for n in T4 if n != "fix_seed")
T7 = T6[:4] + ("data_path", "run") + T6[4:]
T9 = T7[:11] + ("valset",) + T7[11:14] + ("attack_step",) + T7[14:]
TRAIN_NAMES = (T3, T4, T6, T7, T9)
"""main.py's names, T3 (2022-12-18) to T9 (2024-06-13); T5 and T8 kept their predecessors' names."""


def log_names(text: str) -> tuple:
    """The argument names a log prints (`name: value` records after the lone seed record for a training
    log; the leading records for an evaluation log)."""
    lines = text.split("\n")
    start = next((i + 2 for i, line in enumerate(lines) if " Namespace(" in line), None)
    if start is None:
        start = next(i for i, line in enumerate(lines) if re.match(r"\S+ \S+ seed: ", line))
    names = []
    for line in lines[start:]:
        m = re.match(r"\S+ \S+ (\w+): ", line)
        if not m:
            break
        names.append(m.group(1))
    return tuple(names)
