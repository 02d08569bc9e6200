"""Languages: gettext catalogs compiled at start, locale negotiation, CLDR formatting.

Catalogs are read from the `locales` package through `importlib.resources` and compiled
in memory, so a fresh checkout works without a build step and a wrong path fails loudly
instead of silently falling back to English.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from dataclasses import dataclass
from importlib import resources

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.config import SUPPORTED_LOCALES

DOMAIN = "messages"
# Each language in its own name, so a person who cannot read the current one finds theirs.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ar": "العربية",
    "zh_Hans": "简体中文",
    "vi": "Tiếng Việt",
    "ht": "Kreyòl ayisyen",
    "ru": "Русский",
    "pt": "Português",
    "so": "Soomaali",
}
# Right-to-left marker put before RTL lines so mixed digits and Latin words stay in place.
RLM = "\u200f"
# Date patterns used instead of CLDR's where CLDR's read wrongly in a message:
# - ht: CLDR has no Haitian Creole calendar data, so Babel wrote "2026 M11 21, Sat";
# - ru: CLDR ends dates with the abbreviation "г.", which doubled the period of any
#   sentence ending in a date ("Последняя проверка: 21 ноября 2026 г..").
# No date in any language ends with a period, so "{date}." is always safe.
DATE_PATTERNS: dict[str, dict[str, str]] = {
    "ht": {"full": "EEEE d MMMM y", "long": "d MMMM y", "medium": "d MMMM y", "short": "dd/MM/y"},
    "ru": {"full": "EEEE, d MMMM y", "long": "d MMMM y", "medium": "d MMM y"},
}
# How date and time join where CLDR runs them together without a separator
# (vi: "13:30:00 Giờ chuẩn miền Đông Thứ Bảy, 21 tháng 11, 2026").
DATETIME_PATTERNS: dict[str, str] = {"vi": "{0}, {1}", "ht": "{1}, {0}", "so": "{1}, {0}"}
# Month names (January first) and weekday names (Monday first) CLDR lacks.
CALENDAR_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ht": (
        (
            "janvye",
            "fevriye",
            "mas",
            "avril",
            "me",
            "jen",
            "jiyè",
            "out",
            "septanm",
            "oktòb",
            "novanm",
            "desanm",
        ),
        ("lendi", "madi", "mèkredi", "jedi", "vandredi", "samdi", "dimanch"),
    ),
}


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


def negotiate(hint: str | None, available: tuple[str, ...] = SUPPORTED_LOCALES) -> str | None:
    """Map a platform's language code (`pt-BR`, `zh-hans`, `es_419`, `ZH-cn`) to ours.

    Chinese of any region maps to Simplified Chinese, the only Chinese shipped.
    """
    if not hint:
        return None
    cleaned = hint.strip().replace("-", "_")
    if not cleaned or len(cleaned) > 35 or not cleaned.replace("_", "").isalnum():
        return None
    lowered = cleaned.lower()
    for code in available:
        if lowered == code.lower():
            return code
    primary = lowered.split("_", 1)[0]
    if primary == "zh" and "zh_Hans" in available:
        return "zh_Hans"
    for code in available:
        if code.split("_", 1)[0].lower() == primary:
            return code
    return None


def read_catalog(locale: str) -> Catalog:
    """Parse one shipped `.po` file (raises FileNotFoundError if the language is missing)."""
    po_file = resources.files("locales").joinpath(locale, "LC_MESSAGES", f"{DOMAIN}.po")
    with po_file.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def read_template() -> Catalog:
    with resources.files("locales").joinpath(f"{DOMAIN}.pot").open("rb") as handle:
        return read_po(handle, domain=DOMAIN)


def _compile(catalog: Catalog) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True, slots=True)
class Translator:
    """Everything a handler needs to speak one person's language."""

    locale: str
    _catalog: gettext.GNUTranslations | gettext.NullTranslations
    _babel: Locale

    @property
    def is_rtl(self) -> bool:
        return self._babel.character_order == "right-to-left"

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES[self.locale]

    def _(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self._catalog.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        return self._catalog.pgettext(context, message)

    def datetime(self, moment: dt.datetime, zone: dt.tzinfo, style: str = "full") -> str:
        """A date and time as this language writes it, in `zone`.

        Composed the way Babel composes it (the locale's date-time pattern around the
        date and the time), so the date part can use this module's corrected patterns.
        """
        local = moment.astimezone(zone)
        combined = DATETIME_PATTERNS.get(self.locale) or str(
            self._babel.datetime_formats[_style(style)]
        ).replace("'", "")
        return combined.replace("{0}", self.time(moment, zone, style)).replace(
            "{1}", self.day(local.date(), style)
        )

    def moment(self, moment: dt.datetime, zone: dt.tzinfo) -> str:
        """Weekday, date and time of day without seconds ("Tuesday, December 8, 2026,
        6:30 PM"): the full date with the short time, since CLDR's full time adds seconds
        and a zone name nobody needs to find a meeting."""
        local = moment.astimezone(zone)
        combined = DATETIME_PATTERNS.get(self.locale) or str(
            self._babel.datetime_formats["full"]
        ).replace("'", "")
        return combined.replace("{0}", self.time(moment, zone, "short")).replace(
            "{1}", self.day(local.date(), "full")
        )

    def date(self, moment: dt.datetime, zone: dt.tzinfo, style: str = "full") -> str:
        return self.day(moment.astimezone(zone).date(), style)

    def day(self, value: dt.date, style: str = "long") -> str:
        """A calendar date (no time of day) as this language writes it."""
        pattern = DATE_PATTERNS.get(self.locale, {}).get(_style(style))
        if pattern is None:
            return format_date(value, format=style, locale=self._babel)
        names = CALENDAR_NAMES.get(self.locale)
        if names is not None:
            months, weekdays = names
            pattern = pattern.replace("EEEE", f"'{weekdays[value.weekday()]}'")
            pattern = pattern.replace("MMMM", f"'{months[value.month - 1]}'")
        return format_date(value, format=pattern, locale=self._babel)

    def time(self, moment: dt.datetime, zone: dt.tzinfo, style: str = "short") -> str:
        return format_time(moment, format=_style(style), tzinfo=zone, locale=self._babel)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self._babel)


def _style(style: str) -> str:
    if style not in {"full", "long", "medium", "short"}:
        raise ValueError(f"unknown format style {style}")
    return style


class Languages:
    """The compiled catalogs of every shipped language, built once per process."""

    def __init__(self, codes: tuple[str, ...] = SUPPORTED_LOCALES, default: str = "en") -> None:
        self.codes = codes
        self.default = default
        self._translators: dict[str, Translator] = {}
        for code in codes:
            compiled = _compile(read_catalog(code))
            self._translators[code] = Translator(code, compiled, Locale.parse(code))

    def translator(self, locale: str | None) -> Translator:
        """The translator for `locale`, or the deployment's default language."""
        return self._translators.get(locale or self.default, self._translators[self.default])

    def all(self) -> list[Translator]:
        return [self._translators[code] for code in self.codes]
