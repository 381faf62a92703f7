"""The NARes search space as the logs describe it: the decision vector of an architecture.

A model Config gives `depth_configs = [D1, D2, D3]` and `channel_configs = [16, 16*W1, 32*W2, 64*W3]`.
"""
from __future__ import annotations


def architecture(model: dict | None) -> dict:
    """Decision vector (d1, w1, d2, w2, d3, w3) from a model Config; None for what it does not say.

    >>> architecture({"depth_configs": [4, 5, 7], "channel_configs": [16, 160, 320, 640]})
    {'d1': 4, 'w1': 10, 'd2': 5, 'w2': 10, 'd3': 7, 'w3': 10}
    """
    out = {k: None for k in ("d1", "w1", "d2", "w2", "d3", "w3")}
    if not model:
        return out
    depths = model.get("depth_configs")
    channels = model.get("channel_configs")
    if isinstance(depths, (list, tuple)) and len(depths) == 3:
        out["d1"], out["d2"], out["d3"] = (int(d) if isinstance(d, int) and not isinstance(d, bool) else None for d in depths)
    if isinstance(channels, (list, tuple)) and len(channels) == 4:
        for key, channel, base in (("w1", channels[1], 16), ("w2", channels[2], 32), ("w3", channels[3], 64)):
            if isinstance(channel, int) and not isinstance(channel, bool) and channel % base == 0:
                out[key] = channel // base
    return out
