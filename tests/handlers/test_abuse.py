"""Flood control and oversized input."""

from __future__ import annotations

from bot.app import App
from bot.core.people import Role
from handlers.abuse import FloodGuard
from tests.support.harness import Conversation, FakeClock, texts


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
    person = await app.repos.people.find("test", "lee")
    assert person is not None
    await app.repos.people.set_role(person.id, Role.LIAISON)
    for _ in range(20):
        assert await lee.send("/help") != []


async def test_oversized_text_is_refused_kindly(app: App) -> None:
    """A 10,000-character message gets a clear answer, not a search or a crash."""
    replies = await Conversation(app, user="long").send("a" * 10_000)
    assert "longer than 4000" in texts(replies)


async def test_flood_guard_forgets_people_who_went_quiet(app: App, clock: FakeClock) -> None:
    """Memory follows the people active in the last window, not everyone who ever wrote."""
    guard = next(g for g in app.dispatcher.guards if isinstance(g, FloodGuard))
    for number in range(200):
        await Conversation(app, user=f"writer{number}").send("/help")
    assert len(guard) == 200
    spammer = Conversation(app, user="spam")
    for _ in range(9):
        await spammer.send("/help")
    clock.advance(seconds=11)
    await Conversation(app, user="late").send("/help")
    assert len(guard) == 2  # the late writer, and the spammer's mute still running
    clock.advance(seconds=61)
    await Conversation(app, user="later").send("/help")
    assert len(guard) == 1
