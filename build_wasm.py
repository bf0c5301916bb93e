#!/usr/bin/env python3
"""Build the labs as a static site that runs entirely in the browser, offline.

    python3 build_wasm.py                  # build into _site/
    python3 build_wasm.py --serve [--port N]   # build, then serve on http://127.0.0.1:N/
    python3 build_wasm.py --update-lock    # re-resolve the browser's packages, rewrite site/wasm-lock.json

What it does, in order:
  1. installs its own build tools if they are missing (marimo at the pinned version, build, uv);
  2. builds the mlsysim wheel from this repo (`python -m build --wheel`, pure Python);
  3. fetches the Pyodide runtime (`npm pack pyodide@VERSION`), every wheel the labs import in the
     browser (`pip download`, Pyodide's wheel platform for the two compiled ones) and the sdists of
     pyyaml and markupsafe, which it repacks as pure `py3-none-any` wheels; every downloaded file is
     checked against the sha256 recorded in site/wasm-lock.json, and a mismatch stops the build;
  4. compiles every wheel's Python to bytecode with that same Pyodide, run by Node (so visits do
     not compile marimo, altair, pint, ... from source each time), and writes a
     `pyodide-lock.json` for the browser that lists exactly those wheels, with the `depends` of
     each evaluated for Emscripten;
  5. exports each `labs/*.py` with `marimo export html-wasm --mode run`, points the page at the
     self-hosted runtime (the build fails if marimo's page no longer has the spots it rewrites),
     drops the export's assets that a run-mode lab never loads, and adds a loading indicator;
  6. writes the index page (labs by chapter), a service worker that caches each build's files,
     and gzip copies of text and wasm for the server.

Needs Python, Node and npm. Downloads and compiled wheels are cached under .cache/wasm/; a second
build needs no network unless the lock changed. The numbers it achieves: docs/site-measurements.md.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import email.parser
import functools
import hashlib
import html
import http.server
import importlib.util
import io
import json
import math
import os
import re
import shutil
import socketserver
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
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
EXTRA_DEPENDS = {"marimo-base": ["pyodide-http", "altair", "mlsysim"]}
# Wheels to serve with their Python sources instead of as bytecode only (none needed so far).
KEEP_SOURCE: set[str] = set()
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

# Export assets a run-mode lab never loads: the editor, collaboration (loro), AI panels, plotly,
# SQL parsing, diagrams, slides, terminal, data-editing grids, and the non-woff2 font copies.
# Only files that are *lazy* chunks may go: the build checks that none of them is reachable
# through static imports from the page, and the browser test fails on any 404.
PRUNE_PATTERNS = [
    r"^[^/]+\.md$",  # notes for editor tooling that marimo's export copies along
    r"^assets/Plot-.*\.js$",
    r"^assets/loro_wasm_bg-.*$",
    r"^assets/node-sql-parser-.*\.js$",
    r"^assets/terminal-.*\.js$",
    r"^assets/cytoscape\..*\.js$",
    r"^assets/edit-page-.*\.js$",
    r"^assets/ai-model-dropdown-.*\.js$",
    r"^assets/add-cell-with-ai-.*\.js$",
    r"^assets/save-worker-.*\.js$",
    r"^assets/(architecture|sequence|class|state|er|gantt|journey|mindmap|quadrant|requirement|"
    r"sankey|timeline|xychart|block|c4|flow|git|kanban|packet|pie|radar|treemap)[A-Za-z]*Diagram-.*\.js$",
    r"^assets/swimlanes-.*\.js$",
    r"^assets/reveal-component-.*\.js$",
    r"^assets/swiper-component-.*\.js$",
    r"^assets/glide-data-editor-.*\.js$",
    r"^assets/dependency-graph-panel-.*\.js$",
    r"^assets/ConnectedDataExplorerComponent-.*\.js$",
    r"^assets/.*\.(ttf|woff)$",
]

class BuildError(RuntimeError):
    """A build step found something it cannot safely work around."""


def log(msg: str) -> None:
    print(f"[build_wasm] {msg}", flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


# --- step 1: build tools ----------------------------------------------------------------------
def ensure_build_tools() -> None:
    """Install marimo (pinned), build and uv into this Python if they are missing."""
    need = []
    try:
        from importlib.metadata import version

        if version("marimo") != MARIMO_VERSION:
            need.append(f"marimo=={MARIMO_VERSION}")
    except Exception:
        need.append(f"marimo=={MARIMO_VERSION}")
    for mod, pkg in [("build", "build"), ("packaging", "packaging")]:
        if importlib.util.find_spec(mod) is None:
            need.append(pkg)
    if shutil.which("uv") is None and not _uv_in_scripts():
        need.append("uv")  # marimo's html-wasm export resolves local imports with it
    if need:
        log("installing build tools: " + " ".join(need))
        run([sys.executable, "-m", "pip", "install", "--quiet", *need])
    if shutil.which("npm") is None:
        raise BuildError("npm is needed to fetch the Pyodide runtime (npm pack); install Node.js")


def _uv_in_scripts() -> bool:
    import sysconfig

    return (Path(sysconfig.get_path("scripts")) / "uv").exists()


def _tool_env() -> dict:
    import sysconfig

    env = dict(os.environ)
    env["PATH"] = sysconfig.get_path("scripts") + os.pathsep + env.get("PATH", "")
    return env


# --- packaging utilities ----------------------------------------------------------------------
def _packaging():
    from packaging.markers import Marker  # noqa: F401
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name, parse_wheel_filename, parse_sdist_filename
    from packaging.version import Version

    return Requirement, SpecifierSet, canonicalize_name, parse_wheel_filename, parse_sdist_filename, Version


def wheel_metadata(path: Path) -> email.message.Message:
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1]
        if len(names) != 1:
            raise BuildError(f"{path.name}: expected one .dist-info/METADATA, found {names}")
        return email.parser.Parser().parsestr(z.read(names[0]).decode("utf-8"))


def wheel_top_level_imports(path: Path) -> list[str]:
    """Importable top-level names of a wheel (what Pyodide's lock calls `imports`)."""
    names = set()
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            top = n.split("/", 1)[0]
            if top.endswith((".dist-info", ".data")):
                continue
            if "/" in n:
                if top.isidentifier() and n.endswith((".py", ".pyc", ".so")):
                    names.add(top)
            elif n.endswith((".py", ".pyc", ".so")):
                stem = n.split(".", 1)[0]
                if stem.isidentifier():
                    names.add(stem)
    return sorted(names)


def browser_depends(path: Path, extras: set[str] = frozenset()) -> list:
    """The wheel's Requires-Dist that apply inside Pyodide (markers evaluated for Emscripten)."""
    Requirement, *_ = _packaging()
    out = []
    for line in wheel_metadata(path).get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker is not None:
            ok = any(req.marker.evaluate({**EMSCRIPTEN_ENV, "extra": e}) for e in (extras or {""}))
            if not ok:
                continue
        out.append(req)
    return out


# --- step 2: the mlsysim wheel ----------------------------------------------------------------
def build_mlsysim_wheel() -> Path:
    dist = CACHE / "mlsysim-dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir(parents=True)
    # Build from a staging copy of exactly what the wheel is made of, so stray files in the work
    # tree (caches, _site/, .cache/) never end up in it and never slow the build down.
    stage = CACHE / "mlsysim-stage"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copy2(ROOT / "pyproject.toml", stage / "pyproject.toml")
    shutil.copytree(ROOT / "core", stage / "core", ignore=ignore)
    shutil.copytree(ROOT / "registry", stage / "registry", ignore=ignore)
    readme = ROOT / "README.md"
    if readme.exists():
        shutil.copy2(readme, stage / "README.md")
    else:  # the project's metadata names README.md; a fresh tree may not have it yet
        (stage / "README.md").write_text("mlsysim\n")
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(stage)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.insert(4, "--no-isolation")  # hatchling is here already: skip the throw-away venv
    run(cmd, env=_tool_env(), stdout=subprocess.DEVNULL)
    wheels = list(dist.glob("mlsysim-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one pure mlsysim wheel in {dist}, found {wheels}")
    with zipfile.ZipFile(wheels[0]) as z:
        if not any(n.startswith("mlsysim/_registry/") for n in z.namelist()):
            raise BuildError("the mlsysim wheel does not ship mlsysim/_registry")
    return wheels[0]


# --- step 3: downloads ------------------------------------------------------------------------
PIP_PLATFORM_ARGS = [
    "--only-binary=:all:",
    "--platform", PYODIDE_PLATFORM,
    "--python-version", PY_VERSION,
    "--implementation", "cp",
    "--abi", "cp" + PY_VERSION.replace(".", ""),
]


def pip_download(specs: list[str], dest: Path, sdist: bool = False) -> list[Path]:
    """Download exactly these requirement specs (no dependencies) into dest; return new files."""
    dest.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in dest.iterdir()}
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(dest)]
    if sdist:
        names = ",".join(sorted({re.split(r"[<>=!~ ;\[]", s, maxsplit=1)[0] for s in specs}))
        cmd += [f"--no-binary={names}"]  # only these: their build tools may still be wheels
    else:
        cmd += PIP_PLATFORM_ARGS
    run(cmd + specs, stdout=subprocess.DEVNULL)
    return [p for p in dest.iterdir() if p.name not in before]


