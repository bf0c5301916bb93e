"""The browser's package set: resolve it (`--update-lock`), fetch exactly what the lock pins and
verify every file's sha256, and build the mlsysim wheel from this repo.

`pip download` resolves dependencies with the host's markers (linux) and would pull in server-only
packages, so resolution here is our own, with every marker evaluated for Emscripten.
"""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .common import BuildError, run, sha256_file, tool_env
from .pins import (BROWSER_ROOTS, CACHE, LOCAL, LOCK_PATH, MARIMO_VERSION, OVERRIDES, PURE_FROM_SDIST,
                   PY_VERSION, PYODIDE_PLATFORM, PYODIDE_VERSION, ROOT)
from .wheels import browser_depends, packaging_api, pure_wheel_from_sdist


def build_mlsysim_wheel() -> Path:
    """The pure `py3-none-any` mlsysim wheel, built from this repo's core/ and registry/."""
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
    shutil.copytree(ROOT / "validation", stage / "validation", ignore=ignore)  # pyproject force-includes it
    # the lab kit ships in the same wheel (pyproject's wheel packages): the labs import it
    shutil.copytree(ROOT / "labs" / "labkit", stage / "labs" / "labkit", ignore=ignore)
    readme = ROOT / "README.md"
    if readme.exists():
        shutil.copy2(readme, stage / "README.md")
    else:  # the project's metadata names README.md; a fresh tree may not have it yet
        (stage / "README.md").write_text("mlsysim\n")
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(stage)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.insert(4, "--no-isolation")  # hatchling is here already: skip the throw-away venv
    run(cmd, env=tool_env(), stdout=subprocess.DEVNULL)
    wheels = list(dist.glob("mlsysim-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one pure mlsysim wheel in {dist}, found {wheels}")
    with zipfile.ZipFile(wheels[0]) as z:
        if not any(n.startswith("mlsysim/_registry/") for n in z.namelist()):
            raise BuildError("the mlsysim wheel does not ship mlsysim/_registry")
        if "labkit/kit.py" not in z.namelist() or "mlsysim/viz/templates.json" not in z.namelist():
            raise BuildError("the mlsysim wheel does not ship labkit/ and mlsysim/viz/templates.json")
    return wheels[0]


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



# --- lock resolution (--update-lock) ----------------------------------------------------------
def mlsysim_requirements(wheel: Path) -> list[str]:
    return [str(r) for r in browser_depends(wheel)]


def resolve_lock(mlsysim_wheel: Path) -> dict:
    """Resolve the browser's package set with Emscripten markers; return a new lock."""
    Requirement, SpecifierSet, canon, parse_wheel_filename, parse_sdist_filename, Version = packaging_api()
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



def load_lock() -> dict:
    if not LOCK_PATH.exists():
        raise BuildError(f"{LOCK_PATH.relative_to(ROOT)} is missing: run `python3 build_wasm.py --update-lock`")
    lock = json.loads(LOCK_PATH.read_text())
    if lock.get("marimo") != MARIMO_VERSION or lock["pyodide"]["version"] != PYODIDE_VERSION:
        raise BuildError("the lock was made for other marimo/Pyodide versions: run --update-lock")
    return lock

