"""Escalation across the real Telegram and Discord adapters, in one process and one loop.

One App is built with both adapters started (Telegram first, then Discord, as
`bot.runner.serve` does), each against its local protocol fake on 127.0.0.1. Residents
and liaisons act through the fakes as people would; delivery is driven by awaiting
`app.delivery.drain()` (background delivery and the scheduler are not started, so the
hand-moved clock decides when a retry is due and every test is deterministic).

Liaisons on Discord answer with the `/reply` slash command, never with a plain message in
the case thread: the adapter asks only for the `guilds` and `dm_messages` intents, so
Discord never delivers a server or thread message to the bot (and without the privileged
message-content intent its text would be empty anyway). Slash commands carry what follows
the command name in their one optional `text` option.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.core.events import Incoming
from bot.platforms import discord as discord_module
from bot.platforms.slash_names import LOCALIZED_NAMES
from handlers.escalation.texts import liaison_code
from storage.cases import MessageKind
from storage.outbox import OutboxStatus
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import (
    BOT_USER,
    bad_gateway,
    button_press,
    group_chat,
    message,
    person,
)
from tests.support.harness import FakeClock
from tests.support.platforms import (
    BYSTANDER_DC,
    CASE_BUTTONS,
    FORUM_ID,
    JSON,
    LIAISON_DC,
    LIAISON_TG,
    RESIDENT_DC,
    RESIDENT_TG,
    RESIDENT_TG_CHAT,
    SPANISH_LIAISON_HEADER,
    STAFF_ONLY,
    TIMEOUT_S,
    StartBot,
    answered,
    callback_data,
    callback_rows,
    case_threads,
    discord_card,
    discord_reply,
    discord_resident_opens_case,
    drained_until,
    eventually,
    everything_recorded,
    grant_liaison,
    is_deferral,
    latest_with_button,
    sent_to,
    stored_message_with,
    telegram_resident_opens_case,
    text_of,
    wait_sent_to,
)

# PTB's own RetryAfter constructor reads its deprecated int `retry_after`; not our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

# ---------------------------------------------------------------- tests


async def test_telegram_resident_and_discord_liaison_complete_a_case(start_bot: StartBot) -> None:
    """Telegram resident, Discord liaison: thread + card, Claim, /reply (module doc), Close."""
    bot = await start_bot()
    app, api, fake = bot.app, bot.api, bot.fake
    liaison_id = await grant_liaison(app, "discord", LIAISON_DC)
    await telegram_resident_opens_case(bot, "Me registraron la mochila sin razón")

    thread_creations = [c for c in fake.calls if c.method == "POST" and c.path.endswith("/threads")]
    assert [c.path for c in thread_creations] == [f"/channels/{fake.LIAISON_CHANNEL_ID}/threads"]
    assert thread_creations[0].body["name"] == "Case #1"
    thread_id, card = await discord_card(bot)
    assert "#1" in card.content and "R-" in card.content
    assert "Me registraron la mochila sin razón" in card.content
    assert card.custom_ids() == CASE_BUTTONS
    assert fake.posts_to(fake.LIAISON_CHANNEL_ID) == [], "the case lives in its thread"
    rooms = await app.repos.cases.rooms(1)
    assert [(r.platform, r.chat_id, r.thread_id) for r in rooms] == [
        ("discord", fake.LIAISON_CHANNEL_ID, thread_id)
    ]

    card_message = stored_message_with(fake, thread_id, "esc.claim|1")
    claim = await fake.click(LIAISON_DC, card_message["id"], "esc.claim|1")
    await answered(fake, claim)
    case = await app.repos.cases.get(1)
    assert case is not None and case.claimed_by == liaison_id
    await bot.drain()
    # Posted once, in the thread: the presser reads it there too.
    notices = [p.content for p in fake.posts_to(thread_id) if "claimed by" in p.content]
    assert len(notices) == 1 and notices[0].startswith("Case #1 claimed by L-")
    assert not [c for c in fake.interaction_calls(claim) if c.content]

    # A plain message in the thread would never reach the bot (no guild_messages intent):
    # the liaison uses /reply, whose text option Discord offers because it was synced.
    sync = next(c for c in fake.calls if c.method == "PUT")
    synced_reply = next(command for command in sync.body if command["name"] == "reply")
    assert [(o["name"], o["type"], o.get("required")) for o in synced_reply["options"]] == [
        ("text", 3, False)
    ]
    await discord_reply(bot, thread_id, "Hola, la estoy ayudando.")
    await bot.drain()
    reply = sent_to(api, RESIDENT_TG_CHAT)[-1]
    assert text_of(reply) == f"{SPANISH_LIAISON_HEADER}\nHola, la estoy ayudando."
    assert any("answered case #1" in post.content for post in fake.posts_to(thread_id))

    close = await fake.click(LIAISON_DC, card_message["id"], "esc.close|1")
    outcomes = (await answered(fake, close))[0]
    assert "esc.outcome|1:answered" in outcomes.custom_ids()
    assert outcomes.body["data"]["flags"] & 64, "the outcome choice is shown to the presser only"
    choice = stored_message_with(fake, thread_id, "esc.outcome|1:answered")
    chosen = await fake.click(LIAISON_DC, choice["id"], "esc.outcome|1:answered")
    await answered(fake, chosen)
    await bot.drain()

    closing = sent_to(api, RESIDENT_TG_CHAT)[-1]
    assert "#1" in text_of(closing) and "cerró" in text_of(closing)
    rows = callback_rows(closing)
    assert [b["text"] for b in rows[0]] == ["1", "2", "3", "4", "5"]
    assert [b["callback_data"] for b in rows[0]] == [f"esc.rate|1:{n}" for n in range(1, 6)]
    case = await app.repos.cases.get(1)
    assert case is not None and not case.is_open
    assert any("Case #1 closed by L-" in post.content for post in fake.posts_to(thread_id))


async def test_discord_resident_and_telegram_liaison_in_a_forum_topic(
    start_bot: StartBot,
) -> None:
    """Discord DM resident, Telegram liaison in a forum topic (and /reply in the group), Close."""
    bot = await start_bot(telegram_liaison_chat_id=str(FORUM_ID))
    app, api, fake = bot.app, bot.api, bot.fake
    api.forums.add(str(FORUM_ID))
    await grant_liaison(app, "telegram", str(LIAISON_TG["id"]))
    dm = fake.dm_channel_id(RESIDENT_DC)
    await discord_resident_opens_case(bot, "Police searched my car without a reason.")

    topic = (await api.wait_for("createForumTopic"))[0]
    assert (topic.get("chat_id"), topic.get("name")) == (str(FORUM_ID), "Case #1")
    topic_id = int(topic.result["message_thread_id"])
    card = sent_to(api, FORUM_ID)[0]
    assert card.get("message_thread_id") == str(topic_id)
    assert "New case #1" in text_of(card) and "R-" in text_of(card)
    assert "Police searched my car without a reason." in text_of(card)
    assert callback_data(card) == CASE_BUTTONS
    assert len(case_threads(fake)) == 1, "the Discord room gets its thread as well"

    forum = group_chat(FORUM_ID, forum=True)
    notice = {
        "message_id": topic_id,
        "date": 0,
        "chat": forum,
        "from": BOT_USER,
        "forum_topic_created": {"name": "Case #1", "icon_color": 7322096},
    }
    in_topic = {"message_thread_id": topic_id, "is_topic_message": True}
    await api.push_update(
        message(
            LIAISON_TG, "We will look into it today.", forum, **in_topic, reply_to_message=notice
        )
    )
    await api.push_update(message(LIAISON_TG, "/reply 1 Can you tell us the street?", forum))
    cases = app.repos.cases

    async def two_answers() -> bool:
        kinds = [m.kind for m in await cases.messages(1)]
        return kinds.count(MessageKind.LIAISON) == 2

    await eventually(two_answers)
    answers = await drained_until(bot, lambda: [p.content for p in fake.posts_to(dm)[2:]], 2)
    assert answers == [
        "Liaison (case #1):\nWe will look into it today.",
        "Liaison (case #1):\nCan you tell us the street?",
    ]
    echoes = [text_of(c) for c in sent_to(api, FORUM_ID)]
    assert any("answered case #1" in text for text in echoes)

    await api.push_update(button_press(LIAISON_TG, card.result, "esc.close|1"))
    outcomes = (await wait_sent_to(api, FORUM_ID, len(echoes) + 1))[-1]
    assert outcomes.get("message_thread_id") == str(topic_id), "asked in the case's topic"
    assert "esc.outcome|1:other" in callback_data(outcomes)
    await api.push_update(button_press(LIAISON_TG, outcomes.result, "esc.outcome|1:other"))

    async def closed() -> bool:
        case = await cases.get(1)
        return case is not None and not case.is_open

    await eventually(closed)
    await drained_until(bot, lambda: fake.posts_to(dm)[4:], 1)
    closing = fake.posts_to(dm)[-1]
    assert closing.content.startswith("Your conversation #1 is closed")
    assert closing.custom_ids()[:5] == [f"esc.rate|1:{n}" for n in range(1, 6)]


async def test_anonymous_telegram_resident_is_unknown_to_discord(start_bot: StartBot) -> None:
    """An anonymous Telegram resident's names and id appear in nothing Discord recorded."""
    bot = await start_bot()
    await grant_liaison(bot.app, "discord", LIAISON_DC)
    await telegram_resident_opens_case(
        bot, "Me pararon en la calle ayer.", "¿Qué puedo hacer?", "Gracias."
    )
    thread_id, _ = await discord_card(bot)
    card_message = stored_message_with(bot.fake, thread_id, "esc.claim|1")
    await answered(bot.fake, await bot.fake.click(LIAISON_DC, card_message["id"], "esc.claim|1"))
    await discord_reply(bot, thread_id, "Le escribo enseguida.")
    await bot.drain()
    await bot.api.push_update(message(RESIDENT_TG, "/cancel"))
    asked = await eventually(
        lambda: latest_with_button(bot.api, RESIDENT_TG_CHAT, "esc.withdraw_yes|1")
    )
    await bot.api.push_update(button_press(RESIDENT_TG, asked.result, "esc.withdraw_yes|1"))

    async def closed() -> bool:
        case = await bot.app.repos.cases.get(1)
        return case is not None and not case.is_open

    await eventually(closed)
    await drained_until(
        bot, lambda: [c.content for c in bot.fake.calls if "closed by R-" in c.content], 1
    )

    recorded = everything_recorded(bot.fake)
    assert "Me pararon en la calle ayer." in recorded and "Gracias." in recorded
    assert "closed by R-" in recorded
    for secret in ("Zebulon", "Quixotesecret", "zeb_hidden_handle", RESIDENT_TG_CHAT):
        assert secret.lower() not in recorded.lower(), secret


