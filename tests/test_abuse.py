"""Flood control and oversized input."""

from __future__ import annotations

from bot.app import App
from storage.people import Role
from tests.harness import Conversation, FakeClock, texts


async def test_flooding_gets_one_notice_then_silence_then_recovers(
    app: App, clock: FakeClock
) -> None:
    """Nine messages in ten seconds: one 'slow down', then nothing until the mute ends."""
    spammer = Conversation(app, user="spam")
    answered = [await spammer.send("hello") for _ in range(8)]
    assert all(answered)
    notice = await spammer.send("hello")
    assert "very fast" in texts(notice)
    assert await spammer.send("hello") == []
    clock.advance(seconds=61)
    assert await spammer.send("/help") != []


async def test_staff_are_never_muted(app: App) -> None:
    """A liaison sending many messages quickly is not slowed down."""
    lee = Conversation(app, user="lee")
    await lee.send("/start")
    person = await app.services.repos.people.find("test", "lee")
    assert person is not None
    await app.services.repos.people.set_role(person.id, Role.LIAISON)
    for _ in range(20):
        assert await lee.send("/help") != []


async def test_oversized_text_is_refused_kindly(app: App) -> None:
    """A 10,000-character message gets a clear answer, not a search or a crash."""
    replies = await Conversation(app, user="long").send("a" * 10_000)
    assert "longer than 4000" in texts(replies)