def fetch_npm_pyodide(entry: dict | None) -> Path:
    dest = CACHE / "npm"
    dest.mkdir(parents=True, exist_ok=True)
    tgz = dest / f"pyodide-{PYODIDE_VERSION}.tgz"
    if entry and tgz.exists() and sha256_file(tgz) == entry["sha256"]:
        return tgz
    tgz.unlink(missing_ok=True)
    run(["npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", str(dest), "--silent"],
        stdout=subprocess.DEVNULL)
    if not tgz.exists():
        raise BuildError(f"npm pack did not produce {tgz.name}")
    return tgz


def verify(path: Path, expected: str, what: str) -> None:
    got = sha256_file(path)
    if got != expected:
        raise BuildError(
            f"HASH MISMATCH for {what} ({path.name}):\n  lock says {expected}\n  file has  {got}\n"
            "Refusing to build. If the upstream artifact legitimately changed, review it and run "
            "`python3 build_wasm.py --update-lock`."
        )


def fetch_locked(lock: dict) -> dict[str, Path]:
    """Download (or reuse from cache) every artifact of the lock and verify its sha256."""
    wheels_dir, sdist_dir = CACHE / "wheels", CACHE / "sdists"
    files: dict[str, Path] = {}
    missing_wheels, missing_sdists = [], []
    for pkg in lock["packages"]:
        art = pkg["artifact"]
        d = sdist_dir if pkg["kind"] == "sdist-pure" else wheels_dir
        p = d / art["file_name"]
        if not (p.exists() and sha256_file(p) == art["sha256"]):
            p.unlink(missing_ok=True)
            (missing_sdists if pkg["kind"] == "sdist-pure" else missing_wheels).append(
                f"{pkg['name']}=={pkg['version']}")
        files[pkg["name"]] = p
    if missing_wheels:
        pip_download(missing_wheels, wheels_dir)
    if missing_sdists:
        pip_download(missing_sdists, sdist_dir, sdist=True)
    for pkg in lock["packages"]:
        p = files[pkg["name"]]
        if not p.exists():
            raise BuildError(f"pip did not fetch the locked file {p.name} for {pkg['name']}=={pkg['version']}")
        verify(p, pkg["artifact"]["sha256"], f"{pkg['name']} {pkg['version']}")
    return files


