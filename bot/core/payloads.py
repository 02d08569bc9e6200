"""Typed button payloads: what a button names, packed into the platform's callback field.

A button's payload is a small frozen dataclass (`CaseRef(case_id=12)`); a `ButtonSpec`
binds it to an action. Packing joins the fields with ":" after the action ("esc.rate|12:5"),
the wire format buttons already sent in chats carry, so they keep working after an upgrade.
The dispatcher unpacks once, so a handler receives the typed value or is never called: a
payload that does not parse is answered in one place, like one naming something gone
(`StaleButton`).
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Awaitable, Callable
from dataclasses import MISSING, dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar, overload

from bot.core.events import Button, Form, PayloadError, encode_payload

if TYPE_CHECKING:
    from bot.core.context import Context
    from bot.core.events import Incoming

# Ids are database integers; nine digits keep within a 32-bit column on every backend.
MAX_INT_DIGITS = 9
BOOL_TEXT = {True: "1", False: "0"}


class StaleButton(Exception):
    """Raised by a button handler when what the button names is gone or not this person's:
    the dispatcher answers it, like a payload that does not parse, with one message."""


@dataclass(frozen=True, slots=True)
class Payload:
    """Base of the payload dataclasses; fields may be `int`, `str`, `bool` or an `Enum`
    with string values. Only the last field may contain the separator; trailing fields
    left at their default are not packed (older buttons omitted them)."""

    SEPARATOR: ClassVar[str] = ":"

    def pack(self) -> str:
        values = [(f, getattr(self, f.name)) for f in fields(self)]
        while values and values[-1][1] == values[-1][0].default:
            values.pop()
        texts = [_text(value) for _, value in values]
        if any(self.SEPARATOR in text for text in texts[:-1]):
            raise PayloadError("only the last payload field may contain the separator")
        return self.SEPARATOR.join(texts)

    @classmethod
    def unpack(cls, arg: str) -> Self:
        """The payload a button carries, or `PayloadError`: never a guess."""
        kinds = _field_kinds(cls)
        parts = arg.split(cls.SEPARATOR, len(kinds) - 1) if kinds and arg else []
        values: dict[str, Any] = {}
        for index, (name, (kind, has_default)) in enumerate(kinds.items()):
            if index >= len(parts):
                if not has_default:
                    raise PayloadError(f"payload field {name} missing")
                continue
            values[name] = _value(kind, parts[index])
        if not kinds and arg:
            raise PayloadError("this button carries nothing")
        return cls(**values)


@dataclass(frozen=True, slots=True)
class NoPayload(Payload):
    """A button that names nothing (Cancel, Keep)."""


P = TypeVar("P", bound=Payload)


@dataclass(frozen=True, slots=True)
class ButtonSpec(Generic[P]):
    """An action and the payload its buttons carry: makes buttons, and is what routers
    register, so a button can only be made with the payload its handler reads."""

    action: str
    payload: type[P]

    @overload
    def button(self: ButtonSpec[NoPayload], label: str) -> Button: ...

    @overload
    def button(self, label: str, payload: P) -> Button: ...

    def button(self, label: str, payload: P | None = None) -> Button:
        return Button(label, self.action, self._pack(payload))

    def form(self, title: str, label: str, payload: P) -> Form:
        """A form whose answer comes back as this button, with the text attached."""
        return Form(title, label, self.action, self._pack(payload))

    def _pack(self, payload: P | None) -> str:
        arg = "" if payload is None else payload.pack()
        encode_payload(self.action, arg)  # refuses what the platforms could not carry
        return arg


# A button handler: the typed payload is already unpacked when it is called.
ButtonHandler = Callable[["Context", "Incoming", P], Awaitable[None]]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return BOOL_TEXT[value]
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _value(kind: type, text: str) -> object:
    if kind is bool:
        if text not in BOOL_TEXT.values():
            raise PayloadError("not a flag")
        return text == BOOL_TEXT[True]
    if kind is int:
        if not (text.isascii() and text.isdigit() and len(text) <= MAX_INT_DIGITS):
            raise PayloadError("not a number")
        return int(text)
    if issubclass(kind, enum.Enum):
        try:
            return kind(text)
        except ValueError:
            raise PayloadError("not a known value") from None
    return text


_KINDS: dict[type, dict[str, tuple[type, bool]]] = {}


def _field_kinds(cls: type[Payload]) -> dict[str, tuple[type, bool]]:
    """Each field's type and whether it has a default, read once per payload class."""
    if cls not in _KINDS:
        hints = typing.get_type_hints(cls)
        _KINDS[cls] = {f.name: (hints[f.name], f.default is not MISSING) for f in fields(cls)}
    return _KINDS[cls]


@dataclass(frozen=True, slots=True)
class Key(Payload):
    """A button naming one thing by a short text key (a language, a topic, a broadcast)."""

    key: str


@dataclass(frozen=True, slots=True)
class Ref(Payload):
    """A button naming one stored row by its number (a case, a meeting, a poll)."""

    id: int
