"""Knowledge usage: anonymous feedback counts, and each person's recent topic views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.rows import Table
from storage.timestamps import to_db


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    topic_id: str
    lang: str
    helpful: int
    unhelpful: int


@dataclass(frozen=True, slots=True)
class TopicView:
    topic_id: str
    urgent: bool
    viewed_at: datetime


FEEDBACK = Table(FeedbackCount)
VIEWS = Table(TopicView)


class KnowledgeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def count_feedback(self, topic_id: str, lang: str, helpful: bool) -> None:
        column = "helpful" if helpful else "unhelpful"
        await self._db.execute(
            f"INSERT INTO kb_feedback (topic_id, lang, {column}) VALUES (?, ?, 1) "
            f"ON CONFLICT (topic_id, lang) DO UPDATE SET {column} = kb_feedback.{column} + 1",
            (topic_id, lang),
        )

    async def feedback(self) -> list[FeedbackCount]:
        return FEEDBACK.load_all(
            await self._db.fetch(
                f"SELECT {FEEDBACK.columns} FROM kb_feedback ORDER BY topic_id, lang"
            )
        )

    async def record_view(self, person_id: int, topic_id: str, urgent: bool, now: datetime) -> None:
        """Remember a viewed topic (the retention job forgets views after a day)."""
        await self._db.execute(
            "INSERT INTO topic_views (person_id, topic_id, urgent, viewed_at) VALUES (?, ?, ?, ?)",
            (person_id, topic_id, int(urgent), to_db(now)),
        )

    async def urgent_viewers(self, since: datetime) -> set[int]:
        """Everyone shown an urgent answer since then, in one query (see
        `people_with_open_cases`)."""
        rows = await self._db.fetch(
            "SELECT DISTINCT person_id FROM topic_views WHERE viewed_at >= ? AND urgent = 1",
            (to_db(since),),
        )
        return {int(row[0]) for row in rows}

    async def recent_views(self, person_id: int, since: datetime) -> list[TopicView]:
        rows = await self._db.fetch(
            f"SELECT {VIEWS.columns} FROM topic_views "
            "WHERE person_id = ? AND viewed_at >= ? ORDER BY id DESC LIMIT 20",
            (person_id, to_db(since)),
        )
        return VIEWS.load_all(rows)
