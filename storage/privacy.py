"""Erasure and retention: what /forget and the daily retention job remove.

Case rows stay (without content or a link to the person) so the service can still count
cases, reply times and outcomes anonymously.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.timestamps import to_db


@dataclass(frozen=True, slots=True)
class RetentionCounts:
    case_messages_cleared: int
    conversations_expired: int
    outbox_rows_deleted: int
    topic_views_deleted: int


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def erase_person(self, person_id: int) -> None:
        """Remove the person and everything that could identify them or what they said:
        all of it or none of it, even with other writers about (one transaction).

        Tables that point at people with ON DELETE CASCADE (conversation state, topic
        views, subscriptions, meeting recipients, RSVPs) go with the person row; queued
        messages go by subject (a reply to them, or their words copied to a liaison room).
        """
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE case_messages SET body = NULL, attachment_name = NULL "
                "WHERE case_id IN (SELECT id FROM cases WHERE person_id = ?)",
                (person_id,),
            )
            # By subject, and anything queued for their own chat even without a person
            # link (a reply handed to the outbox after a rate limit).
            await self._db.execute(
                "DELETE FROM outbox WHERE subject = ? OR person_id = ? OR (platform, chat_id) "
                "IN (SELECT platform, platform_user_id FROM people WHERE id = ?)",
                (person_id, person_id, person_id),
            )
            await self._db.execute(
                "UPDATE cases SET person_id = NULL, shown_name = NULL, close_note = NULL "
                "WHERE person_id = ?",
                (person_id,),
            )
            await self._db.execute("DELETE FROM people WHERE id = ?", (person_id,))

    async def apply_retention(
        self,
        closed_before: datetime,
        idle_before: datetime,
        delivered_before: datetime,
        viewed_before: datetime,
    ) -> RetentionCounts:
        cleared = await self._db.execute(
            "UPDATE case_messages SET body = NULL, attachment_name = NULL "
            "WHERE (body IS NOT NULL OR attachment_name IS NOT NULL) AND case_id IN "
            "(SELECT id FROM cases WHERE status = 'closed' AND closed_at < ?)",
            (to_db(closed_before),),
        )
        await self._db.execute(
            "UPDATE cases SET close_note = NULL WHERE status = 'closed' AND closed_at < ?",
            (to_db(closed_before),),
        )
        expired = await self._db.execute(
            "DELETE FROM conversation_state WHERE updated_at < ?", (to_db(idle_before),)
        )
        delivered = await self._db.execute(
            "DELETE FROM outbox WHERE status <> 'pending' AND created_at < ?",
            (to_db(delivered_before),),
        )
        # Broadcast bodies no row points at any more. The newest body always stays: SQLite
        # gives a new row the highest id + 1, so keeping it means an id is never reused
        # (delivery caches bodies by id).
        await self._db.execute(
            "DELETE FROM outbox_bodies WHERE created_at < ? "
            "AND id < (SELECT MAX(id) FROM outbox_bodies) "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.body_id = outbox_bodies.id)",
            (to_db(delivered_before),),
        )
        views = await self._db.execute(
            "DELETE FROM topic_views WHERE viewed_at < ?", (to_db(viewed_before),)
        )
        return RetentionCounts(cleared, expired, delivered, views)
