"""report.md and index.html: the analysis as a document, from one list of blocks.

The document is built once as blocks (headings, paragraphs, figures, tables, verdicts) and
written twice: as Markdown with the PNGs, and as a self-contained HTML page with the interactive
charts. Every number in it comes from the figures' facts or from `check` (warehouse/checks.py);
the conclusions are computed from those numbers with the rules stated next to them, so the text
changes when the data does. The hypotheses themselves are in `reports/analysis.py`.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Callable

from reports.figures import Figure
from reports.render import chart_block


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Verdict:
    supported: bool | None
    text: str


@dataclass
class Table:
    columns: list[str]
    rows: list[list]
    numeric: set[int] = field(default_factory=set)
    summary: str | None = None  # when set, the table is folded (HTML) under this line


@dataclass
class FigureBlock:
    figure: Figure


Block = Heading | Para | Bullets | Verdict | Table | FigureBlock

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def inline_html(text: str) -> str:
    """Escape text, then turn `code` and **bold** into tags."""
    out = html.escape(text, quote=False)
    out = _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", out)
    return _BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", out)


def _md_cell(value) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def _verdict_word(supported: bool | None) -> str:
    return {True: "Supported", False: "Not supported", None: "Not testable"}[supported]


def _figure_target(name: str, formats: tuple[str, ...]) -> str | None:
    for fmt in ("png", "svg", "html"):
        if fmt in formats:
            return f"{name}.{fmt}"
    return None


def to_markdown(blocks: list[Block], formats: tuple[str, ...]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"{'#' * b.level} {b.text}")
        elif isinstance(b, Para):
            out.append(b.text)
        elif isinstance(b, Bullets):
            out.append("\n".join(f"- {item}" for item in b.items))
        elif isinstance(b, Verdict):
            out.append(f"> **{_verdict_word(b.supported)}.** {b.text}")
        elif isinstance(b, Table):
            lines = []
            if b.summary:
                lines.append(b.summary)
                lines.append("")
            lines.append("| " + " | ".join(b.columns) + " |")
            lines.append("|" + "|".join("---:" if i in b.numeric else "---" for i in range(len(b.columns))) + "|")
            lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
        elif isinstance(b, FigureBlock):
            f = b.figure
            target = _figure_target(f.name, formats)
            links = ", ".join(f"[{fmt}]({f.name}.{fmt})" for fmt in formats)
            if target and not target.endswith(".html"):
                out.append(f"![{f.name}]({target})\n\n*{f.caption}* ({links})")
            else:
                out.append(f"*{f.caption}* ({links or 'no figure files written'})")
    return "\n\n".join(out) + "\n"


def _html_table(b: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in b.columns)
    body = "".join(
        "<tr>" + "".join(
            f"<td class=\"num\">{html.escape(str(v))}</td>" if i in b.numeric
            else f"<td>{inline_html('' if v is None else str(v))}</td>"
            for i, v in enumerate(row)
        ) + "</tr>"
        for row in b.rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if b.summary:
        return f"<details><summary>{inline_html(b.summary)}</summary>{table}</details>"
    return table


def embedded_chart(element_id: str, figure: Figure) -> str:
    """The interactive chart of a figure in the report page: its spec inline."""
    return chart_block(element_id, figure.unchecked_spec())


def html_body(blocks: list[Block], formats: tuple[str, ...],
              chart: Callable[[str, Figure], str] = embedded_chart) -> str:
    """The body of the report page: text, tables and one interactive chart per figure (`chart`
    gives each chart's HTML: a report keys the page with the figures' keys in their place)."""
    parts: list[str] = []
    n_chart = 0
    for b in blocks:
        if isinstance(b, Heading):
            anchor = re.sub(r"[^a-z0-9]+", "-", b.text.lower()).strip("-")
            parts.append(f"<h{b.level} id=\"{anchor}\">{inline_html(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            parts.append(f"<p>{inline_html(b.text)}</p>")
        elif isinstance(b, Bullets):
            parts.append("<ul>" + "".join(f"<li>{inline_html(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Verdict):
            css = "verdict supported" if b.supported else "verdict"
            word, text = _verdict_word(b.supported), inline_html(b.text)
            parts.append(f"<p class=\"{css}\"><strong>{word}.</strong> {text}</p>")
        elif isinstance(b, Table):
            parts.append(_html_table(b))
        elif isinstance(b, FigureBlock):
            n_chart += 1
            f = b.figure
            links = " ".join(f"<a href=\"{f.name}.{fmt}\">{fmt}</a>" for fmt in formats)
            parts.append(
                f"<figure id=\"fig-{html.escape(f.name)}\">{chart(f'chart-{n_chart}', f)}"
                f"<figcaption><code>{html.escape(f.name)}</code>: {inline_html(f.caption)} {links}</figcaption></figure>"
            )
    return "\n".join(parts)
