"""Escalation cases: a resident's conversation with the liaisons, and where it lives."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from storage.database import Database
from storage.rows import Table
from storage.timestamps import from_db, to_db


class CaseStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class Outcome(enum.Enum):
    ANSWERED = "answered"
    OVERSIGHT = "oversight"
    LEGAL_AID = "legal_aid"
    NO_RESPONSE = "no_response"
    OTHER = "other"
    WITHDRAWN = "withdrawn"  # the resident closed it themselves


class MessageKind(enum.Enum):
    RESIDENT = "resident"
    LIAISON = "liaison"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    person_id: int | None
    status: CaseStatus
    anonymous: bool
    shown_name: str | None
    pseudonym: str
    lang: str
    urgent: bool
    topics: tuple[str, ...]
    opened_at: datetime
    claimed_by: int | None
    first_reply_at: datetime | None
    room_reminded_at: datetime | None
    resident_told_at: datetime | None
    closed_at: datetime | None
    outcome: Outcome | None
    satisfaction: int | None

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN


@dataclass(frozen=True, slots=True)
class CaseMessage:
    id: int
    case_id: int
    kind: MessageKind
    author_id: int | None
    body: str | None
    attachment_name: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CaseRoom:
    case_id: int
    platform: str
    chat_id: str
    thread_id: str | None


class SlaStep(enum.Enum):
    """What an overdue unclaimed case is owed, named by the column that records it."""

    ROOM_REMINDER = "room_reminded_at"
    RESIDENT_NOTICE = "resident_told_at"


# Cases handled per SLA step and run: bounds the minute job's time on the event loop.
SLA_BATCH = 100


@dataclass(slots=True)
class CaseCounts:
    """What `liaison cases stats` shows, gathered from the database's indexes."""

    opened: int = 0
    closed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    per_language: Counter[str] = field(default_factory=Counter)
    rating_sum: int = 0
    ratings: int = 0
    wait_median_s: float | None = None
    wait_p90_s: float | None = None

    def add(self, lang: str, status: str, outcome: object, rating: object, n: int) -> None:
        self.opened += n
        self.closed += n if status == CaseStatus.CLOSED.value else 0
        self.per_language[lang] += n
        if outcome is not None:
            self.outcomes[str(outcome)] += n
        if rating is not None:
            self.rating_sum += int(str(rating)) * n
            self.ratings += n


