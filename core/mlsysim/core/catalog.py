"""Catalogs: the entries of one registry section, served by attribute and by name.

``Catalog`` builds its entries from the files ``loader`` has read, on first use; an
entry that fails to build is skipped, its problems recorded (file, entry, field),
and a look-up of its name raises them. ``Group`` is the namespace of one tier or
family (``Hardware.Cloud``).
"""

from __future__ import annotations

import difflib
from functools import cached_property
from typing import Callable, Iterator

from pydantic import ValidationError

from . import loader
from .errors import InputError, MlsysimError, UnknownEntryError
from .loader import RegistryDataError, _pydantic_problems, _warn, data
from .types import Model, Source, normalise


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
        loader._CATALOGS.append(self)

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
            fields = set().union(*(type(e).model_fields for e in self._entries))
            if self._entries and field not in fields:
                raise InputError(field, wanted, f"a filter on a field of {self._kind} entries: {', '.join(sorted(fields))}")
            out = [e for e in out if getattr(e, field, None) == wanted]
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
