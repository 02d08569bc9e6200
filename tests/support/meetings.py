"""Meeting helpers shared by the meeting tests: the people, and a meeting made the plain way."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import App
from bot.core.events import Outgoing
from bot.core.people import Role
from tests.support.harness import Conversation, RecordingSender, staff_member, texts

# 2026-10-25 is still summer time in New York; clocks go back on 2026-11-01.
BEFORE_DST_END = datetime(2026, 10, 25, 16, 0, tzinfo=UTC)  # 12:00 EDT


async def meeting_people(app: App) -> tuple[Conversation, RecordingSender]:
    """An organizer; two subscribers (es in New York, ar in Paris); one bystander."""
    organizer, sender = await staff_member(app, "olga", Role.ORGANIZER)
    for user, hint, zone in (("sofia", "es", "America/New_York"), ("amal", "ar", "Europe/Paris")):
        resident = Conversation(app, user=user, platform="console", language_hint=hint)
        await resident.send("/subscribe")
        found = await app.repos.people.find("console", user)
        assert found is not None
        await app.repos.people.set_timezone(found.id, zone)
    await Conversation(app, user="nobody", platform="console").send("/start")
    return organizer, sender


async def create_meeting(organizer: Conversation, when: str = "11/5 6:30pm") -> None:
    """/meeting new, every step answered the plain way, published."""
    await organizer.send("/meeting new")
    await organizer.send("Neighborhood safety meeting")
    assert "Is that right?" in texts(await organizer.send(when))
    await organizer.press_payload("mtg.when_ok")
    await organizer.send("Library, 12 Main St")
    await organizer.press_payload("mtg.skip")  # no link
    await organizer.send("Talk with the precinct about traffic stops")
    await organizer.press_payload("mtg.rem|default")
    await organizer.press_payload("mtg.repeat|none")
    preview = await organizer.press_payload("mtg.skip")  # no other languages
    assert "Preview" in texts(preview)
    published = texts(await organizer.press_payload("mtg.publish"))
    assert "Published" in published


def inbox(sender: RecordingSender, user: str) -> list[Outgoing]:
    """What one terminal user was delivered through the outbox."""
    return [m for r, m in sender.delivered if r.chat_id == user]
