"""Loading topic files (`locales/<lang>/knowledge/<id>.toml`) into frozen topics.

Content ships as package data and may be extended or overridden per deployment from
`[knowledge] extra_path` (same `<lang>/<id>.toml` layout), so a city adapts answers
without touching code.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from bot.config import LocalSection
from bot.knowledge.text import Negation, Romanization, normalize, runs

SECTIONS = ("encounters", "complaints", "safety", "service")
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
# Placeholder name -> the `[local]` setting that fills it.
PLACEHOLDER_SETTINGS = {
    "EMERGENCY_NUMBER": "emergency_number",
    "NON_EMERGENCY_NUMBER": "non_emergency_number",
    "OVERSIGHT_AGENCY": "oversight_agency",
    "OVERSIGHT_PHONE": "oversight_phone",
    "OVERSIGHT_URL": "oversight_url",
    "COMPLAINT_DEADLINE": "complaint_deadline",
    "LIAISON_CONTACT": "liaison_contact",
    "LIAISON_LANGUAGES": "liaison_languages",
    "CRISIS_LINE": "crisis_line",
    "LEGAL_AID_CONTACTS": "legal_aid",
    "IMMIGRATION_LEGAL_AID": "immigration_legal_aid",
    "MEETINGS_URL": "meetings_url",
    "PRIVACY_NOTICE_URL": "privacy_notice_url",
}
# An unset URL is replaced by the liaison contact: a person can always ask them.
URL_FALLBACK = "liaison_contact"
# A language without negation cues or a Latin-letter spelling in its search.toml.
NO_NEGATION = Negation()
NO_ROMANIZATION = Romanization()
# Unset settings that have a closer stand-in than the liaison contact.
FALLBACKS = {"immigration_legal_aid": "legal_aid"}


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    lang: str
    section: str
    urgent: bool
    last_reviewed: dt.date
    title: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    related: tuple[str, ...]
    answer: str
    sources: tuple[Source, ...]


class ContentError(ValueError):
    """A topic file that cannot be loaded; the message names the file and the field."""


def _require(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise ContentError(f"{where}: missing {key}")
    value = data[key]
    if not isinstance(value, kind):
        raise ContentError(f"{where}: {key} must be {kind.__name__}")
    return value


def _strings(data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = _require(data, key, list, where)
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise ContentError(f"{where}: {key} must be a list of non-empty texts")
    return tuple(v.strip() for v in values)


def parse_topic(text: str, lang: str, where: str) -> Topic:
    """Parse one topic file; every field is required and typed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{where}: not valid TOML ({error})") from error
    reviewed = _require(data, "last_reviewed", dt.date, where)
    sources = tuple(
        Source(_require(s, "name", str, where), _require(s, "url", str, where))
        for s in _require(data, "sources", list, where)
    )
    return Topic(
        id=_require(data, "id", str, where),
        lang=lang,
        section=_require(data, "section", str, where),
        urgent=_require(data, "urgent", bool, where),
        last_reviewed=reviewed,
        title=_require(data, "title", str, where).strip(),
        examples=_strings(data, "examples", where),
        keywords=_strings(data, "keywords", where),
        related=_strings(data, "related", where),
        answer=_require(data, "answer", str, where).strip(),
        sources=sources,
    )


def _topic_files(root: Traversable, lang: str, nested: bool) -> Iterator[Traversable]:
    folder = root.joinpath(lang, "knowledge") if nested else root.joinpath(lang)
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            yield entry


@dataclass(frozen=True, slots=True)
class SearchHints:
    """Per-language search resources: off-topic examples, phrases of danger happening
    now, the words that name the police (a message naming them is in scope), negation
    cues, and the small talk the chat answers itself (greetings, thanks, "help").
    `danger_romanized` holds danger phrases as people type the language in Latin letters
    (Russian translit, Arabizi): they are checked whatever language the message reads as,
    because a romanized message rarely reads clearly as its language."""

    offtopic: tuple[str, ...]
    danger: tuple[str, ...]
    police: tuple[str, ...]
    negation: Negation = NO_NEGATION
    greeting: tuple[str, ...] = ()
    thanks: tuple[str, ...] = ()
    help: tuple[str, ...] = ()
    danger_romanized: tuple[str, ...] = ()
    romanization: Romanization = NO_ROMANIZATION
    # Words naming the police matched only as whole words: slang short enough to hide
    # inside other words (Russian "мент" is inside "документ", "коп" inside "копия").
    police_words: frozenset[str] = frozenset()
    # Everyday words that carry no topic yet occur unevenly in the content (Vietnamese
    # "em", "anh", "chi": pronouns of age and kinship), left out of the ranking.
    stopwords: frozenset[str] = frozenset()


