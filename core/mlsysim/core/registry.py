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
"""

from __future__ import annotations

import difflib
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from .errors import MlsysimError, UnknownEntryError
from .types import Model, Source, normalise  # noqa: F401  (normalise re-exported)

IDENTITY = frozenset({"key", "attr", "name", "aliases", "vendor", "tier", "family", "architecture", "source", "region", "topology", "notes"})


def registry_dir() -> Path:
    """Where the data files are: inside the installed wheel, or the repository's ``registry/``."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_registry", here.parent.parent / "registry"):
        if candidate.is_dir():
            return candidate
    raise MlsysimError(f"registry data not found next to {here} (looked for _registry/ and ../../registry/)")


class RegistryDataError(MlsysimError):
    """A registry data file is malformed (bad value, missing source, unknown reference)."""


class _Data:
    """All TOML files read once: a dict of sources and a dict of entry lists per section."""

    def __init__(self, root: Path):
        self.root = root
        self.sources: dict[str, Source] = {}
        self.sections: dict[str, list[tuple[Path, dict]]] = {}
        for path in sorted(root.rglob("*.toml")):
            with path.open("rb") as fh:
                try:
                    doc = tomllib.load(fh)
                except tomllib.TOMLDecodeError as exc:
                    raise RegistryDataError(f"{path.name}: {exc}") from None
            for sid, raw in doc.pop("sources", {}).items():
                if sid in self.sources:
                    raise RegistryDataError(f"{path.name}: source {sid!r} is defined twice")
                try:
                    self.sources[sid] = Source(**raw)
                except Exception as exc:
                    raise RegistryDataError(f"{path.name}: source {sid!r}: {exc}") from None
            for section, entries in doc.items():
                self.sections.setdefault(section, []).extend((path, e) for e in entries)

    def split(self, raw: dict, path: Path, default: str | None, prefix: str = "") -> tuple[dict, dict[str, Source]]:
        """Strip per-value provenance from an entry: (plain values, dotted path -> Source)."""
        values: dict = {}
        prov: dict[str, Source] = {}
        for name, value in raw.items():
            dotted = f"{prefix}{name}"
            if not prefix and name in IDENTITY:
                if name != "source":
                    values[name] = value
                continue
            if isinstance(value, dict) and "value" in value and set(value) <= {"value", "source", "note"}:
                src = self.source(value.get("source", default), path, dotted, value.get("note"))
                values[name] = value["value"]
                prov[dotted] = src
            elif isinstance(value, dict):
                values[name], sub = self.split(value, path, default, dotted + ".")
                prov.update(sub)
            else:
                values[name] = value
                prov[dotted] = self.source(default, path, dotted)
        return values, prov

    def source(self, sid: str | None, path: Path, dotted: str, note: str | None = None) -> Source:
        if sid is None:
            raise RegistryDataError(f"{path.name}: {dotted} has no source (give the entry a 'source' or the value its own)")
        if sid not in self.sources:
            raise RegistryDataError(f"{path.name}: {dotted} cites unknown source {sid!r}")
        src = self.sources[sid]
        if not note:
            return src
        # the value's own note (e.g. its derivation) comes first; the source's note is kept after it
        return src.model_copy(update={"note": f"{note}; {src.note}" if src.note else note})


_DATA: _Data | None = None


def data() -> _Data:
    global _DATA
    if _DATA is None:
        _DATA = _Data(registry_dir())
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
    punctuation-insensitive, over keys, names and aliases).
    """

    def __init__(self, kind: str, section: str, build: Callable[[dict], Model], group_by: str | None = None, group_names: dict[str, str] | None = None):
        self._kind = kind
        self._section = section
        self._build = build
        self._group_by = group_by
        self._group_names = group_names or {}

    @cached_property
    def _entries(self) -> list[Model]:
        d = data()
        out = []
        for path, raw in d.sections.get(self._section, []):
            values, prov = d.split(raw, path, raw.get("source"))
            try:
                entry = self._build(values)
            except MlsysimError:
                raise
            except Exception as exc:
                raise RegistryDataError(f"{path.name}: {self._kind} {raw.get('key', raw.get('name'))!r}: {exc}") from None
            _attach(entry, prov)
            out.append(entry)
        return out

    @cached_property
    def _index(self) -> dict[str, Model]:
        index: dict[str, Model] = {}
        for e in self._entries:
            for name in (e.key, e.name, e.attr, *e.aliases):
                if not name:
                    continue
                n = normalise(name)
                other = index.get(n)
                if other is not None and other is not e:
                    raise RegistryDataError(f"{self._kind} name {name!r} is used by both {other.name!r} and {e.name!r}")
                index[n] = e
        return index

    @cached_property
    def _groups(self) -> dict[str, Group]:
        groups: dict[str, dict[str, Model]] = {}
        for e in self._entries:
            label = getattr(e, self._group_by) if self._group_by else ""
            groups.setdefault(self._group_names.get(label, label.title()), {})[e.attr or e.key] = e
        return {g: Group(f"{self._kind}.{g}", members) for g, members in groups.items()}

    @cached_property
    def _by_attr(self) -> dict[str, Model]:
        return {e.attr or e.key: e for e in self._entries}

    def get(self, name) -> Model:
        """The entry called ``name`` (key, name or alias; case-insensitive), or an error suggesting close names."""
        if isinstance(name, Model):
            return name
        if not isinstance(name, str):
            raise UnknownEntryError(self._kind, str(name), [], list(self._index))
        hit = self._index.get(normalise(name))
        if hit is not None:
            return hit
        names = sorted({e.key for e in self._entries} | {e.name for e in self._entries})
        by_norm = {normalise(n): n for n in names} | {normalise(a): a for e in self._entries for a in e.aliases}
        close = difflib.get_close_matches(normalise(name), list(by_norm), n=3, cutoff=0.5)
        raise UnknownEntryError(self._kind, name, [by_norm[c] for c in close], [e.key for e in self._entries])

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
        known = list(groups) + list(self._by_attr)
        close = difflib.get_close_matches(attr, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise AttributeError(f"{self._kind} has no group or entry {attr!r}{hint}")

    def __dir__(self):
        return ["get", "list", *self._groups, *self._by_attr]

    def __repr__(self) -> str:
        return f"<{self._kind} registry: {len(self)} entries>"
