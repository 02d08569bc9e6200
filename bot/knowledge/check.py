"""`liaison kb check`: the content pack is complete and consistent in every language.

Besides the format, it checks what a frightened reader would trip over: a local fact
(placeholder) that other languages give and this one leaves out, a source that links a
home page instead of the page cited, an English sentence inside an answer in another
language (shipped defaults filled in, as a resident would see them), a line said twice,
a safety statement dropped from its answer, a language without its own wording of the
`[local]` defaults, and a disclaimer that lost its second sentence.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import LocalSection
from bot.i18n import read_catalog
from bot.knowledge.catalog import CATALOG, URGENT
from bot.knowledge.content import (
    PLACEHOLDER,
    PLACEHOLDER_SETTINGS,
    SECTIONS,
    ContentError,
    Topic,
    fill_placeholders,
    load_search_hints,
    parse_topic,
)
from bot.knowledge.language_id import LanguageIdentifier
from bot.local_defaults import WORDED_SETTINGS, language_defaults, localized

SOURCE_LANGUAGE = "en"
# The line appended under every answer (handlers/common.py); its msgid is the English text.
DISCLAIMER_MSGID = "General information, not legal advice. Laws differ by state, city and country."
# Spans that are English on purpose: a term the reader will hear, glossed in brackets
# ("stop and identify"), or a sentence to say out loud to an English-speaking officer.
_DELIBERATE = re.compile(r'\([^()]*\)|（[^（）]*）|"[^"]*"|“[^”]*”|«[^»]*»|„[^“”]*[“”]|「[^」]*」')
# Where one statement ends: sentence marks in every script, colons (a label before a
# value), semicolons, line breaks and bullets.
_CLAUSE_END = re.compile(r"[.!?。！？؟:;：；؛\n•]+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# Fewer Latin words than this is a name or an acronym (ICE, FOIA, Riley v. California).
MIN_ENGLISH_WORDS = 3
# A clause must have this many letters before the language guess is trusted.
MIN_CLAUSE_LETTERS = 12
_SENTENCE_END = re.compile(r"[.!?。！？؟]")


def _read_language(root: Path | None, lang: str) -> tuple[list[Topic], list[str]]:
    """Parse one language's files, collecting errors instead of stopping at the first."""
    folder = (
        resources.files("locales").joinpath(lang, "knowledge")
        if root is None
        else root.joinpath(lang)
    )
    topics: list[Topic] = []
    problems: list[str] = []
    if not folder.is_dir():
        return topics, problems
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        where = f"{lang}/{entry.name}"
        try:
            topic = parse_topic(entry.read_text(encoding="utf-8"), lang, where)
        except ContentError as error:
            problems.append(str(error))
            continue
        except tomllib.TOMLDecodeError as error:  # pragma: no cover - parse_topic wraps it
            problems.append(f"{where}: {error}")
            continue
        if entry.name != f"{topic.id}.toml":
            problems.append(f"{where}: id {topic.id!r} does not match the file name")
        topics.append(topic)
    return topics, problems


def _topic_problems(topic: Topic, known_ids: set[str]) -> list[str]:
    where = f"{topic.lang}/{topic.id}"
    problems: list[str] = []
    if topic.section not in SECTIONS:
        problems.append(f"{where}: section must be one of {', '.join(SECTIONS)}")
    for field_name in ("title", "answer"):
        if not getattr(topic, field_name):
            problems.append(f"{where}: empty {field_name}")
    if not topic.examples:
        problems.append(f"{where}: empty example list")
    if not topic.keywords:
        problems.append(f"{where}: empty keyword list")
    if not topic.sources:
        problems.append(f"{where}: no sources")
    problems.extend(_source_problems(topic))
    problems.extend(_duplicate_lines(topic))
    for name in PLACEHOLDER.findall(topic.answer + topic.title):
        if name not in PLACEHOLDER_SETTINGS:
            problems.append(f"{where}: unknown placeholder {{{{{name}}}}}")
    if "{{" in PLACEHOLDER.sub("", topic.answer):
        problems.append(f"{where}: malformed placeholder")
    for related in topic.related:
        if related not in known_ids:
            problems.append(f"{where}: related topic {related!r} does not exist")
        if related == topic.id:
            problems.append(f"{where}: relates to itself")
    if (topic.id in URGENT) != topic.urgent:
        problems.append(f"{where}: urgent must be {str(topic.id in URGENT).lower()}")
    if topic.urgent and "{{EMERGENCY_NUMBER}}" not in topic.answer.split("\n", 1)[0]:
        problems.append(f"{where}: an urgent answer must start with {{{{EMERGENCY_NUMBER}}}}")
    return problems