# --- pure wheels from sdists ------------------------------------------------------------------
# Where each sdist keeps its pure-Python package, and the C sources that are left out.
SDIST_LAYOUT = {
    "pyyaml": {"src": "lib/yaml", "package": "yaml", "drop": []},
    "markupsafe": {"src": "src/markupsafe", "package": "markupsafe", "drop": ["_speedups.c"]},
}

_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def pure_wheel_from_sdist(name: str, sdist: Path, out_dir: Path) -> Path:
    """Repack an sdist's pure-Python package as a py3-none-any wheel (byte-for-byte reproducible)."""
    *_, parse_sdist_filename, _V = _packaging()
    dist_name, version = parse_sdist_filename(sdist.name)
    layout = SDIST_LAYOUT[name]
    members: dict[str, bytes] = {}
    pkg_info = None
    with tarfile.open(sdist) as tar:
        for m in tar.getmembers():
            if not m.isfile():
                continue
            rel = m.name.split("/", 1)[1] if "/" in m.name else m.name
            if rel == "PKG-INFO":
                pkg_info = tar.extractfile(m).read().decode("utf-8")
            if rel.startswith(layout["src"] + "/"):
                inner = rel[len(layout["src"]) + 1:]
                if inner in layout["drop"] or inner.endswith((".c", ".h", ".pyx", ".pxd")):
                    continue
                members[f"{layout['package']}/{inner}"] = tar.extractfile(m).read()
    if not members or pkg_info is None:
        raise BuildError(f"{sdist.name}: layout changed (no {layout['src']}/ or PKG-INFO)")
    norm = re.sub(r"[-_.]+", "_", str(dist_name)).lower()
    dist_info = f"{norm}-{version}.dist-info"
    meta = email.parser.Parser().parsestr(pkg_info)
    # Keep the core metadata (name, version, Requires-Dist), drop the long description.
    keep = ["Metadata-Version", "Name", "Version", "Summary", "License", "Requires-Python", "Requires-Dist",
            "Provides-Extra"]
    lines = []
    for k in keep:
        for v in meta.get_all(k) or []:
            lines.append(f"{k}: {v}")
    members[f"{dist_info}/METADATA"] = ("\n".join(lines) + "\n").encode()
    members[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: mlsysim-build_wasm\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    ).encode()
    record = io.StringIO()
    w = csv.writer(record, lineterminator="\n")
    for n in sorted(members):
        digest = base64.urlsafe_b64encode(hashlib.sha256(members[n]).digest()).rstrip(b"=").decode()
        w.writerow([n, f"sha256={digest}", len(members[n])])
    w.writerow([f"{dist_info}/RECORD", "", ""])
    members[f"{dist_info}/RECORD"] = record.getvalue().encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{norm}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in sorted(members):
            zi = zipfile.ZipInfo(n, _FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, members[n])
    return out


# --- lock resolution (--update-lock) ----------------------------------------------------------
def mlsysim_requirements(wheel: Path) -> list[str]:
    return [str(r) for r in browser_depends(wheel)]


