"""Result objects: floats inside, pint Quantities when read.

A result stores the canonical-unit floats its solver computed; each physical
attribute is a descriptor that builds the Quantity on access, so a solve pays
for the Quantities a caller actually reads, not for all of them.
"""

from __future__ import annotations

from .core.units import make


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
        return q.to(self.unit) if self.unit else q


class Result:
    """Base of results: ``as_dict()`` for scripts and JSON, readable ``__repr__``."""

    _quantity_names: tuple[str, ...] = ()
    _plain_names: tuple[str, ...] = ()

    def __init__(self, **values):
        for k, v in values.items():
            setattr(self, k, v)

    @classmethod
    def view(cls, out=None, **plain):
        """The public view of a float result: each ``quantity`` field read from ``out``'s field of the same name.

        ``out`` is a ``@floats`` dataclass (or any object with those attributes);
        quantity names ``out`` lacks must be given in ``plain`` as ``_<name>=float``.
        """
        obj = cls(**plain)
        if out is not None:
            for name in cls._quantity_names:
                if hasattr(out, name):
                    setattr(obj, "_" + name, getattr(out, name))
        return obj

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