def check_content(langs: tuple[str, ...], extra_path: str = "") -> list[str]:
    """Every problem found in the shipped (and deployment) content, one line each."""
    problems: list[str] = []
    by_lang: dict[str, dict[str, Topic]] = {}
    roots: list[Path | None] = [None] + ([Path(extra_path)] if extra_path else [])
    for lang in langs:
        merged: dict[str, Topic] = {}
        for root in roots:
            topics, found = _read_language(root, lang)
            problems.extend(found)
            seen: set[str] = set()
            for topic in topics:
                if topic.id in seen:
                    problems.append(f"{lang}/{topic.id}: duplicate id")
                seen.add(topic.id)
                merged[topic.id] = topic
        by_lang[lang] = merged
    all_ids = set(CATALOG).union(*(set(t) for t in by_lang.values()))
    for lang, merged_topics in by_lang.items():
        for missing in sorted(all_ids - set(merged_topics)):
            problems.append(f"{lang}/{missing}: topic missing in this language")
        for topic in merged_topics.values():
            problems.extend(_topic_problems(topic, all_ids))
        problems.extend(_hint_problems(lang))
        problems.extend(_default_wording_problems(lang))
        problems.extend(_disclaimer_problems(lang))
    problems.extend(_placeholder_gaps(by_lang))
    problems.extend(_english_in_other_languages(by_lang))
    problems.extend(_required_statement_problems(by_lang))
    return problems


def required_statements(lang: str) -> dict[str, tuple[str, ...]]:
    """Per topic, the safety statements its answer must keep in this language
    (`locales/<lang>/required.toml`), such as the immigration papers exception."""
    entry = resources.files("locales").joinpath(lang, "required.toml")
    if not entry.is_file():
        return {}
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return {str(topic): tuple(str(p) for p in phrases) for topic, phrases in data.items()}


def _required_statement_problems(by_lang: dict[str, dict[str, Topic]]) -> list[str]:
    """A safety statement cannot be lost in an edit or a translation: every language
    names its wording for every topic that has one, and the answer contains it."""
    problems: list[str] = []
    wanted = {lang: required_statements(lang) for lang in by_lang}
    governed = set().union(*(set(rules) for rules in wanted.values()))
    for lang, topics in by_lang.items():
        for topic_id in sorted(governed & set(topics)):
            phrases = wanted[lang].get(topic_id)
            if not phrases:
                problems.append(
                    f"{lang}/required.toml: no required statements for {topic_id} "
                    "(other languages have them)"
                )
                continue
            for phrase in phrases:
                if phrase not in topics[topic_id].answer:
                    problems.append(f"{lang}/{topic_id}: must say {phrase!r}")
    return problems


def _source_problems(topic: Topic) -> list[str]:
    """A source must link the page the answer relies on: a home page proves nothing
    and a reader cannot find the cited text on it."""
    where = f"{topic.lang}/{topic.id}"
    problems: list[str] = []
    seen: set[str] = set()
    for source in topic.sources:
        if not source.url.startswith(("https://", "http://")):
            problems.append(f"{where}: source {source.name!r} has no http(s) URL")
            continue
        parts = urlsplit(source.url)
        if not parts.netloc:
            problems.append(f"{where}: source {source.name!r} has no host")
        if not parts.path.strip("/") and not parts.query:
            problems.append(
                f"{where}: source {source.name!r} links a home page ({source.url}); "
                "link the page that says it"
            )
        if source.url in seen:
            problems.append(f"{where}: source {source.url} is listed twice")
        seen.add(source.url)
    return problems


def _duplicate_lines(topic: Topic) -> list[str]:
    """The same line twice costs a reader on a phone a screen and reads as a mistake."""
    lines = [line.strip().lstrip("•").strip().casefold() for line in topic.answer.splitlines()]
    counts = Counter(line for line in lines if line)
    return [
        f"{topic.lang}/{topic.id}: line repeated {count} times: {line[:60]!r}"
        for line, count in counts.items()
        if count > 1
    ]