def resolve_lock(mlsysim_wheel: Path) -> dict:
    """Resolve the browser's package set with Emscripten markers; return a new lock."""
    Requirement, SpecifierSet, canon, parse_wheel_filename, parse_sdist_filename, Version = _packaging()
    tmp = Path(tempfile.mkdtemp(prefix="wasm-resolve-"))
    specs: dict[str, SpecifierSet] = {}
    extras: dict[str, set] = {}
    chosen: dict[str, dict] = {}
    queue = [Requirement(r) for r in BROWSER_ROOTS + mlsysim_requirements(mlsysim_wheel)]
    requested_by: dict[str, set] = {}
    while queue:
        req = queue.pop(0)
        name = canon(req.name)
        if name in LOCAL:
            continue
        specs[name] = specs.get(name, SpecifierSet()) & req.specifier
        extras.setdefault(name, set()).update(req.extras)
        spec = SpecifierSet(OVERRIDES[name]) if name in OVERRIDES else specs[name]
        have = chosen.get(name)
        if have and Version(have["version"]) in spec and not (set(req.extras) - have["extras"]):
            continue
        if name in PURE_FROM_SDIST:
            new = pip_download([f"{name}{spec}"], tmp / "sdists", sdist=True)
            files = [p for p in new if p.name.endswith(".tar.gz")] or (
                [have["path"]] if have else [])
            path = files[0]
            _, ver = parse_sdist_filename(path.name)
            wheel_for_meta = pure_wheel_from_sdist(name, path, tmp / "purified")
            kind = "sdist-pure"
        else:
            new = pip_download([f"{name}{spec}"], tmp / "wheels")
            wheels = [p for p in new if p.name.endswith(".whl")]
            if not wheels:  # already downloaded in an earlier round
                wheels = sorted((tmp / "wheels").glob(f"{re.sub(r'[-_.]+', '_', name)}-*.whl"),
                                key=lambda p: Version(str(parse_wheel_filename(p.name)[1])))[-1:]
            path = wheels[0]
            _, ver, _, tags = parse_wheel_filename(path.name)
            wheel_for_meta = path
            kind = "wheel"
        chosen[name] = {"version": str(ver), "path": path, "kind": kind, "extras": set(extras[name]),
                        "meta_wheel": wheel_for_meta}
        for dep in browser_depends(wheel_for_meta, extras[name]):
            queue.append(dep)
            requested_by.setdefault(canon(dep.name), set()).add(name)
    # Sanity: every recorded specifier is satisfied by the final choice (overrides reported).
    for name, c in chosen.items():
        if name in OVERRIDES:
            if Version(c["version"]) not in specs[name]:
                raise BuildError(f"override {name}{OVERRIDES[name]} conflicts with {specs[name]}")
            continue
        if Version(c["version"]) not in specs[name]:
            raise BuildError(f"resolution failed: {name} {c['version']} not in {specs[name]}")
    tgz = fetch_npm_pyodide(None)
    packages = []
    for name in sorted(chosen):
        c = chosen[name]
        packages.append({
            "name": name,
            "version": c["version"],
            "kind": c["kind"],
            "artifact": {"file_name": c["path"].name, "sha256": sha256_file(c["path"])},
            "required_by": sorted(requested_by.get(name, {"(root)"})),
        })
        # move into the cache so the build that follows needs no second download
        d = CACHE / ("sdists" if c["kind"] == "sdist-pure" else "wheels")
        d.mkdir(parents=True, exist_ok=True)
        shutil.copy2(c["path"], d / c["path"].name)
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "about": "Exact artifacts the browser build downloads; verified by sha256 on every build. "
                 "Regenerate with `python3 build_wasm.py --update-lock`.",
        "marimo": MARIMO_VERSION,
        "pyodide": {
            "version": PYODIDE_VERSION,
            "wheel_platform": PYODIDE_PLATFORM,
            "npm": {"spec": f"pyodide@{PYODIDE_VERSION}", "file_name": tgz.name, "sha256": sha256_file(tgz)},
        },
        "roots": BROWSER_ROOTS,
        "overrides": OVERRIDES,
        "packages": packages,
    }


# --- bytecode: compile every wheel's Python once, at build time, with Pyodide's own CPython ----
# Without it the browser compiles marimo, altair, pint, ... from source on every visit (seconds
# of a visit's CPU time). The compiling is done by the very Pyodide the site serves, run by Node,
# so the bytecode matches (CPython 3.14 inside Pyodide 314.0.0). Each module is shipped as its
# .pyc in place of its .py (sourceless, the way Pyodide ships its own packages): smaller wheels to
# unpack and nothing to compile. Tracebacks inside libraries then show no source lines; the
# notebook's own code is unaffected.
PRECOMPILE_JS = r"""
import { loadPyodide } from "%(runtime)s/pyodide.mjs";
import { readFileSync } from "node:fs";
try {
  const jobs = readFileSync(process.argv[2], "utf8");
  const py = await loadPyodide({ indexURL: "%(runtime)s/", lockFileURL: "%(lock)s" });
  py.FS.mkdirTree("/work");
  py.FS.mount(py.FS.filesystems.NODEFS, { root: "%(root)s" }, "/work");
  py.globals.set("JOBS", jobs);
  py.runPython(%(python)s);
} catch (err) {
  console.error("precompile failed: " + String(err && err.message || err).slice(-4000));
  process.exit(1);
}
"""

PRECOMPILE_PY = r"""
import base64, csv, hashlib, importlib.util, io, json, os, sys, zipfile
from importlib._bootstrap_external import _code_to_timestamp_pyc
FIXED = (2020, 1, 1, 0, 0, 0)
def entry(name, like=None):
    zi = zipfile.ZipInfo(name, FIXED)
    zi.compress_type = zipfile.ZIP_DEFLATED
    zi.external_attr = (like.external_attr if like is not None else 0o644 << 16)
    return zi
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
for src, dst, drop in json.loads(JOBS):
    src, dst, drop = "/work/" + src, "/work/" + dst, tuple(drop)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst + ".tmp", "w") as zout:
        infos = zin.infolist()
        record = next(i.filename for i in infos if i.filename.endswith(".dist-info/RECORD") and i.filename.count("/") == 1)
        rows = []
        for info in infos:
            name, data = info.filename, zin.read(info.filename)
            if name == record or (drop and name.startswith(drop)):
                continue
            top = name.split("/", 1)[0]
            if name.endswith(".py") and not top.endswith((".dist-info", ".data")):
                try:
                    code = compile(data, "/lib/python3.14/site-packages/" + name, "exec", dont_inherit=True)
                except (SyntaxError, ValueError):
                    code = None  # e.g. templates or Python 2 files shipped as data: keep as they are
                if code is not None:
                    # sourceless module (PEP 3147 legacy layout), as Pyodide ships its own packages
                    name, data = name[:-3] + ".pyc", bytes(_code_to_timestamp_pyc(code, 0, 0))
            zout.writestr(entry(name, info), data)
            rows.append([name, digest(data), str(len(data))])
        rows.append([record, "", ""])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        zout.writestr(entry(record), buf.getvalue().encode())
    os.replace(dst + ".tmp", dst)
"""


