"""A broadcast's message is stored once; its recipient rows are small.

Through the real Telegram adapter and its protocol fake: an organizer publishes a meeting
to residents reading Arabic, French and Russian, and each gets it in their language while
the database holds one body per language. A resident who erases themselves before the
announcement goes out loses their queued rows and nobody else's. Pages, polls and
retention are checked on the storage directly.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import App
from bot.core.events import Attachment, Outgoing
from bot.core.people import Role
from bot.core.ports import Recipient
from bot.outbox import Queued
from handlers.meetings.broadcast import Notice, broadcast_id
from handlers.meetings.service import Meetings
from handlers.polls.service import Polls
from storage.meetings import PAGE, Meeting, Subscriber
from storage.outbox import OutboxStatus
from storage.polls import Poll
from storage.timestamps import to_db
from tests.fakes.telegram_api import FakeTelegramAPI, person
from tests.support.harness import Conversation, FakeClock
from tests.support.telegram_chat import MONDAY_MORNING, press, say, to

NOW = MONDAY_MORNING
ORGANIZER = person(801, "Olga", "es")
AMAL = person(802, "Amal", "ar")
FLEUR = person(803, "Fleur", "fr")
LENA = person(804, "Lena", "ru")
FELIX = person(805, "Félix", "fr")


async def _publish(app: App, api: FakeTelegramAPI, audience: int) -> None:
    """The organizer's /meeting new, typed in Spanish, up to Publish."""
    await say(api, ORGANIZER, "/start")
    found = await app.repos.people.find("telegram", str(ORGANIZER["id"]))
    assert found is not None
    await app.repos.people.set_role(found.id, Role.ORGANIZER)
    await say(api, ORGANIZER, "/meeting new")
    await say(api, ORGANIZER, "Reunión del barrio")
    await say(api, ORGANIZER, "martes 18:30")
    await press(api, ORGANIZER, "mtg.when_ok")
    await say(api, ORGANIZER, "Biblioteca, calle Mayor 12")
    await press(api, ORGANIZER, "mtg.skip")
    await say(api, ORGANIZER, "Hablamos de seguridad")
    await press(api, ORGANIZER, "mtg.rem|default")
    await press(api, ORGANIZER, "mtg.repeat|none")
    await press(api, ORGANIZER, "mtg.skip")
    assert f" {audience} " in await press(api, ORGANIZER, "mtg.publish")


async def _announce_rows(app: App) -> list[tuple[str, str, int | None]]:
    rows = await app.db.fetch(
        "SELECT chat_id, payload, body_id FROM outbox WHERE broadcast_id LIKE '%:announce' "
        "AND status = 'pending' ORDER BY id"
    )
    return [
        (str(chat), str(payload), None if body is None else int(body))
        for chat, payload, body in rows
    ]


async def test_announcement_body_is_stored_once_per_language(
    telegram_bot: tuple[App, FakeTelegramAPI], clock: FakeClock
) -> None:
    """Four residents in three languages: three bodies, four small rows, four deliveries in
    the right language (Arabic marked right to left), each with its calendar file."""
    app, api = telegram_bot
    for resident in (AMAL, FLEUR, FELIX, LENA):
        await say(api, resident, "/subscribe")
    await _publish(app, api, 4)

    rows = await _announce_rows(app)
    assert len(rows) == 4
    assert all(payload == "" and body is not None for _, payload, body in rows)
    assert len({body for _, _, body in rows}) == 3  # ar, fr, ru
    french = {body for chat, _, body in rows if chat in (str(FLEUR["id"]), str(FELIX["id"]))}
    assert len(french) == 1

    await app.delivery.drain()
    arabic = to(api, AMAL)[-1]
    assert "الثلاثاء، 8 ديسمبر 2026" in arabic and "\u200f" in arabic
    assert "mardi 8 décembre 2026, 18:30" in to(api, FLEUR)[-1]
    assert "mardi 8 décembre 2026, 18:30" in to(api, FELIX)[-1]
    assert "вторник, 8 декабря 2026" in to(api, LENA)[-1]
    ics_to = [call.get("chat_id") or "" for call in api.sent("sendDocument")]
    assert sorted(ics_to) == sorted(str(p["id"]) for p in (AMAL, FLEUR, FELIX, LENA))


async def test_forget_removes_only_that_persons_queued_rows(
    telegram_bot: tuple[App, FakeTelegramAPI], clock: FakeClock
) -> None:
    """/forget before delivery: Fleur's announcement row goes, the shared French body stays
    for Félix, and everyone else is still told."""
    app, api = telegram_bot
    for resident in (AMAL, FLEUR, FELIX):
        await say(api, resident, "/subscribe")
    await _publish(app, api, 3)
    fleur = await app.repos.people.find("telegram", str(FLEUR["id"]))
    assert fleur is not None

    await say(api, FLEUR, "/forget")
    await press(api, FLEUR, "forget.yes")
    assert await app.db.fetchval("SELECT COUNT(*) FROM outbox WHERE subject = ?", (fleur.id,)) == 0
    chats = {chat for chat, _, _ in await _announce_rows(app)}
    assert chats == {str(AMAL["id"]), str(FELIX["id"])}

    await app.delivery.drain()
    assert "mardi 8 décembre 2026, 18:30" in to(api, FELIX)[-1]
    assert "8 ديسمبر 2026" in to(api, AMAL)[-1]
    assert not any("Reunión del barrio" in text for text in to(api, FLEUR))


