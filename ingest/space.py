"""The NARes search space, in one place: 15,625 PreAct WideResNets, their decision vectors, sizes and ids.

An architecture is the decision vector (D1, W1, D2, W2, D3, W3): depths from DEPTHS and widths from
WIDTHS for the three stages. A model Config prints it as `depth_configs = [D1, D2, D3]` and
`channel_configs = [16, 16*W1, 32*W2, 64*W3]` (STEM_CHANNELS, then CHANNEL_BASES times the widths).
The ids 1..15625 number the architectures by ascending MACs (`search_space`), and the training
scripts kept them in three size folders by id (`size_class`).

Who uses it: the ingest decodes a logged Config (`architecture`); the demo enumerates the space and
prints the sizes the benchmark prints; the warehouse's archs step (sql/steps/50_archs.sql)
states `size_class` again in SQL, held to this module by tests/test_space.py.

The numbers printed by the benchmark (`flops: 55.2148M`, `param size = 0.369498MB`) are reproduced
exactly from depths and channels:

>>> macs_and_params([4, 4, 4], [16, 16, 32, 64])
(55.214784, 0.369498)

MACs count every convolution and the linear layer as multiply-accumulates, plus one per output
element of each BatchNorm and of the global pooling (what the benchmark's profiler reports).
Parameters are conv and linear weights, the linear bias and the BatchNorm affine pairs, in millions.
"""
from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Dict, List, NamedTuple, Sequence, Tuple

DEPTHS = (4, 5, 7, 9, 11)
WIDTHS = (8, 10, 12, 14, 16)
STEM_CHANNELS = 16
CHANNEL_BASES = (16, 32, 64)
"""Stage k has CHANNEL_BASES[k] x its width channels."""
STRIDES = (1, 2, 2)
IMAGE_SIZE = 32
NUM_CLASSES = 10
SMALL_BELOW = 5162   # `small` for id < 5162
LARGE_ABOVE = 13071  # `large` for id > 13071
MAX_ARCH_ID = (len(DEPTHS) * len(WIDTHS)) ** 3
"""15,625: the ids run from 1 to this."""
DECISIONS = ("d1", "w1", "d2", "w2", "d3", "w3")
"""The names of the decision vector's entries, as the warehouse's columns name them."""


class Arch(NamedTuple):
    """One architecture: its decision vector and the two sizes the logs print."""

    arch_id: int
    d1: int
    w1: int
    d2: int
    w2: int
    d3: int
    w3: int
    macs_m: float
    params_mb: float

    @property
    def depths(self) -> List[int]:
        return [self.d1, self.d2, self.d3]

    @property
    def channels(self) -> List[int]:
        return channel_configs(self.w1, self.w2, self.w3)


def channel_configs(w1: int, w2: int, w3: int) -> List[int]:
    """`channel_configs` of the model config: the stem width, then each stage's base x its width."""
    return [STEM_CHANNELS] + [base * width for base, width in zip(CHANNEL_BASES, (w1, w2, w3))]