def precompile_wheels(wheels: dict[Path, tuple], runtime: Path, lock_info: dict) -> dict[Path, Path]:
    """Return {wheel: its bytecode-only form, less the dropped files}, compiling only what the
    cache does not have. `wheels` maps each wheel to the path prefixes to leave out of it."""
    out_dir = CACHE / "pyc" / (PYODIDE_VERSION + "-sourceless")
    out_dir.mkdir(parents=True, exist_ok=True)
    result, jobs = {}, []
    for w, drop in wheels.items():
        key = hashlib.sha256((sha256_file(w) + json.dumps(list(drop))).encode()).hexdigest()[:16]
        dst = out_dir / key / w.name
        result[w] = dst
        if not dst.exists():
            dst.parent.mkdir(exist_ok=True)
            jobs.append([w.resolve().relative_to(ROOT).as_posix(), dst.relative_to(ROOT).as_posix(), list(drop)])
    if jobs:
        if shutil.which("node") is None:
            raise BuildError("node is needed to precompile the wheels with Pyodide")
        script, jobs_file, empty_lock = CACHE / "precompile.mjs", CACHE / "precompile-jobs.json", CACHE / "empty-lock.json"
        empty_lock.write_text(json.dumps({"info": lock_info, "packages": {}}))
        jobs_file.write_text(json.dumps(jobs))
        script.write_text(PRECOMPILE_JS % {"runtime": runtime.resolve().as_posix(), "root": ROOT.as_posix(),
                                           "lock": empty_lock.as_posix(), "python": json.dumps(PRECOMPILE_PY)})
        t0 = time.perf_counter()
        proc = subprocess.run(["node", str(script), str(jobs_file)], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [l for l in (proc.stderr + proc.stdout).splitlines() if len(l) < 500]  # not minified source
            raise BuildError("precompiling with Pyodide under Node failed:\n" + "\n".join(lines[-30:]))
        log(f"compiled the bytecode of {len(jobs)} wheel(s) with Pyodide in {time.perf_counter() - t0:.1f} s")
    for w, dst in result.items():
        if not dst.exists():
            raise BuildError(f"precompiling {w.name} produced nothing")
    return result


# --- step 4: the runtime folder and the browser's pyodide-lock.json --------------------------
def assemble_runtime(lock: dict, files: dict[str, Path], mlsysim_wheel: Path, out: Path,
                     precompile: bool = True) -> dict:
    Requirement, SpecifierSet, canon, parse_wheel_filename, *_ = _packaging()
    tgz = fetch_npm_pyodide(lock["pyodide"]["npm"])
    verify(tgz, lock["pyodide"]["npm"]["sha256"], f"npm pyodide@{PYODIDE_VERSION}")
    rt = out / "pyodide"
    rt.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz) as tar:
        base_lock = json.load(tar.extractfile("package/pyodide-lock.json"))
        for f in PYODIDE_RUNTIME_FILES:
            with tar.extractfile(f"package/{f}") as src, open(rt / f, "wb") as dst:
                shutil.copyfileobj(src, dst)
    info = base_lock["info"]
    if info.get("abi_version") != PYODIDE_PLATFORM.split("_", 1)[1].rsplit("_", 1)[0]:
        raise BuildError(f"Pyodide ABI {info.get('abi_version')} does not match {PYODIDE_PLATFORM}")

    sources: dict[str, Path] = {}
    for pkg in lock["packages"]:
        src = files[pkg["name"]]
        if pkg["kind"] == "sdist-pure":
            src = pure_wheel_from_sdist(pkg["name"], src, CACHE / "purified")
        sources[pkg["name"]] = src
    sources["mlsysim"] = mlsysim_wheel
    compiled = {p: p for p in sources.values()}
    if precompile:
        compiled.update(precompile_wheels({p: DROP_FROM_WHEEL.get(n, ()) for n, p in sources.items()
                                           if n not in KEEP_SOURCE}, rt, info))
    wheels: dict[str, Path] = {}
    for name, src in sources.items():
        shutil.copy2(compiled[src], rt / src.name)
        wheels[name] = rt / src.name

    entries = {}
    for name, path in sorted(wheels.items()):
        meta = wheel_metadata(path)
        if canon(meta["Name"]) != name:
            raise BuildError(f"{path.name}: metadata name {meta['Name']} is not {name}")
        deps = []
        for req in browser_depends(path):
            d = canon(req.name)
            if d not in wheels:
                raise BuildError(f"{name} needs {req} in the browser, but it is not in the lock")
            deps.append(d)
        for d in EXTRA_DEPENDS.get(name, []):
            if d not in wheels:
                raise BuildError(f"{name} needs {d} in the browser, but it is not in the lock")
            deps.append(d)
        entries[name] = {
            "name": meta["Name"],
            "version": meta["Version"],
            "file_name": path.name,
            "install_dir": "site",
            "sha256": sha256_file(path),
            "package_type": "package",
            "imports": wheel_top_level_imports(path),
            "depends": sorted(set(deps)),
            "unvendored_tests": False,
        }
    browser_lock = {"info": info, "packages": entries}
    (rt / "pyodide-lock.json").write_text(json.dumps(browser_lock, indent=1, sort_keys=True))
    return browser_lock


