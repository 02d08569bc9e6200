"""Conversation state: where a person is in a multi-step flow, kept across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class ConversationState:
    person_id: int
    flow: str
    step: str
    data: dict[str, Any]
    updated_at: datetime


class ConversationRepository:
    """One row per person at most: a person is in one flow at a time."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def get(self, person_id: int) -> ConversationState | None:
        rows = list(
            await self._db.execute_fetchall(
                "SELECT person_id, flow, step, data, updated_at FROM conversation_state "
                "WHERE person_id = ?",
                (person_id,),
            )
        )
        if not rows:
            return None
        row = rows[0]
        return ConversationState(
            person_id=int(row[0]),
            flow=str(row[1]),
            step=str(row[2]),
            data=dict(json.loads(str(row[3]))),
            updated_at=from_db(str(row[4])),
        )

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
        await self._db.commit()

    async def clear(self, person_id: int) -> None:
        await self._db.execute("DELETE FROM conversation_state WHERE person_id = ?", (person_id,))
        await self._db.commit()

    async def expire_before(self, cutoff: datetime) -> int:
        """Drop flows abandoned before `cutoff`; returns how many."""
        cursor = await self._db.execute(
            "DELETE FROM conversation_state WHERE updated_at < ?", (to_db(cutoff),)
        )
        await self._db.commit()
        return cursor.rowcount
