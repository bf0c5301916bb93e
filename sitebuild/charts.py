"""Chart templates for the browser, authored with Altair at build time (see mlsysim.vegalite).

Each `labs/charts/NAME.py` defines `chart()` returning an Altair chart over named data; the build
runs it here, in CPython, and ships `chart().to_dict()` as `mlsysim/_charts/NAME.vl.json` in the
mlsysim wheel, so a lab in the browser fills the template with data and never imports Altair.
"""
from __future__ import annotations

import json
import runpy
from pathlib import Path

from .common import BuildError
from .pins import LABS_DIR


def author_templates(charts_out: Path, charts_src: Path = LABS_DIR / "charts") -> list[str]:
    """Write every `charts_src/*.py`'s chart as `charts_out/NAME.vl.json`; return the names."""
    names = []
    for src in sorted(charts_src.glob("*.py")) if charts_src.is_dir() else []:
        if src.name.startswith("_"):
            continue
        author = runpy.run_path(str(src)).get("chart")
        if not callable(author):
            raise BuildError(f"{src}: defines no chart() for its Vega-Lite template")
        spec = author()
        spec = spec if isinstance(spec, dict) else spec.to_dict(validate=True)
        charts_out.mkdir(parents=True, exist_ok=True)
        (charts_out / f"{src.stem}.vl.json").write_text(json.dumps(spec, sort_keys=True))
        names.append(src.stem)
    return names