async def test_telegram_outage_delivers_every_reply_once_in_order(start_bot: StartBot) -> None:
    """Three replies sent during a Telegram 502 outage arrive once each, in order, after it."""
    bot = await start_bot()
    app, api = bot.app, bot.api
    await grant_liaison(app, "discord", LIAISON_DC)
    await telegram_resident_opens_case(bot, "Necesito ayuda con una queja.")
    thread_id, _ = await discord_card(bot)
    before = len(sent_to(api, RESIDENT_TG_CHAT))
    api.fail_next("sendMessage", bad_gateway(), times=3)

    replies = ["Primero: hola.", "Segundo: ¿dónde ocurrió?", "Tercero: le llamo mañana."]
    for text in replies:
        await discord_reply(bot, thread_id, text)
    clock = app.services.clock
    assert isinstance(clock, FakeClock)
    for wait_s in (0, 1, 2):  # the outbox backs off 1 s, 2 s, 4 s ... (on the app's clock)
        clock.advance(seconds=wait_s)
        # Rows behind the one waiting for its retry are held, not re-tried in a busy loop.
        async with asyncio.timeout(TIMEOUT_S):
            await bot.drain()
        assert len(sent_to(api, RESIDENT_TG_CHAT)) == before, "still failing: nothing out"
    assert [c.failed for c in api.attempts("sendMessage")][-3:] == [True, True, True]
    echoes = [p.content for p in bot.fake.posts_to(thread_id) if "answered case #1" in p.content]
    assert len(echoes) == 3, "the outage on Telegram holds up nothing on Discord"

    clock.advance(seconds=4)
    await bot.drain()
    delivered = [text_of(c) for c in sent_to(api, RESIDENT_TG_CHAT)[before:]]
    assert delivered == [f"{SPANISH_LIAISON_HEADER}\n{text}" for text in replies]
    counts = await app.repos.outbox.counts_by_status()
    assert {status for status, count in counts.items() if count} == {OutboxStatus.SENT}


