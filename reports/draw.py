"""Drawing a figure's PNG and SVG in vl-convert's JavaScript engine: the work of the report's
drawing processes (reports/build.py).

A drawing process imports this module and vl-convert only: it is spawned, so every import here is
paid again in each process (the warehouse package alone, with DuckDB, was ~0.2 s of CPU each).
"""
from __future__ import annotations

import vl_convert

PNG_SCALE = 2.0

_TINY_SPEC = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"values": [{"x": 1}]},
              "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}


def start_engine() -> None:
    """Start vl-convert's JavaScript engine in this process by drawing a one-point chart: the first
    chart of a process costs ~0.5 s more than the next (V8 and the Vega bundle loaded)."""
    vl_convert.vegalite_to_svg(_TINY_SPEC)


def images(spec: dict, formats: tuple[str, ...]) -> dict[str, bytes | str]:
    """The PNG and SVG (those asked for) of a full spec (reports/render.py `full_spec`). The PNG is
    the SVG rasterised (byte for byte what `vegalite_to_png` gives): Vega lays the chart out once
    for both files."""
    if "png" not in formats and "svg" not in formats:
        return {}
    svg = vl_convert.vegalite_to_svg(spec)
    drawn: dict[str, bytes | str] = {"svg": svg} if "svg" in formats else {}
    if "png" in formats:
        drawn["png"] = vl_convert.svg_to_png(svg, scale=PNG_SCALE)
    return drawn
