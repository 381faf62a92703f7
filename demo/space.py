"""The NARes search space: 15,625 PreAct WideResNets, numbered by ascending MACs.

The numbers printed by the benchmark (`flops: 55.2148M`, `param size = 0.369498MB`) are reproduced
exactly from depths and channels, so a generated log agrees with the real ones and with the
warehouse's `archs` table:

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
STRIDES = (1, 2, 2)
IMAGE_SIZE = 32
NUM_CLASSES = 10
SMALL_BELOW = 5162   # `small` for id < 5162
LARGE_ABOVE = 13071  # `large` for id > 13071


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
    """`channel_configs` of the model config: stem width 16, then 16*W1, 32*W2, 64*W3."""
    return [16, 16 * w1, 32 * w2, 64 * w3]


def macs_and_params(depths: Sequence[int], channels: Sequence[int]) -> Tuple[float, float]:
    """MACs in millions and parameters in millions of a PreActRobustNetwork on 32x32 input.

    Returned rounded to 6 decimals, the precision of the logged `param size = %fMB`.
    """
    size = IMAGE_SIZE
    macs = 3 * channels[0] * 9 * size * size
    params = 3 * channels[0] * 9
    c_in = channels[0]
    for stage, depth in enumerate(depths):
        c_out = channels[stage + 1]
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
    macs += c_in * size * size + c_in  # final BN, global pooling
    params += 2 * c_in
    macs += c_in * NUM_CLASSES
    params += c_in * NUM_CLASSES + NUM_CLASSES
    return round(macs / 1e6, 6), round(params / 1e6, 6)


def enumerate_decisions() -> List[Tuple[int, int, int, int, int, int]]:
    """All 5^6 decision vectors [D1, W1, D2, W2, D3, W3], D1 varying slowest, W3 fastest."""
    return [
        (d1, w1, d2, w2, d3, w3)
        for d1, w1, d2, w2, d3, w3 in itertools.product(DEPTHS, WIDTHS, DEPTHS, WIDTHS, DEPTHS, WIDTHS)
    ]


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


def arch_table() -> Dict[int, Tuple[int, int, int, int, int, int, float, float]]:
    """arch_id -> (D1, W1, D2, W2, D3, W3, macs_m, params_mb): the plain-tuple view for loaders."""
    return {arch_id: tuple(arch[1:]) for arch_id, arch in search_space().items()}


def size_class(arch_id: int) -> str:
    """`small`, `medium` or `large`: the config folder the training scripts used."""
    if arch_id < SMALL_BELOW:
        return "small"
    if arch_id > LARGE_ABOVE:
        return "large"
    return "medium"