async def test_forged_claim_from_a_resident_on_discord_is_refused(start_bot: StartBot) -> None:
    """A non-staff Claim on Discord is refused or dropped, and the case stays unclaimed."""
    bot = await start_bot()
    app, fake = bot.app, bot.fake
    await grant_liaison(app, "discord", LIAISON_DC)
    await discord_resident_opens_case(bot, "Someone is following me.")
    thread_id, _ = await discord_card(bot)
    posts_before = len(fake.posts_to(thread_id))

    dm = fake.dm_channel_id(RESIDENT_DC)
    forged = await fake.click(RESIDENT_DC, fake.last_message(dm)["id"], "esc.claim|1")
    card_message = stored_message_with(fake, thread_id, "esc.claim|1")
    pressed = await fake.click(RESIDENT_DC, card_message["id"], "esc.claim|1")
    refusal = (await answered(fake, pressed))[0]
    assert refusal.content == STAFF_ONLY
    # Gateway events are handled in order and the forged one ends without awaiting
    # anything, so by the time the second is answered the first was dropped.
    assert fake.interaction_calls(forged) == []
    await bot.drain()

    case = await app.repos.cases.get(1)
    assert case is not None and case.is_open and case.claimed_by is None
    assert "claimed" not in [action for action, _ in await app.repos.audit.for_case(1)]
    assert len(fake.posts_to(thread_id)) == posts_before, "no 'claimed' notice in the room"


