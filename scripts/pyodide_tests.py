#!/usr/bin/env python3
"""Run the engine's test suite (tests/ except tests/browser/) inside Pyodide, under Node.js.

    python3 scripts/pyodide_tests.py --runtime DIR [-- PYTEST ARGS]   # a built site's runtime
    python3 scripts/pyodide_tests.py                                  # builds the site first
    python3 scripts/pyodide_tests.py --update-lock                    # re-pin pytest & co.

It uses exactly what the site serves: the runtime folder of a build of `build_wasm.py`
(`pyodide.mjs`, its `pyodide-lock.json`, the pinned wheels and the mlsysim wheel built from this
checkout, all loaded by name and sha256-checked by Pyodide). The test tools (pytest, hypothesis
and what they need that the site does not ship) are wheels from PyPI pinned by version and
sha256 in site/test-lock.json, downloaded once into .cache/wasm/test-wheels/ and checked on every
run. The checkout is mounted at /repo (NODEFS) for the tests themselves; mlsysim comes from the
wheel, never from core/. tests/conftest.py says what changes inside Pyodide (skips of tests that
start processes, the hypothesis profile). The exit status is pytest's.

DIR may be the site folder or its runtime folder; without --runtime, $MLSYSIM_SITE_DIR is used
if set, else the site is built into a temporary folder. Needs Node.js (and pip for downloads).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the site build's package: its pins and its file hashing are shared

from sitebuild.common import sha256_file  # noqa: E402
LOCK_PATH = ROOT / "site" / "test-lock.json"
CACHE = ROOT / ".cache" / "wasm" / "test-wheels"
RUNNER = Path(__file__).resolve().parent / "pyodide_runner.mjs"
# What the suite needs inside Pyodide beyond mlsysim. Same majors as the `test` extra.
ROOTS = ["pytest==9.0.3", "hypothesis==6.155.2"]
DEFAULT_PYTEST_ARGS = ["tests"]
ALWAYS_PYTEST_ARGS = ["--ignore=tests/browser", "-p", "no:cacheprovider"]
PASSED_ENV = ["HYPOTHESIS_PROFILE"]  # e.g. HYPOTHESIS_PROFILE=default for CPython's example counts
TIMEOUT_S = 900  # the whole run; it takes ~10 s today


class SetupError(RuntimeError):
    """Something the run needs is missing or does not match its pin."""


def log(msg: str) -> None:
    print(f"[pyodide-tests] {msg}", flush=True)


# --- the runtime -------------------------------------------------------------------------------
def runtime_folder(path: Path) -> Path:
    """The folder holding pyodide.mjs and pyodide-lock.json: `path` itself or one below it."""
    for cand in (path, path / "pyodide", *sorted(p.parent for p in path.glob("*/pyodide-lock.json"))):
        if (cand / "pyodide.mjs").is_file() and (cand / "pyodide-lock.json").is_file():
            return cand.resolve()
    raise SetupError(f"{path} holds no Pyodide runtime (pyodide.mjs and pyodide-lock.json)")


def build_site(out: Path) -> Path:
    """Build the whole site with build_wasm (as the browser tests do) and return its runtime."""
    import build_wasm  # the repo's build script (ROOT is on sys.path, above)

    info = build_wasm.build(out)
    return runtime_folder(Path(info.get("runtime_dir") or Path(info["out"]) / "pyodide"))


def runtime_packages(runtime: Path) -> dict[str, str]:
    """{name: version} of every package the runtime's lock lists."""
    lock = json.loads((runtime / "pyodide-lock.json").read_text())
    return {name: entry["version"] for name, entry in lock["packages"].items()}


# --- the test tools' wheels -------------------------------------------------------------------
def pip_download(name: str, spec: str, dest: Path, pyodide: dict) -> Path:
    """Download one wheel (no dependencies) for Pyodide from PyPI into `dest`: a pure one, or
    one built for Pyodide's platform, never the host's."""
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.iterdir())
    py = "".join(pyodide["python"].split(".")[:2])
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "--only-binary=:all:", "--python-version", py,
                    "--platform", f"pyemscripten_{pyodide['abi_version']}_{pyodide['arch']}",
                    "--implementation", "cp", "--abi", f"cp{py}", "--dest", str(dest), spec], check=True)
    new = [p for p in dest.iterdir() if p not in before and p.suffix == ".whl"]
    stem = name.replace("-", "_").lower() + "-"  # already in dest: pip downloads nothing new
    found = new or [p for p in dest.glob("*.whl") if p.name.lower().startswith(stem)]
    if len(found) != 1:
        raise SetupError(f"pip download {spec} gave {[p.name for p in found]}, expected one wheel")
    return found[0]


def fetch_pinned(lock: dict) -> list[Path]:
    """The lock's wheels from the cache (downloading what is missing), each sha256-checked."""
    paths = []
    for w in lock["wheels"]:
        path = CACHE / w["file_name"]
        if not path.exists():
            got = pip_download(w["name"], f"{w['name']}=={w['version']}", CACHE, lock["pyodide"])
            if got != path:
                raise SetupError(f"PyPI gave {got.name} for {w['name']}=={w['version']}, the lock says {w['file_name']}")
        digest = sha256_file(path)
        if digest != w["sha256"]:
            path.unlink()
            raise SetupError(f"{w['file_name']}: sha256 {digest} is not the pinned {w['sha256']} (file removed)")
        paths.append(path)
    return paths


