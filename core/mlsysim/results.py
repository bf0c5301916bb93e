"""Result objects: floats inside, pint Quantities when read.

A result stores the canonical-unit floats its solver computed; each physical
attribute is a descriptor that builds the Quantity on access, so a solve pays
for the Quantities a caller actually reads, not for all of them.
"""

from __future__ import annotations

from .core.units import make, parsed_unit


class quantity:
    """Descriptor: a float attribute ``_<name>`` read back as a Quantity of ``kind`` (optionally shown in ``unit``)."""

    def __init__(self, kind: str, unit: str | None = None, doc: str = ""):
        self.kind, self.unit, self.__doc__ = kind, unit, doc

    def __set_name__(self, owner, name):
        self.name, self.attr = name, "_" + name
        owner._quantity_names = (*getattr(owner, "_quantity_names", ()), name)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        value = getattr(obj, self.attr)
        if value is None:
            return None
        q = make(value, self.kind)
        return q.to(parsed_unit(self.unit)) if self.unit else q


class lazy_notes:
    """Descriptor: a list of strings (a result's ``assumptions``) written on first read by the function the
    result holds in ``_<name>``, then kept in the instance, so later reads (and appends) see the same list.

    A solve runs in microseconds and formatting its notes' numbers took a good part of that; a sweep, an
    optimizer or a chart that never reads them should not pay for them. The function reads only values the
    solve fixed before returning, so the text is what it would have been when the solve ran."""

    def __set_name__(self, owner, name):
        self.name, self.attr = name, "_" + name
        owner._lazy_names = (*getattr(owner, "_lazy_names", ()), name)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        value = obj.__dict__[self.attr]()
        obj.__dict__[self.name] = value  # a non-data descriptor: the instance's list is found first from now on
        return value


_MISSING = object()


class Result:
    """Base of results: ``as_dict()`` for scripts and JSON, readable ``__repr__``."""

    _quantity_names: tuple[str, ...] = ()
    _plain_names: tuple[str, ...] = ()
    _lazy_names: tuple[str, ...] = ()  # ``lazy_notes`` fields

    def __getstate__(self) -> dict:
        """The fields to pickle or copy: each ``lazy_notes`` field written out (the function that writes it is
        local to the solve and cannot be pickled)."""
        state = self.__dict__.copy()
        for name in self._lazy_names:
            if name not in state and "_" + name in state:
                state[name] = getattr(self, name)
            state.pop("_" + name, None)
        return state

    def __init__(self, **values):
        self.__dict__.update(values)

    @classmethod
    def view(cls, *outs, **plain):
        """The public view of float results: each ``quantity`` field read from an ``out``'s field of the same name.

        Each ``out`` is a ``@floats`` dataclass (or any object with those
        attributes). Nothing is copied: the view keeps the ``outs`` and a
        quantity's float ``_<name>`` is looked up in them when first read, so a
        solve pays for the fields a caller reads. ``plain`` gives the other
        fields, and ``_<name>=float`` for quantities no ``out`` has (or to override one).
        """
        if cls.__init__ is not Result.__init__:  # a result with its own __init__ gets it
            obj = cls(**plain)
            obj.__dict__["_outs"] = outs
            return obj
        plain["_outs"] = outs
        obj = object.__new__(cls)
        obj.__dict__ = plain  # the call's own keyword dict, fresh per call: the fields without two more copies
        return obj

    def __getattr__(self, name: str):
        # only called when normal lookup fails: a quantity's float "_<name>" held by one of the viewed outs
        if name[:1] == "_" and name[:2] != "__":
            field = name[1:]
            for out in self.__dict__.get("_outs", ()):
                if out is not None:
                    value = getattr(out, field, _MISSING)
                    if value is not _MISSING:
                        return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def as_dict(self, floats: bool = False) -> dict:
        """Every field; Quantities as '<value> <unit>' strings (or as floats in canonical units)."""
        out = {}
        for name in self._plain_names:
            out[name] = getattr(self, name)
        for name in self._quantity_names:
            if floats:
                out[name] = getattr(self, "_" + name)
            else:
                q = getattr(self, name)
                out[name] = None if q is None else f"{q:.4g~P}"
        return out

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v}" for k, v in self.as_dict().items() if k != "assumptions")
        return f"{type(self).__name__}({body})"
