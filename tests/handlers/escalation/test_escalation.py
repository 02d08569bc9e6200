"""Escalation end to end through the real dispatcher, storage and outbox."""

from __future__ import annotations

from bot.app import App
from bot.core.events import Attachment, Outgoing
from bot.core.people import Role
from handlers.escalation.sla import check_sla
from tests.support.app import AppFactory
from tests.support.harness import Conversation, FakeClock, RecordingSender, texts

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
    person = await app.repos.people.find("console", "lee")
    assert person is not None
    await app.repos.people.set_role(person.id, Role.LIAISON)
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
    assert [b.action for b in card.buttons[0]] == [
        "esc.claim",
        "esc.reply",
        "esc.close",
        "esc.block",
    ]

    # The terminal liaison sees the room's notice; a direct answer would say it twice.
    assert await liaison.press_payload("esc.claim|1") == []
    await app.delivery.drain()
    claimed = [m.text for m in liaison.inbox() if "claimed by" in m.text]
    assert len(claimed) == 1 and claimed[0].startswith("Case #1 claimed by L-")
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
    case = await app.repos.cases.get(1)
    assert case is not None and case.satisfaction == 5 and not case.is_open
    assert "#1" in texts(await resident.press_payload("esc.reopen|1"))
    reopened = await app.repos.cases.get(1)
    assert reopened is not None and reopened.is_open
    audit = [action for action, _ in await app.repos.audit.for_case(1)]
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
    case = await app.repos.cases.get(1)
    assert case is not None and case.is_open and case.claimed_by is None
    person = await app.repos.people.find("console", RESIDENT_ID)
    assert person is not None and not person.blocked


async def test_stale_buttons_on_a_closed_case_are_refused(app: App) -> None:
    """Claim/close on a closed case, or a rating for someone else's case, do nothing."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    await liaison.send("/close 1")
    await liaison.press_payload("esc.outcome|1:no_response")
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
    await liaison.press_payload("esc.block_yes|1")
    await app.delivery.drain()
    before = len(liaison.inbox())
    reply = texts(await resident.send("¿hola?"))
    await app.delivery.drain()
    assert reply and len(liaison.inbox()) == before
    assert "bloque" not in reply.lower()


async def test_resident_cancel_asks_then_closes_their_case(app: App) -> None:
    """/cancel with an open case asks first; "No" keeps it, "Yes" closes it for the room."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    asked = texts(await resident.send("/cancel"))
    assert "#1" in asked and "?" in asked
    await resident.press_payload("esc.keep_open|1")
    still = await app.repos.cases.get(1)
    assert still is not None and still.is_open
    await resident.send("/cancel")
    await resident.press_payload("esc.withdraw_yes|1")
    await app.delivery.drain()
    case = await app.repos.cases.get(1)
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


# ------------------------------------------------------------ nothing the resident types is lost


async def _liaison(app: App, sender: RecordingSender, user: str, locale: str = "en") -> Terminal:
    """Another terminal liaison on the same database, speaking `locale`."""
    member = Terminal(app, user, sender, language_hint=locale)
    await member.send("/start")
    person = await app.repos.people.find("console", user)
    assert person is not None
    await app.repos.people.set_role(person.id, Role.LIAISON)
    return member


def _buttons(reply: Outgoing) -> list[str]:
    return [button.payload() for row in reply.buttons for button in row]


async def test_text_typed_instead_of_choosing_opens_an_anonymous_case(app: App) -> None:
    """A French resident types at "how do you want to appear?": the case opens anonymously,
    they are told so, and "Show my name" lets the liaison see their name after all."""
    resident, liaison, _ = await _setup(app)
    resident.language_hint, resident.display_name = "fr", "Aline"
    await resident.send("/human")
    replies = await resident.send("Un policier m'a insulté devant chez moi hier soir")
    said = texts(replies)
    assert "#1" in said and "anonyme" in said
    await app.delivery.drain()
    card = liaison.inbox()[-1].text
    assert "m'a insulté" in card and "(anonymous)" in card and "Aline" not in card
    assert "Français" in card
    await resident.press_payload("esc.showname|1")
    await app.delivery.drain()
    assert "Aline" in liaison.inbox()[-1].text
    case = await app.repos.cases.get(1)
    assert case is not None and not case.anonymous and case.shown_name == "Aline"


async def test_the_question_from_the_choices_menu_carries_into_the_case(app: App) -> None:
    """An Arabic question answered with "is it one of these?" and then "Talk to a person":
    the question is quoted back, can be sent as it is, and reaches the liaison."""
    resident, liaison, _ = await _setup(app)
    resident.language_hint = "ar"
    question = "الشرطة أخذت هاتفي"
    choices = await resident.send(question)
    assert "cmd|human" in _buttons(choices[-1])
    intro = texts(await resident.press_payload("cmd|human"))
    assert question in intro
    await resident.press_payload("esc.anon")
    await resident.press_payload("esc.send_story")
    await app.delivery.drain()
    card = liaison.inbox()[-1].text
    assert question in card and "العربية" in card