async def test_markup_is_defused_on_both_platforms(start_bot: StartBot) -> None:
    """@everyone and markdown stay inert on Discord; a liaison's <script> arrives escaped."""
    bot = await start_bot()
    app, api, fake = bot.app, bot.api, bot.fake
    await grant_liaison(app, "discord", LIAISON_DC)
    first = "@everyone <b>html</b> **ahora** necesito ayuda, la policía me paró"
    follow_up = "@here otra vez <b>html</b> __sí__"
    await telegram_resident_opens_case(bot, first, follow_up)
    thread_id, card = await discord_card(bot)
    relayed = fake.posts_to(thread_id)[1]
    for post in (card, relayed):
        assert post.body["allowed_mentions"] == {"parse": []}
        assert "@everyone" not in post.content and "@here" not in post.content
        assert "<b>html</b>" in post.content, "Discord shows HTML literally: left as written"
    assert "@\u200beveryone <b>html</b> \\*\\*ahora\\*\\*" in card.content
    assert "@\u200bhere otra vez <b>html</b> \\_\\_sí\\_\\_" in relayed.content

    await discord_reply(bot, thread_id, "<script>alert(1)</script> & <b>listo</b>")
    await bot.drain()
    reply = sent_to(api, RESIDENT_TG_CHAT)[-1]
    assert reply.get("parse_mode") == "HTML"
    assert reply.get("text") == (
        f"{SPANISH_LIAISON_HEADER}\n"
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;listo&lt;/b&gt;"
    )
    assert text_of(reply) == f"{SPANISH_LIAISON_HEADER}\n<script>alert(1)</script> & <b>listo</b>"


# ---------------------------------------------------------------- privacy in shared rooms

ARABIC_STORY = "أوقفتني الشرطة أمس في الشارع وفتشوا حقيبتي بدون سبب"
ARABIC_ANSWER = "نحن هنا لمساعدتك، متى حدث ذلك؟"


def outside_liaison_room(fake: FakeDiscord) -> list[JSON]:
    """Public server messages anywhere but the liaison channel and its case threads."""
    room = fake.LIAISON_CHANNEL_ID
    return [
        message
        for message in fake.public_server_messages()
        if message["channel_id"] != room
        and fake.channels[message["channel_id"]].get("parent_id") != room
    ]


