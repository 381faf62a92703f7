"""A figure of the report: its file name, how its Altair chart is made and the rows drawn in it.

Each figure family lives in its own module (`best_epoch`, `duplicates`, `curves`, `arch_bands`,
`gpus`, `missing_eval`, `code_ran`) with one function `figures(data, context) -> list[Figure]`;
`build.py` lists them in order. A figure keeps the rows behind its chart (`rows`, by layer) so tests
and the document read the same numbers the chart shows, and `facts`, the few numbers its caption
quotes. Its chart is not built with it: `drawing` names the function that builds it and the plain
values it is built from, and the chart is built the first time it is asked for.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable
from urllib.parse import quote

from reports.data import ReportData
from reports.lazy import alt
from reports.style import UNKNOWN_SITE


@dataclass(frozen=True)
class Drawing:
    """How a figure's chart is made: a function and the plain values (rows, numbers, text) it is
    made from.

    A report keys a figure's files by what its chart is made from (reports/outputs.py `figure_key`,
    with the source of reports/ and Altair's version), not by the chart's spec: building the Altair
    objects and their specs took most of a report that redrew nothing, and a figure whose files are
    current is never built."""

    make: Callable[..., alt.TopLevelMixin]
    args: tuple = ()

    @classmethod
    def of(cls, chart: alt.TopLevelMixin) -> "Drawing":
        """The drawing of a chart built already (made from itself)."""
        return cls(_ready, (chart,))

    def chart(self) -> alt.TopLevelMixin:
        return self.make(*self.args)

    def digest(self) -> str:
        """The hash of what the chart is made from: the function's name and its arguments (dicts in
        their own order: rows keep their query's column order, and another order only redraws)."""
        text = json.dumps([self.make.__module__, self.make.__qualname__, self.args], separators=(",", ":"),
                          default=_as_text)
        return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def _ready(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart


def _as_text(value):
    """A value JSON has no type for: a chart as its spec, anything else (dates) as its repr."""
    return chart_dict(value) if isinstance(value, alt.TopLevelMixin) else repr(value)


@dataclass
class Figure:
    name: str
    drawing: Drawing
    section: str
    caption: str
    rows: dict[str, list[dict]] = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    banner: str | None = None
    """Said before the title (its first line), e.g. that the warehouse holds demo data."""

    _chart: alt.TopLevelMixin | None = field(default=None, repr=False, compare=False)
    _spec: dict | None = field(default=None, repr=False, compare=False)
    _checked: bool = field(default=False, repr=False, compare=False)

    @property
    def chart(self) -> alt.TopLevelMixin:
        """The Altair chart, built on first use from `drawing`, whose parts copy whole (`released`)."""
        return released(self._composed())

    def _composed(self) -> alt.TopLevelMixin:
        """The chart as built, its parts still composed in place (`in_place`): Altair's `to_dict`
        copies them too, so the spec is made from this one."""
        if self._chart is None:
            from altair.utils.schemapi import debug_mode

            # Altair's check of each object as it is made walks every row of the inline data
            # (seconds at full scale); the spec drawn is checked against the schema instead (`spec`)
            with debug_mode(False):
                self._chart = self.drawing.chart()
        return self._chart

    @property
    def n_rows(self) -> int:
        """How many rows the chart draws (its rows, by layer): what drawing it costs grows with."""
        return sum(len(rows) for rows in self.rows.values())

    def made_from(self) -> list:
        """What the figure's spec is made from (its drawing's hash and the banner), for its files' key."""
        return [self.drawing.digest(), self.banner]

    def spec(self) -> dict:
        """The Vega-Lite spec, data inlined, without the $schema URL (nothing to fetch offline),
        checked against the Vega-Lite schema (once: the files and index.html share it)."""
        spec = self.unchecked_spec()
        if not self._checked:
            validate_structure(spec)
            self._checked = True
        return spec

    def take_spec(self, spec: dict) -> None:
        """Use `spec` as this figure's unchecked spec: the one an earlier report built, checked and
        drew for the same key (reports/outputs.py `kept_spec`), so the chart is not built."""
        self._spec = spec

    def unchecked_spec(self) -> dict:
        """`spec` without the schema check, for a report that embeds one whose spec is the one an
        earlier report checked and drew (reports/build.py)."""
        if self._spec is None:
            self._spec = chart_dict(self._composed())
            self._spec.pop("$schema", None)
            if self.banner:
                self._spec["title"] = with_banner(self._spec.get("title"), self.banner)
        return self._spec


@lru_cache(maxsize=1)
def _shared_rows() -> type:
    """The class of inline rows that charts share instead of copying: Altair deep-copies every
    chart it layers or concatenates, inline rows included (a copy per value; seconds at full
    scale). Made on first use, as Altair is imported (reports/lazy.py)."""

    class SharedRows(alt.InlineData):
        def __deepcopy__(self, memo=None) -> "SharedRows":
            return self

    return SharedRows


def inline(rows: list[dict]) -> alt.InlineData:
    """The data of a chart: rows that are JSON-ready already (reports/data.py), shared, not copied."""
    return _shared_rows()(values=rows)


def in_place(chart):
    """`chart`, taken as it is by the layer or concatenation it goes into instead of deep-copied.

    Altair deep-copies every chart it layers or concatenates, and every chart inside it again at
    each level, in case the caller goes on using it: ~550,000 copies for the 14 figures, more than
    half of building their specs (1.75 -> 0.74 s of CPU at full scale). The figure functions hand
    each chart to one composition and never use it again, so its copy may be the chart itself
    (Altair's copy asks a chart's `__deepcopy__` first, as for `inline` rows); the specs are the
    same, byte for byte (tests/test_report.py). `Figure.chart`, which a notebook gets, takes the marks
    off (`released`)."""
    object.__setattr__(chart, "__deepcopy__", lambda memo=None: chart)  # not a property of the spec
    return chart


def released(chart):
    """`chart` with the `in_place` marks of the charts inside it taken off: a figure's chart handed
    out (`Warehouse.figure` in a notebook) copies whole again, as Altair's charts do."""
    todo = [chart]
    while todo:
        part = todo.pop()
        vars(part).pop("__deepcopy__", None)
        for key in ("layer", "hconcat", "vconcat", "concat"):
            inner = getattr(part, key, None)  # a chart's property; AttributeError when it has none
            if isinstance(inner, list):
                todo.extend(c for c in inner if isinstance(c, alt.TopLevelMixin))
    return chart


def layer(*charts, **kwargs) -> alt.LayerChart:
    """`alt.layer` of charts used once (`in_place`)."""
    return alt.layer(*map(in_place, charts), **kwargs)


def hconcat(*charts, **kwargs) -> alt.HConcatChart:
    """`alt.hconcat` of charts used once (`in_place`)."""
    return alt.hconcat(*map(in_place, charts), **kwargs)


def vconcat(*charts, **kwargs) -> alt.VConcatChart:
    """`alt.vconcat` of charts used once (`in_place`)."""
    return alt.vconcat(*map(in_place, charts), **kwargs)


def concat(*charts, **kwargs) -> alt.ConcatChart:
    """`alt.concat` of charts used once (`in_place`)."""
    return alt.concat(*map(in_place, charts), **kwargs)


def chart_dict(chart: alt.TopLevelMixin) -> dict:
    """`chart.to_dict()` with the rows of its inline data put in afterwards.

    Altair's `to_dict` walks every value of every row (a type check per value): at full scale,
    with 15,625 runs in a figure, that was seconds of the report. The rows are JSON-ready already
    (reports/data.py), so each list of rows is swapped for a one-row marker while Altair builds
    the spec, and the marker for the rows in the result; the chart is left as it was."""
    stash: list[list[dict]] = []
    undo: list[tuple[dict, str, list]] = []
    try:
        _take_rows(chart, stash, undo, set())
        spec = chart.to_dict(validate=False)
    finally:
        for holder, key, rows in reversed(undo):
            holder[key] = rows
    return _put_rows(spec, stash) if stash else spec


_MARKER = "__report_rows__"


def _is_rows(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _take_rows(node, stash: list, undo: list, seen: set) -> None:
    """Swap every inline data list (`values`, `datasets`) in the chart objects for a marker."""
    from altair.utils.schemapi import SchemaBase

    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, SchemaBase):
        for key, value in list(node._kwds.items()):
            if key == "values" and _is_rows(value):
                undo.append((node._kwds, key, value))
                node._kwds[key] = [{_MARKER: len(stash)}]
                stash.append(value)
            elif key == "datasets" and isinstance(value, dict):
                for name, rows in list(value.items()):
                    if _is_rows(rows):
                        undo.append((value, name, rows))
                        value[name] = [{_MARKER: len(stash)}]
                        stash.append(rows)
            else:
                _take_rows(value, stash, undo, seen)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _take_rows(value, stash, undo, seen)
    elif isinstance(node, dict):
        for value in node.values():
            _take_rows(value, stash, undo, seen)


def _put_rows(node, stash: list):
    """The spec with each marker list replaced by its rows (new containers; the rows are shared)."""
    if isinstance(node, list):
        if len(node) == 1 and isinstance(node[0], dict) and _MARKER in node[0]:
            return stash[node[0][_MARKER]]
        return [_put_rows(v, stash) for v in node]
    if isinstance(node, dict):
        return {k: _put_rows(v, stash) for k, v in node.items()}
    return node


def with_banner(title, banner: str) -> dict:
    """A spec's title with `banner` as its first line (a title dict, a plain text or none)."""
    if not isinstance(title, dict):
        title = {"text": title} if title else {"text": []}
    text = title.get("text") or []
    return {**title, "text": [banner, *(text if isinstance(text, list) else [text])]}


SAMPLE_ROWS = 3


@lru_cache(maxsize=1)
def _schema() -> dict:
    from altair.vegalite.v6.schema import core as vegalite_schema

    return vegalite_schema.load_schema()


@lru_cache(maxsize=1)
def _validator():
    """One compiled validator of the Vega-Lite schema for the process (jsonschema-rs).

    The pure-Python validator took a third of a second per figure, a third of a small report's
    time: the schema is a deep tree of `anyOf`s. The schema's references name definitions with
    characters a URI may not hold (`MarkPropDef<(Gradient|string|null)>`), which jsonschema-rs
    refuses, so they are percent-encoded (a JSON pointer in a URI fragment is decoded before it is
    followed: the same definitions). Formats are not checked, as the pure-Python validator does
    not check them without a format checker."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_encoded_refs(_schema()), validate_formats=False)


def _encoded_refs(node):
    """A copy of a schema with each `$ref` percent-encoded (`#` and `/` kept)."""
    if isinstance(node, dict):
        return {key: quote(value, safe="#/") if key == "$ref" and isinstance(value, str) else _encoded_refs(value)
                for key, value in node.items()}
    if isinstance(node, list):
        return [_encoded_refs(value) for value in node]
    return node


def validate_structure(spec: dict) -> None:
    """Check a spec against the Vega-Lite schema with its inline data cut to a few rows.

    Altair's own check walks every data row too: at full scale (15,625 archs) that was most of the
    report's time, while a wrong mark, encoding or transform shows up in any three rows. A spec
    that fails is checked again by Altair's function, for its clearer message (and its error
    type, jsonschema's `ValidationError`).
    """
    sampled = _sampled(spec)
    if not _validator().is_valid(sampled):
        from altair.utils.schemapi import validate_jsonschema
        from jsonschema.exceptions import ValidationError

        validate_jsonschema(sampled, _schema())
        raise ValidationError("the spec does not follow the Vega-Lite schema")


def _sampled(node):
    """A copy of a spec with every inline data list (`values`, `datasets`) cut to SAMPLE_ROWS rows."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "values" and isinstance(value, list):
                out[key] = copy.deepcopy(value[:SAMPLE_ROWS])
            elif key == "datasets" and isinstance(value, dict):
                out[key] = {name: copy.deepcopy(rows[:SAMPLE_ROWS]) for name, rows in value.items()}
            else:
                out[key] = _sampled(value)
        return out
    if isinstance(node, list):
        return [_sampled(v) for v in node]
    return node


@dataclass
class Context:
    """What every figure family needs besides the data: the sites to draw and the user's choices."""

    sites: list[str]
    all_sites: list[str]
    curve_archs: list[int] | None = None
    top_curves: int = 5
    banner: str | None = None
    """DEMO_BANNER when the warehouse holds demo data (sql/report/demo_roots.sql), else None."""

    @classmethod
    def from_data(cls, data: ReportData, curve_archs: list[int] | None = None, top_curves: int = 5) -> "Context":
        """Per-site figures are drawn for every site with a finished run; unknown only when alone."""
        rows = data.rows("report_sites")
        all_sites = [r["site"] for r in rows]
        known = [r["site"] for r in rows if r["n_finished"] and r["site"] != UNKNOWN_SITE]
        sites = known or [r["site"] for r in rows if r["n_finished"]]
        banner = DEMO_BANNER if data.rows("demo_roots") else None
        return cls(sites=sites, all_sites=all_sites, curve_archs=curve_archs, top_curves=top_curves, banner=banner)


DEMO_BANNER = "DEMO DATA: synthetic logs written by `nares demo`, not benchmark results"
