"""Polls and their anonymous responses."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from storage.timestamps import from_db, to_db


class PollStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Poll:
    id: int
    template: str
    opens_at: datetime
    closes_at: datetime
    status: PollStatus = PollStatus.OPEN
    wave: int = 1
    question: dict[str, str] = field(default_factory=dict)  # custom polls: text per language
    options: dict[str, list[str]] = field(default_factory=dict)  # custom polls: per language
    audience_tags: tuple[str, ...] = ()
    ask_neighborhood: bool = False

    def is_open_at(self, now: datetime) -> bool:
        return self.status is PollStatus.OPEN and self.opens_at <= now < self.closes_at


@dataclass(frozen=True, slots=True)
class Response:
    """One group of identical answers: `count` people answered `answer` in `lang`."""

    answer: int | None  # None: "prefer not to answer"
    lang: str
    neighborhood: str | None
    count: int = 1


_COLUMNS = (
    "id, template, opens_at, closes_at, status, wave, question, options, audience_tags, "
    "ask_neighborhood"
)


def _poll(row: aiosqlite.Row | tuple[object, ...]) -> Poll:
    return Poll(
        id=int(str(row[0])),
        template=str(row[1]),
        opens_at=from_db(str(row[2])),
        closes_at=from_db(str(row[3])),
        status=PollStatus(str(row[4])),
        wave=int(str(row[5])),
        question=dict(json.loads(str(row[6]))),
        options=dict(json.loads(str(row[7]))),
        audience_tags=tuple(t for t in str(row[8]).split(",") if t),
        ask_neighborhood=bool(row[9]),
    )


class PollRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def create(self, poll: Poll, created_by: int | None) -> Poll:
        """Store a poll; waves of one template are numbered 1, 2, 3 … so trends line up."""
        async with self._db.execute(
            "SELECT COALESCE(MAX(wave), 0) + 1 FROM polls WHERE template = ?", (poll.template,)
        ) as cursor:
            row = await cursor.fetchone()
        wave = int(row[0]) if row else 1
        cursor = await self._db.execute(
            "INSERT INTO polls (template, question, options, audience_tags, ask_neighborhood, "
            "opens_at, closes_at, wave, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                poll.template,
                json.dumps(poll.question, ensure_ascii=False),
                json.dumps(poll.options, ensure_ascii=False),
                ",".join(poll.audience_tags),
                int(poll.ask_neighborhood),
                to_db(poll.opens_at),
                to_db(poll.closes_at),
                wave,
                created_by,
            ),
        )
        await self._db.commit()
        created = await self.get(int(cursor.lastrowid or 0))
        assert created is not None
        return created

    async def get(self, poll_id: int) -> Poll | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM polls WHERE id = ?", (poll_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _poll(row)

    async def latest(self, limit: int = 10) -> list[Poll]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM polls ORDER BY id DESC LIMIT ?", (limit,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [_poll(row) for row in rows]

    async def waves(self, template: str) -> list[Poll]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM polls WHERE template = ? ORDER BY wave", (template,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [_poll(row) for row in rows]

    async def due_to_close(self, now: datetime) -> list[Poll]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM polls WHERE status = 'open' AND closes_at <= ? ORDER BY id",
            (to_db(now),),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_poll(row) for row in rows]

    async def open_at(self, now: datetime) -> list[Poll]:
        """Polls taking answers now, oldest first."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM polls WHERE status = 'open' AND closes_at > ? "
            "AND opens_at <= ? ORDER BY id",
            (to_db(now), to_db(now)),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_poll(row) for row in rows]

    async def close(self, poll_id: int) -> bool:
        cursor = await self._db.execute(
            "UPDATE polls SET status = 'closed' WHERE id = ? AND status = 'open'", (poll_id,)
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def answer(self, poll_id: int, voter_hash: str, answer: int | None, lang: str) -> None:
        """Record or replace (the last answer counts) one person's answer."""
        await self._db.execute(
            "INSERT INTO poll_responses (poll_id, voter_hash, answer, lang) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (poll_id, voter_hash) DO UPDATE SET answer = excluded.answer, "
            "lang = excluded.lang",
            (poll_id, voter_hash, answer, lang),
        )
        await self._db.commit()

    async def set_neighborhood(self, poll_id: int, voter_hash: str, neighborhood: str) -> bool:
        cursor = await self._db.execute(
            "UPDATE poll_responses SET neighborhood = ? WHERE poll_id = ? AND voter_hash = ?",
            (neighborhood, poll_id, voter_hash),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def responses(self, poll_id: int) -> list[Response]:
        """Answers counted by (answer, language, neighbourhood): the database aggregates, so
        results for 100,000 responses move a few dozen rows, not 100,000."""
        async with self._db.execute(
            "SELECT answer, lang, neighborhood, COUNT(*) FROM poll_responses WHERE poll_id = ? "
            "GROUP BY answer, lang, neighborhood",
            (poll_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            Response(
                None if r[0] is None else int(r[0]),
                str(r[1]),
                None if r[2] is None else str(r[2]),
                int(r[3]),
            )
            for r in rows
        ]

    async def has_answered(self, poll_id: int, voter_hash: str) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM poll_responses WHERE poll_id = ? AND voter_hash = ?",
            (poll_id, voter_hash),
        ) as cursor:
            return await cursor.fetchone() is not None
