"""Rows to dataclasses, written once for every repository.

A `Table` reads a frozen dataclass's fields and their types and builds, once, the column
list to SELECT and a converter per column. Column values arrive as SQLite or PostgreSQL
give them (text, integers, NULL); the field type says what they become: instants from
the `timestamps` text form, enums by value, booleans from 0/1, comma lists to tuples,
JSON text to dicts. Column names equal field names; a field may read an expression
instead (`Table(Subscriber, person_id="p.id")`).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from storage.timestamps import from_db

T = TypeVar("T")
Convert = Callable[[Any], Any]


def _optional(inner: Convert) -> Convert:
    return lambda value: None if value is None else inner(value)


def _comma_list(item: Convert) -> Convert:
    return lambda value: tuple(item(part) for part in str(value).split(",") if part)


def _json(value: Any) -> Any:
    return json.loads(str(value))


def _converter(kind: Any) -> Convert:
    """How a column value becomes a field of type `kind`."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _optional(_converter(inner[0]))
    if origin is tuple:
        return _comma_list(_converter(typing.get_args(kind)[0]))
    if origin is dict or kind is dict:
        return _json
    if kind is datetime:
        return lambda value: from_db(str(value))
    if kind is bool:
        return bool
    if kind is int:
        return int
    if kind is str:
        return str
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind
    raise TypeError(f"no column conversion for {kind!r}")


class Table(Generic[T]):
    """The SELECT list and the row reader of one dataclass."""

    def __init__(self, cls: type[T], **expressions: str) -> None:
        hints = typing.get_type_hints(cls)
        fields = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        self._cls = cls
        self._converters = [_converter(hints[name]) for name in fields]
        self.columns = ", ".join(expressions.get(name, name) for name in fields)

    def load(self, row: Sequence[Any]) -> T:
        return self._cls(
            *[convert(value) for convert, value in zip(self._converters, row, strict=True)]
        )

    def load_all(self, rows: Sequence[Sequence[Any]]) -> list[T]:
        return [self.load(row) for row in rows]

    def load_first(self, rows: Sequence[Sequence[Any]]) -> T | None:
        return self.load(rows[0]) if rows else None
