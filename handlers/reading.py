"""What the knowledge feature stores: which answers people read, and feedback counts.

The views feed the case card ("read just before") and hold polls back after an urgent
answer; the feedback is counted per topic and language, never per person.
"""

from __future__ import annotations

from datetime import datetime

from storage.knowledge import KnowledgeRepository


class Reading:
    """Answers read and rated."""

    def __init__(self, store: KnowledgeRepository) -> None:
        self._store = store

    async def viewed(self, person_id: int, topic_id: str, urgent: bool, now: datetime) -> None:
        await self._store.record_view(person_id, topic_id, urgent, now)

    async def rated(self, topic_id: str, lang: str, helpful: bool) -> None:
        await self._store.count_feedback(topic_id, lang, helpful=helpful)
