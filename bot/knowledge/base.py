"""The knowledge base as handlers use it: topics per language, search, answer text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from bot.knowledge.catalog import CATALOG
from bot.knowledge.content import (
    Topic,
    fill_placeholders,
    load_calibration,
    load_search_hints,
    load_topics,
)
from bot.knowledge.index_cache import cached_search, default_folder
from bot.knowledge.search import KnowledgeSearch, SearchResult
from bot.knowledge.verdict import Verdict, decide
from bot.local_defaults import localized


@dataclass(frozen=True, slots=True)
class Localized:
    """A topic in the language it could be found in (maybe the default, as a fallback)."""

    topic: Topic
    fallback: bool


class KnowledgeBase:
    def __init__(self, config: Config) -> None:
        langs = config.bot.languages
        self.default = config.bot.default_locale
        self._local = config.local
        self._topics = load_topics(langs, config.knowledge.extra_path)
        hints = {lang: load_search_hints(lang) for lang in langs}
        calibration = load_calibration()
        folder = config.knowledge.cache_path
        self.search_engine = cached_search(
            self._topics,
            hints,
            calibration,
            Path(folder).expanduser() if folder else default_folder(),
            lambda: KnowledgeSearch(self._topics, hints, calibration),
        )
        known = set().union(*(set(t) for t in self._topics.values()))
        extras = sorted(known - set(CATALOG))
        self.order = tuple(tid for tid in (*CATALOG, *extras) if tid in known)

    def topic(self, topic_id: str, lang: str) -> Localized | None:
        """The topic in `lang`, else in the default language (flagged as a fallback)."""
        found = self._topics.get(lang, {}).get(topic_id)
        if found is not None:
            return Localized(found, fallback=False)
        default = self._topics.get(self.default, {}).get(topic_id)
        return None if default is None else Localized(default, fallback=True)

    def section(self, sections: tuple[str, ...], lang: str) -> list[Topic]:
        """Topics of the given sections in menu order, localized where possible."""
        found = [self.topic(tid, lang) for tid in self.order]
        return [item.topic for item in found if item and item.topic.section in sections]

    def fill(self, text: str, lang: str) -> str:
        """Content text in `lang` with the city's `[local]` values in place of its
        placeholders (defaults worded in that language)."""
        return fill_placeholders(text, localized(self._local, lang))

    def search(self, text: str, lang: str) -> SearchResult:
        return self.search_engine.search(text, lang)

    def decide(self, text: str, lang: str) -> Verdict:
        """What the resident is shown for `text`: the chat renders it, the CLI prints it."""
        result = self.search(text, lang)
        return decide(result, lambda topic_id: self._is_urgent_topic(topic_id, result.lang))

    def _is_urgent_topic(self, topic_id: str, lang: str) -> bool:
        found = self.topic(topic_id, lang)
        return found is not None and found.topic.urgent
