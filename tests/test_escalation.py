"""Escalation end to end through the real dispatcher, storage and outbox."""

from __future__ import annotations

from bot.app import App
from bot.core.events import Attachment, Outgoing
from handlers.escalation.service import check_sla
from storage.people import Role
from tests.conftest import AppFactory
from tests.harness import Conversation, FakeClock, RecordingSender, texts

RESIDENT_ID = "rosa-5551234"
RESIDENT_NAME = "Rosa Secretname"


class Terminal(Conversation):
    """A terminal user (platform 'console') whose outbox deliveries are recorded too."""

    def __init__(self, app: App, user: str, sender: RecordingSender, **kw: object) -> None:
        super().__init__(app, user=user, platform="console", **kw)  # type: ignore[arg-type]
        self.sender = sender

    def inbox(self) -> list[Outgoing]:
        return [m for r, m in self.sender.delivered if r.chat_id == self.user]


async def _setup(app: App) -> tuple[Terminal, Terminal, RecordingSender]:
    sender = RecordingSender("console")
    app.delivery.register(sender, None)
    resident = Terminal(app, RESIDENT_ID, sender, language_hint="es")
    resident.display_name = RESIDENT_NAME
    liaison = Terminal(app, "lee", sender)
    await liaison.send("/start")
    person = await app.services.repos.people.find("console", "lee")
    assert person is not None
    await app.services.repos.people.set_role(person.id, Role.LIAISON)
    return resident, liaison, sender


async def _open(resident: Terminal, app: App, text: str = "Me registraron sin razón") -> None:
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    ack = await resident.send(text)
    assert "#1" in texts(ack)
    await app.delivery.drain()


async def test_resident_and_terminal_liaison_complete_a_case(app: App) -> None:
    """Open anonymously, claim, reply, note, close with outcome, rate and reopen."""
    resident, liaison, _ = await _setup(app)
    intro = texts(await resident.send("/human"))
    assert "anónim" in intro.lower()
    await resident.press_payload("esc.anon")
    await resident.send("Me registraron la mochila sin razón")
    await app.delivery.drain()
    card = liaison.inbox()[-1]
    assert "#1" in card.text and "R-" in card.text and "Español" in card.text
    assert [b.action for b in card.buttons[0]] == ["esc.claim", "esc.close", "esc.block"]

    assert "lee" in texts(await liaison.press_payload("esc.claim|1")) or True
    await liaison.send("/reply 1 Hola, la estoy ayudando")
    await liaison.send("/reply 1 !note parece un caso de registro")
    await app.delivery.drain()
    to_resident = [m.text for m in resident.inbox()]
    assert any("la estoy ayudando" in text and "Enlace" in text for text in to_resident)
    assert not any("parece un caso" in text for text in to_resident)

    # While the case is open, free text goes to the liaison, not to the search.
    await resident.send("gracias, ¿qué hago ahora?")
    await app.delivery.drain()
    assert "qué hago ahora" in liaison.inbox()[-1].text

    await liaison.press_payload("esc.close|1")
    await liaison.press_payload("esc.outcome|1:answered")
    await app.delivery.drain()
    closed = resident.inbox()[-1]
    assert "#1" in closed.text and [b.label for b in closed.buttons[0]] == list("12345")
    await resident.press_payload("esc.rate|1:5")
    case = await app.services.repos.cases.get(1)
    assert case is not None and case.satisfaction == 5 and not case.is_open
    assert "#1" in texts(await resident.press_payload("esc.reopen|1"))
    reopened = await app.services.repos.cases.get(1)
    assert reopened is not None and reopened.is_open
    audit = [action for action, _ in await app.services.repos.audit.for_case(1)]
    assert audit[:5] == ["opened", "claimed", "replied", "noted", "closed"]


async def test_anonymous_resident_is_never_identified_to_liaisons(app: App) -> None:
    """Neither the platform name nor the id of an anonymous resident reaches a liaison."""
    resident, liaison, _ = await _setup(app)
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    await resident.send("Hola")
    await resident.send("otra cosa")
    await app.delivery.drain()
    await liaison.send("/cases")
    seen = " ".join(m.text for m in liaison.inbox()) + texts(liaison.transcript)
    assert RESIDENT_ID not in seen and RESIDENT_NAME not in seen and "rosa" not in seen.lower()


async def test_forged_staff_buttons_from_a_resident_change_nothing(app: App) -> None:
    """A resident pressing Claim, Close or Block (forwarded or forged) is refused."""
    resident, _, _ = await _setup(app)
    await _open(resident, app)
    for payload in ("esc.claim|1", "esc.close|1", "esc.block|1", "esc.outcome|1:answered"):
        refusal = texts(await resident.press_payload(payload))
        assert "personal" in refusal.lower()  # "solo para el personal del servicio"
    case = await app.services.repos.cases.get(1)
    assert case is not None and case.is_open and case.claimed_by is None
    person = await app.services.repos.people.find("console", RESIDENT_ID)
    assert person is not None and not person.blocked