# --- step 5: export the labs and rewrite the pages --------------------------------------------
def lab_title(src: str, fallback: str) -> str:
    m = re.search(r'^\s*#\s+(.+?)\s*$', src, re.M)
    return m.group(1).strip().strip('"') if m else fallback


def export_lab(lab: Path, labs_out: Path) -> Path:
    out_html = labs_out / f"{lab.stem}.html"
    run(["marimo", "export", "html-wasm", str(lab), "-o", str(out_html), "--mode", "run",
         "--no-show-code", "-f"], env=_tool_env(), cwd=ROOT, stdout=subprocess.DEVNULL)
    if not out_html.exists():
        raise BuildError(f"marimo export produced no {out_html}")
    return out_html


# The spots in marimo's page that point the browser at Pyodide. Each must be found exactly where
# expected, or the build stops: a marimo upgrade that moves them must break the build, not the labs.
MARIMO_WASM_TAG_RE = re.compile(r"<marimo-wasm\b([^>]*)>")
JS_SPOTS = {
    # reads the attributes we set from <marimo-wasm> (main thread)
    "dataset.pyodideIndexUrl": "the page reads data-pyodide-index-url",
    "dataset.pyodideLockfileUrl": "the page reads data-pyodide-lockfile-url",
    "dataset.pypiIndexUrl": "the page reads data-pypi-index-url",
}
WORKER_SPOTS = {
    "e.pyodideIndexUrl??": "the worker prefers the page's Pyodide index URL over the CDN",
    "e.pyodideLockfileUrl??": "the worker prefers the page's lock file URL over marimo's server",
    f"v{PYODIDE_VERSION}/full/": f"the worker's Pyodide loader is version {PYODIDE_VERSION}",
}


def rewrite_page(page: str, runtime_rel: str, extra_head: str = "") -> str:
    """Point a marimo html-wasm page at the self-hosted runtime. Raises BuildError if the page
    does not have exactly one <marimo-wasm> element to carry the attributes."""
    tags = MARIMO_WASM_TAG_RE.findall(page)
    if len(tags) != 1:
        raise BuildError(f"expected exactly one <marimo-wasm> element in the exported page, found {len(tags)}")
    if "data-pyodide" in tags[0]:
        raise BuildError("the exported <marimo-wasm> already carries data-pyodide-* attributes; "
                         "marimo changed how it sets them, review build_wasm.rewrite_page")
    attrs = (
        f' data-pyodide-index-url="{runtime_rel}"'
        f' data-pyodide-lockfile-url="{runtime_rel}pyodide-lock.json"'
        # anything not in the lock would go to PyPI through micropip: keep it on this host (404)
        f' data-pypi-index-url="{runtime_rel}pypi/{{package_name}}/"'
    )
    page = MARIMO_WASM_TAG_RE.sub(lambda m: f"<marimo-wasm{m.group(1)}{attrs}>", page, count=1)
    if "</head>" not in page:
        raise BuildError("the exported page has no </head>")
    page = page.replace("</head>", extra_head + "</head>", 1)
    return page


def check_js_spots(assets: Path) -> None:
    """The JS that consumes our attributes must still exist, and the worker must boot our Pyodide."""
    js = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in assets.glob("*.js")}
    for needle, why in JS_SPOTS.items():
        if not any(needle in s for s in js.values()):
            raise BuildError(f"marimo's frontend no longer contains {needle!r} ({why})")
    workers = [n for n, s in js.items() if n.startswith("worker-") and "loadPyodide" in s]
    if len(workers) != 1:
        raise BuildError(f"expected one marimo Pyodide worker chunk, found {workers}")
    for needle, why in WORKER_SPOTS.items():
        if needle not in js[workers[0]]:
            raise BuildError(f"marimo's worker no longer contains {needle!r} ({why})")


_IMPORT_RE = re.compile(r"""(?:\bfrom\s*|\bimport\s*)["'`]\./([^"'`]+\.js)["'`]""")
_DYN_RE = re.compile(r"""\bimport\(\s*["'`]\./([^"'`]+\.js)["'`]\s*\)""")


def static_closure(assets: Path, entries: set[str]) -> set[str]:
    """Asset files reachable from the page through static imports (never lazily loaded)."""
    seen, todo = set(), list(entries)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        p = assets / name
        if not p.exists() or not name.endswith(".js"):
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        dyn = set(_DYN_RE.findall(text))
        for dep in _IMPORT_RE.findall(text):
            if dep not in dyn:
                todo.append(dep)
    return seen


