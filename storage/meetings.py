"""Meetings, subscribers and RSVPs."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime

from storage.database import Database
from storage.rows import Table
from storage.timestamps import to_db

# People read per query when a whole audience is walked (announcements, polls, reminders):
# small enough that converting a page never holds the event loop for long.
PAGE = 250


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
    # Occurrences of a recurring meeting: the series, and the start its rule gave this one.
    series_id: int | None = None
    series_start: datetime | None = None

    def text_in(self, lang: str) -> tuple[str, str]:
        """Title and description in `lang` where the organizer wrote one, else the original."""
        own = self.translations.get(lang, {})
        return own.get("title") or self.title, own.get("description") or self.description


@dataclass(frozen=True, slots=True)
class Series:
    """A recurring meeting's rule, read in `timezone` from `first_start`'s wall clock."""

    id: int
    rule: str
    first_start: datetime
    timezone: str


@dataclass(frozen=True, slots=True)
class Subscriber:
    person_id: int
    platform: str
    platform_user_id: str
    locale: str | None
    timezone: str | None


MEETINGS = Table(Meeting)
SERIES = Table(Series)
# Subscribers are people rows seen through `subscribers` (aliases: p = people).
SUBSCRIBERS = Table(
    Subscriber,
    person_id="p.id",
    platform="p.platform",
    platform_user_id="p.platform_user_id",
    locale="p.locale",
    timezone="p.timezone",
)


class MeetingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, meeting: Meeting, created_by: int | None, now: datetime) -> Meeting:
        rows = await self._db.fetch(
            "INSERT INTO meetings (title, description, place, link, starts_at, timezone, "
            "audience_tags, reminder_minutes, translations, created_by, created_at, "
            "series_id, series_start) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {MEETINGS.columns}",
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
                meeting.series_id,
                None if meeting.series_start is None else to_db(meeting.series_start),
            ),
        )
        return MEETINGS.load(rows[0])

    async def create_series(self, rule: str, first: datetime, timezone: str, now: datetime) -> int:
        rows = await self._db.fetch(
            "INSERT INTO meeting_series (rule, first_start, timezone, created_at) "
            "VALUES (?, ?, ?, ?) RETURNING id",
            (rule, to_db(first), timezone, to_db(now)),
        )
        return int(rows[0][0])

    async def series(self, series_id: int) -> Series | None:
        rows = await self._db.fetch(
            f"SELECT {SERIES.columns} FROM meeting_series WHERE id = ?", (series_id,)
        )
        return SERIES.load_first(rows)

    async def occurrences(self, series_id: int) -> list[Meeting]:
        """Every meeting of the series, cancelled ones included, in the rule's order."""
        rows = await self._db.fetch(
            f"SELECT {MEETINGS.columns} FROM meetings WHERE series_id = ? ORDER BY series_start",
            (series_id,),
        )
        return MEETINGS.load_all(rows)

    async def platform_events(self, meeting_id: int, platform: str) -> tuple[str, ...]:
        rows = await self._db.fetch(
            "SELECT event_ref FROM meeting_platform_events WHERE meeting_id = ? AND platform = ? "
            "ORDER BY event_ref",
            (meeting_id, platform),
        )
        return tuple(str(row[0]) for row in rows)

    async def set_platform_events(
        self, meeting_id: int, platform: str, refs: tuple[str, ...]
    ) -> None:
        await self._db.execute(
            "DELETE FROM meeting_platform_events WHERE meeting_id = ? AND platform = ?",
            (meeting_id, platform),
        )
        await self._db.executemany(
            "INSERT INTO meeting_platform_events (meeting_id, platform, event_ref) "
            "VALUES (?, ?, ?)",
            [(meeting_id, platform, ref) for ref in refs],
        )

    async def get(self, meeting_id: int) -> Meeting | None:
        rows = await self._db.fetch(
            f"SELECT {MEETINGS.columns} FROM meetings WHERE id = ?", (meeting_id,)
        )
        return MEETINGS.load_first(rows)

    async def upcoming(self, now: datetime, limit: int = 20) -> list[Meeting]:
        rows = await self._db.fetch(
            f"SELECT {MEETINGS.columns} FROM meetings WHERE status = 'published' AND starts_at > ? "
            "ORDER BY starts_at LIMIT ?",
            (to_db(now), limit),
        )
        return MEETINGS.load_all(rows)

    async def upcoming_next(self, now: datetime, limit: int = 20) -> list[Meeting]:
        """Upcoming meetings, a series only by its next occurrence (so a weekly series
        does not crowd out everything else)."""
        rows = await self._db.fetch(
            f"SELECT {MEETINGS.columns} FROM meetings m WHERE status = 'published' "
            "AND starts_at > ? AND (series_id IS NULL OR starts_at = (SELECT MIN(o.starts_at) "
            "FROM meetings o WHERE o.series_id = m.series_id AND o.status = 'published' "
            "AND o.starts_at > ?)) ORDER BY starts_at LIMIT ?",
            (to_db(now), to_db(now), limit),
        )
        return MEETINGS.load_all(rows)

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
        updated = await self.get(meeting.id)
        assert updated is not None
        return updated

    async def add_recipients(self, meeting_id: int, person_ids: list[int]) -> None:
        await self._db.executemany(
            "INSERT INTO meeting_recipients (meeting_id, person_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(meeting_id, pid) for pid in person_ids],
        )

    async def recipients(
        self, meeting_id: int, after: int = 0, limit: int = PAGE
    ) -> list[Subscriber]:
        """Reachable people who were told about the meeting: one page in person order,
        after the person id `after`."""
        rows = await self._db.fetch(
            f"SELECT {SUBSCRIBERS.columns} "
            "FROM meeting_recipients r JOIN people p ON p.id = r.person_id "
            "WHERE r.meeting_id = ? AND r.person_id > ? AND p.unreachable = 0 "
            "ORDER BY r.person_id LIMIT ?",
            (meeting_id, after, limit),
        )
        return SUBSCRIBERS.load_all(rows)

    async def was_told(self, meeting_id: int, person_id: int) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM meeting_recipients WHERE meeting_id = ? AND person_id = ?",
            (meeting_id, person_id),
        )
        return row is not None

    async def answered(self, meeting_id: int, answer: Rsvp) -> list[Subscriber]:
        """Reachable people who gave this answer (reminders follow "Going", stop at "no")."""
        rows = await self._db.fetch(
            f"SELECT {SUBSCRIBERS.columns} "
            "FROM rsvps r JOIN people p ON p.id = r.person_id "
            "WHERE r.meeting_id = ? AND r.answer = ? AND p.unreachable = 0 AND p.blocked = 0 "
            "ORDER BY p.id",
            (meeting_id, answer.value),
        )
        return SUBSCRIBERS.load_all(rows)

    async def set_rsvp(self, meeting_id: int, person_id: int, answer: Rsvp) -> None:
        await self._db.execute(
            "INSERT INTO rsvps (meeting_id, person_id, answer) VALUES (?, ?, ?) "
            "ON CONFLICT (meeting_id, person_id) DO UPDATE SET answer = excluded.answer",
            (meeting_id, person_id, answer.value),
        )

    async def rsvp_counts(self, meeting_id: int) -> dict[Rsvp, int]:
        rows = await self._db.fetch(
            "SELECT answer, COUNT(*) FROM rsvps WHERE meeting_id = ? GROUP BY answer",
            (meeting_id,),
        )
        counts = {answer: 0 for answer in Rsvp}
        for answer, count in rows:
            counts[Rsvp(str(answer))] = int(count)
        return counts


class SubscriptionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def subscribe(self, person_id: int, tags: tuple[str, ...], now: datetime) -> None:
        """Subscribe with exactly these neighbourhood tags (none = everything)."""
        await self._db.execute(
            "INSERT INTO subscribers (person_id, subscribed_at) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            (person_id, to_db(now)),
        )
        await self._db.execute("DELETE FROM subscriber_tags WHERE person_id = ?", (person_id,))
        await self._db.executemany(
            "INSERT INTO subscriber_tags (person_id, tag) VALUES (?, ?)",
            [(person_id, tag) for tag in tags],
        )

    async def unsubscribe(self, person_id: int) -> bool:
        return (
            await self._db.execute("DELETE FROM subscribers WHERE person_id = ?", (person_id,)) == 1
        )

    async def tags_of(self, person_id: int) -> tuple[str, ...] | None:
        """None when not subscribed; () when subscribed to everything."""
        if (
            await self._db.fetchone("SELECT 1 FROM subscribers WHERE person_id = ?", (person_id,))
            is None
        ):
            return None
        rows = await self._db.fetch(
            "SELECT tag FROM subscriber_tags WHERE person_id = ? ORDER BY tag", (person_id,)
        )
        return tuple(str(row[0]) for row in rows)

    async def subscriber(self, person_id: int) -> Subscriber | None:
        """This person as a reachable subscriber, or None."""
        row = await self._db.fetchone(
            f"SELECT {SUBSCRIBERS.columns} FROM subscribers s "
            "JOIN people p ON p.id = s.person_id "
            "WHERE p.id = ? AND p.unreachable = 0 AND p.blocked = 0",
            (person_id,),
        )
        return None if row is None else SUBSCRIBERS.load(row)

    async def audience(
        self, tags: tuple[str, ...], after: int = 0, limit: int = PAGE
    ) -> list[Subscriber]:
        """Reachable subscribers for a meeting: everyone for no tags, else matching tags
        (people subscribed to everything hear about every neighbourhood). One page in
        person order, after the person id `after`: a city-wide audience is read a page
        at a time, never all at once."""
        sql = (
            f"SELECT {SUBSCRIBERS.columns} FROM subscribers s "
            "JOIN people p ON p.id = s.person_id "
            "WHERE s.person_id > ? AND p.unreachable = 0 AND p.blocked = 0"
        )
        params: list[object] = [after]
        if tags:
            marks = ", ".join("?" for _ in tags)
            sql += (
                " AND (NOT EXISTS (SELECT 1 FROM subscriber_tags t WHERE t.person_id = p.id)"
                f" OR EXISTS (SELECT 1 FROM subscriber_tags t WHERE t.person_id = p.id"
                f" AND t.tag IN ({marks})))"
            )
            params.extend(tags)
        params.append(limit)
        return SUBSCRIBERS.load_all(
            await self._db.fetch(sql + " ORDER BY s.person_id LIMIT ?", params)
        )
