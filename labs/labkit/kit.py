"""The marimo side of a lab: what a notebook calls, top to bottom (see labs/README.md).

``lab = await open_lab(LAB, chapter_module)`` loads the state saved in this browser and the URL's
query parameters; then ``lab.header()``, controls made with ``lab.dropdown/number/slider`` (their
first value: a URL preset, else the saved one, else the default), ``lab.prediction``/``lab.locked``/
``lab.reveal``, ``lab.chart`` (chart + one-sentence summary + data table), ``lab.math``,
``lab.question``/``lab.check`` and ``lab.footer()`` (link, download, start over).

Every change is written to the browser's storage the moment it happens (``labkit.storage``).
The few buttons that need the page itself (copy the link, reload after "start over") are plain
HTML handled by ``labkit.js``, which the site build adds to every lab page.
"""

from __future__ import annotations

import html
import sys
from urllib.parse import urlencode

import marimo as mo

from . import KIT_VERSION
from . import record as rec
from .catalog import chapter_title, neighbours
from .questions import Prediction, Question, variant_seed
from .storage import IN_BROWSER, STUDENT_KEY, default_store

RELOAD_JS = "new BroadcastChannel('labkit').postMessage({reload: true})"


def _engine_version() -> str:
    mlsysim = sys.modules.get("mlsysim")
    return getattr(mlsysim, "__version__", "unknown")


def _md_table(rows: list[dict], columns: list[str] | None = None, limit: int = 40) -> str:
    if not rows:
        return "*(no data)*"
    columns = columns or list(rows[0])
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows[:limit]:
        out.append("| " + " | ".join(_cell(r.get(c, "")) for c in columns) + " |")
    if len(rows) > limit:
        out.append(f"\n*… {len(rows) - limit} more rows*")
    return "\n".join(out)


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v)).replace("|", "\\|")


