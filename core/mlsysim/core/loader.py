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
contributor's folder without changing what is loaded.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import warnings
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from pydantic import ValidationError

from .errors import InputError, MlsysimError, UnknownEntryError
from .types import Model, Source, normalise  # noqa: F401  (normalise re-exported)

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
_CATALOGS: list["Catalog"] = []
_DATA: "_Data | None" = None


def user_registry_dirs() -> list[Path]:
    """The user folders merged over the built-in registry, in the order they are read."""
    if _USER_DIRS is not None:
        return list(_USER_DIRS)
    return [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]


def _folder(path) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not Path(path).is_dir():
        raise InputError("registry folder", str(path), "an existing folder of registry .toml files")
    return Path(path)


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
    """Every problem of a contributor's folder of registry files, read merged over the built-in registry.

    Returns a list of strings (empty when the folder is good), each naming the file,
    the entry and the field. What the session has loaded is left as it was.
    """
    if not isinstance(path, (str, os.PathLike)) or not Path(path).is_dir():
        return [f"{path}: not a folder"]
    if not any(Path(path).rglob("*.toml")):
        return [f"{path}: no .toml files in this folder"]
    snap = _snapshot()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RegistryWarning)
            _restore((list(user_registry_dirs()) + [Path(path)], None, [{} for _ in _CATALOGS]))
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
        _DATA = _Data(roots, {cat._section for cat in _CATALOGS})
        for folder in user_registry_dirs():
            if not folder.is_dir():
                _DATA.problems.append(f"{folder}: registry folder not found (from ${ENV_VAR} or use_registry)")
        if _DATA.problems:
            _warn(f"registry: {len(_DATA.problems)} problem(s) while reading the files, first: {_DATA.problems[0]}")
    return _DATA


def _attach(entry: Model, prov: dict[str, Source]) -> None:
    """Give an entry and its nested parts their provenance maps."""
    own = {}
    nested: dict[str, dict[str, Source]] = {}
    for dotted, src in prov.items():
        head, _, rest = dotted.partition(".")
        child = getattr(entry, head, None)
        if rest and isinstance(child, Model):
            nested.setdefault(head, {})[rest] = src
        else:
            own[dotted] = src
    entry.set_provenance(own)
    for head, sub in nested.items():
        _attach(getattr(entry, head), sub)