async def test_server_replies_are_ephemeral_and_case_text_stays_out_of_channels(
    start_bot: StartBot,
) -> None:
    """In a public server channel an Arabic resident's /human, /whoami, /mydata and /forget
    are answered to them alone; the story is taken in a modal; the liaison answers with the
    card's Reply modal; no case text appears in any shared channel but the liaison room."""
    bot = await start_bot()
    app, fake = bot.app, bot.fake
    await grant_liaison(app, "discord", LIAISON_DC)

    human = await fake.slash(RESIDENT_DC, "human", locale="ar")
    intro = (await answered(fake, human))[0]
    assert fake.is_ephemeral(intro) and "esc.anon" in intro.custom_ids()
    assert "الاسم" in intro.content, "in Arabic"
    intro_message = stored_message_with(fake, fake.ANNOUNCE_CHANNEL_ID, "esc.anon")
    anonymous = await fake.click(RESIDENT_DC, intro_message["id"], "esc.anon", locale="ar")
    modal = (await answered(fake, anonymous))[0]
    assert modal.body["type"] == 9, "a modal, not 'write your message' in the channel"
    assert modal.body["data"]["custom_id"] == "esc.story|anon"
    submitted = await fake.submit_modal(RESIDENT_DC, anonymous, {"text": ARABIC_STORY}, "ar")
    thanks = (await answered(fake, submitted))[0]
    assert fake.is_ephemeral(thanks) and "#1" in thanks.content
    await bot.drain()

    thread_id, card = await discord_card(bot)
    assert ARABIC_STORY in card.content and "العربية" in card.content
    for command in ("whoami", "mydata", "forget"):
        interaction = await fake.slash(RESIDENT_DC, command, locale="ar")
        reply = (await answered(fake, interaction))[0]
        assert fake.is_ephemeral(reply), command
        assert reply.content, command
    mydata = [c for c in fake.calls if ARABIC_STORY in c.content and c.path.startswith("/inter")]
    assert mydata and all(fake.is_ephemeral(call) for call in mydata)

    card_message = stored_message_with(fake, thread_id, "esc.reply|1")
    reply_pressed = await fake.click(LIAISON_DC, card_message["id"], "esc.reply|1")
    assert (await answered(fake, reply_pressed))[0].body["type"] == 9
    await fake.submit_modal(LIAISON_DC, reply_pressed, {"text": ARABIC_ANSWER})

    dm = fake.dm_channel_id(RESIDENT_DC)

    async def relayed() -> str | None:
        await bot.drain()  # the answer is queued just after it is stored
        posts = fake.posts_to(dm)
        return posts[-1].content if posts and ARABIC_ANSWER in posts[-1].content else None

    assert "#1" in await eventually(relayed)

    listed = await fake.slash(LIAISON_DC, "cases")  # staff answers are the asker's too
    listing = (await answered(fake, listed))[0]
    assert "#1" in listing.content and fake.is_ephemeral(listing)

    public = json.dumps(outside_liaison_room(fake), ensure_ascii=False)
    assert outside_liaison_room(fake) == [], public
    assert ARABIC_STORY not in public and ARABIC_ANSWER not in public


async def test_staff_commands_are_hidden_from_members_without_the_permission(
    start_bot: StartBot,
) -> None:
    """Staff-only slash commands carry default_member_permissions; residents' do not."""
    bot = await start_bot()
    sync = next(c for c in bot.fake.calls if c.method == "PUT")
    permissions = {
        command["name"]: command.get("default_member_permissions") for command in sync.body
    }
    assert permissions["human"] is None and permissions["mydata"] is None
    for staff in ("cases", "reply", "close", "assign", "snippet_set", "roles"):
        assert int(permissions[staff]) == 1 << 34, staff  # Manage Threads