def prune_assets(labs_out: Path, pages: list[str]) -> tuple[int, int]:
    """Remove export files a run-mode lab never loads; return (files removed, bytes removed)."""
    referenced = set()
    for page in pages:
        referenced |= set(re.findall(r'(?:href|src)="\./assets/([^"]+)"', page))
    needed = static_closure(labs_out / "assets", referenced)
    pats = [re.compile(p) for p in PRUNE_PATTERNS]
    removed = nbytes = 0
    for p in sorted(labs_out.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(labs_out).as_posix()
        if rel.endswith(".html"):
            continue
        if any(r.search(rel) for r in pats):
            if rel.startswith("assets/") and rel[len("assets/"):] in needed:
                raise BuildError(f"{rel} matches a prune pattern but the page loads it statically")
            nbytes += p.stat().st_size
            removed += 1
            p.unlink()
    return removed, nbytes


def scan_external_refs(pages: dict[str, str]) -> None:
    """Fail if a page itself (not marimo's lazy JS) references another host."""
    for name, page in pages.items():
        for m in re.finditer(r'(?:src|href)\s*=\s*"(https?://[^"]+)"', page):
            raise BuildError(f"{name} still references {m.group(1)}")
        if "cdn.jsdelivr" in page or "wasm.marimo.app" in page:
            raise BuildError(f"{name} still references a CDN")


# --- step 6: index page, service worker ------------------------------------------------------
def chapter_of(stem: str) -> int | None:
    m = re.match(r"ch(\d+)_", stem)
    return int(m.group(1)) if m else None


def write_index(out: Path, labs: list[dict]) -> None:
    chapters = json.loads((SITE_SRC / "chapters.json").read_text())
    template = (SITE_SRC / "index.html").read_text()
    by_ch: dict = {}
    for lab in labs:
        by_ch.setdefault(lab["chapter"], []).append(lab)
    parts = []
    for ch in sorted(by_ch, key=lambda c: (c is None, c or 0)):
        title = chapters.get(str(ch), "Other labs") if ch is not None else "Other labs"
        head = f"Chapter {ch}: {html.escape(title)}" if ch is not None else html.escape(title)
        items = "\n".join(
            f'      <li><a href="labs/{html.escape(l["stem"])}.html">{html.escape(l["title"])}</a>'
            f'<span class="file">{html.escape(l["stem"])}.py</span></li>'
            for l in sorted(by_ch[ch], key=lambda l: l["stem"]))
        parts.append(f'  <section class="chapter">\n    <h2>{head}</h2>\n    <ul>\n{items}\n    </ul>\n  </section>')
    page = template.replace("<!--LABS-->", "\n".join(parts))
    # what a first visit can download at most: every file, gzip-compressed where the server can
    files = [p for p in out.rglob("*") if p.is_file() and p.suffix != ".gz" and p.name != "index.html"]
    most = sum((p.parent / (p.name + ".gz")).stat().st_size if (p.parent / (p.name + ".gz")).exists()
               else p.stat().st_size for p in files)
    page = page.replace("__SITE_MB__", f"{math.ceil(most / 1e6)}")
    (out / "index.html").write_text(page)


def write_service_worker(out: Path, build_id: str) -> None:
    sw = (SITE_SRC / "sw.js").read_text().replace("__BUILD_ID__", build_id)
    (out / "sw.js").write_text(sw)


COMPRESSIBLE = {".wasm", ".js", ".mjs", ".css", ".json", ".html", ".svg", ".map", ".txt"}


def precompress(out: Path) -> tuple[int, int]:
    """Write a reproducible `.gz` next to every compressible file (what nginx's gzip_static and
    this script's server send); wheels and zips are compressed already."""
    import gzip

    before = after = 0
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.suffix in COMPRESSIBLE and p.stat().st_size > 1024:
            data = p.read_bytes()
            z = gzip.compress(data, compresslevel=6, mtime=0)
            if len(z) < len(data):
                (p.parent / (p.name + ".gz")).write_bytes(z)
                before, after = before + len(data), after + len(z)
    return before, after


# --- the build --------------------------------------------------------------------------------
def load_lock() -> dict:
    if not LOCK_PATH.exists():
        raise BuildError(f"{LOCK_PATH.relative_to(ROOT)} is missing: run `python3 build_wasm.py --update-lock`")
    lock = json.loads(LOCK_PATH.read_text())
    if lock.get("marimo") != MARIMO_VERSION or lock["pyodide"]["version"] != PYODIDE_VERSION:
        raise BuildError("the lock was made for other marimo/Pyodide versions: run --update-lock")
    return lock


def build(out: Path = DEFAULT_OUT, update_lock: bool = False, labs: list[Path] | None = None,
          precompile: bool = True) -> dict:
    t0 = time.perf_counter()
    ensure_build_tools()
    mlsysim_wheel = build_mlsysim_wheel()
    if update_lock:
        lock = resolve_lock(mlsysim_wheel)
        LOCK_PATH.write_text(json.dumps(lock, indent=2) + "\n")
        log(f"wrote {LOCK_PATH.relative_to(ROOT)} ({len(lock['packages'])} packages)")
    lock = load_lock()
    files = fetch_locked(lock)

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    browser_lock = assemble_runtime(lock, files, mlsysim_wheel, out, precompile=precompile)

    labs = sorted(labs if labs is not None else LABS_DIR.glob("*.py"))
    labs = [l for l in labs if not l.name.startswith("_")]
    if not labs:
        raise BuildError("no labs found in labs/")
    labs_out = out / "labs"
    labs_out.mkdir()
    loader = (SITE_SRC / "loading.html").read_text()
    pages, meta = {}, []
    for lab in labs:
        html_path = export_lab(lab, labs_out)
        src = lab.read_text()
        title = lab_title(src, lab.stem)
        page = rewrite_page(html_path.read_text(), "../pyodide/", extra_head=loader)
        html_path.write_text(page)
        pages[html_path.name] = page
        meta.append({"stem": lab.stem, "title": title, "chapter": chapter_of(lab.stem)})
    check_js_spots(labs_out / "assets")
    scan_external_refs(pages)
    removed, nbytes = prune_assets(labs_out, list(pages.values()))
    log(f"pruned {removed} export files ({nbytes / 1e6:.1f} MB) a run-mode lab never loads")

    for f in ["site.css"]:
        shutil.copy2(SITE_SRC / f, out / f)
    build_id = hashlib.sha256(json.dumps(browser_lock, sort_keys=True).encode()
                              + b"".join(p.encode() for p in pages.values())).hexdigest()[:16]
    write_service_worker(out, build_id)
    (out / "build-info.json").write_text(json.dumps({
        "build_id": build_id, "marimo": MARIMO_VERSION, "pyodide": PYODIDE_VERSION,
        "labs": meta, "packages": {k: v["version"] for k, v in browser_lock["packages"].items()},
    }, indent=1))
    gz_before, gz_after = precompress(out)
    log(f"gzip copies for the server: {gz_before / 1e6:.1f} MB of text and wasm -> {gz_after / 1e6:.1f} MB")
    write_index(out, meta)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and p.suffix != ".gz")
    log(f"built {out} in {time.perf_counter() - t0:.1f} s: {len(labs)} lab(s), "
        f"{len(browser_lock['packages'])} wheels, {total / 1e6:.1f} MB on disk")
    return {"out": out, "build_id": build_id, "labs": meta, "lock": browser_lock}


