"""A poll draft dropped before sending reaches nobody, in the organizer's language."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.people import Role
from tests.support.app import languages
from tests.support.harness import Conversation, staff_member, texts


@pytest.mark.parametrize("lang", ["fr", "ar", "ru"])
async def test_a_discarded_poll_is_sent_to_nobody(app: App, lang: str) -> None:
    said = languages().translator(lang)
    organizer, sender = await staff_member(app, f"org-{lang}", Role.ORGANIZER)
    await organizer.send("/language")
    await organizer.press_payload(f"lang|{lang}")
    for user, hint in (("sam", "en"), ("amal", "ar"), ("li", "zh")):
        await Conversation(app, user=user, platform="console", language_hint=hint).send(
            "/subscribe"
        )
    await organizer.send("/poll new")
    await organizer.press_payload("poll.t|T1")
    await organizer.press_payload("poll.w|1w")
    await organizer.press_payload("poll.aud|*")
    dropped = await organizer.press(said._("Cancel"))
    assert texts(dropped) == said._("Cancelled. Nothing was sent.")
    again = texts(await organizer.press_payload("poll.send"))
    assert again == said._("This form is no longer open. Send /poll new to start again.")
    await app.delivery.drain()
    assert [r.chat_id for r, _ in sender.delivered] == []
    assert await app.repos.polls.latest(1) == []
