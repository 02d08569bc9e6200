"""Conversation state: where a person is in a multi-step flow, kept across restarts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.core.conversations import ConversationState
from storage.database import Database
from storage.rows import Table
from storage.timestamps import to_db

STATES = Table(ConversationState)


class ConversationRepository:
    """One row per person at most: a person is in one flow at a time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, person_id: int) -> ConversationState | None:
        rows = await self._db.fetch(
            f"SELECT {STATES.columns} FROM conversation_state WHERE person_id = ?", (person_id,)
        )
        return STATES.load_first(rows)

    async def put(
        self, person_id: int, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO conversation_state (person_id, flow, step, data, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET "
            "flow = excluded.flow, step = excluded.step, data = excluded.data, "
            "updated_at = excluded.updated_at",
            (person_id, flow, step, json.dumps(data, ensure_ascii=False), to_db(now)),
        )

    async def clear(self, person_id: int) -> None:
        await self._db.execute("DELETE FROM conversation_state WHERE person_id = ?", (person_id,))

    async def expire_before(self, cutoff: datetime) -> int:
        """Drop flows abandoned before `cutoff`; returns how many."""
        return await self._db.execute(
            "DELETE FROM conversation_state WHERE updated_at < ?", (to_db(cutoff),)
        )
