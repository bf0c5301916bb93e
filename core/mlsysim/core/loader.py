"""The registry loader: TOML data files -> validated entries with provenance.

Data lives in ``registry/`` (shipped in the wheel as ``mlsysim/_registry``).
Each file may define sources and entries::

    [sources.nvidia_h100]
    title = "NVIDIA H100 Tensor Core GPU datasheet"
    url = "https://..."
    date = 2026-11-25
    kind = "datasheet"            # datasheet | paper | measured | estimate | derived

    [[hardware]]
    key = "h100"                  # identity fields (see IDENTITY) carry no provenance
    name = "NVIDIA H100 SXM5 80GB"
    source = "nvidia_h100"        # default source of every number of this entry
    tdp = "700 W"
    dispatch_tax = { value = "10 us", source = "launch_overhead", note = "..." }  # own source

A number without a source (neither its own nor the entry's) is a load error,
so every number in the registry has provenance. Files are read once, on first
use, and cached for the life of the process.

User folders (``use_registry(path)`` or the ``MLSYSIM_REGISTRY`` environment
variable, several folders separated by ``os.pathsep``) are read after the
built-in one and merged over it: a source id or an entry key they define again
replaces the built-in one; anything new is added.

Errors: every problem names the file, the entry and the field. A bad entry (or
an unreadable file) is reported and skipped, and the rest loads: a corrupt
``fleets.toml`` does not stop ``Hardware.get("h100")``. Asking for the skipped
entry by name raises ``RegistryDataError`` with its problem; ``registry_problems()``
lists every problem, and ``check_registry_folder(path)`` lists those of a
contributor's folder without changing what is loaded. The entries themselves are
built by ``core.catalog.Catalog``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import warnings
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from .errors import InputError, MlsysimError
from .types import Source, normalise

IDENTITY = frozenset({"key", "attr", "name", "aliases", "vendor", "tier", "family", "architecture", "source", "region", "topology", "notes"})
ENV_VAR = "MLSYSIM_REGISTRY"


class RegistryDataError(MlsysimError):
    """A registry data file is malformed (bad value, missing source, unknown reference).

    ``problems`` lists each problem when there are several (one line each).
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


class RegistryWarning(UserWarning):
    """Some registry entries could not be loaded; the others are served."""