def wheel_requirements(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        return Parser().parsestr(z.read(meta).decode()).get_all("Requires-Dist") or []


def update_lock(runtime: Path) -> dict:
    """Resolve ROOTS for Pyodide (markers evaluated for Emscripten) and rewrite the lock. What the
    site's runtime already ships at a version that satisfies a requirement is loaded from it."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    info = json.loads((runtime / "pyodide-lock.json").read_text())["info"]
    python = ".".join(info["python"].split(".")[:2])
    env = {"sys_platform": "emscripten", "platform_system": "Emscripten", "platform_machine": "wasm32",
           "os_name": "posix", "implementation_name": "cpython", "platform_python_implementation": "CPython",
           "python_version": python, "python_full_version": info["python"], "extra": ""}
    site = runtime_packages(runtime)
    todo = [(Requirement(r), "(root)") for r in ROOTS]
    wheels: dict[str, dict] = {}
    from_site: dict[str, str] = {}
    while todo:
        req, parent = todo.pop(0)
        name = canonicalize_name(req.name)
        if name in wheels or name in from_site:
            continue
        if name in site and req.specifier.contains(site[name], prereleases=True):
            from_site[name] = site[name]
            continue
        path = pip_download(name, name + str(req.specifier), CACHE, info)
        version = path.name.split("-")[1]
        wheels[name] = {"name": name, "version": version, "file_name": path.name,
                        "sha256": sha256_file(path), "required_by": parent}
        for dep in wheel_requirements(path):
            r = Requirement(dep)
            if r.marker is None or r.marker.evaluate(env):
                todo.append((r, name))
    lock = {
        "about": "pytest, hypothesis and their dependencies for running tests/ inside Pyodide "
                 "(scripts/pyodide_tests.py); verified by sha256 on every run. Regenerate with "
                 "`python3 scripts/pyodide_tests.py --update-lock`.",
        "pyodide": info, "python": python, "roots": ROOTS,
        "from_site": dict(sorted(from_site.items())),
        "wheels": sorted(wheels.values(), key=lambda w: w["name"]),
    }
    LOCK_PATH.write_text(json.dumps(lock, indent=2) + "\n")
    log(f"wrote {LOCK_PATH.relative_to(ROOT)}: {len(wheels)} wheels, {len(from_site)} from the site")
    return lock


def load_lock(runtime: Path) -> dict:
    if not LOCK_PATH.exists():
        raise SetupError(f"{LOCK_PATH.relative_to(ROOT)} is missing: run with --update-lock")
    lock = json.loads(LOCK_PATH.read_text())
    site = runtime_packages(runtime)
    if "mlsysim" not in site:
        raise SetupError(f"{runtime}/pyodide-lock.json lists no mlsysim wheel: not a build of this site")
    for name, version in lock["from_site"].items():
        if site.get(name) != version:
            raise SetupError(f"the test lock loads {name} {version} from the site, whose runtime has "
                             f"{site.get(name, 'none')}: run with --update-lock")
    return lock


# --- the run -----------------------------------------------------------------------------------
def run_in_pyodide(runtime: Path, lock: dict, pytest_args: list[str]) -> int:
    if shutil.which("node") is None:
        raise SetupError("node (Node.js) is needed to run Pyodide")
    config = {
        "runtime": str(runtime),
        # altair too, from the site's own lock, so the chart authoring is tested here as well; marimo is
        # not loaded: its kernel runs the lab notebooks in Pyodide in the browser tests instead
        "packages": ["mlsysim", "altair", *lock["from_site"]],
        "wheels": [str(p.resolve()) for p in fetch_pinned(lock)],
        "repo": str(ROOT),
        "pytest_args": ALWAYS_PYTEST_ARGS + (pytest_args or DEFAULT_PYTEST_ARGS),
        "env": {k: os.environ[k] for k in PASSED_ENV if k in os.environ},
    }
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "config.json"
        cfg.write_text(json.dumps(config))
        try:
            return subprocess.run(["node", str(RUNNER), str(cfg)], cwd=ROOT, timeout=TIMEOUT_S).returncode
        except subprocess.TimeoutExpired:
            raise SetupError(f"the run inside Pyodide took over {TIMEOUT_S} s and was stopped "
                             "(Pyodide has no signals to interrupt a test that never returns)") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runtime", type=Path, help="a built site, or its runtime folder (default: "
                    "$MLSYSIM_SITE_DIR, else build the site into a temporary folder)")
    ap.add_argument("--update-lock", action="store_true", help="re-resolve the test tools, rewrite site/test-lock.json")
    ap.add_argument("pytest_args", nargs="*", help="passed to pytest, after `--` (default: tests)")
    args = ap.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="mlsysim-site-") as tmp:
            given = args.runtime or (Path(os.environ["MLSYSIM_SITE_DIR"]) if os.environ.get("MLSYSIM_SITE_DIR") else None)
            runtime = runtime_folder(given) if given else build_site(Path(tmp) / "_site")
            lock = update_lock(runtime) if args.update_lock else load_lock(runtime)
            log(f"runtime {runtime}; test tools: " + ", ".join(f"{w['name']} {w['version']}" for w in lock["wheels"]))
            return run_in_pyodide(runtime, lock, args.pytest_args)
    except (SetupError, subprocess.CalledProcessError) as exc:  # status 3: not a test failure
        print(f"pyodide-tests: error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