class Group:
    """A namespace of entries reachable by attribute, e.g. ``Hardware.Cloud``."""

    def __init__(self, label: str, entries: dict[str, Model]):
        self._label = label
        self._entries = entries

    def __getattr__(self, attr: str):
        if attr.startswith("_"):
            raise AttributeError(attr)
        try:
            return self._entries[attr]
        except KeyError:
            close = difflib.get_close_matches(attr, list(self._entries), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise AttributeError(f"{self._label} has no entry {attr!r}{hint} (known: {', '.join(self._entries)})") from None

    def __dir__(self):
        return list(self._entries)

    def __iter__(self) -> Iterator[Model]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<{self._label}: {', '.join(self._entries)}>"


class Catalog:
    """One kind of registry entry (hardware, models, grids, fleets), loaded on first use.

    Entries are reached by attribute through groups (``Hardware.Cloud.H100``),
    directly (``Models.ResNet50``), or by name with ``get`` (case- and
    punctuation-insensitive, over keys, names and aliases). An entry that fails
    to load is skipped and its problem recorded; ``get`` of its name raises it.
    """

    _CACHED = ("_loaded", "_entries", "_index", "_groups", "_by_attr")

    def __init__(self, kind: str, section: str, build: Callable[[dict], Model], group_by: str | None = None):
        self._kind = kind
        self._section = section
        self._build = build
        self._group_by = group_by
        _CATALOGS.append(self)

    # -- cache ---------------------------------------------------------------
    def _clear(self) -> None:
        for name in self._CACHED:
            self.__dict__.pop(name, None)

    def _cache(self) -> dict:
        return {name: self.__dict__[name] for name in self._CACHED if name in self.__dict__}

    @cached_property
    def _loaded(self) -> tuple[list[Model], dict[str, str]]:
        """(entries that loaded, normalised name -> problem of each entry that did not)."""
        d = data()
        out: list[Model] = []
        broken: dict[str, str] = {}
        before = len(d.problems)
        for where, raw in d.sections.get(self._section, []):
            label = f"{where}: [[{self._section}]] {str(raw.get('key') or raw.get('name') or '(no key or name)')!r}"
            found: list[str] = []
            values, prov = d.split(raw, raw.get("source"), found)
            try:
                entry = self._build(values)
            except ValidationError as exc:
                found += _pydantic_problems(exc)
            except (MlsysimError, TypeError, ValueError, KeyError, AttributeError) as exc:
                found += getattr(exc, "problems", None) or [str(exc)]
            else:
                if not found:
                    _attach(entry, prov)
                    out.append(entry)
                    continue
            problems = [f"{label}: {p}" for p in found]
            d.problems.extend(problems)
            for name in (raw.get("key"), raw.get("name"), raw.get("attr"), *(raw.get("aliases") or ())):
                if isinstance(name, str) and name:
                    broken[normalise(name)] = "; ".join(problems)
        out = self._without_name_clashes(out, d.problems)
        if len(d.problems) > before:
            _warn(f"registry: {len(d.problems) - before} problem(s) in {self._kind}, first: {d.problems[before]}")
        return out, broken

    def _without_name_clashes(self, entries: list[Model], problems: list[str]) -> list[Model]:
        """Entries whose names clash with an earlier entry's are reported and skipped."""
        seen: dict[str, Model] = {}
        kept = []
        for e in entries:
            names = [n for n in (e.key, e.name, e.attr, *e.aliases) if n]
            clash = next((seen[normalise(n)] for n in names if normalise(n) in seen), None)
            if clash is not None:
                problems.append(f"{self._kind} {e.name!r}: a name of it is already used by {clash.name!r}; the entry is skipped")
                continue
            seen.update({normalise(n): e for n in names})
            kept.append(e)
        return kept

    @cached_property
    def _entries(self) -> list[Model]:
        return self._loaded[0]

    @cached_property
    def _index(self) -> dict[str, Model]:
        return {normalise(n): e for e in self._entries for n in (e.key, e.name, e.attr, *e.aliases) if n}

    @cached_property
    def _groups(self) -> dict[str, Group]:
        groups: dict[str, dict[str, Model]] = {}
        for e in self._entries:
            label = getattr(e, self._group_by) if self._group_by else ""
            groups.setdefault(label.title(), {})[e.attr or e.key] = e
        return {g: Group(f"{self._kind}.{g}", members) for g, members in groups.items()}

    @cached_property
    def _by_attr(self) -> dict[str, Model]:
        return {e.attr or e.key: e for e in self._entries}

    # -- look-ups --------------------------------------------------------------
    def keys(self) -> list[str]:
        """The keys of the entries, as ``mlsysim list`` prints them."""
        return [e.key for e in self._entries]

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """Keys of the entries whose key, name or alias is close to ``name`` (best first)."""
        by_norm: dict[str, str] = {}
        for e in self._entries:
            for alias in (e.key, e.name, e.attr, *e.aliases):
                if alias:
                    by_norm.setdefault(normalise(alias), e.key)
        close = difflib.get_close_matches(normalise(str(name)), list(by_norm), n=3 * n, cutoff=0.5)
        return list(dict.fromkeys(by_norm[c] for c in close))[:n]

    def find(self, name) -> Model | None:
        """The entry called ``name``, or None (a name whose entry failed to load raises its problem)."""
        if isinstance(name, Model):
            return name
        if not isinstance(name, str):
            return None
        hit = self._index.get(normalise(name))
        if hit is None and normalise(name) in self._loaded[1]:
            raise RegistryDataError(f"{self._kind} {name!r} is in the registry but could not be loaded: {self._loaded[1][normalise(name)]}")
        return hit

    def get(self, name) -> Model:
        """The entry called ``name`` (key, name or alias; case-insensitive), or an error suggesting close names."""
        hit = self.find(name)
        if hit is not None:
            return hit
        shown = name if isinstance(name, str) else repr(name)
        raise UnknownEntryError(self._kind, shown, self.suggestions(shown) if isinstance(name, str) else [], self.keys())

    def list(self, **filters) -> list[Model]:
        """Entries whose fields equal every filter, e.g. ``Hardware.list(tier="edge")``."""
        out = self._entries
        for field, wanted in filters.items():
            if out and not hasattr(out[0], field):
                raise UnknownEntryError(f"{self._kind} field", field, [], [])
            out = [e for e in out if getattr(e, field) == wanted]
        return list(out)

    def __iter__(self) -> Iterator[Model]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getattr__(self, attr: str):
        if attr.startswith("_"):
            raise AttributeError(attr)
        groups = self._groups
        if attr in groups:
            return groups[attr]
        if attr in self._by_attr:
            return self._by_attr[attr]
        if normalise(attr) in self._loaded[1]:
            raise AttributeError(f"{self._kind}.{attr} could not be loaded: {self._loaded[1][normalise(attr)]}")
        known = list(groups) + list(self._by_attr)
        close = difflib.get_close_matches(attr, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise AttributeError(f"{self._kind} has no group or entry {attr!r}{hint}")

    def __dir__(self):
        return ["get", "find", "list", "keys", "suggestions", *self._groups, *self._by_attr]

    def __repr__(self) -> str:
        return f"<{self._kind} registry: {len(self)} entries>"