async def test_liaison_types_in_the_case_thread_with_message_content(
    start_bot: StartBot,
) -> None:
    """With message_content on, a liaison's plain message in the thread reaches the resident,
    '!note' stays a note, and a resident's message in a public channel is ignored."""
    bot = await start_bot(LIAISON_DISCORD_MESSAGE_CONTENT="true")
    app, fake = bot.app, bot.fake
    identify = fake.gateway_ops(2)[0]["d"]
    assert identify["intents"] & (1 << 15) and identify["intents"] & (1 << 9)
    await grant_liaison(app, "discord", LIAISON_DC)
    await telegram_resident_opens_case(bot, "Me pararon otra vez en la estación.")
    thread_id, _ = await discord_card(bot)

    await fake.post_in_channel(LIAISON_DC, thread_id, "!note parece el mismo agente")
    await fake.post_in_channel(LIAISON_DC, thread_id, "¿En qué estación fue?")
    await fake.post_in_channel(BYSTANDER_DC, fake.ANNOUNCE_CHANNEL_ID, "hola bot, ayuda")
    cases = app.repos.cases

    async def both() -> bool:
        kinds = [m.kind for m in await cases.messages(1)]
        return MessageKind.NOTE in kinds and MessageKind.LIAISON in kinds

    await eventually(both)

    async def relayed() -> list[str] | None:
        await bot.drain()  # the answer is queued just after it is stored
        texts = [text_of(c) for c in sent_to(bot.api, RESIDENT_TG_CHAT)]
        return texts if "estación fue" in texts[-1] else None

    to_resident = await eventually(relayed)
    assert to_resident[-1] == f"{SPANISH_LIAISON_HEADER}\n¿En qué estación fue?"
    assert not any("mismo agente" in text for text in to_resident)
    echoes = [p.content for p in fake.posts_to(thread_id) if "answered case #1" in p.content]
    assert echoes == [], "typed in the thread, the answer is not posted there a second time"
    assert fake.posts_to(fake.ANNOUNCE_CHANNEL_ID) == [], "the bystander is not answered"


async def test_personal_commands_in_a_telegram_group_are_not_answered_there(
    start_bot: StartBot,
) -> None:
    """A Telegram group cannot show a reply to one person: /mydata there says to write in
    private, and the case text never reaches the group."""
    bot = await start_bot()
    await grant_liaison(bot.app, "discord", LIAISON_DC)
    await telegram_resident_opens_case(bot, "Me quitaron el teléfono en la calle.")
    group = group_chat(-100555)
    await bot.api.push_update(message(RESIDENT_TG, "/mydata", group))
    said = (await wait_sent_to(bot.api, -100555, 1))[0]
    assert "privado" in text_of(said) or "privada" in text_of(said)
    assert "teléfono" not in json.dumps([c.result for c in sent_to(bot.api, -100555)])
    # /human in the group starts nothing that a later private message would complete.
    await bot.api.push_update(message(person(5550777, "Nadia", "fr"), "/human", group))
    pointer = (await wait_sent_to(bot.api, -100555, 2))[-1]
    assert "privée" in text_of(pointer) and not callback_data(pointer)
    nadia = await bot.app.repos.people.find("telegram", "5550777")
    assert nadia is not None and await bot.app.repos.conversations.get(nadia.id) is None


async def test_slash_command_names_and_descriptions_are_localized(start_bot: StartBot) -> None:
    """Every synced command has names and descriptions in the languages Discord offers."""
    bot = await start_bot()
    assert {entry.name for entry in bot.app.services.menu} <= LOCALIZED_NAMES
    sync = next(c for c in bot.fake.calls if c.method == "PUT")
    by_name = {command["name"]: command for command in sync.body}
    human = by_name["human"]
    assert human["name_localizations"]["es-ES"] == "persona"
    assert human["name_localizations"]["zh-CN"] == "人工"
    assert human["name_localizations"]["ru"] == "человек"
    assert human["description_localizations"]["fr"] == "Parler à une personne"
    for command in sync.body:
        locales = set(command.get("name_localizations") or {})
        assert {"es-ES", "fr", "vi", "ru", "pt-BR", "zh-CN"} <= locales, command["name"]


# ---------------------------------------------------------------- two liaisons, one resident

RESIDENT_RU = person(5550999, "Olga", "ru")
RESIDENT_RU_CHAT = str(RESIDENT_RU["id"])
SECOND_LIAISON_DC = "1300000000000000012"
RUSSIAN_RECEIVED = "Получено. Ваше сообщение передано координатору."


