"""The errors mlsysim raises on bad input.

Every message names the field, the value received and what is accepted, so a
student sees what to change rather than a traceback from inside a solver.
"""


class MlsysimError(Exception):
    """Base class of every error raised on purpose by mlsysim."""


class InputError(MlsysimError, ValueError):
    """An argument or field has a value outside what is accepted."""

    def __init__(self, field: str, value, accepted: str):
        self.field = field
        self.value = value
        self.accepted = accepted
        super().__init__(f"{field}={value!r} is not accepted: expected {accepted}")


class UnitError(InputError):
    """A quantity has the wrong dimension (e.g. GB/s where FLOP/s is needed)."""


class UnknownEntryError(MlsysimError, KeyError):
    """A registry name that matches no entry; carries the closest names."""

    def __init__(self, kind: str, name: str, suggestions: list[str], available: list[str]):
        self.kind = kind
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        msg = f"no {kind} named {name!r}{hint} ({len(available)} entries: see list())"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.args[0]