async def _subscribers(app: App, count: int, locales: tuple[str, ...]) -> None:
    """`count` subscribed console people, written directly (the feature is not under test)."""
    stamp = to_db(app.services.clock())
    first = int(await app.db.fetchval("SELECT COALESCE(MAX(id), 0) FROM people")) + 1
    async with app.db.transaction():
        await app.db.executemany(
            "INSERT INTO people (id, platform, platform_user_id, locale, created_at, "
            "last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (first + i, "console", f"p{i}", locales[i % len(locales)], stamp, stamp)
                for i in range(count)
            ],
        )
        await app.db.executemany(
            "INSERT INTO subscribers (person_id, subscribed_at) VALUES (?, ?)",
            [(first + i, stamp) for i in range(count)],
        )


async def _meeting(app: App) -> Meeting:
    now = app.services.clock()
    return await app.repos.meetings.create(
        Meeting(0, "Safety", "", "Library", "", now + timedelta(days=3), "UTC", (), (60,)),
        None,
        now,
    )


async def test_a_large_audience_is_queued_in_pages(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More people than one page: read a page at a time (never the whole audience at
    once), every one queued and recorded as told, each language's body stored once."""
    count = 2 * PAGE + 7
    await _subscribers(app, count, ("en", "ar", "zh_Hans"))
    meeting = await _meeting(app)
    repo = app.repos.subscriptions
    read = repo.audience
    sizes: list[int] = []

    async def paged(tags: tuple[str, ...], after: int = 0, limit: int = PAGE) -> list[Subscriber]:
        page = await read(tags, after, limit)
        sizes.append(len(page))
        return page

    monkeypatch.setattr(repo, "audience", paged)
    queued = await app.services.feature(Meetings).announce(meeting)
    assert sizes == [PAGE, PAGE, 7]
    assert queued == count
    told = await app.db.fetchval(
        "SELECT COUNT(*) FROM meeting_recipients WHERE meeting_id = ?", (meeting.id,)
    )
    assert told == count
    bodies = await app.db.fetchval(
        "SELECT COUNT(DISTINCT body_id) FROM outbox WHERE broadcast_id LIKE '%:announce'"
    )
    assert bodies == 3
    assert await app.db.fetchval("SELECT COUNT(*) FROM outbox WHERE payload <> ''") == 0


async def test_a_change_withdraws_pending_rows_and_tells_everyone_told(app: App) -> None:
    """Editing a meeting withdraws its queued announcement rows and queues a change notice
    for every recipient, page after page."""
    count = PAGE + 3
    await _subscribers(app, count, ("fr", "ar", "vi"))
    meeting = await _meeting(app)
    await app.services.feature(Meetings).announce(meeting)
    changed = await app.repos.meetings.update(replace(meeting, place="Town hall"))
    assert await app.services.feature(Meetings).notify_change(changed) == count
    counts = await app.repos.outbox.counts_by_status(broadcast_id(meeting, Notice.ANNOUNCE))
    assert counts[OutboxStatus.SKIPPED] == count and counts[OutboxStatus.PENDING] == 0


async def test_poll_goes_out_in_pages_skipping_people_in_a_case(app: App) -> None:
    """A poll to more than a page of people: one row each, except whoever has an open case;
    each language's poll is stored once."""
    await _subscribers(app, PAGE + 5, ("so", "ar", "ht"))
    resident = Conversation(app, user="p3", platform="console", language_hint="so")
    await resident.send("/human")
    await resident.send("Waxaa la i joojiyay")  # opens a case
    in_case = await app.repos.people.find("console", "p3")
    assert in_case is not None
    assert await app.repos.cases.open_for_person(in_case.id) is not None

    now = app.services.clock()
    poll = await app.repos.polls.create(Poll(0, "T1", now, now + timedelta(days=7)), None)
    sent = await app.services.feature(Polls).send(poll, to_channels=False)
    assert sent == PAGE + 4
    rows = await app.db.fetch(
        "SELECT chat_id, body_id FROM outbox WHERE broadcast_id = ?", (f"poll:{poll.id}",)
    )
    assert "p3" not in {str(chat) for chat, _ in rows}
    assert len({body for _, body in rows}) == 3


async def test_retention_removes_bodies_nothing_points_at(app: App, clock: FakeClock) -> None:
    """Old bodies without rows go; a body still used, and the newest, stay."""
    outbox = app.services.outbox
    message = Outgoing(
        "Old news", attachment=Attachment("a.ics", b"BEGIN:VCALENDAR", "text/calendar")
    )

    def one(key: str, text: str) -> list[Queued]:
        return [Queued(Recipient("console", key), Outgoing(text), key, clock.now)]

    await outbox.enqueue_many([Queued(Recipient("console", "a"), message, "a", clock.now)])
    await outbox.enqueue_many(one("b", "Still queued"))
    await outbox.enqueue_many(one("c", "Newest"))
    await app.db.execute("UPDATE outbox SET status = 'sent' WHERE dedupe_key IN ('a', 'c')")
    clock.now += timedelta(days=30)
    await app.repos.privacy.apply_retention(
        clock.now, clock.now, clock.now - timedelta(days=7), clock.now
    )
    left = {str(row[0]) for row in await app.db.fetch("SELECT payload FROM outbox_bodies")}
    assert len(left) == 2
    assert any("Still queued" in body for body in left) and any("Newest" in body for body in left)
