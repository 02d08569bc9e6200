"""SQL only with parameters: injection-looking text is stored and shown verbatim."""

from __future__ import annotations

from bot.app import App
from bot.core.people import Role
from tests.support.harness import Conversation, RecordingSender, texts

NASTY = "'); DROP TABLE people; -- \" OR 1=1 /* %s %(x)s {0} ${x} <script>"


async def test_injection_text_through_every_free_text_input(app: App) -> None:
    """Search, forms, escalation, staff commands: the text survives, the tables too."""
    app.delivery.register(RecordingSender("console"), None)
    resident = Conversation(app, user=NASTY, platform="console")
    liaison = Conversation(app, user="lee", platform="console")
    await liaison.send("/start")
    lee = await app.repos.people.find("console", "lee")
    assert lee is not None
    await app.repos.people.set_role(lee.id, Role.LIAISON)

    await resident.send(NASTY)  # knowledge search
    await resident.press_payload("cn.start")
    await resident.send(NASTY)  # complaint navigator
    await resident.send("/cancel")
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    await resident.send(NASTY)  # case message
    await liaison.send("/reply 1 " + NASTY)
    await liaison.send("/snippet 1 " + NASTY)
    await liaison.send("/assign 1 " + NASTY)
    await liaison.send("/grant " + NASTY)
    assert "#1" in texts(await resident.send("/mydata"))

    people = await app.repos.people.find("console", NASTY)
    assert people is not None  # the user id itself was stored as given
    bodies = [m.body for m in await app.repos.cases.messages(1)]
    assert bodies.count(NASTY) == 2
    for table in ("people", "cases", "case_messages", "outbox"):  # all still there
        assert await app.db.fetchval(f"SELECT count(*) FROM {table}") > 0