def _seconds_between(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


CASES = Table(Case)
MESSAGES = Table(CaseMessage)
ROOMS = Table(CaseRoom)


class CaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def open(
        self,
        person_id: int,
        pseudonym: str,
        lang: str,
        anonymous: bool,
        shown_name: str | None,
        urgent: bool,
        topics: tuple[str, ...],
        now: datetime,
    ) -> Case:
        rows = await self._db.fetch(
            "INSERT INTO cases (person_id, anonymous, shown_name, pseudonym, lang, urgent, topics, "
            f"opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {CASES.columns}",
            (
                person_id,
                int(anonymous),
                None if anonymous else shown_name,
                pseudonym,
                lang,
                int(urgent),
                ",".join(topics),
                to_db(now),
            ),
        )
        return CASES.load(rows[0])

    async def get(self, case_id: int) -> Case | None:
        rows = await self._db.fetch(f"SELECT {CASES.columns} FROM cases WHERE id = ?", (case_id,))
        return CASES.load_first(rows)

    async def open_for_person(self, person_id: int) -> Case | None:
        """Asked for every message a resident sends: one round trip to the database."""
        rows = await self._db.fetch(
            f"SELECT {CASES.columns} FROM cases WHERE person_id = ? AND status = 'open' "
            "ORDER BY id DESC LIMIT 1",
            (person_id,),
        )
        return CASES.load_first(rows)

    async def people_with_open_cases(self) -> set[int]:
        """Everyone with an open case, in one query (a poll going to a whole audience
        leaves them out without asking about each person)."""
        rows = await self._db.fetch(
            "SELECT DISTINCT person_id FROM cases WHERE status = 'open' AND person_id IS NOT NULL"
        )
        return {int(row[0]) for row in rows}

    async def latest_for_person(self, person_id: int) -> Case | None:
        rows = await self._db.fetch(
            f"SELECT {CASES.columns} FROM cases WHERE person_id = ? ORDER BY id DESC LIMIT 1",
            (person_id,),
        )
        return CASES.load_first(rows)

    async def of_person(self, person_id: int) -> list[Case]:
        """Every case a person opened, newest first (for /mydata)."""
        rows = await self._db.fetch(
            f"SELECT {CASES.columns} FROM cases WHERE person_id = ? ORDER BY id DESC",
            (person_id,),
        )
        return CASES.load_all(rows)

    async def list_open(self) -> list[Case]:
        return CASES.load_all(
            await self._db.fetch(
                f"SELECT {CASES.columns} FROM cases WHERE status = 'open' ORDER BY id"
            )
        )

    async def claim(self, case_id: int, liaison_id: int | None, now: datetime) -> None:
        """Set (or with None, release) the owner of a case."""
        await self._db.execute(
            "UPDATE cases SET claimed_by = ?, claimed_at = ? WHERE id = ?",
            (liaison_id, None if liaison_id is None else to_db(now), case_id),
        )

    async def set_appearance(self, case_id: int, anonymous: bool, shown_name: str | None) -> None:
        """The resident changes how they appear (a case opened anonymously by default)."""
        await self._db.execute(
            "UPDATE cases SET anonymous = ?, shown_name = ? WHERE id = ?",
            (int(anonymous), None if anonymous else shown_name, case_id),
        )

    async def mark_first_reply(self, case_id: int, now: datetime) -> None:
        """Record the first reply once, with the wait in seconds that statistics read."""
        opened = await self._db.fetchval(
            "UPDATE cases SET first_reply_at = ? WHERE id = ? AND first_reply_at IS NULL "
            "RETURNING opened_at",
            (to_db(now), case_id),
        )
        if opened is not None:
            await self._db.execute(
                "UPDATE cases SET first_reply_wait_s = ? WHERE id = ?",
                (_seconds_between(from_db(str(opened)), now), case_id),
            )

    async def mark_room_reminded(self, case_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE cases SET room_reminded_at = ? WHERE id = ?", (to_db(now), case_id)
        )

    async def mark_resident_told(self, case_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE cases SET resident_told_at = ? WHERE id = ?", (to_db(now), case_id)
        )

    async def close(self, case_id: int, outcome: Outcome, note: str | None, now: datetime) -> bool:
        """Close an open case; False if it was already closed (a replayed button)."""
        changed = await self._db.execute(
            "UPDATE cases SET status = 'closed', outcome = ?, close_note = ?, closed_at = ? "
            "WHERE id = ? AND status = 'open'",
            (outcome.value, note, to_db(now), case_id),
        )
        return changed == 1

    async def reopen(self, case_id: int) -> None:
        await self._db.execute(
            "UPDATE cases SET status = 'open', closed_at = NULL, outcome = NULL, "
            "close_note = NULL, satisfaction = NULL WHERE id = ?",
            (case_id,),
        )

    async def rate(self, case_id: int, satisfaction: int) -> None:
        await self._db.execute(
            "UPDATE cases SET satisfaction = ? WHERE id = ?", (satisfaction, case_id)
        )

    async def unclaimed_since(self, cutoff: datetime, owed: SlaStep) -> list[Case]:
        """Open, unclaimed cases opened by `cutoff` that have not had step `owed` yet,
        oldest first and at most `SLA_BATCH` (the rest come next minute). Read through a
        partial index that holds only such cases, so the minute job costs the same at 100
        cases as at 100,000."""
        rows = await self._db.fetch(
            f"SELECT {CASES.columns} FROM cases WHERE status = 'open' AND claimed_by IS NULL "
            f"AND {owed.value} IS NULL AND opened_at <= ? ORDER BY opened_at LIMIT ?",
            (to_db(cutoff), SLA_BATCH),
        )
        return CASES.load_all(rows)

    async def stats(self) -> CaseCounts:
        """Anonymous aggregates from indexes only (`cases_stats`, `cases_first_reply_wait`):
        no case row is read, so `liaison cases stats` stays fast at 100,000 cases."""
        await self._fill_unknown_waits()
        counts = CaseCounts()
        for lang, status, outcome, satisfaction, n in await self._db.fetch(
            "SELECT lang, status, outcome, satisfaction, COUNT(*) FROM cases "
            "GROUP BY lang, status, outcome, satisfaction"
        ):
            counts.add(str(lang), str(status), outcome, satisfaction, int(n))
        answered = int(
            await self._db.fetchval(
                "SELECT COUNT(first_reply_wait_s) FROM cases WHERE first_reply_wait_s IS NOT NULL"
            )
        )
        if answered:
            counts.wait_median_s = await self._wait_at((answered - 1) / 2)
            counts.wait_p90_s = await self._wait_at(round(0.9 * (answered - 1)))
        return counts

    async def _wait_at(self, rank: float) -> float:
        """The wait at a (possibly half-way) rank in ascending order, from the index."""
        low, high = int(rank), int(rank) + (rank % 1 > 0)
        rows = await self._db.fetch(
            "SELECT first_reply_wait_s FROM cases WHERE first_reply_wait_s IS NOT NULL "
            "ORDER BY first_reply_wait_s LIMIT ? OFFSET ?",
            (high - low + 1, low),
        )
        return sum(int(row[0]) for row in rows) / len(rows)

    async def _fill_unknown_waits(self) -> None:
        """Cases answered before `first_reply_wait_s` existed get it (once; then empty)."""
        rows = await self._db.fetch(
            "SELECT id, opened_at, first_reply_at FROM cases "
            "WHERE first_reply_at IS NOT NULL AND first_reply_wait_s IS NULL"
        )
        for case_id, opened, replied in rows:
            await self._db.execute(
                "UPDATE cases SET first_reply_wait_s = ? WHERE id = ?",
                (_seconds_between(from_db(str(opened)), from_db(str(replied))), case_id),
            )

    async def add_message(
        self,
        case_id: int,
        kind: MessageKind,
        author_id: int | None,
        body: str | None,
        attachment_name: str | None,
        now: datetime,
    ) -> int:
        return int(
            await self._db.fetchval(
                "INSERT INTO case_messages (case_id, kind, author_id, body, attachment_name, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (case_id, kind.value, author_id, body, attachment_name, to_db(now)),
            )
        )

    async def messages(self, case_id: int) -> list[CaseMessage]:
        rows = await self._db.fetch(
            f"SELECT {MESSAGES.columns} FROM case_messages WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return MESSAGES.load_all(rows)

    async def add_room(self, room: CaseRoom) -> None:
        await self._db.execute(
            "INSERT INTO case_rooms (case_id, platform, chat_id, thread_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (case_id, platform, chat_id) DO UPDATE SET thread_id = excluded.thread_id",
            (room.case_id, room.platform, room.chat_id, room.thread_id),
        )

    async def rooms(self, case_id: int) -> list[CaseRoom]:
        rows = await self._db.fetch(
            f"SELECT {ROOMS.columns} FROM case_rooms WHERE case_id = ?", (case_id,)
        )
        return ROOMS.load_all(rows)

    async def case_for_thread(self, platform: str, chat_id: str, thread_id: str) -> int | None:
        """The case a liaison room thread belongs to (a thread is one case)."""
        found = await self._db.fetchval(
            "SELECT case_id FROM case_rooms WHERE platform = ? AND chat_id = ? AND thread_id = ?",
            (platform, chat_id, thread_id),
        )
        return None if found is None else int(found)


class AuditLog:
    """Who did what to which case, and when: claims, replies, notes, blocks, closes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        actor_id: int | None,
        action: str,
        case_id: int | None,
        now: datetime,
        detail: str = "",
    ) -> None:
        await self._db.execute(
            "INSERT INTO audit_log (at, actor_id, action, case_id, detail) VALUES (?, ?, ?, ?, ?)",
            (to_db(now), actor_id, action, case_id, detail),
        )

    async def for_case(self, case_id: int) -> list[tuple[str, int | None]]:
        rows = await self._db.fetch(
            "SELECT action, actor_id FROM audit_log WHERE case_id = ? ORDER BY id", (case_id,)
        )
        return [(str(r[0]), None if r[1] is None else int(r[1])) for r in rows]

    async def actions(self) -> list[tuple[str, int | None, int | None, str]]:
        rows = await self._db.fetch(
            "SELECT action, actor_id, case_id, detail FROM audit_log ORDER BY id"
        )
        return [
            (
                str(r[0]),
                None if r[1] is None else int(r[1]),
                None if r[2] is None else int(r[2]),
                str(r[3]),
            )
            for r in rows
        ]


class SnippetRepository:
    """Saved replies with a version per language."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, name: str, lang: str, body: str) -> None:
        await self._db.execute(
            "INSERT INTO snippets (name, lang, body) VALUES (?, ?, ?) "
            "ON CONFLICT (name, lang) DO UPDATE SET body = excluded.body",
            (name, lang, body),
        )

    async def get(self, name: str, lang: str, fallback_lang: str) -> str | None:
        body = await self._db.fetchval(
            "SELECT body FROM snippets WHERE name = ? AND lang IN (?, ?) "
            "ORDER BY CASE WHEN lang = ? THEN 0 ELSE 1 END LIMIT 1",
            (name, lang, fallback_lang, lang),
        )
        return None if body is None else str(body)

    async def names(self) -> list[str]:
        rows = await self._db.fetch("SELECT DISTINCT name FROM snippets ORDER BY name")
        return [str(r[0]) for r in rows]
