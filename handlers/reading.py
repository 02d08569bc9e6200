"""What the knowledge feature stores: which answers people read, and feedback counts.

The views feed the case card ("read just before") and hold polls back after an urgent
answer (`UrgentReaders`, published as `bot.core.hooks.DoNotDisturb`); the feedback is
counted per topic and language, never per person.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.context import Services
from storage.knowledge import KnowledgeRepository


class Reading:
    """Answers read and rated."""

    def __init__(self, store: KnowledgeRepository) -> None:
        self._store = store

    async def viewed(self, person_id: int, topic_id: str, urgent: bool, now: datetime) -> None:
        await self._store.record_view(person_id, topic_id, urgent, now)

    async def rated(self, topic_id: str, lang: str, helpful: bool) -> None:
        await self._store.count_feedback(topic_id, lang, helpful=helpful)

    async def urgent_readers(self, since: datetime) -> set[int]:
        return await self._store.urgent_viewers(since)

    async def read_urgent(self, person_id: int, since: datetime) -> bool:
        return any(view.urgent for view in await self._store.recent_views(person_id, since))


class UrgentReaders:
    """Whoever was just shown an urgent answer is in trouble."""

    async def people(self, services: Services, since: datetime) -> set[int]:
        return await services.feature(Reading).urgent_readers(since)

    async def includes(self, services: Services, person_id: int, since: datetime) -> bool:
        return await services.feature(Reading).read_urgent(person_id, since)
