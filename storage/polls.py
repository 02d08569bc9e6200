"""Polls and their anonymous responses."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime

from storage.database import Database
from storage.rows import Table
from storage.timestamps import to_db


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


POLLS = Table(Poll)


class PollRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, poll: Poll, created_by: int | None) -> Poll:
        """Store a poll; waves of one template are numbered 1, 2, 3 … so trends line up."""
        wave = int(
            await self._db.fetchval(
                "SELECT COALESCE(MAX(wave), 0) + 1 FROM polls WHERE template = ?", (poll.template,)
            )
        )
        rows = await self._db.fetch(
            "INSERT INTO polls (template, question, options, audience_tags, ask_neighborhood, "
            "opens_at, closes_at, wave, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            f"RETURNING {POLLS.columns}",
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
        return POLLS.load(rows[0])

    async def get(self, poll_id: int) -> Poll | None:
        rows = await self._db.fetch(f"SELECT {POLLS.columns} FROM polls WHERE id = ?", (poll_id,))
        return POLLS.load_first(rows)

    async def latest(self, limit: int = 10) -> list[Poll]:
        rows = await self._db.fetch(
            f"SELECT {POLLS.columns} FROM polls ORDER BY id DESC LIMIT ?", (limit,)
        )
        return POLLS.load_all(rows)

    async def waves(self, template: str) -> list[Poll]:
        rows = await self._db.fetch(
            f"SELECT {POLLS.columns} FROM polls WHERE template = ? ORDER BY wave", (template,)
        )
        return POLLS.load_all(rows)

    async def due_to_close(self, now: datetime) -> list[Poll]:
        rows = await self._db.fetch(
            f"SELECT {POLLS.columns} FROM polls WHERE status = 'open' AND closes_at <= ? "
            "ORDER BY id",
            (to_db(now),),
        )
        return POLLS.load_all(rows)

    async def open_at(self, now: datetime) -> list[Poll]:
        """Polls taking answers now, oldest first."""
        rows = await self._db.fetch(
            f"SELECT {POLLS.columns} FROM polls WHERE status = 'open' AND closes_at > ? "
            "AND opens_at <= ? ORDER BY id",
            (to_db(now), to_db(now)),
        )
        return POLLS.load_all(rows)

    async def close(self, poll_id: int) -> bool:
        changed = await self._db.execute(
            "UPDATE polls SET status = 'closed' WHERE id = ? AND status = 'open'", (poll_id,)
        )
        return changed == 1

    async def answer(self, poll_id: int, voter_hash: str, answer: int | None, lang: str) -> None:
        """Record or replace (the last answer counts) one person's answer."""
        await self._db.execute(
            "INSERT INTO poll_responses (poll_id, voter_hash, answer, lang) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (poll_id, voter_hash) DO UPDATE SET answer = excluded.answer, "
            "lang = excluded.lang",
            (poll_id, voter_hash, answer, lang),
        )

    async def set_neighborhood(self, poll_id: int, voter_hash: str, neighborhood: str) -> bool:
        changed = await self._db.execute(
            "UPDATE poll_responses SET neighborhood = ? WHERE poll_id = ? AND voter_hash = ?",
            (neighborhood, poll_id, voter_hash),
        )
        return changed == 1

    async def responses(self, poll_id: int) -> list[Response]:
        """Answers counted by (answer, language, neighbourhood): the database aggregates, so
        results for 100,000 responses move a few dozen rows, not 100,000."""
        rows = await self._db.fetch(
            "SELECT answer, lang, neighborhood, COUNT(*) FROM poll_responses WHERE poll_id = ? "
            "GROUP BY answer, lang, neighborhood",
            (poll_id,),
        )
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
        found = await self._db.fetchone(
            "SELECT 1 FROM poll_responses WHERE poll_id = ? AND voter_hash = ?",
            (poll_id, voter_hash),
        )
        return found is not None
