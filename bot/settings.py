"""What every config section is made of: errors, fields with their checks, common checks.

Apart from the loader (`bot.config`) so that a platform's spec can declare its own section
without importing the loader, which imports the platform registry.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

# Field metadata: the validator of a setting, and whether its value must never be shown.
CHECK = "check"
SECRET = "secret"


class StartupError(Exception):
    """Start-up cannot go on; the message is the one line the operator sees (exit code 2)."""


class ConfigError(StartupError, ValueError):
    """A configuration value that cannot be used; the message names the key."""

    def __init__(self, key: str, problem: str, env_name: str | None = None) -> None:
        where = f"{key} (from {env_name})" if env_name else key
        super().__init__(f"config {where}: {problem}")
        self.key = key
        self.problem = problem


def setting(
    default: Any, check: Callable[[Any], str | None] | None = None, *, secret: bool = False
) -> Any:
    """A config field with its validator stored beside it; `secret` values are never quoted
    in errors and are masked in every log line."""
    factory_default = default
    metadata = {CHECK: check, SECRET: secret}
    if isinstance(default, list | tuple):
        return field(default_factory=lambda: tuple(factory_default), metadata=metadata)
    return field(default=default, metadata=metadata)


def is_secret(spec: dataclasses.Field[Any]) -> bool:
    return bool(spec.metadata.get(SECRET, False))


def secret_values(section: object) -> list[str]:
    """The values of a section's secret fields, for masking."""
    return [
        str(getattr(section, spec.name))
        for spec in dataclasses.fields(section)  # type: ignore[arg-type]
        if is_secret(spec)
    ]


def between(low: float, high: float, unit: str = "") -> Callable[[float], str | None]:
    """A number from `low` to `high` inclusive; the bound keeps times built from it sane."""
    unit = f" {unit}" if unit else ""

    def check(value: float) -> str | None:
        return None if low <= value <= high else f"must be from {low:g} to {high:g}{unit}"

    return check


def positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def rate(high: float) -> Callable[[float], str | None]:
    """A sending rate: fractions (one message every two seconds = 0.5) are honoured."""

    def check(value: float) -> str | None:
        if 0 < value <= high:
            return None
        return f"must be a number greater than 0 and at most {high:g} (fractions allowed)"

    return check


def not_blank(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def single_line(value: str) -> str | None:
    """A token or secret pasted with a space or line break in it would be refused later."""
    return None if value.isprintable() and " " not in value else "must be one line, no spaces"


def port(value: int) -> str | None:
    return None if 0 < value < 65536 else "must be a TCP port between 1 and 65535"


def one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def url(*schemes: str) -> Callable[[str], str | None]:
    """An absolute URL with one of `schemes` and a host; empty means "not set"."""

    def check(value: str) -> str | None:
        if not value:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in schemes or not parts.hostname or " " in value:
            forms = " or ".join(f"{scheme}://" for scheme in schemes)
            return f"must be a URL starting with {forms} and naming a host"
        return None

    return check


http_url = url("http", "https")


def ids(pattern: str, form: str) -> Callable[[tuple[str, ...]], str | None]:
    """Every item of a list of platform ids matches `pattern`; `form` says what one looks like."""
    compiled = re.compile(pattern)

    def check(value: tuple[str, ...]) -> str | None:
        bad = [item for item in value if not compiled.fullmatch(item)]
        return f"must hold only {form}" if bad else None

    return check


def one_id(pattern: str, form: str) -> Callable[[str], str | None]:
    """One platform id, or empty for "none"."""
    many = ids(pattern, form)

    def check(value: str) -> str | None:
        return many((value,)) if value else None

    return check