def _whole(value) -> int | None:
    """An int of a Config as itself; None for anything else (bool, float, text)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def architecture(model: dict | None) -> dict:
    """Decision vector (d1, w1, d2, w2, d3, w3) from a model Config; None for what it does not say.

    >>> architecture({"depth_configs": [4, 5, 7], "channel_configs": [16, 160, 320, 640]})
    {'d1': 4, 'w1': 10, 'd2': 5, 'w2': 10, 'd3': 7, 'w3': 10}
    """
    out = {k: None for k in DECISIONS}
    if not model:
        return out
    depths = model.get("depth_configs")
    channels = model.get("channel_configs")
    if isinstance(depths, (list, tuple)) and len(depths) == 3:
        out["d1"], out["d2"], out["d3"] = (_whole(d) for d in depths)
    if isinstance(channels, (list, tuple)) and len(channels) == 4:
        for key, channel, base in zip(("w1", "w2", "w3"), channels[1:], CHANNEL_BASES):
            if _whole(channel) is not None and channel % base == 0:
                out[key] = channel // base
    return out


def macs_and_params(depths: Sequence[int], channels: Sequence[int]) -> Tuple[float, float]:
    """MACs in millions and parameters in millions of a PreActRobustNetwork on 32x32 input.

    Returned rounded to 6 decimals, the precision of the logged `param size = %fMB`.
    """
    macs, params = _counts(tuple(depths), tuple(channels))
    return round(macs / 1e6, 6), round(params / 1e6, 6)


def _counts(depths: Tuple[int, ...], channels: Tuple[int, ...]) -> Tuple[int, int]:
    """Exact MACs and parameters: the stem, each stage (`_stage`), the head. Integers, so the
    sum is the same in any order."""
    macs = 3 * channels[0] * 9 * IMAGE_SIZE * IMAGE_SIZE
    params = 3 * channels[0] * 9
    size = IMAGE_SIZE
    for stage, depth in enumerate(depths):
        stage_macs, stage_params, size = _stage(stage, depth, channels[stage], channels[stage + 1], size)
        macs += stage_macs
        params += stage_params
    c_in = channels[len(depths)]
    macs += c_in * size * size + c_in  # final BN, global pooling
    params += 2 * c_in
    macs += c_in * NUM_CLASSES
    params += c_in * NUM_CLASSES + NUM_CLASSES
    return macs, params


@lru_cache(maxsize=None)
def _stage(stage: int, depth: int, c_in: int, c_out: int, size: int) -> Tuple[int, int, int]:
    """MACs, parameters and output size of one stage of `depth` pre-activation blocks. Kept:
    the 15,625 archs of the search space share 375 stages."""
    macs = params = 0
    for block in range(depth):
        stride = STRIDES[stage] if block == 0 else 1
        out_size = size // stride
        macs += c_in * size * size  # bn1 on the block input
        params += 2 * c_in
        macs += c_in * c_out * 9 * out_size * out_size  # conv1
        params += c_in * c_out * 9
        macs += c_out * out_size * out_size  # bn2
        params += 2 * c_out
        macs += c_out * c_out * 9 * out_size * out_size  # conv2
        params += c_out * c_out * 9
        if stride != 1 or c_in != c_out:  # 1x1 shortcut conv
            macs += c_in * c_out * out_size * out_size
            params += c_in * c_out
        c_in, size = c_out, out_size
    return macs, params, size


def enumerate_decisions() -> List[Tuple[int, int, int, int, int, int]]:
    """All 5^6 decision vectors [D1, W1, D2, W2, D3, W3], D1 varying slowest, W3 fastest."""
    return list(itertools.product(DEPTHS, WIDTHS, DEPTHS, WIDTHS, DEPTHS, WIDTHS))


@lru_cache(maxsize=1)
def search_space() -> Dict[int, Arch]:
    """arch_id -> Arch for ids 1..15625, in ascending order of MACs.

    The 172 pairs of architectures with equal MACs are ordered by *reverse* enumeration order
    (`enumerate_decisions`): the benchmark sorted its configs by MACs in descending order with a
    stable sort and numbered them from the end. This is what makes the ids agree with the published
    configs, e.g. arch_025 = [5, 8, 4, 8, 7, 8] before arch_026 = [4, 8, 7, 8, 5, 8] (both 4570.3552M),
    and arch_1345 = [4, 14, 4, 14, 5, 8], arch_7843 = [5, 14, 7, 8, 7, 16].
    """
    rows = []
    for index, (d1, w1, d2, w2, d3, w3) in enumerate(enumerate_decisions()):
        macs, params = macs_and_params([d1, d2, d3], channel_configs(w1, w2, w3))
        rows.append((macs, -index, d1, w1, d2, w2, d3, w3, params))
    rows.sort(key=lambda row: (row[0], row[1]))
    return {
        arch_id: Arch(arch_id, d1, w1, d2, w2, d3, w3, macs, params)
        for arch_id, (macs, _, d1, w1, d2, w2, d3, w3, params) in enumerate(rows, start=1)
    }


def size_class(arch_id: int) -> str:
    """`small`, `medium` or `large`: the config folder the training scripts used (the archs table's
    size_class; sql/steps/50_archs.sql states the same thresholds)."""
    if arch_id < SMALL_BELOW:
        return "small"
    if arch_id > LARGE_ABOVE:
        return "large"
    return "medium"
