"""Typed forms: multi-step flows whose data is a frozen dataclass and whose steps are an enum.

A form is declared once (`FormSpec`: its stored flow name, data class, step enum and what a
person is told when it is no longer open). Routers register a handler per form for typed
text and per button with the steps it belongs to; the dispatcher loads the stored state,
checks flow, step and role, and hands the handler a `Filled` form — or answers, in one
place, that the form is no longer open. Stored state keeps the JSON shape it always had
(field names are the old keys, step values the old step names), so a person in the middle
of a form across an upgrade goes on where they were; state that no longer reads as the
form's data is dropped with that same clear answer, never a crash.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Generic, Self, TypeVar

# The JSON types a stored field may hold, by the annotation's outer type.
_JSON_KINDS: dict[object, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    bool: (bool,),
    list: (list,),
    tuple: (list, tuple),
    dict: (dict,),
}


class FormExpired(Exception):
    """The stored state is not (or no longer) this form's: the person starts it again."""


@dataclass(frozen=True, slots=True)
class FormData:
    """Base of each form's data: stored as a JSON object keyed by field name."""

    def stored(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> Self:
        """The form's data as stored, or `FormExpired` if it cannot be (an older shape)."""
        values: dict[str, Any] = {}
        for name, kinds in _field_kinds(cls).items():
            if name not in data:
                if name in _required(cls):
                    raise FormExpired(f"field {name} missing")
                continue
            value = data[name]
            if kinds and value is not None and not isinstance(value, kinds):
                raise FormExpired(f"field {name} has the wrong type")
            if isinstance(value, bool) and int in kinds and bool not in kinds:
                raise FormExpired(f"field {name} has the wrong type")
            values[name] = tuple(value) if isinstance(value, list) and tuple in kinds else value
        return cls(**values)


D = TypeVar("D", bound=FormData)
S = TypeVar("S", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class FormSpec(Generic[D, S]):
    """One form: `flow` is its stored name, `expired` the msgid a stale press is told."""

    flow: str
    data: type[D]
    steps: type[S]
    expired: str

    def read(self, step: str, data: Mapping[str, Any]) -> Filled[D, S]:
        """The stored state as this form, or `FormExpired`."""
        try:
            current = self.steps(step)
        except ValueError:
            raise FormExpired(f"no step {step}") from None
        return Filled(self, current, self.data.from_stored(data))


@dataclass(frozen=True, slots=True)
class Filled(Generic[D, S]):
    """A form as far as the person got: the step they are at and what they gave so far."""

    spec: FormSpec[D, S]
    step: S
    data: D


def _field_kinds(cls: type[FormData]) -> dict[str, tuple[type, ...]]:
    hints = typing.get_type_hints(cls)
    return {f.name: _kinds(hints[f.name]) for f in fields(cls)}


def _kinds(hint: object) -> tuple[type, ...]:
    """The JSON types a value of this annotation may be stored as (empty: not checked)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(k for arg in typing.get_args(hint) for k in _kinds(arg))
    return _JSON_KINDS.get(typing.get_origin(hint) or hint, ())


def _required(cls: type[FormData]) -> set[str]:
    return {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
