"""`liaison i18n check`: every shipped catalog complete, non-fuzzy and placeholder-true."""

from __future__ import annotations

import re
import string

from babel.messages.catalog import Catalog, Message

from bot.config import SUPPORTED_LOCALES
from bot.i18n import read_catalog, read_template

SOURCE_LOCALE = "en"
# Strings allowed to read the same in another language (names, symbols).
_WORDS = re.compile(r"[A-Za-z]{4,}")


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a format string (malformed braces count as a problem)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<malformed braces>"}


def _ids(message: Message) -> tuple[str, ...]:
    if isinstance(message.id, tuple | list):
        return tuple(str(part) for part in message.id)
    return (str(message.id),)


def _strings(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, tuple | list):
        return tuple(message.string)
    return (message.string or "",)


def check_catalog(locale: str, template: Catalog, catalog: Catalog) -> list[str]:
    problems: list[str] = []
    for source in template:
        if not source.id:
            continue
        key = source.id if not source.context else (source.id, source.context)
        found = catalog.get(source.id, context=source.context) if key else None
        label = f"{locale}: {_ids(source)[0][:50]!r}"
        if found is None:
            problems.append(f"{label} missing")
            continue
        if found.fuzzy:
            problems.append(f"{label} is fuzzy")
        translations = _strings(found)
        if not all(translations):
            problems.append(f"{label} has an empty translation")
            continue
        expected = set().union(*(placeholders(i) for i in _ids(source)))
        for translated in translations:
            if placeholders(translated) != expected:
                problems.append(f"{label} placeholders differ: {sorted(placeholders(translated))}")
        copied = locale != SOURCE_LOCALE and translations[0] == _ids(source)[0]
        allowed = "same-as-source" in found.user_comments
        if copied and _WORDS.search(translations[0]) and not allowed:
            problems.append(f"{label} is an untranslated English copy")
    return problems


def check_all(locales: tuple[str, ...] = SUPPORTED_LOCALES) -> list[str]:
    template = read_template()
    problems: list[str] = []
    for locale in locales:
        try:
            catalog = read_catalog(locale)
        except FileNotFoundError:
            problems.append(f"{locale}: catalog file missing")
            continue
        problems.extend(check_catalog(locale, template, catalog))
    return problems
