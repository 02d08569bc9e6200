"""`liaison kb check`: the content pack is complete and consistent in every language."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from bot.knowledge.catalog import CATALOG, URGENT
from bot.knowledge.content import (
    PLACEHOLDER,
    PLACEHOLDER_SETTINGS,
    SECTIONS,
    ContentError,
    Topic,
    load_search_hints,
    parse_topic,
)


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
    for source in topic.sources:
        if not source.url.startswith(("https://", "http://")):
            problems.append(f"{where}: source {source.name!r} has no http(s) URL")
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
    return problems


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
