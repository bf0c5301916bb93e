"""The lab's outputs as static HTML in the page itself, shown from the first paint while Python
starts in the browser.

`marimo export html-wasm --execute` runs the notebook at build time and embeds its outputs (the
"session") in the page, but marimo shows them only once its React app has mounted, seconds into a
visit. This module renders the same outputs into plain HTML inside the page's <body>, in marimo's
own layout classes (so the live app, when it takes over, lands where the preview was): markdown
and HTML as marimo rendered them, each control as a still picture of itself that says it is
waking up, and each Vega-Lite chart as an SVG image drawn at build time with vl-convert (an image,
not inline SVG, so the live chart is the only chart in the page's DOM). `site/loading.html`
removes the preview when the lab is interactive.
"""
from __future__ import annotations

import base64
import html
import json
import re

from .common import BuildError

# Where the export embeds the executed notebook (inside window.__MARIMO_MOUNT_CONFIG__).
SESSION_KEY = '"session": {'
NOTEBOOK_KEY = '"notebook": {'
UI_ELEMENT_RE = re.compile(r"<marimo-ui-element\b[^>]*>\s*<marimo-([a-z-]+)\b([^>]*)>.*?</marimo-\1>\s*</marimo-ui-element>",
                           re.S)
ATTR_RE = re.compile(r"""([\w-]+)='([^']*)'""")
VEGALITE_RE = re.compile(r"^application/vnd\.vegalite\.v(\d+)\+json$")
VEGALITE_VERSION = "6.4"  # what vl-convert draws with (Altair 6.3.0 writes Vega-Lite 6.4 specs)


def embedded_json(page: str, key: str) -> dict:
    """The JSON object the export wrote after `key` (exactly once) in the page's mount config."""
    if page.count(key) != 1:
        raise BuildError(f"expected {key!r} once in the exported page (marimo's --execute output), found "
                         f"{page.count(key)}; marimo changed how it embeds outputs, review sitebuild.preview")
    start = page.index(key) + len(key) - 1
    try:
        obj, _ = json.JSONDecoder().raw_decode(page, start)
    except json.JSONDecodeError as e:
        raise BuildError(f"the exported page's {key!r} is not JSON: {e}") from e
    if not isinstance(obj, dict) or not isinstance(obj.get("cells"), list):
        raise BuildError(f"the exported page's {key!r} has no list of cells")
    return obj


def session_outputs(page: str) -> list[tuple[str, list[dict]]]:
    """[(cell id, its outputs)] in the notebook's order, as the build-time run left them."""
    session = embedded_json(page, SESSION_KEY)
    notebook = embedded_json(page, NOTEBOOK_KEY)
    by_id = {c["id"]: c.get("outputs", []) for c in session["cells"]}
    order = [c["id"] for c in notebook["cells"]]
    if set(order) != set(by_id):
        raise BuildError("the exported session and notebook list different cells")
    if not any(by_id.values()):
        raise BuildError("the exported page has no outputs: was it exported with --execute?")
    return [(cid, by_id[cid]) for cid in order]


def _attr(attrs: dict, name: str, default=None):
    if name not in attrs:
        return default
    return json.loads(html.unescape(attrs[name]))


def static_control(kind: str, attr_text: str) -> str:
    """A still picture of one marimo control: its label and its value, marked as waking up."""
    attrs = dict(ATTR_RE.findall(attr_text))
    label = _attr(attrs, "data-label", "") or ""
    value = _attr(attrs, "data-initial-value", "")
    steps = _attr(attrs, "data-steps", [])
    if kind == "slider" and steps and isinstance(value, int) and 0 <= value < len(steps):
        value = steps[value]  # a slider over explicit steps stores the step's index
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    shown = html.escape(str(value))
    return (f'<span class="lab-static-control lab-static-{html.escape(kind)}" aria-disabled="true">'
            f'<span class="lab-static-label">{label}</span>'
            f'<span class="lab-static-value">{shown}</span>'
            '<span class="lab-waking">waking up…</span></span>')


def inert_html(fragment: str) -> str:
    """marimo's HTML output with its controls as still pictures and no marimo custom elements left
    (marimo's scripts would otherwise bring them to life inside the preview)."""
    fragment = UI_ELEMENT_RE.sub(lambda m: static_control(m.group(1), m.group(2)), fragment)
    return re.sub(r"<(/?)marimo-", r"<\1lab-static-", fragment)


def chart_image(spec_text, major: str, svg_of) -> str:
    """An <img> of the chart, drawn at build time; its alt text is the chart's title."""
    spec = json.loads(spec_text) if isinstance(spec_text, str) else spec_text
    if major != VEGALITE_VERSION.split(".")[0]:
        raise BuildError(f"a lab's chart is Vega-Lite v{major}; the preview draws v{VEGALITE_VERSION}")
    svg = svg_of(spec)
    m = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    size = f' width="{float(m.group(1)):.0f}" height="{float(m.group(2)):.0f}"' if m else ""
    title = spec.get("title", "chart")
    title = title.get("text", "chart") if isinstance(title, dict) else title
    data = base64.b64encode(svg.encode()).decode()
    return (f'<img class="lab-preview-chart" elementtiming="lab-preview-chart" alt="{html.escape(str(title))}"'
            f'{size} src="data:image/svg+xml;base64,{data}">')


def render_output(out: dict, svg_of) -> str:
    data = out.get("data") or {}
    parts = []
    for mime, value in data.items():
        vl = VEGALITE_RE.match(mime)
        if vl:
            parts.append(chart_image(value, vl.group(1), svg_of))
        elif mime in ("text/html", "text/markdown") and value:
            parts.append(inert_html(value))
        elif mime == "text/plain" and value:
            parts.append(f"<pre>{html.escape(value)}</pre>")
    return "".join(parts)


def preview_html(page: str, svg_of) -> str:
    """The preview block for one exported page. `svg_of(spec) -> str` draws a Vega-Lite spec."""
    cells = []
    for cid, outputs in session_outputs(page):
        body = "".join(render_output(o, svg_of) for o in outputs)
        if body:
            cells.append(f'<div class="marimo-cell published"><div class="output-area">'
                         f'<div class="output block">{body}</div></div></div>')
    if not cells:
        raise BuildError("the exported session has nothing to show as a preview")
    # The same wrappers (and Tailwind classes) as marimo's run-mode app, so the layout matches.
    return ('<div id="lab-preview" aria-busy="true" data-config-width="medium">'
            '<div class="sm:pt-8"></div><div class="px-1 sm:px-16 md:px-20 xl:px-24 pb-24 sm:pb-12">'
            '<div class="m-auto pb-24 sm:pb-12 max-w-(--content-width-medium) sm:min-w-[400px]">'
            f'<div class="flex flex-col">{"".join(cells)}</div></div></div></div>')


def vegalite_svg(spec: dict) -> str:
    """Draw a Vega-Lite spec as SVG with vl-convert (a build tool, installed by the build)."""
    import vl_convert  # a build-time tool that ensure_build_tools installs after this module loads

    return vl_convert.vegalite_to_svg(spec, vl_version=VEGALITE_VERSION)


def insert_preview(page: str, preview: str) -> str:
    """Put the preview first in <body>, before marimo's #root. Raises BuildError if the page does
    not have exactly one <body> and one root element."""
    if page.count("<body>") != 1 or page.count('<div id="root">') != 1:
        raise BuildError("expected one <body> and one <div id=\"root\"> in the exported page; "
                         "marimo changed its page, review sitebuild.preview.insert_preview")
    return page.replace('<div id="root">', preview + '<div id="root">', 1)
