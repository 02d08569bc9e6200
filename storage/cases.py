"""Escalation cases: a resident's conversation with the liaisons, and where it lives."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

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


def _when(value: object) -> datetime | None:
    return None if value is None else from_db(str(value))


_CASE_COLUMNS = (
    "id, person_id, status, anonymous, shown_name, pseudonym, lang, urgent, topics, opened_at, "
    "claimed_by, first_reply_at, room_reminded_at, resident_told_at, closed_at, outcome, "
    "satisfaction"
)


def _case(row: aiosqlite.Row | tuple[object, ...]) -> Case:
    return Case(
        id=int(str(row[0])),
        person_id=None if row[1] is None else int(str(row[1])),
        status=CaseStatus(str(row[2])),
        anonymous=bool(row[3]),
        shown_name=None if row[4] is None else str(row[4]),
        pseudonym=str(row[5]),
        lang=str(row[6]),
        urgent=bool(row[7]),
        topics=tuple(t for t in str(row[8]).split(",") if t),
        opened_at=from_db(str(row[9])),
        claimed_by=None if row[10] is None else int(str(row[10])),
        first_reply_at=_when(row[11]),
        room_reminded_at=_when(row[12]),
        resident_told_at=_when(row[13]),
        closed_at=_when(row[14]),
        outcome=None if row[15] is None else Outcome(str(row[15])),
        satisfaction=None if row[16] is None else int(str(row[16])),
    )


class CaseRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
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
        cursor = await self._db.execute(
            "INSERT INTO cases (person_id, anonymous, shown_name, pseudonym, lang, urgent, topics, "
            "opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
        await self._db.commit()
        case = await self.get(int(cursor.lastrowid or 0))
        assert case is not None
        return case

    async def get(self, case_id: int) -> Case | None:
        async with self._db.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _case(row)

    async def open_for_person(self, person_id: int) -> Case | None:
        """Asked for every message a resident sends: one round trip to the database."""
        rows = await self._db.execute_fetchall(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE person_id = ? AND status = 'open' "
            "ORDER BY id DESC LIMIT 1",
            (person_id,),
        )
        return next((_case(row) for row in rows), None)

    async def latest_for_person(self, person_id: int) -> Case | None:
        async with self._db.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE person_id = ? ORDER BY id DESC LIMIT 1",
            (person_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _case(row)

    async def of_person(self, person_id: int) -> list[Case]:
        """Every case a person opened, newest first (for /mydata)."""
        async with self._db.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE person_id = ? ORDER BY id DESC",
            (person_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_case(row) for row in rows]

    async def list_open(self) -> list[Case]:
        async with self._db.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE status = 'open' ORDER BY id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [_case(row) for row in rows]

    async def all_cases(self) -> list[Case]:
        async with self._db.execute(f"SELECT {_CASE_COLUMNS} FROM cases ORDER BY id") as cursor:
            rows = await cursor.fetchall()
        return [_case(row) for row in rows]

    async def claim(self, case_id: int, liaison_id: int | None, now: datetime) -> None:
        """Set (or with None, release) the owner of a case."""
        await self._db.execute(
            "UPDATE cases SET claimed_by = ?, claimed_at = ? WHERE id = ?",
            (liaison_id, None if liaison_id is None else to_db(now), case_id),
        )
        await self._db.commit()

    async def set_appearance(self, case_id: int, anonymous: bool, shown_name: str | None) -> None:
        """The resident changes how they appear (a case opened anonymously by default)."""
        await self._db.execute(
            "UPDATE cases SET anonymous = ?, shown_name = ? WHERE id = ?",
            (int(anonymous), None if anonymous else shown_name, case_id),
        )
        await self._db.commit()

    async def mark_first_reply(self, case_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE cases SET first_reply_at = COALESCE(first_reply_at, ?) WHERE id = ?",
            (to_db(now), case_id),
        )
        await self._db.commit()

    async def mark_room_reminded(self, case_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE cases SET room_reminded_at = ? WHERE id = ?", (to_db(now), case_id)
        )
        await self._db.commit()

    async def mark_resident_told(self, case_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE cases SET resident_told_at = ? WHERE id = ?", (to_db(now), case_id)
        )
        await self._db.commit()

    async def close(self, case_id: int, outcome: Outcome, note: str | None, now: datetime) -> bool:
        """Close an open case; False if it was already closed (a replayed button)."""
        cursor = await self._db.execute(
            "UPDATE cases SET status = 'closed', outcome = ?, close_note = ?, closed_at = ? "
            "WHERE id = ? AND status = 'open'",
            (outcome.value, note, to_db(now), case_id),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def reopen(self, case_id: int) -> None:
        await self._db.execute(
            "UPDATE cases SET status = 'open', closed_at = NULL, outcome = NULL, "
            "close_note = NULL, satisfaction = NULL WHERE id = ?",
            (case_id,),
        )
        await self._db.commit()

    async def rate(self, case_id: int, satisfaction: int) -> None:
        await self._db.execute(
            "UPDATE cases SET satisfaction = ? WHERE id = ?", (satisfaction, case_id)
        )
        await self._db.commit()

    async def unclaimed_since(self, cutoff: datetime) -> list[Case]:
        async with self._db.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE status = 'open' AND claimed_by IS NULL "
            "AND opened_at <= ? ORDER BY id",
            (to_db(cutoff),),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_case(row) for row in rows]

    async def add_message(
        self,
        case_id: int,
        kind: MessageKind,
        author_id: int | None,
        body: str | None,
        attachment_name: str | None,
        now: datetime,
    ) -> int:
        cursor = await self._db.execute(
            "INSERT INTO case_messages (case_id, kind, author_id, body, attachment_name, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (case_id, kind.value, author_id, body, attachment_name, to_db(now)),
        )
        await self._db.commit()
        return int(cursor.lastrowid or 0)

    async def messages(self, case_id: int) -> list[CaseMessage]:
        async with self._db.execute(
            "SELECT id, case_id, kind, author_id, body, attachment_name, created_at "
            "FROM case_messages WHERE case_id = ? ORDER BY id",
            (case_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            CaseMessage(
                int(r[0]),
                int(r[1]),
                MessageKind(str(r[2])),
                None if r[3] is None else int(r[3]),
                None if r[4] is None else str(r[4]),
                None if r[5] is None else str(r[5]),
                from_db(str(r[6])),
            )
            for r in rows
        ]

    async def add_room(self, room: CaseRoom) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO case_rooms (case_id, platform, chat_id, thread_id) "
            "VALUES (?, ?, ?, ?)",
            (room.case_id, room.platform, room.chat_id, room.thread_id),
        )
        await self._db.commit()

    async def rooms(self, case_id: int) -> list[CaseRoom]:
        async with self._db.execute(
            "SELECT case_id, platform, chat_id, thread_id FROM case_rooms WHERE case_id = ?",
            (case_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            CaseRoom(int(r[0]), str(r[1]), str(r[2]), None if r[3] is None else str(r[3]))
            for r in rows
        ]

    async def case_for_thread(self, platform: str, chat_id: str, thread_id: str) -> int | None:
        """The case a liaison room thread belongs to (a thread is one case)."""
        async with self._db.execute(
            "SELECT case_id FROM case_rooms WHERE platform = ? AND chat_id = ? AND thread_id = ?",
            (platform, chat_id, thread_id),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])


class AuditLog:
    """Who did what to which case, and when: claims, replies, notes, blocks, closes."""

    def __init__(self, db: aiosqlite.Connection) -> None:
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
        await self._db.commit()

    async def for_case(self, case_id: int) -> list[tuple[str, int | None]]:
        async with self._db.execute(
            "SELECT action, actor_id FROM audit_log WHERE case_id = ? ORDER BY id", (case_id,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [(str(r[0]), None if r[1] is None else int(r[1])) for r in rows]

    async def actions(self) -> list[tuple[str, int | None, int | None, str]]:
        async with self._db.execute(
            "SELECT action, actor_id, case_id, detail FROM audit_log ORDER BY id"
        ) as cursor:
            rows = await cursor.fetchall()
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

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def put(self, name: str, lang: str, body: str) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO snippets (name, lang, body) VALUES (?, ?, ?)",
            (name, lang, body),
        )
        await self._db.commit()

    async def get(self, name: str, lang: str, fallback_lang: str) -> str | None:
        async with self._db.execute(
            "SELECT body FROM snippets WHERE name = ? AND lang IN (?, ?) "
            "ORDER BY lang = ? DESC LIMIT 1",
            (name, lang, fallback_lang, lang),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def names(self) -> list[str]:
        async with self._db.execute("SELECT DISTINCT name FROM snippets ORDER BY name") as cursor:
            rows = await cursor.fetchall()
        return [str(r[0]) for r in rows]
