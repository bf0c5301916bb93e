"""Wheel surgery: read a wheel's metadata as Pyodide sees it, repack a pure-Python sdist as a
wheel, and replace every wheel's Python sources by the bytecode Pyodide itself compiles.

Without the bytecode the browser compiles marimo, altair, pint, ... from source on every visit
(seconds of a visit's CPU time). The compiling is done by the very Pyodide the site serves, run by
Node (`precompile.mjs` running `precompile_wheels.py`), so the bytecode matches CPython 3.14 in
Pyodide 314.0.0. Each module is shipped as its .pyc in place of its .py (sourceless, the way
Pyodide ships its own packages): smaller wheels to unpack and nothing to compile. Tracebacks inside
libraries then show no source lines; the notebook's own code is unaffected.
"""
from __future__ import annotations

import base64
import csv
import email.message
import email.parser
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

from .common import BuildError, log, sha256_file
from .pins import CACHE, EMSCRIPTEN_ENV, PYODIDE_VERSION, ROOT

HERE = Path(__file__).resolve().parent
PRECOMPILE_JS = HERE / "precompile.mjs"
PRECOMPILE_PY = HERE / "precompile_wheels.py"


def packaging_api():
    """`packaging`'s parts, imported on first use: the build installs `packaging` itself when it is
    missing (common.ensure_build_tools), after this module is imported."""
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
    Requirement, *_ = packaging_api()
    out = []
    for line in wheel_metadata(path).get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker is not None:
            ok = any(req.marker.evaluate({**EMSCRIPTEN_ENV, "extra": e}) for e in (extras or {""}))
            if not ok:
                continue
        out.append(req)
    return out


# Where each sdist keeps its pure-Python package, and the C sources that are left out.
SDIST_LAYOUT = {
    "pyyaml": {"src": "lib/yaml", "package": "yaml", "drop": []},
    "markupsafe": {"src": "src/markupsafe", "package": "markupsafe", "drop": ["_speedups.c"]},
}

_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def pure_wheel_from_sdist(name: str, sdist: Path, out_dir: Path) -> Path:
    """Repack an sdist's pure-Python package as a py3-none-any wheel (byte-for-byte reproducible)."""
    *_, parse_sdist_filename, _V = packaging_api()
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
        jobs_file, empty_lock = CACHE / "precompile-jobs.json", CACHE / "empty-lock.json"
        empty_lock.write_text(json.dumps({"info": lock_info, "packages": {}}))
        jobs_file.write_text(json.dumps(jobs))
        t0 = time.perf_counter()
        proc = subprocess.run(["node", str(PRECOMPILE_JS), runtime.resolve().as_posix(), empty_lock.as_posix(),
                               ROOT.as_posix(), str(jobs_file), str(PRECOMPILE_PY)], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [l for l in (proc.stderr + proc.stdout).splitlines() if len(l) < 500]  # not minified source
            raise BuildError("precompiling with Pyodide under Node failed:\n" + "\n".join(lines[-30:]))
        log(f"compiled the bytecode of {len(jobs)} wheel(s) with Pyodide in {time.perf_counter() - t0:.1f} s")
    for w, dst in result.items():
        if not dst.exists():
            raise BuildError(f"precompiling {w.name} produced nothing")
    return result



def patch_wheel(wheel: Path, edits: list[tuple[str, str, str]], out_dir: Path) -> Path:
    """A copy of `wheel` with each (member, old text, new text) edit applied, RECORD rewritten to
    match, entries dated as in the original. BuildError when a member or an old text is not there
    exactly once: an upgrade that moved it must fail the build."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / wheel.name
    by_member: dict[str, list[tuple[str, str]]] = {}
    for member, old, new in edits:
        by_member.setdefault(member, []).append((old, new))
    with zipfile.ZipFile(wheel) as zin:
        names = zin.namelist()
        record = next(n for n in names if n.endswith(".dist-info/RECORD") and n.count("/") == 1)
        files = {n: zin.read(n) for n in names}
        infos = {i.filename: i for i in zin.infolist()}
    for member, subs in by_member.items():
        if member not in files:
            raise BuildError(f"wheel patch: {wheel.name} has no {member}")
        text = files[member].decode("utf-8")
        for old, new in subs:
            if text.count(old) != 1:
                raise BuildError(f"wheel patch: expected {old.strip()!r} once in {wheel.name}:{member}, "
                                 f"found {text.count(old)}; review sitebuild.pins.WHEEL_PATCHES")
            text = text.replace(old, new)
        files[member] = text.encode("utf-8")
    rows = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in names:
            if n == record:
                continue
            zi = zipfile.ZipInfo(n, infos[n].date_time)
            zi.compress_type, zi.external_attr = zipfile.ZIP_DEFLATED, infos[n].external_attr
            zout.writestr(zi, files[n])
            digest = base64.urlsafe_b64encode(hashlib.sha256(files[n]).digest()).rstrip(b"=").decode()
            rows.append([n, f"sha256={digest}", str(len(files[n]))])
        rows.append([record, "", ""])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        zi = zipfile.ZipInfo(record, infos[record].date_time)
        zi.compress_type, zi.external_attr = zipfile.ZIP_DEFLATED, infos[record].external_attr
        zout.writestr(zi, buf.getvalue().encode())
    return out
