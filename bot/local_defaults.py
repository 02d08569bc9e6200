"""`[local]` values in the reader's language when the operator kept the shipped default.

The shipped defaults in `bot/config.py` are English phrases ("the civilian oversight
agency"). Inserted unchanged into a Somali or Arabic answer they would leave an English
phrase in the middle of it, so each language ships its own wording of every default in
`locales/<lang>/local.toml`. A value the operator set (anything other than the shipped
default) always wins: it is the city's real name or number, in whatever language the
operator wrote it.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from importlib import resources

from bot.config import LocalSection

FILE_NAME = "local.toml"
# The settings whose shipped default is text a reader must understand (numbers and URLs
# read the same in every language).
WORDED_SETTINGS = (
    "oversight_agency",
    "complaint_deadline",
    "liaison_contact",
    "liaison_languages",
    "legal_aid",
    "immigration_legal_aid",
)
# An unset setting that the operator's own value of another setting fills better than
# the generic wording: a city's real legal aid contacts beat "an immigration legal
# service near you".
STAND_INS = {"immigration_legal_aid": "legal_aid"}


def shipped_default(setting: str) -> object:
    """The value `bot/config.py` gives `setting` when the operator sets nothing."""
    for spec in dataclasses.fields(LocalSection):
        if spec.name == setting:
            return spec.default
    raise KeyError(setting)


@functools.cache
def language_defaults(lang: str) -> dict[str, str]:
    """The language's wording of the worded defaults (empty for English, whose wording
    is the shipped default itself, and for a language that ships none)."""
    entry = resources.files("locales").joinpath(lang, FILE_NAME)
    if not entry.is_file():
        return {}
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return {key: str(value) for key, value in data.items() if key in WORDED_SETTINGS}


def localized(local: LocalSection, lang: str) -> LocalSection:
    """`local` with every still-default worded setting in `lang`'s wording."""
    wording = language_defaults(lang)
    changes = {
        setting: text
        for setting, text in wording.items()
        if getattr(local, setting) == shipped_default(setting)
    }
    for setting, stand_in in STAND_INS.items():
        own = getattr(local, stand_in)
        if getattr(local, setting) == shipped_default(setting) and own != shipped_default(stand_in):
            changes[setting] = own
    return dataclasses.replace(local, **changes) if changes else local
