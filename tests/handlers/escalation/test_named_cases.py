"""A resident who chooses to show their name: the liaisons see it, and only then."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.people import Role
from tests.support.harness import Conversation, RecordingSender, staff_member, texts

SECRET_NAME = "Yasmin Qabbani"


async def _liaisons(app: App) -> tuple[RecordingSender, list[str]]:
    """Two liaisons in the terminal; the outbox deliveries to them are recorded."""
    first, sender = await staff_member(app, "lee", Role.LIAISON)
    second = Conversation(app, user="mo", platform="console")
    await second.send("/start")
    found = await app.repos.people.find("console", "mo")
    assert found is not None
    await app.repos.people.set_role(found.id, Role.LIAISON)
    return sender, [first.user, "mo"]


@pytest.mark.parametrize("lang", ["ar", "es", "vi"])
async def test_show_my_name_puts_the_name_on_every_liaisons_card(app: App, lang: str) -> None:
    sender, liaisons = await _liaisons(app)
    resident = Conversation(app, user=f"named-{lang}", platform="console", language_hint=lang)
    resident.display_name = SECRET_NAME
    await resident.send("/human")
    prompt = await resident.press_payload("esc.named")
    offered = [b.action for message in prompt for row in message.buttons for b in row]
    assert prompt and "esc.named" not in offered, "the choice is made, not offered again"
    ack = texts(await resident.send("My neighbour's son was taken in a van"))
    assert "#1" in ack
    await app.delivery.drain()
    for liaison in liaisons:
        cards = [m.text for r, m in sender.delivered if r.chat_id == liaison and "#1" in m.text]
        assert cards, f"{liaison} got the case"
        assert SECRET_NAME in cards[0]
    if lang == "ar":
        assert all(m.rtl for m in await resident.send("/mydata"))


async def test_anonymous_case_beside_a_named_one_shows_no_name(app: App) -> None:
    sender, _ = await _liaisons(app)
    named = Conversation(app, user="named", platform="console", language_hint="es")
    named.display_name = SECRET_NAME
    hidden = Conversation(app, user="hidden", platform="console", language_hint="ar")
    hidden.display_name = "Hidden Person"
    await named.send("/human")
    await named.press_payload("esc.named")
    await named.send("Necesito hablar con alguien")
    await hidden.send("/human")
    await hidden.press_payload("esc.anon")
    await hidden.send("أحتاج إلى التحدث مع شخص")
    await app.delivery.drain()
    delivered = "\n".join(m.text for _, m in sender.delivered)
    assert SECRET_NAME in delivered
    assert "Hidden Person" not in delivered and "hidden" not in delivered
