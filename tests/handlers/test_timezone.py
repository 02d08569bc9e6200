"""/timezone: a person sets their own zone, and meeting times follow it."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.support.app import languages
from tests.support.harness import Conversation, FakeClock, texts
from tests.support.meetings import BEFORE_DST_END, create_meeting, inbox, meeting_people

CURRENT = "Your time zone is {zone}. To change it, write for example /timezone America/Chicago."
DONE = "Done: times will be shown in {zone}."


@pytest.mark.parametrize("lang", ["es", "ar", "zh_Hans"])
async def test_timezone_is_explained_refused_and_set_in_the_persons_language(
    app: App, lang: str
) -> None:
    """No argument or a made-up zone: the current zone and an example; a real zone: done."""
    said = languages().translator(lang)
    person = Conversation(app, user=f"tz-{lang}", platform="console", language_hint=lang)
    default = app.services.config.bot.timezone
    assert texts(await person.send("/timezone")) == said._(CURRENT).format(zone=default)
    for wrong in ("Mars/Olympus_Mons", "../etc/passwd", "x" * 80):
        assert texts(await person.send(f"/timezone {wrong}")) == said._(CURRENT).format(
            zone=default
        )
    assert texts(await person.send("/timezone Asia/Tokyo")) == said._(DONE).format(
        zone="Asia/Tokyo"
    )
    assert texts(await person.send("/timezone")) == said._(CURRENT).format(zone="Asia/Tokyo")


async def test_a_meeting_announcement_follows_the_zone_a_subscriber_chose(
    app: App, clock: FakeClock
) -> None:
    """6:30 pm in New York on 5 November is 08:30 on the 6th in Tokyo; published at 1 am
    Tokyo time, the announcement waits for the morning there (quiet hours)."""
    clock.now = BEFORE_DST_END
    organizer, sender = await meeting_people(app)
    tokyo = Conversation(app, user="kenji", platform="console", language_hint="zh")
    await tokyo.send("/subscribe")
    await tokyo.send("/timezone Asia/Tokyo")
    await create_meeting(organizer)
    await app.delivery.drain()
    assert inbox(sender, "sofia") and inbox(sender, "kenji") == []
    clock.advance(hours=8)  # 09:00 in Tokyo
    await app.delivery.drain()
    (announcement,) = inbox(sender, "kenji")
    assert "8:30" in announcement.text and "11月6日" in announcement.text
    assert "6:30" not in announcement.text
