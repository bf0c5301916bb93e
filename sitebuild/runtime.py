"""The runtime folder of the built site: Pyodide's npm files, every wheel (as bytecode), and the
browser's `pyodide-lock.json` listing exactly those wheels with their `depends` for Emscripten."""
from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

from .common import BuildError, sha256_file
from .lock import fetch_npm_pyodide, verify
from .pins import (BOOT_SKIP, CACHE, DROP_FROM_WHEEL, WHEEL_PATCHES, EXTRA_DEPENDS, PYODIDE_PLATFORM, PYODIDE_RUNTIME_FILES,
                   PYODIDE_VERSION)
from .wheels import (browser_depends, packaging_api, patch_wheel, precompile_wheels, pure_wheel_from_sdist, wheel_metadata,
                     wheel_top_level_imports)

RUNTIME_DIR = "pyodide"  # the runtime's folder inside the built site


def assemble_runtime(lock: dict, files: dict[str, Path], mlsysim_wheel: Path, out: Path,
                     precompile: bool = True, trim_boot: bool = True) -> dict:
    Requirement, SpecifierSet, canon, parse_wheel_filename, *_ = packaging_api()
    tgz = fetch_npm_pyodide(lock["pyodide"]["npm"])
    verify(tgz, lock["pyodide"]["npm"]["sha256"], f"npm pyodide@{PYODIDE_VERSION}")
    rt = out / RUNTIME_DIR
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
    for name, edits in (WHEEL_PATCHES.items() if trim_boot else ()):
        sources[name] = patch_wheel(sources[name], edits, CACHE / "patched" / name)
    compiled = {p: p for p in sources.values()}
    if precompile:
        compiled.update(precompile_wheels({p: DROP_FROM_WHEEL.get(n, ()) for n, p in sources.items()}, rt, info))
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
            if trim_boot and d in BOOT_SKIP.get(name, ()):
                continue
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