# --- serving ----------------------------------------------------------------------------------
class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the right types and cache headers for a second visit to be fast."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
        ".whl": "application/zip", ".json": "application/json", ".zip": "application/zip",
        ".woff2": "font/woff2", ".css": "text/css",
    }

    def log_message(self, fmt, *args):  # quiet: one line per error only
        if args and str(args[1]).startswith(("4", "5")):
            super().log_message(fmt, *args)

    def end_headers(self):
        self.send_header("Cache-Control", cache_control(self.path))
        super().end_headers()

    def send_head(self):
        """Serve the build's gzip copy of a text or wasm file to browsers that accept it."""
        path = self.translate_path(self.path)
        gz = path + ".gz"
        if ("gzip" not in self.headers.get("Accept-Encoding", "") or "Range" in self.headers
                or not os.path.isfile(path) or not os.path.isfile(gz)):
            return super().send_head()
        st = os.stat(gz)
        ims = self.headers.get("If-Modified-Since")
        if ims:
            with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
                import email.utils

                if int(st.st_mtime) <= email.utils.parsedate_to_datetime(ims).timestamp():
                    self.send_response(304)
                    self.send_header("Vary", "Accept-Encoding")
                    self.end_headers()
                    return None
        f = open(gz, "rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(st.st_size))
        self.send_header("Last-Modified", self.date_time_string(st.st_mtime))
        self.end_headers()
        return f


def cache_control(url_path: str) -> str:
    path = url_path.split("?", 1)[0]
    immutable = "public, max-age=31536000, immutable"
    if path.startswith("/labs/assets/"):
        return immutable  # content-hashed names from marimo's build
    if path.startswith("/pyodide/"):
        name = path.rsplit("/", 1)[-1]
        if name in PYODIDE_RUNTIME_FILES:
            return "public, max-age=604800"  # fixed by the pinned Pyodide version
        # the lock and the wheels: a wheel's bytes depend on the build (bytecode, mlsysim from
        # this repo) under an unchanged name, so revalidate (a 304 when unchanged); the service
        # worker serves them from its per-build cache without asking
        return "no-cache"
    return "no-cache"  # pages, index, service worker


def serve(directory: Path, port: int, host: str = "127.0.0.1", ready=None):
    handler = functools.partial(SiteHandler, directory=str(directory))

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    httpd = Server((host, port), handler)
    return httpd


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default _site/)")
    ap.add_argument("--update-lock", action="store_true", help="re-resolve packages and rewrite site/wasm-lock.json")
    ap.add_argument("--serve", action="store_true", help="serve the site after building")
    ap.add_argument("--no-build", action="store_true", help="with --serve: serve the existing build")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--no-precompile", action="store_true", help="serve the wheels as downloaded, with sources and no bytecode (slower visits)")
    args = ap.parse_args(argv)
    try:
        if not (args.serve and args.no_build):
            build(args.out.resolve(), update_lock=args.update_lock, precompile=not args.no_precompile)
    except (BuildError, subprocess.CalledProcessError) as e:
        print(f"\nBUILD FAILED: {e}", file=sys.stderr)
        return 1
    if args.serve:
        httpd = serve(args.out.resolve(), args.port)
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        print(f"Serving {args.out} at {url}  (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
