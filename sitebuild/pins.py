"""What the site build is pinned to, and where it reads and writes.

The versions here and the artifacts in site/wasm-lock.json are the whole of what the browser runs:
marimo's frontend boots exactly one Pyodide, and Pyodide runs exactly one CPython.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE_SRC = ROOT / "site"
LABS_DIR = ROOT / "labs"
LOCK_PATH = SITE_SRC / "wasm-lock.json"
CACHE = ROOT / ".cache" / "wasm"
DEFAULT_OUT = ROOT / "_site"

# --- pins -----------------------------------------------------------------------------------
MARIMO_VERSION = "0.25.2"  # its frontend boots exactly this Pyodide:
PYODIDE_VERSION = "314.0.0"  # Python 3.14, ABI 2026_0
PYODIDE_PLATFORM = "pyemscripten_2026_0_wasm32"
PY_VERSION = "3.14"
PY_FULL_VERSION = "3.14.0"

# What the browser must be able to import, beyond what the wheels' own metadata pulls in.
BROWSER_ROOTS = [
    f"marimo-base=={MARIMO_VERSION}",  # the frontend loads it by this name at boot
    "micropip==0.11.1",  # loaded at boot; the version Pyodide 314.0.0 itself ships
    "pyodide-http==0.2.2",  # imported by marimo's runtime in the browser
    "altair==6.3.0",  # the labs' charts (same pin as the `labs` extra)
]
# Forced versions: jsonschema >= 4.18 needs rpds-py, which has no wheel for Pyodide.
OVERRIDES = {"jsonschema": "==4.17.3"}
# Packages without a Pyodide wheel whose sdist ships a pure-Python fallback for its C speed-ups.
PURE_FROM_SDIST = {"pyyaml", "markupsafe"}
# Packages that come from this repo, not from the registry.
LOCAL = {"mlsysim"}
# Packages loaded together with marimo-base when the page boots. marimo's worker would otherwise
# load them in a second round, after its kernel started and parsed the notebook's imports:
# pyodide-http (imported by marimo's kernel in the browser), and what every lab imports.
# Measured: the first chart about 1 s sooner (10.1 s against 11.2 s locally).
EXTRA_DEPENDS = {"marimo-base": ["pyodide-http", "mlsysim"]}
# What marimo's worker asks Pyodide to load at boot (its `packages` list, less micropip: see
# sitebuild.bundle), by lock name; with their depends, the wheels the service worker caches first.
BOOT_PACKAGES = ["msgspec", "marimo-base", "markdown", "pymdown-extensions", "narwhals", "packaging"]
# Packages left out of what the page loads at boot although a wheel's metadata requires them:
# marimo needs jedi (and its parso) for code completion and docutils for rendering docstrings,
# neither of which a run-mode lab does; they stay in the lock, loaded on demand.
BOOT_SKIP = {"marimo-base": ["jedi", "docutils"]}
# Source edits to wheels, (member, old text, new text); each old text must be there exactly once.
WHEEL_PATCHES = {
    "marimo-base": [
        # marimo's kernel imports jedi at start only for its side effect of raising the recursion
        # limit; the very next line sets the limit itself.
        ("marimo/_runtime/patches.py", "    import jedi  # type: ignore # noqa: F401\n", ""),
    ],
}
# Build tools beyond marimo: vl-convert draws the labs' charts for their previews.
VL_CONVERT = "vl-convert-python==1.9.0.post1"
ALTAIR = "altair==6.3.0"  # the labs' chart authoring, at build time (same pin as the `labs` extra)
# Files a run-mode lab never reads, left out of the served wheel: jedi (which marimo's kernel
# imports, for code completion in the editor) ships type stubs of third-party packages, 2.6 MB of
# the first visit's download. Its stubs of the standard library stay.
DROP_FROM_WHEEL = {"jedi": ("jedi/third_party/typeshed/stubs/", "jedi/third_party/django-stubs/")}

# Environment markers as they evaluate inside Pyodide 314.0.0.
EMSCRIPTEN_ENV = {
    "implementation_name": "cpython",
    "implementation_version": PY_FULL_VERSION,
    "os_name": "posix",
    "platform_machine": "wasm32",
    "platform_python_implementation": "CPython",
    "platform_release": "5.0.3",
    "platform_system": "Emscripten",
    "platform_version": "#1",
    "python_full_version": PY_FULL_VERSION,
    "python_version": PY_VERSION,
    "sys_platform": "emscripten",
}

PYODIDE_RUNTIME_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]

# Start-up levers the build applies, each measured in docs/site-measurements.md. For measuring one
# lever's effect, SITEBUILD_WITHOUT="lever,lever" builds the site without those (never for release).
LEVERS = ("early-worker", "boot-trim", "vega-preload", "paint-first")


def levers_off() -> set[str]:
    off = {x.strip() for x in os.environ.get("SITEBUILD_WITHOUT", "").split(",") if x.strip()}
    unknown = off - set(LEVERS)
    if unknown:
        raise ValueError(f"SITEBUILD_WITHOUT={sorted(unknown)}: unknown lever(s); known: {', '.join(LEVERS)}")
    return off