async def test_follow_ups_are_acknowledged_once_per_burst(app: App, clock: FakeClock) -> None:
    """Three quick follow-ups get one "received"; another after a pause gets its own."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    clock.advance(minutes=5)
    acks = [texts(await resident.send(text)) for text in ("uno", "dos", "tres")]
    assert ["Recibido" in ack for ack in acks] == [True, False, False]
    clock.advance(minutes=4)
    assert "Recibido" in texts(await resident.send("cuatro"))
    await app.delivery.drain()
    relayed = [m.text for m in liaison.inbox()]
    assert all(any(word in text for text in relayed) for word in ("uno", "dos", "tres", "cuatro"))


async def test_a_case_the_liaison_selects_in_the_terminal_takes_typed_text(app: App) -> None:
    """/case 1 in the terminal: plain text answers the resident, !note stays a note."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    assert "#1" in texts(await liaison.send("/case 1"))
    await liaison.send("¿Dónde pasó?")
    await liaison.send("!note parece urgente")
    await app.delivery.drain()
    to_resident = [m.text for m in resident.inbox()]
    assert any("¿Dónde pasó?" in text for text in to_resident)
    assert not any("urgente" in text for text in to_resident)
    kinds = [m.kind.value for m in await app.repos.cases.messages(1)]
    assert kinds.count("note") == 1 and kinds.count("liaison") == 1


# ---------------------------------------------------------------- liaison ergonomics


async def test_closing_an_unanswered_case_asks_a_reason_and_no_rating(app: App) -> None:
    """Nobody answered: "answered" is not offered, and the resident is not asked to rate."""
    resident, liaison, _ = await _setup(app)
    await _open(resident, app)
    offered = await liaison.press_payload("esc.close|1")
    payloads = _buttons(offered[-1])
    assert "esc.outcome|1:answered" not in payloads and "esc.outcome|1:other" in payloads
    assert "rate" in offered[-1].text
    await liaison.press_payload("esc.outcome|1:answered")  # forged: asked again, still open
    case = await app.repos.cases.get(1)
    assert case is not None and case.is_open
    await liaison.press_payload("esc.outcome|1:no_response")
    await app.delivery.drain()
    closing = resident.inbox()[-1]
    assert "#1" in closing.text and not any("rate" in p for p in _buttons(closing))


async def test_block_by_a_second_liaison_names_the_claimant_and_is_audited(app: App) -> None:
    """Lee claimed the case; Kim's Block asks first, naming Lee; confirming blocks and is
    audited with the claimant; the admin's /unblock lets the resident write again."""
    resident, lee, sender = await _setup(app)
    kim = await _liaison(app, sender, "kim")
    await _open(resident, app)
    await lee.press_payload("esc.claim|1")
    lee_person = await app.repos.people.find("console", "lee")
    assert lee_person is not None
    asked = texts(await kim.press_payload("esc.block|1"))
    from handlers.escalation.texts import liaison_code

    assert liaison_code(app.services, lee_person) in asked
    resident_person = await app.repos.people.find("console", RESIDENT_ID)
    assert resident_person is not None and not resident_person.blocked
    await kim.press_payload("esc.block_yes|1")
    resident_person = await app.repos.people.find("console", RESIDENT_ID)
    assert resident_person is not None and resident_person.blocked
    actions = await app.repos.audit.actions()
    assert any(a == "blocked" and detail == str(lee_person.id) for a, _, _, detail in actions)
    admin = Terminal(app, "ada", sender)
    await admin.send("/start")
    ada = await app.repos.people.find("console", "ada")
    assert ada is not None
    await app.repos.people.set_role(ada.id, Role.ADMIN)
    assert "#1" in texts(await admin.send("/unblock 1"))
    resident_person = await app.repos.people.find("console", RESIDENT_ID)
    assert resident_person is not None and not resident_person.blocked


async def test_assign_release_snippets_and_showname_between_two_liaisons(app: App) -> None:
    """/assign without a code takes the case for the caller (not the first liaison in the
    table); /release frees it; a liaison saves a snippet used case-insensitively; /showname
    changes how the resident sees the answers."""
    resident, lee, sender = await _setup(app)
    kim = await _liaison(app, sender, "kim", locale="es")
    await _open(resident, app)
    kim_person = await app.repos.people.find("console", "kim")
    assert kim_person is not None
    await kim.send("/assign 1")
    case = await app.repos.cases.get(1)
    assert case is not None and case.claimed_by == kim_person.id
    assert "Only the liaison who claimed" in texts(await lee.send("/release 1"))
    await kim.send("/release 1")
    case = await app.repos.cases.get(1)
    assert case is not None and case.claimed_by is None

    assert "Guardado" in texts(await kim.send("/snippet_set Saludo es Hola, le atiende un enlace."))
    await kim.send("/showname Ana")
    await kim.send("/snippet 1 SALUDO")
    await app.delivery.drain()
    last = resident.inbox()[-1].text
    assert last == "Ana (caso #1):\nHola, le atiende un enlace."
    await kim.send("/showname")
    lee_code = texts(await lee.send("/cases")).split(": ")[1].split()[0]
    await kim.send(f"/assign 1 {lee_code.lower()}")
    case = await app.repos.cases.get(1)
    lee_person = await app.repos.people.find("console", "lee")
    assert case is not None and lee_person is not None and case.claimed_by == lee_person.id


async def test_help_lists_staff_commands_to_staff_in_their_language(app: App) -> None:
    """A Spanish-speaking liaison's /help lists the case commands in Spanish; a resident's
    /help does not list them."""
    resident, _, sender = await _setup(app)
    kim = await _liaison(app, sender, "kim", locale="es")
    staff_help = texts(await kim.send("/help"))
    assert "/close — Cerrar un caso" in staff_help and "/snippet_set" in staff_help
    resident_help = texts(await resident.send("/help"))
    assert "/close" not in resident_help and "/human" in resident_help