def _placeholder_gaps(by_lang: dict[str, dict[str, Topic]]) -> list[str]:
    """Every language gives the same local facts: a phone number or address that the
    other languages show and this one leaves out is help this reader does not get."""
    problems: list[str] = []
    topic_ids = sorted(set().union(*(set(topics) for topics in by_lang.values())))
    for topic_id in topic_ids:
        versions = {
            lang: set(PLACEHOLDER.findall(topics[topic_id].answer))
            for lang, topics in by_lang.items()
            if topic_id in topics
        }
        for lang, names in versions.items():
            for name in sorted(set().union(*versions.values()) - names):
                having = sorted(other for other, found in versions.items() if name in found)
                problems.append(
                    f"{lang}/{topic_id}: placeholder {{{{{name}}}}} is missing here "
                    f"but given in {', '.join(having)}"
                )
    return problems


def english_clauses(text: str, lang: str, identifier: LanguageIdentifier) -> list[str]:
    """Clauses of `text` that read as English rather than `lang`.

    Deliberate English (bracketed or quoted) is set aside first; what is left is split
    into clauses, and each clause of at least three Latin-script words is put to a
    two-language identifier (English against `lang`) trained on the pack itself. A
    clause, not a whole sentence, because an English default dropped after a colon is
    exactly the defect to find.
    """
    found: list[str] = []
    for clause in _CLAUSE_END.split(_DELIBERATE.sub(" ", text)):
        clause = clause.strip(" ,")
        if len(_LATIN_WORD.findall(clause)) < MIN_ENGLISH_WORDS:
            continue
        if sum(ch.isalpha() for ch in clause) < MIN_CLAUSE_LETTERS:
            continue
        guess = identifier.guess(clause)
        if guess is not None and guess.lang == SOURCE_LANGUAGE and guess.clear:
            found.append(clause)
    return found


def _english_in_other_languages(by_lang: dict[str, dict[str, Topic]]) -> list[str]:
    """An answer as a resident sees it, shipped defaults filled in, holds no English
    sentence unless the language is English."""
    if SOURCE_LANGUAGE not in by_lang:
        return []
    english = [PLACEHOLDER.sub(" ", t.answer) for t in by_lang[SOURCE_LANGUAGE].values()]
    problems: list[str] = []
    for lang, topics in by_lang.items():
        if lang == SOURCE_LANGUAGE or not topics:
            continue
        own = [PLACEHOLDER.sub(" ", t.answer) for t in topics.values()]
        identifier = LanguageIdentifier({SOURCE_LANGUAGE: english, lang: own})
        local = localized(LocalSection(), lang)
        for topic in topics.values():
            shown = topic.title + "\n" + fill_placeholders(topic.answer, local)
            for clause in english_clauses(shown, lang, identifier):
                problems.append(f"{lang}/{topic.id}: English text in a {lang} answer: {clause!r}")
    return problems


def _default_wording_problems(lang: str) -> list[str]:
    """Each language words every shipped text default itself (locales/<lang>/local.toml),
    so an answer does not show the English default in the middle of it."""
    if lang == SOURCE_LANGUAGE:
        return []
    wording = language_defaults(lang)
    return [
        f"{lang}/local.toml: no wording for the default of [local] {setting}"
        for setting in WORDED_SETTINGS
        if not wording.get(setting, "").strip()
    ]


def _disclaimer_problems(lang: str) -> list[str]:
    """The disclaimer keeps both of its sentences in every language."""
    try:
        message = read_catalog(lang).get(DISCLAIMER_MSGID)
    except FileNotFoundError:
        return []
    text = message.string if message is not None else ""
    if not isinstance(text, str) or len(_SENTENCE_END.findall(text.rstrip())) < 2:
        return [f"{lang}: the disclaimer must be translated in full: {DISCLAIMER_MSGID!r}"]
    return []


def _hint_problems(lang: str) -> list[str]:
    """Without these lists the search cannot tell off-topic text, danger or a message
    naming the police in this language."""
    try:
        hints = load_search_hints(lang)
    except (ContentError, tomllib.TOMLDecodeError) as error:
        return [f"{lang}/search.toml: {error}"]
    return [
        f"{lang}/search.toml: empty or missing list '{name}'"
        for name, values in (
            ("offtopic", hints.offtopic),
            ("danger", hints.danger),
            ("police", hints.police),
        )
        if not values
    ]