async def test_stale_buttons_on_a_closed_case_are_refused(app: App) -> None:
    """Claim/close on a closed case, or a rating for someone else's case, do nothing."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    await liaison.send("/close 1 answered")
    assert "closed" in texts(await liaison.press_payload("esc.claim|1"))
    assert "no such case" in texts(await liaison.press_payload("esc.claim|999"))
    intruder = Conversation(app, user="mallory", platform="console")
    assert "no longer works" in texts(await intruder.press_payload("esc.rate|1:1"))


async def test_restart_between_message_and_reply_loses_nothing(make_app: AppFactory) -> None:
    """The resident writes, the bot restarts, the liaison's reply still arrives once."""
    first = await make_app()
    resident, _, _ = await _setup(first)
    await _open(resident, first)
    second = await make_app()
    sender = RecordingSender("console")
    second.delivery.register(sender, None)
    liaison_after = Terminal(second, "lee", sender)
    await liaison_after.send("/reply 1 Ya estoy aquí")
    await second.delivery.drain()
    await second.delivery.drain()
    replies = [m.text for r, m in sender.delivered if r.chat_id == RESIDENT_ID]
    assert len([t for t in replies if "Ya estoy aquí" in t]) == 1


async def test_unclaimed_case_reminds_room_then_tells_resident(app: App, clock: FakeClock) -> None:
    """After N minutes the room is reminded; after M the resident is told, with contacts."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    clock.advance(minutes=10)
    assert await check_sla(app.services) == (0, 0)
    clock.advance(minutes=6)
    assert await check_sla(app.services) == (1, 0)
    await app.delivery.drain()
    assert "16" in liaison.inbox()[-1].text
    clock.advance(minutes=45)
    assert await check_sla(app.services) == (0, 1)
    await app.delivery.drain()
    told = resident.inbox()[-1].text
    assert "911" in told and "tardando" in told.lower()
    assert await check_sla(app.services) == (0, 0)


async def test_blocked_resident_gets_neutral_reply_and_reaches_nobody(app: App) -> None:
    """After Block, the resident's messages get a neutral answer and go nowhere."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    await liaison.press_payload("esc.block|1")
    await app.delivery.drain()
    before = len(liaison.inbox())
    reply = texts(await resident.send("¿hola?"))
    await app.delivery.drain()
    assert reply and len(liaison.inbox()) == before
    assert "bloque" not in reply.lower()


async def test_resident_cancel_closes_their_case(app: App) -> None:
    """/cancel with an open case closes it from the resident's side and tells the room."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    await resident.send("/cancel")
    await app.delivery.drain()
    case = await app.services.repos.cases.get(1)
    assert case is not None and not case.is_open
    assert "#1" in liaison.inbox()[-1].text


async def test_disallowed_attachment_is_refused_and_case_kept(app: App) -> None:
    """An executable is not relayed; the resident is told which files can be."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    before = len(liaison.inbox())
    exe = Attachment("x.exe", b"MZ", "application/x-msdownload")
    replies = await resident.send_attachment(exe)
    await app.delivery.drain()
    assert "PDF" in texts(replies) and len(liaison.inbox()) == before
    photo = Attachment("p.jpg", b"\xff\xd8", "image/jpeg", is_image=True)
    await resident.send_attachment(photo)
    await app.delivery.drain()
    assert liaison.inbox()[-1].attachment == photo


async def test_reply_to_a_case_card_in_a_room_without_threads(app: App) -> None:
    """In a group without topics, a liaison's reply to the card answers that case."""
    from dataclasses import replace

    from bot.core.events import ChatKind, EventKind

    resident, liaison, _ = await _setup(app)
    await _open(resident, app, "Necesito ayuda con una queja")
    card = liaison.inbox()[-1].text
    room_reply = replace(
        liaison._event(kind=EventKind.TEXT, text="Hola, ¿cuándo pasó?"),
        chat_id="room-1",
        chat_kind=ChatKind.GROUP,
        reply_to_message_id="42",
        reply_to_bot_text=card,
    )
    await liaison._feed(room_reply)
    await app.delivery.drain()
    assert any("cuándo pasó" in m.text for m in resident.inbox())
    chatter = replace(room_reply, reply_to_bot_text="", reply_to_message_id=None)
    assert await liaison._feed(chatter) == []  # plain group chatter is not a case message