def registry_dir() -> Path:
    """Where the built-in data files are: inside the installed wheel, or the repository's ``registry/``."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_registry", here.parent.parent / "registry"):
        if candidate.is_dir():
            return candidate
    raise MlsysimError(f"registry data not found next to {here} (looked for _registry/ and ../../registry/)")


# -- user folders ------------------------------------------------------------------

_USER_DIRS: list[Path] | None = None  # None: taken from $MLSYSIM_REGISTRY on first use
_CATALOGS: list = []  # every core.catalog.Catalog, so a reload clears them all
# Every section a registry file may hold. Catalogues register on import, and the walls' catalogues
# (mlsysim.wall_registry, mlsysim.pipeline_registry, workloads.diffusion) are imported only when
# used, so the loader must know their sections without importing them.
SECTIONS = frozenset({
    "hardware", "models", "grids", "fleets",
    "diffusion_models", "dp_sgd_overheads", "compression_results", "efficiency_tables", "launch_overheads",
    "storage", "preprocessing", "cpu_hosts", "links", "networks", "personas",
    "batteries", "device_power", "radios",
})
_DATA: "_Data | None" = None


def user_registry_dirs() -> list[Path]:
    """The user folders merged over the built-in registry, in the order they are read."""
    if _USER_DIRS is not None:
        return list(_USER_DIRS)
    return [Path(p.strip()).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]


def _folder(path) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not Path(path).expanduser().is_dir():
        raise InputError("registry folder", str(path), "an existing folder of registry .toml files")
    return Path(path).expanduser()


def use_registry(*folders) -> None:
    """Merge ``folders`` (paths) over the built-in registry, replacing any set before.

    ``use_registry()`` with no folder goes back to the built-in registry alone (and ignores
    ``$MLSYSIM_REGISTRY``). Entries are re-read on next use, so take them again
    afterwards (``Hardware.get(...)``): objects fetched before are not updated.
    """
    global _USER_DIRS
    _USER_DIRS = [_folder(f) for f in folders]
    _reset()


def _reset() -> None:
    global _DATA
    _DATA = None
    for cat in _CATALOGS:
        cat._clear()


def _snapshot():
    return _USER_DIRS, _DATA, [cat._cache() for cat in _CATALOGS]


def _restore(snap) -> None:
    global _USER_DIRS, _DATA
    _USER_DIRS, _DATA, caches = snap
    for cat, cache in zip(_CATALOGS, caches):
        cat._clear()
        cat.__dict__.update(cache)


@contextmanager
def using_registry(*folders):
    """Within the block, ``folders`` are merged over the built-in registry; afterwards, what was loaded before is back."""
    snap = _snapshot()
    try:
        use_registry(*folders)
        yield
    finally:
        _restore(snap)


def registry_problems() -> list[str]:
    """Every problem of the registry as loaded (built-in plus user folders): file, entry, field, what is wrong."""
    for cat in _CATALOGS:
        len(cat)  # builds it, recording its problems
    return list(data().problems)


def check_registry_folder(path) -> list[str]:
    """Every problem of a contributor's folder of registry files, read merged over the built-in registry alone.

    Returns a list of strings (empty when the folder is good), each naming the file,
    the entry and the field. What the session has loaded is left as it was.
    """
    if not isinstance(path, (str, os.PathLike)) or not Path(path).expanduser().is_dir():
        return [f"{path}: not a folder"]
    folder = Path(path).expanduser()
    if not any(folder.rglob("*.toml")):
        return [f"{path}: no .toml files in this folder"]
    snap = _snapshot()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RegistryWarning)
            # the built-in registry and this folder only, whatever $MLSYSIM_REGISTRY says
            _restore(([folder], None, [{} for _ in _CATALOGS]))
            return registry_problems()
    finally:
        _restore(snap)


# -- reading the files ----------------------------------------------------------------

_NUMBER_THEN_UNIT = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*(.*)$")
_BIT_ABBREVIATION = re.compile(r"(?<![A-Za-z])([kKMGTPE]?)b(?![A-Za-z])")


def _unit_slip(text: str) -> str | None:
    """A message when a quantity is written with 'b' (bits) where 'B' (bytes) is almost always meant."""
    m = _NUMBER_THEN_UNIT.match(text)
    if not m:
        return None
    unit = m.group(1)
    if not unit or len(unit) > 24 or not re.fullmatch(r"[A-Za-z0-9/*^. ]+", unit):
        return None  # not a quantity (a name or a note that starts with a number)
    slip = _BIT_ABBREVIATION.search(unit)
    if not slip:
        return None
    p = slip.group(1)
    return (f"{text!r} uses '{p}b' (bits); write '{p.upper() if p != 'k' else 'k'}B' for bytes, "
            f"or '{p}bit' if bits are really meant (e.g. a network link '400 Gbit/s')")


def _pydantic_problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()))
        msg = err.get("msg", "")
        msg = msg.removeprefix("Value error, ")
        out.append(f"{loc}: {msg}" if loc else msg)
    return out


class _Data:
    """All TOML files read once: sources, entry lists per section, and every problem met."""

    def __init__(self, roots: list[Path], sections: set[str]):
        self.sources: dict[str, Source] = {}
        self.sections: dict[str, list[tuple[str, dict]]] = {}
        self.problems: list[str] = []
        for rank, root in enumerate(roots):
            self._read_root(root, rank, sections)

    def _read_root(self, root: Path, rank: int, known: set[str]) -> None:
        own_sources: set[str] = set()
        own_keys: dict[tuple[str, str], str] = {}
        for path in sorted(root.rglob("*.toml")):
            where = str(path.relative_to(root)) if rank == 0 else str(path)
            try:
                with path.open("rb") as fh:
                    doc = tomllib.load(fh)
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
                self.problems.append(f"{where}: not valid TOML ({exc}); the file is skipped")
                continue
            sources = doc.pop("sources", {})
            if not isinstance(sources, dict):
                self.problems.append(f"{where}: 'sources' must be tables [sources.ID]")
                sources = {}
            for sid, raw in sources.items():
                if sid in own_sources:
                    self.problems.append(f"{where}: [sources.{sid}] is defined twice")
                    continue
                own_sources.add(sid)
                try:
                    self.sources[sid] = Source(**raw) if isinstance(raw, dict) else Source.model_validate(raw)
                except ValidationError as exc:
                    self.problems.extend(f"{where}: [sources.{sid}] {p}" for p in _pydantic_problems(exc))
            for section, entries in doc.items():
                if section not in known:
                    close = difflib.get_close_matches(section, sorted(known), n=1)
                    hint = f"; did you mean [[{close[0]}]]?" if close else ""
                    self.problems.append(f"{where}: unknown section {section!r} (expected one of {', '.join(sorted(known))}){hint}")
                    continue
                if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                    self.problems.append(f"{where}: {section} must be an array of tables ([[{section}]])")
                    continue
                bucket = self.sections.setdefault(section, [])
                for raw in entries:
                    key = normalise(str(raw.get("key") or raw.get("name") or ""))
                    if key and (section, key) in own_keys:
                        self.problems.append(f"{where}: [[{section}]] {key!r} is also defined in {own_keys[(section, key)]}")
                        continue
                    if key:
                        own_keys[(section, key)] = where
                        # a user folder's entry replaces the built-in (or an earlier folder's) of the same key
                        bucket[:] = [(w, e) for w, e in bucket if normalise(str(e.get("key") or e.get("name") or "")) != key]
                    bucket.append((where, raw))

    def split(self, raw: dict, default: str | None, problems: list[str], prefix: str = "") -> tuple[dict, dict[str, Source]]:
        """Strip per-value provenance from an entry: (plain values, dotted path -> Source).

        Every missing or unknown source and every bit/byte slip is appended to ``problems``.
        """
        values: dict = {}
        prov: dict[str, Source] = {}
        for name, value in raw.items():
            dotted = f"{prefix}{name}"
            if not prefix and name in IDENTITY:
                if name != "source":
                    values[name] = value
                continue
            if isinstance(value, dict) and "value" in value and set(value) <= {"value", "source", "note"}:
                src = self.source(value.get("source", default), dotted, problems, value.get("note"))
                values[name] = self._checked_text(value["value"], dotted, problems)
            elif isinstance(value, dict):
                values[name], sub = self.split(value, default, problems, dotted + ".")
                prov.update(sub)
                continue
            else:
                src = self.source(default, dotted, problems)
                values[name] = self._checked_text(value, dotted, problems)
            if src is not None:
                prov[dotted] = src
        return values, prov

    @staticmethod
    def _checked_text(value, dotted: str, problems: list[str]):
        if isinstance(value, str) and not dotted.endswith(("name", "note")):
            slip = _unit_slip(value)
            if slip:
                problems.append(f"{dotted}: {slip}")
        return value

    def source(self, sid: str | None, dotted: str, problems: list[str], note: str | None = None) -> Source | None:
        if sid is None:
            problems.append(f"{dotted}: has no source (give the entry a 'source' or the value its own)")
            return None
        if sid not in self.sources:
            close = difflib.get_close_matches(str(sid), list(self.sources), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{dotted}: cites unknown source {sid!r}{hint}")
            return None
        src = self.sources[sid]
        if not note:
            return src
        # the value's own note (e.g. its derivation) comes first; the source's note is kept after it
        return src.model_copy(update={"note": f"{note}; {src.note}" if src.note else note})


def _warn(message: str) -> None:
    """One RegistryWarning, attributed to the registry rather than to a line of mlsysim (no source line is printed)."""
    warnings.warn_explicit(RegistryWarning(f"{message} (mlsysim.registry_problems() lists all)"), RegistryWarning,
                           filename="mlsysim registry", lineno=0, module="mlsysim.registry")


def data() -> _Data:
    global _DATA
    if _DATA is None:
        roots = [registry_dir()]
        for folder in user_registry_dirs():
            if folder.is_dir():
                roots.append(folder)
        _DATA = _Data(roots, SECTIONS | {cat._section for cat in _CATALOGS})
        for folder in user_registry_dirs():
            if not folder.is_dir():
                _DATA.problems.append(f"{folder}: registry folder not found (from ${ENV_VAR} or use_registry)")
        if _DATA.problems:
            _warn(f"registry: {len(_DATA.problems)} problem(s) while reading the files, first: {_DATA.problems[0]}")
    return _DATA
