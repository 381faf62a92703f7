"""Figures to files, offline: PNG and SVG through vl-convert (reports/draw.py), HTML with Vega inlined.

vl-convert runs Vega in an embedded JavaScript engine, so nothing is fetched from a network; the
HTML pages carry the same Vega, Vega-Lite and vega-embed bundle inline (`javascript_bundle`), so
they open from a file with no network and no CDN. Every page shows a chart that failed to render
as a red message in place of the chart, so a broken figure cannot go unnoticed.
"""
from __future__ import annotations

import hashlib
import html
import json
from functools import lru_cache
from pathlib import Path

import vl_convert

from ingest.write import write_whole
from reports.draw import PNG_SCALE, images
from reports.style import CONFIG
from warehouse.cache import cache_dir, keep, made_meanwhile

FORMATS = ("png", "svg", "html")

PAGE_STYLE = """
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; color: #222; margin: 0 auto;
       max-width: 1180px; padding: 16px 28px 48px; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
h3 { margin-top: 1.3em; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; font-size: 0.92em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 1.6em; } figcaption { color: #444; font-size: 0.92em; margin-top: 4px; }
.chart { overflow-x: auto; } .render-error { color: #b00020; font-weight: bold; white-space: pre-wrap; }
.verdict { padding: 6px 10px; border-left: 4px solid #4c78a8; background: #f5f8fc; }
.verdict.supported { border-color: #e45756; background: #fdf3f3; }
details { margin: 0.6em 0; } summary { cursor: pointer; color: #333; }
ul.files { columns: 3; font-size: 0.9em; }
"""

RENDER_SCRIPT = """
(function () {
  var errors = [];
  function report(message) {
    errors.push(String(message));
    var box = document.getElementById('render-errors');
    if (box) { box.textContent = 'Rendering errors:\\n' + errors.join('\\n'); box.hidden = false; }
  }
  window.addEventListener('error', function (event) { report(event.message); });
  var charts = document.querySelectorAll('[data-spec]');
  var done = 0;
  charts.forEach(function (el) {
    var spec = JSON.parse(document.getElementById(el.getAttribute('data-spec')).textContent);
    vegaEmbed(el, spec, {actions: false, renderer: 'svg'}).then(function () {
      done += 1;
      el.setAttribute('data-rendered', 'yes');
      if (done === charts.length) { document.body.setAttribute('data-charts-rendered', String(done)); }
    }).catch(function (err) {
      el.innerHTML = '';
      var p = document.createElement('p');
      p.className = 'render-error';
      p.textContent = 'This chart failed to render: ' + err;
      el.appendChild(p);
      report(err);
    });
  });
})();
"""


def full_spec(spec: dict) -> dict:
    """The spec with the report's look (fonts, sizes) as its config."""
    out = dict(spec)
    out["config"] = {**CONFIG, **spec.get("config", {})}
    return out


def bundle_cache() -> Path:
    """Where the Vega bundle of this vl-convert version is kept between reports."""
    return cache_dir() / f"vega-bundle-{vl_convert.__version__}.js"


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (about 0.9 MB). Making it costs ~1.4 s of CPU
    and depends only on the vl-convert version, so it is made once per version and kept in the
    user's cache folder (`bundle_cache`); a cache that cannot be read or written is only slower."""
    made_meanwhile(vega_bundle)
    cached = bundle_cache()
    try:
        text = cached.read_bytes().decode("utf-8")  # bytes: no newline translation
        if text.strip():
            return text
    except (OSError, UnicodeDecodeError):
        pass
    text = vl_convert.javascript_bundle()
    keep(cached, text)
    return text


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


def chart_block(element_id: str, spec: dict) -> str:
    """The HTML of one interactive chart: a container and its spec as inline JSON."""
    return (
        f'<div class="chart" id="{element_id}" data-spec="{element_id}-spec"></div>\n'
        f'<script type="application/json" id="{element_id}-spec">{_script_json(full_spec(spec))}</script>'
    )


def page(title_text: str, body: str) -> str:
    """A self-contained HTML page: style, the Vega bundle and the chart renderer inline."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title_text)}</title>\n<style>{PAGE_STYLE}</style>\n"
        f"<script>{vega_bundle()}</script>\n</head>\n<body>\n"
        "<pre id=\"render-errors\" class=\"render-error\" hidden></pre>\n"
        f"{body}\n<script>{RENDER_SCRIPT}</script>\n</body>\n</html>\n"
    )


def figure_page(name: str, caption: str, spec: dict) -> str:
    body = f"{chart_block('figure', spec)}\n<p>{html.escape(caption)}</p>"
    return page(name, body)


def renderer() -> str:
    """What the files of a figure depend on besides its spec and caption: part of its key
    (reports/outputs.py), so a new renderer or page template draws every figure again."""
    template = hashlib.sha256((PAGE_STYLE + RENDER_SCRIPT).encode()).hexdigest()[:16]
    return f"vl-convert {vl_convert.__version__}, png scale {PNG_SCALE}, page {template}"


def write_figure(out: Path, name: str, spec: dict, caption: str, formats: tuple[str, ...],
                 drawn: dict[str, bytes | str] | None = None) -> list[Path]:
    """Write `<name>.png`, `.svg` and `.html` (those asked for) into `out`; return the paths.
    `drawn` holds the images when another process drew them (reports/draw.py `images`)."""
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ValueError(f"unknown figure format {unknown[0]!r}: use {', '.join(FORMATS)}")
    spec = full_spec(spec)
    drawn = images(spec, formats) if drawn is None else drawn
    written = []
    for fmt in formats:
        path = out / f"{name}.{fmt}"
        write_whole(path, drawn[fmt] if fmt in ("png", "svg") else figure_page(name, caption, spec))
        written.append(path)
    return written
