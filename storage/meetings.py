"""Meetings, subscribers and RSVPs."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from storage.timestamps import from_db, to_db


class MeetingStatus(enum.Enum):
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Rsvp(enum.Enum):
    GOING = "going"
    MAYBE = "maybe"
    NO = "no"


@dataclass(frozen=True, slots=True)
class Meeting:
    id: int
    title: str
    description: str
    place: str
    link: str
    starts_at: datetime
    timezone: str
    audience_tags: tuple[str, ...]
    reminder_minutes: tuple[int, ...]
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    status: MeetingStatus = MeetingStatus.PUBLISHED
    version: int = 1

    def text_in(self, lang: str) -> tuple[str, str]:
        """Title and description in `lang` where the organizer wrote one, else the original."""
        own = self.translations.get(lang, {})
        return own.get("title") or self.title, own.get("description") or self.description


_COLUMNS = (
    "id, title, description, place, link, starts_at, timezone, audience_tags, reminder_minutes, "
    "translations, status, version"
)


def _meeting(row: aiosqlite.Row | tuple[object, ...]) -> Meeting:
    return Meeting(
        id=int(str(row[0])),
        title=str(row[1]),
        description=str(row[2]),
        place=str(row[3]),
        link=str(row[4]),
        starts_at=from_db(str(row[5])),
        timezone=str(row[6]),
        audience_tags=tuple(t for t in str(row[7]).split(",") if t),
        reminder_minutes=tuple(int(m) for m in str(row[8]).split(",") if m),
        translations=dict(json.loads(str(row[9]))),
        status=MeetingStatus(str(row[10])),
        version=int(str(row[11])),
    )


@dataclass(frozen=True, slots=True)
class Subscriber:
    person_id: int
    platform: str
    platform_user_id: str
    locale: str | None
    timezone: str | None


class MeetingRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def create(self, meeting: Meeting, created_by: int | None, now: datetime) -> Meeting:
        cursor = await self._db.execute(
            "INSERT INTO meetings (title, description, place, link, starts_at, timezone, "
            "audience_tags, reminder_minutes, translations, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meeting.title,
                meeting.description,
                meeting.place,
                meeting.link,
                to_db(meeting.starts_at),
                meeting.timezone,
                ",".join(meeting.audience_tags),
                ",".join(str(m) for m in meeting.reminder_minutes),
                json.dumps(meeting.translations, ensure_ascii=False),
                created_by,
                to_db(now),
            ),
        )
        await self._db.commit()
        created = await self.get(int(cursor.lastrowid or 0))
        assert created is not None
        return created

    async def get(self, meeting_id: int) -> Meeting | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM meetings WHERE id = ?", (meeting_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _meeting(row)

    async def upcoming(self, now: datetime, limit: int = 20) -> list[Meeting]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM meetings WHERE status = 'published' AND starts_at > ? "
            "ORDER BY starts_at LIMIT ?",
            (to_db(now), limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_meeting(row) for row in rows]

    async def update(self, meeting: Meeting) -> Meeting:
        """Save changed fields; the version goes up so calendars and reminders follow."""
        await self._db.execute(
            "UPDATE meetings SET title = ?, description = ?, place = ?, link = ?, starts_at = ?, "
            "status = ?, version = version + 1 WHERE id = ?",
            (
                meeting.title,
                meeting.description,
                meeting.place,
                meeting.link,
                to_db(meeting.starts_at),
                meeting.status.value,
                meeting.id,
            ),
        )
        await self._db.commit()
        updated = await self.get(meeting.id)
        assert updated is not None
        return updated

    async def add_recipients(self, meeting_id: int, person_ids: list[int]) -> None:
        await self._db.executemany(
            "INSERT INTO meeting_recipients (meeting_id, person_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(meeting_id, pid) for pid in person_ids],
        )
        await self._db.commit()

    async def recipients(self, meeting_id: int) -> list[Subscriber]:
        async with self._db.execute(
            "SELECT p.id, p.platform, p.platform_user_id, p.locale, p.timezone "
            "FROM meeting_recipients r JOIN people p ON p.id = r.person_id "
            "WHERE r.meeting_id = ? AND p.unreachable = 0 ORDER BY p.id",
            (meeting_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_subscriber(row) for row in rows]

    async def was_told(self, meeting_id: int, person_id: int) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM meeting_recipients WHERE meeting_id = ? AND person_id = ?",
            (meeting_id, person_id),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def answered(self, meeting_id: int, answer: Rsvp) -> list[Subscriber]:
        """Reachable people who gave this answer (reminders follow "Going", stop at "no")."""
        async with self._db.execute(
            "SELECT p.id, p.platform, p.platform_user_id, p.locale, p.timezone "
            "FROM rsvps r JOIN people p ON p.id = r.person_id "
            "WHERE r.meeting_id = ? AND r.answer = ? AND p.unreachable = 0 AND p.blocked = 0 "
            "ORDER BY p.id",
            (meeting_id, answer.value),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_subscriber(row) for row in rows]

    async def set_rsvp(self, meeting_id: int, person_id: int, answer: Rsvp) -> None:
        await self._db.execute(
            "INSERT INTO rsvps (meeting_id, person_id, answer) VALUES (?, ?, ?) "
            "ON CONFLICT (meeting_id, person_id) DO UPDATE SET answer = excluded.answer",
            (meeting_id, person_id, answer.value),
        )
        await self._db.commit()

    async def rsvp_counts(self, meeting_id: int) -> dict[Rsvp, int]:
        async with self._db.execute(
            "SELECT answer, COUNT(*) FROM rsvps WHERE meeting_id = ? GROUP BY answer",
            (meeting_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        counts = {answer: 0 for answer in Rsvp}
        for answer, count in rows:
            counts[Rsvp(str(answer))] = int(count)
        return counts


def _subscriber(row: aiosqlite.Row | tuple[object, ...]) -> Subscriber:
    return Subscriber(
        person_id=int(str(row[0])),
        platform=str(row[1]),
        platform_user_id=str(row[2]),
        locale=None if row[3] is None else str(row[3]),
        timezone=None if row[4] is None else str(row[4]),
    )


class SubscriptionRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def subscribe(self, person_id: int, tags: tuple[str, ...], now: datetime) -> None:
        """Subscribe with exactly these neighbourhood tags (none = everything)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO subscribers (person_id, subscribed_at) VALUES (?, ?)",
            (person_id, to_db(now)),
        )
        await self._db.execute("DELETE FROM subscriber_tags WHERE person_id = ?", (person_id,))
        await self._db.executemany(
            "INSERT INTO subscriber_tags (person_id, tag) VALUES (?, ?)",
            [(person_id, tag) for tag in tags],
        )
        await self._db.commit()

    async def unsubscribe(self, person_id: int) -> bool:
        cursor = await self._db.execute("DELETE FROM subscribers WHERE person_id = ?", (person_id,))
        await self._db.commit()
        return cursor.rowcount == 1

    async def tags_of(self, person_id: int) -> tuple[str, ...] | None:
        """None when not subscribed; () when subscribed to everything."""
        async with self._db.execute(
            "SELECT 1 FROM subscribers WHERE person_id = ?", (person_id,)
        ) as cursor:
            if await cursor.fetchone() is None:
                return None
        async with self._db.execute(
            "SELECT tag FROM subscriber_tags WHERE person_id = ? ORDER BY tag", (person_id,)
        ) as cursor:
            return tuple(str(row[0]) for row in await cursor.fetchall())

    async def subscriber(self, person_id: int) -> Subscriber | None:
        """This person as a reachable subscriber, or None."""
        async with self._db.execute(
            "SELECT p.id, p.platform, p.platform_user_id, p.locale, p.timezone FROM subscribers s "
            "JOIN people p ON p.id = s.person_id "
            "WHERE p.id = ? AND p.unreachable = 0 AND p.blocked = 0",
            (person_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _subscriber(row)

    async def audience(self, tags: tuple[str, ...]) -> list[Subscriber]:
        """Reachable subscribers for a meeting: everyone for no tags, else matching tags
        (people subscribed to everything hear about every neighbourhood)."""
        sql = (
            "SELECT p.id, p.platform, p.platform_user_id, p.locale, p.timezone FROM subscribers s "
            "JOIN people p ON p.id = s.person_id WHERE p.unreachable = 0 AND p.blocked = 0"
        )
        params: list[str] = []
        if tags:
            marks = ", ".join("?" for _ in tags)
            sql += (
                " AND (NOT EXISTS (SELECT 1 FROM subscriber_tags t WHERE t.person_id = p.id)"
                f" OR EXISTS (SELECT 1 FROM subscriber_tags t WHERE t.person_id = p.id"
                f" AND t.tag IN ({marks})))"
            )
            params.extend(tags)
        async with self._db.execute(sql + " ORDER BY p.id", params) as cursor:
            rows = await cursor.fetchall()
        return [_subscriber(row) for row in rows]