def load_topics(langs: tuple[str, ...], extra_path: str = "") -> dict[str, dict[str, Topic]]:
    """Every topic per language: shipped content, then the deployment's overrides."""
    shipped = resources.files("locales")
    extra = Path(extra_path) if extra_path else None
    pack: dict[str, dict[str, Topic]] = {}
    for lang in langs:
        topics: dict[str, Topic] = {}
        sources: list[tuple[Traversable, bool]] = [(shipped, True)]
        if extra is not None:
            sources.append((extra, False))
        for root, nested in sources:
            for entry in _topic_files(root, lang, nested):
                topic = parse_topic(entry.read_text(encoding="utf-8"), lang, f"{lang}/{entry.name}")
                if entry.name != f"{topic.id}.toml":
                    raise ContentError(f"{lang}/{entry.name}: id {topic.id} differs from file name")
                topics[topic.id] = topic
        pack[lang] = topics
    return pack


def load_search_hints(lang: str) -> SearchHints:
    entry = resources.files("locales").joinpath(lang, "search.toml")
    if not entry.is_file():
        return SearchHints((), (), ())
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    where = f"{lang}/search.toml"

    def optional(key: str) -> tuple[str, ...]:
        return _strings(data, key, where) if key in data else ()

    scope = data.get("negation_scope", 0)
    if not isinstance(scope, int) or scope < 0:
        raise ContentError(f"{where}: negation_scope must be a whole number of words")
    cues = frozenset(" ".join(runs(cue)) for cue in optional("negation"))
    cues_after = frozenset(" ".join(runs(cue)) for cue in optional("negation_after"))
    prefixes = frozenset(" ".join(runs(cue)) for cue in optional("negation_prefix"))
    return SearchHints(
        _strings(data, "offtopic", where),
        _strings(data, "danger", where),
        _strings(data, "police", where),
        negation=Negation(cues, scope, cues_after, prefixes),
        greeting=optional("greeting"),
        thanks=optional("thanks"),
        help=optional("help"),
        danger_romanized=optional("danger_romanized"),
        romanization=_romanization(data.get("romanization", []), where),
        stopwords=frozenset(word for entry in optional("stopwords") for word in runs(entry)),
        police_words=frozenset(word for entry in optional("police_words") for word in runs(entry)),
    )


def _romanization(pairs: object, where: str) -> Romanization:
    """`romanization = [["zh", "ж"], …]`, folded as messages are; longest Latin first."""
    if not isinstance(pairs, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) and x for x in p)
        for p in pairs
    ):
        raise ContentError(f"{where}: romanization must be a list of [latin, native] pairs")
    folded = [(normalize(latin), normalize(native)) for latin, native in pairs]
    return Romanization(tuple(sorted(folded, key=lambda pair: -len(pair[0]))))


def fill_placeholders(text: str, local: LocalSection) -> str:
    """Replace `{{NAME}}` with the city's value; unknown names are left for `kb check`."""

    def value(match: re.Match[str]) -> str:
        setting = PLACEHOLDER_SETTINGS.get(match.group(1))
        if setting is None:
            return match.group(0)
        filled = str(getattr(local, setting))
        return filled or str(getattr(local, FALLBACKS.get(setting, URL_FALLBACK)))

    return PLACEHOLDER.sub(value, text)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Fitted from the content by `liaison kb calibrate`: per-language confidence scales,
    the weights of the search's ranking features and those of its off-topic gate (None:
    the search's defaults)."""

    scales: dict[str, float]
    ranking: tuple[float, ...] | None = None
    offtopic: tuple[float, ...] | None = None


def load_calibration() -> Calibration:
    """What `liaison kb calibrate` wrote (scales 1.0 and default weights if absent)."""
    entry = resources.files("locales").joinpath("calibration.toml")
    if not entry.is_file():
        return Calibration({})
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    weights = data.get("ranking", {}).get("weights")
    offtopic = data.get("offtopic", {}).get("weights")
    return Calibration(
        {str(lang): float(scale) for lang, scale in data.get("scale", {}).items()},
        tuple(float(weight) for weight in weights) if weights else None,
        tuple(float(weight) for weight in offtopic) if offtopic else None,
    )