async def test_typed_story_follow_ups_block_and_close_with_two_discord_liaisons(
    start_bot: StartBot,
) -> None:
    """A Russian resident on Telegram types instead of choosing how to appear: the case opens
    anonymously and says so; two quick follow-ups get one acknowledgement. On Discord a
    second liaison's Block names the first one's claim and changes nothing until confirmed;
    the claimant closes the unanswered case with a reason and no rating is asked for."""
    bot = await start_bot()
    app, api, fake = bot.app, bot.api, bot.fake
    first_id = await grant_liaison(app, "discord", LIAISON_DC)
    await grant_liaison(app, "discord", SECOND_LIAISON_DC)
    chat = RESIDENT_RU_CHAT
    await api.push_update(message(RESIDENT_RU, "/human"))
    await wait_sent_to(api, chat, 1)
    await api.push_update(message(RESIDENT_RU, "Полиция остановила меня у метро и кричала"))
    opened = (await wait_sent_to(api, chat, 2))[-1]
    assert "#1" in text_of(opened) and "анонимны" in text_of(opened)
    assert "esc.showname|1" in callback_data(opened)
    clock = app.services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(minutes=5)  # the "case #1" answer was the acknowledgement until now
    for text in ("Это было вчера вечером.", "Их было двое."):
        await api.push_update(message(RESIDENT_RU, text))
    cases = app.repos.cases

    async def three_messages() -> bool:
        return len(await cases.messages(1)) == 3

    await eventually(three_messages)
    await wait_sent_to(api, chat, 3)
    replies = [text_of(c) for c in sent_to(api, chat)[2:]]
    assert replies == [RUSSIAN_RECEIVED], "one acknowledgement for the burst"
    await bot.drain()

    thread_id, card = await discord_card(bot)
    assert "Русский" in card.content and "(anonymous)" in card.content
    card_message = stored_message_with(fake, thread_id, "esc.claim|1")
    await answered(fake, await fake.click(LIAISON_DC, card_message["id"], "esc.claim|1"))
    blocked = await fake.click(SECOND_LIAISON_DC, card_message["id"], "esc.block|1")
    asked = (await answered(fake, blocked))[0]
    first = await app.repos.people.get(first_id)
    assert first is not None
    assert liaison_code(app.services, first) in asked.content and fake.is_ephemeral(asked)
    assert asked.custom_ids() == ["esc.block_yes|1"]
    resident = await app.repos.people.find("telegram", chat)
    assert resident is not None and not resident.blocked

    closing = await fake.click(LIAISON_DC, card_message["id"], "esc.close|1")
    reasons = (await answered(fake, closing))[0]
    assert "esc.outcome|1:answered" not in reasons.custom_ids()
    choice = stored_message_with(fake, thread_id, "esc.outcome|1:no_response")
    await answered(fake, await fake.click(LIAISON_DC, choice["id"], "esc.outcome|1:no_response"))

    async def closed() -> bool:
        case = await cases.get(1)
        return case is not None and not case.is_open

    await eventually(closed)
    (goodbye,) = await drained_until(
        bot, lambda: [c for c in sent_to(api, chat) if "esc.reopen|1" in callback_data(c)], 1
    )
    assert "#1" in text_of(goodbye)
    assert not any(data.startswith("esc.rate") for data in callback_data(goodbye))


async def test_a_slow_personal_answer_in_a_server_is_deferred_privately(
    start_bot: StartBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past Discord's deadline /mydata is deferred ephemerally, so the answer that replaces
    the "thinking…" placeholder is seen by the person alone."""
    monkeypatch.setattr(discord_module, "ACK_DEADLINE_S", 0.05)
    bot = await start_bot()

    async def slow(ctx: object, event: Incoming) -> bool:
        if event.command == "mydata":  # answered only after the adapter has deferred
            await bot.fake.wait_for(lambda: any(is_deferral(call) for call in bot.fake.calls))
        return True

    bot.app.dispatcher.guards.append(slow)
    interaction = await bot.fake.slash(RESIDENT_DC, "mydata", locale="es-ES")
    deferred, answer = await answered(bot.fake, interaction, count=2)
    assert deferred.body["type"] == 5 and bot.fake.is_ephemeral(deferred)
    assert answer.content.startswith("Lo que guardamos sobre usted:")
    assert bot.fake.is_ephemeral(answer)
    assert outside_liaison_room(bot.fake) == []