class Lab:
    """One open lab: its metadata, its questions, and the state saved for it in this browser."""

    def __init__(self, meta: dict, chapter, saved: dict | None, student: dict | None, query: dict, store):
        self.meta = meta
        self.id = meta["id"]
        self.questions: dict[str, Question] = {q.id: q for q in getattr(chapter, "QUESTIONS", [])}
        self.predictions: dict[str, Prediction] = {p.id: p for p in getattr(chapter, "PREDICTIONS", [])}
        self.store = store
        self.query = {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(query or {}).items()}
        self.state = saved or {}
        self.state.setdefault("started", rec.now())
        self.state.setdefault("controls", {})
        self.state.setdefault("predictions", {})
        self.state.setdefault("answers", {})
        self.state["student_id"] = (student or {}).get("id", self.state.get("student_id", ""))
        # a preset applies once: after that, what the student changed (and saved) wins on a reload
        self.preset = "&".join(f"{k}={v}" for k, v in sorted(self.query.items()))
        self._use_preset = bool(self.preset) and self.state.get("preset") != self.preset
        if self._use_preset:
            self.state["preset"] = self.preset
        self.notes: list[str] = []

    # --- storage ----------------------------------------------------------------------------
    def _save(self) -> None:
        self.state["updated"] = rec.now()
        self.state["progress"] = self.progress()
        self.store.put(self.id, self.state)

    def progress(self) -> str:
        done = all(p in self.state["predictions"] for p in self.predictions) and all(
            self.state["answers"].get(q, {}).get("value") not in (None, "") for q in self.questions)
        return "done" if done else "started"

    def reset(self) -> None:
        """Forget everything saved for this lab (the student id stays) and reload the page."""
        self.state = {"controls": {}, "predictions": {}, "answers": {}, "preset": self.preset,
                      "student_id": self.state.get("student_id", ""), "started": rec.now()}
        self.store.put(self.id, {"preset": self.preset, "cleared": rec.now()})
        if IN_BROWSER:
            from pyodide.code import run_js  # Pyodide only

            run_js(RELOAD_JS)

    # --- header and footer -------------------------------------------------------------------
    def header(self):
        m = self.meta
        prev, nxt = neighbours(m["volume"], m["chapter"])
        links = ([f"<a href='../index.html#{prev[0]}'>← {html.escape(prev[1])}</a>"] if prev else []) + [
            "<a href='../index.html'>All labs</a>"] + (
            [f"<a href='../index.html#{nxt[0]}'>{html.escape(nxt[1])} →</a>"] if nxt else [])
        nav = " · ".join(links)
        notes = "".join(f"\n\n> {n}" for n in self.notes)
        return mo.md(
            f"<small>Volume {'I' * m['volume']} · Chapter {m['chapter']}: {chapter_title(m['volume'], m['chapter'])} · "
            f"about {m['minutes']} minutes</small>\n\n# {m['title']}\n\n**The question.** {m['question']}\n\n"
            f"<nav class='labkit-nav'>{nav}</nav>{notes}")

    def student_input(self):
        """The id a student enters once (shared by every lab); it seeds their question variants."""
        return mo.ui.text(value=self.state.get("student_id", ""), label="Your student ID (once, for every lab)",
                          placeholder="e.g. s1234567")

    def set_student(self, value: str) -> str:
        value = (value or "").strip()[:64]
        if value != self.state.get("student_id", ""):
            self.state["student_id"] = value
            self.store.put(STUDENT_KEY, {"id": value, "at": rec.now()})
            self._save()
        return value

    def start_over_button(self):
        """Assign it to a name in its own cell (marimo runs a button's on_click only for an element
        bound to a global) and pass it to ``footer``."""
        return mo.ui.button(label="Start over", kind="danger", on_click=lambda _: self.reset(),
                            tooltip="Clear this lab's saved controls, predictions and answers")

    def footer(self, controls: dict, start_over):
        """The lab's link, the downloads and "start over"."""
        link = f"{self.id}.html?{urlencode({k: _plain(v) for k, v in controls.items()})}"
        copy = (f"<p class='labkit-link'>Link to this configuration: <a href='{html.escape(link)}'><code>"
                f"{html.escape(link)}</code></a> <button type='button' data-labkit-copy='{html.escape(link)}'>"
                "Copy my link</button></p>")
        downloads = mo.hstack([
            mo.download(data=lambda: rec.to_json(self.work()).encode(), filename=f"{self.id}-work.json",
                        mimetype="application/json", label="Download my work (JSON)"),
            mo.download(data=lambda: rec.markdown_report(self.work(), self.questions).encode(),
                        filename=f"{self.id}-work.md", mimetype="text/markdown", label="Report (Markdown)"),
            start_over,
        ], justify="start", wrap=True)
        return mo.vstack([mo.md("---"), mo.Html(copy), downloads, mo.md(
            f"<small>Saved in this browser as you go (kit {KIT_VERSION}, engine {_engine_version()}). "
            f"The notebook's code: [`{self.id}.py`](src/{self.id}.py) · [All labs](../index.html)</small>")])

    def work(self) -> dict:
        """The signed record of this lab's state (what the download saves)."""
        self.state["variant_seeds"] = {q: variant_seed(self.state.get("student_id", ""), self.id, q)
                                       for q in self.questions}
        return rec.build(self.meta, self.state, _engine_version())

    # --- controls ---------------------------------------------------------------------------
    def initial(self, key: str, default, accept):
        """A control's first value: the URL's (once), else the saved one, else ``default``.
        ``accept(text)`` returns the value or raises ValueError."""
        if self._use_preset and key in self.query:
            try:
                return accept(self.query[key])
            except (TypeError, ValueError):
                self.notes.append(f"The link's `{key}={self.query[key]}` is not a value this control takes; "
                                  f"using {default!r}.")
        saved = self.state["controls"].get(key)
        if saved is not None:
            try:
                return accept(saved)
            except (TypeError, ValueError):
                pass
        return default

    def dropdown(self, key: str, options: dict[str, str], default: str, label: str):
        """A choice; ``options`` maps what the student sees to the value the URL and storage hold."""
        by_value = {v: k for k, v in options.items()}

        def accept(text):
            if str(text) not in by_value:
                raise ValueError(text)
            return str(text)

        return mo.ui.dropdown(options=options, value=by_value[self.initial(key, default, accept)], label=label)

    def number(self, key: str, start: float, stop: float, default: float, label: str, step: float = 1):
        def accept(text):
            v = float(text)
            if not start <= v <= stop:
                raise ValueError(text)
            return int(v) if float(step).is_integer() and v.is_integer() else v

        return mo.ui.number(start=start, stop=stop, step=step, value=self.initial(key, default, accept), label=label)

    def slider(self, key: str, start: float, stop: float, step: float, default: float, label: str):
        def accept(text):
            v = round(float(text) / step) * step
            if not start - 1e-9 <= v <= stop + 1e-9:
                raise ValueError(text)
            return round(v, 10)

        return mo.ui.slider(start, stop, step=step, value=self.initial(key, default, accept), label=label,
                            show_value=True)

    def remember(self, controls: dict) -> dict:
        """Save the controls' current values (call it in the cell that reads them)."""
        plain = {k: _plain(v) for k, v in controls.items()}
        if plain != self.state["controls"]:
            self.state["controls"] = plain
            self._save()
        return plain

    @staticmethod
    def show_controls(*elements):
        """The controls, stacked (one per line on a phone), inside the block the tests look for."""
        return mo.Html(f"<div class='labkit-controls'>{mo.hstack(list(elements), wrap=True, justify='start', gap=1.5).text}</div>")

    # --- predict first -----------------------------------------------------------------------
    def prediction(self, pid: str):
        p = self.predictions[pid]
        element = (mo.ui.radio(options=p.options, label=p.prompt) if p.options
                   else mo.ui.number(label=f"{p.prompt} ({p.unit})"))
        return element.form(submit_button_label="Lock my prediction", bordered=True)

    def locked(self, pid: str, form):
        """The locked prediction (the form's, else the saved one), or None."""
        saved = self.state["predictions"].get(pid)
        if saved is not None:
            return saved["value"]
        if form.value is not None and form.value != "":
            self.state["predictions"][pid] = {"value": _plain(form.value), "at": rec.now()}
            self._save()
            return form.value
        return None

    def show_prediction(self, pid: str, form, locked):
        if locked is None:
            return mo.vstack([mo.md("### Predict first"), mo.Html(f"<div class='labkit-predict'>{form.text}</div>")])
        return mo.md(f"### Predict first\n\n{self.predictions[pid].prompt}\n\nYour prediction, locked: **{locked}**.")

    def reveal(self, pid: str, locked):
        if locked is None:
            return mo.callout(mo.md("Lock your prediction above; the answer shows here."), kind="neutral")
        return mo.callout(mo.md(self.predictions[pid].how_far_off(locked)), kind="info")

    # --- charts and math ---------------------------------------------------------------------
    @staticmethod
    def chart(chart, columns: dict[str, list[str]] | None = None):
        """A chart (``mlsysim.viz.Chart``) with its one-sentence summary and its data as a table
        (collapsed)."""
        tables = "\n\n".join(f"**{name}**\n\n{_md_table(rows, (columns or {}).get(name))}"
                             for name, rows in chart.datasets.items() if rows)
        return mo.vstack([
            mo.Html(f"<figure class='labkit-chart' aria-label='{html.escape(chart.summary)}'>"),
            chart,
            mo.Html(f"<p class='labkit-summary'>{html.escape(chart.summary)}</p>"),
            mo.accordion({"The chart's data, as a table": mo.md(tables)}),
        ])

    @staticmethod
    def math(markdown: str, title: str = "Show the math"):
        return mo.accordion({title: mo.md(markdown)})

    # --- check yourself ----------------------------------------------------------------------
    def question(self, qid: str, student_id: str | None = None):
        """(the question's text for this student, the answer box). Pass the cell's ``student_id``
        so the question is redrawn when the student enters their id."""
        q = self.questions[qid]
        variant = q.variant(self.state.get("student_id", ""), self.id)
        saved = self.state["answers"].get(qid, {})
        value = saved.get("value") if saved.get("variant") == variant else None
        box = mo.ui.number(value=value, label=f"Your answer ({q.unit})" if q.unit else "Your answer")
        return mo.md(q.text(variant)), box

    def check(self, qid: str, box):
        q = self.questions[qid]
        variant = q.variant(self.state.get("student_id", ""), self.id)
        given = box.value
        if given is None:
            return mo.md("*Enter your answer; it is checked against the engine.*")
        entry = {"value": _plain(given), "variant": variant, "at": rec.now()}
        if self.state["answers"].get(qid, {}).get("value") != entry["value"] or \
                self.state["answers"].get(qid, {}).get("variant") != variant:
            self.state["answers"][qid] = entry
            self._save()
        expected = q.expected(variant)
        if q.is_correct(given, expected):
            parts = [mo.callout(mo.md(f"**Right.** The engine gives **{expected:,.4g} {q.unit}**."), kind="success")]
            if q.math:
                parts.append(self.math(q.math(**variant), "How the engine gets it"))
            return mo.vstack(parts)
        direction = "too low" if float(given) < expected else "too high"
        return mo.callout(mo.md(f"**Not yet**: {given:g} is {direction}. {q.hint}"), kind="warn")


def _plain(v):
    """A control's value as JSON keeps it (numbers stay numbers)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


async def open_lab(meta: dict, chapter, store=None) -> Lab:
    """Open a lab: load what this browser saved for it and the id the student entered once."""
    store = store or default_store()
    saved = await store.get(meta["id"])
    student = await store.get(STUDENT_KEY)
    try:
        query = dict(mo.query_params().to_dict())
    except Exception:  # outside a running notebook (a plain import) there are no query parameters
        query = {}
    return Lab(meta, chapter, saved, student, query, store)


__all__ = ["Lab", "open_lab"]
