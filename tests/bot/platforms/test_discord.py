"""The Discord adapter end to end against a local fake Discord (REST + gateway, 127.0.0.1)."""

from __future__ import annotations

import asyncio
import gettext
import io
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from discord.app_commands import TranslationContext, TranslationContextLocation, locale_str

from bot.config import StartupError
from bot.core.context import Context
from bot.core.events import Attachment, Button, ChatKind, EventKind, Incoming, Outgoing
from bot.core.ports import (
    PermanentFailure,
    Recipient,
    RetryAfter,
    TemporaryFailure,
    Unreachable,
)
from bot.core.router import Router
from bot.host import AppHost
from bot.i18n import Translator
from bot.platforms import discord as adapter_module
from bot.platforms.discord import (
    CatalogTranslator,
    DiscordAdapter,
    TooManyButtons,
    delivery_error,
    fit_rows,
    gateway_intents,
    interaction_to_incoming,
    message_contents,
    message_to_incoming,
)
from bot.platforms.discord_spec import DISCORD
from storage.outbox import OutboxStatus
from tests.fakes.discord_api import FakeDiscord, user_payload
from tests.support.app import AppFactory, languages
from tests.support.platforms import Connect, discord_config, is_deferral
from tests.support.processes import BOT_PROCESS

TOKEN = "fake-discord-token-0123456789"
ANA = "1300000000000000001"
BEN = "1300000000000000002"
# discord.py waits this long after the last GUILD_CREATE before it reports ready (2 s live).
GUILD_READY_WAIT_S = 0.01


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Wait for a side effect that has no request to wait on (a database write)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


# --- conversations -------------------------------------------------------------------------


async def test_dm_start_typed_as_text_gets_the_greeting(
    connect: Connect, fake: FakeDiscord
) -> None:
    """'/start' typed in a DM is a command; the greeting and menu go to that DM channel."""
    await connect()
    await fake.send_dm(ANA, "/start")
    dm = fake.dm_channel_id(ANA)
    post = (await fake.wait_for(lambda: fake.posts_to(dm)))[0]
    assert post.content.startswith("Hello! I am the assistant of Community Liaison Service.")
    assert "cmd|language" in post.custom_ids()
    assert post.body["allowed_mentions"] == {"parse": []}


async def test_gateway_identifies_with_minimal_intents(connect: Connect, fake: FakeDiscord) -> None:
    """IDENTIFY asks for guilds + DM messages only (no privileged intents), after a heartbeat."""
    await connect()
    identify = fake.gateway_ops(2)[0]["d"]
    assert identify["intents"] == (1 << 0) | (1 << 12)
    assert fake.gateway_ops(1), "the heartbeat sent on HELLO"
    assert fake.gateway_queries[0]["v"] == "10"


async def test_slash_command_answers_in_the_interaction_locale(
    connect: Connect, fake: FakeDiscord
) -> None:
    """A first-time user whose Discord is in es-ES gets /help in Spanish."""
    await connect()
    interaction = await fake.slash(BEN, "help", locale="es-ES")
    response = (await fake.wait_for(lambda: fake.interaction_calls(interaction)))[0]
    assert response.body["type"] == 4
    assert response.content.startswith("Esto es lo que puede enviarme:")
    assert response.body["data"]["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(("locale", "code"), [("pt-BR", "pt"), ("zh-CN", "zh_Hans")])
async def test_regional_discord_locales_pick_our_language(
    connect: Connect, fake: FakeDiscord, locale: str, code: str
) -> None:
    """Discord's regional locales are negotiated to the shipped catalogs."""
    await connect()
    interaction = await fake.slash(BEN, "help", locale=locale)
    response = (await fake.wait_for(lambda: fake.interaction_calls(interaction)))[0]
    heading = languages().translator(code)._("Here is what you can send me:")
    assert heading != "Here is what you can send me:"
    assert response.content.startswith(heading)


async def test_ephemeral_reply_to_a_command_the_tree_does_not_know(
    make_app: AppFactory, tmp_path: Path, fake: FakeDiscord
) -> None:
    """A command Discord still lists but this build did not sync is routed anyway; ephemeral
    replies carry Discord's ephemeral flag."""
    config = discord_config(tmp_path, fake)
    app = await make_app(config)
    whisper = Router("whisper")

    @whisper.command("whisper")  # no description: not in the menu, so never synced
    async def answer(ctx: Context, event: Incoming) -> None:
        await ctx.reply("Only you can see this.", ephemeral=True)

    app.dispatcher.include(whisper)
    adapter = DiscordAdapter(
        AppHost(app), DISCORD.settings(config), guild_ready_timeout=GUILD_READY_WAIT_S
    )
    await adapter.start()
    try:
        interaction = await fake.slash(ANA, "whisper")
        response = (await fake.wait_for(lambda: fake.interaction_calls(interaction)))[0]
    finally:
        await adapter.stop()
    assert response.content == "Only you can see this."
    assert response.body["data"]["flags"] == 64


async def test_a_refused_login_fails_start(
    make_app: AppFactory, tmp_path: Path, fake: FakeDiscord
) -> None:
    """A bad token stops start() with one line naming the setting, instead of hanging."""
    fake.refuse("GET", "/users/@me", 401, 0, "401: Unauthorized")
    config = discord_config(tmp_path, fake)
    adapter = DiscordAdapter(AppHost(await make_app(config)), DISCORD.settings(config))
    with pytest.raises(StartupError) as refused:
        await adapter.start()
    assert str(refused.value) == "Discord rejected the token (401): check LIAISON_DISCORD_TOKEN"
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


async def test_slash_commands_are_synced_per_guild_with_localized_descriptions(
    connect: Connect, fake: FakeDiscord
) -> None:
    """Every menu command is registered in the configured guild, described in each language."""
    app, _ = await connect()
    sync = next(c for c in fake.calls if c.method == "PUT")
    assert sync.path == f"/applications/{fake.APP_ID}/guilds/{fake.GUILD_ID}/commands"
    assert [c["name"] for c in sync.body] == [entry.name for entry in app.services.menu]
    start = next(c for c in sync.body if c["name"] == "start")
    spanish = languages().translator("es")._(start["description"])
    assert spanish != start["description"]
    assert start["description_localizations"]["es-ES"] == spanish
    assert start["description_localizations"]["es-419"] == spanish
    assert "en-US" not in start["description_localizations"]


async def test_command_names_are_localized_when_a_catalog_has_them() -> None:
    """Names come from pgettext('slash command name', ...); invalid names are not sent."""
    catalog = Catalog(locale="es")
    catalog.add("start", "empezar", context="slash command name")
    catalog.add("help", "Ayuda Ya", context="slash command name")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    spanish = Translator("es", gettext.GNUTranslations(buffer), Locale.parse("es"))
    catalogs = SimpleNamespace(codes=("en", "es"), translator=lambda code: spanish)
    translator = CatalogTranslator(catalogs)  # type: ignore[arg-type]
    name = TranslationContext(TranslationContextLocation.command_name, None)
    spain, germany = discord.Locale.spain_spanish, discord.Locale.german
    assert await translator.translate(locale_str("start"), spain, name) == "empezar"
    assert await translator.translate(locale_str("help"), spain, name) is None
    assert await translator.translate(locale_str("start"), germany, name) is None


async def test_button_still_works_after_a_restart(connect: Connect, fake: FakeDiscord) -> None:
    """A button sent before a restart is handled by the new client; the choice edits in place."""
    _, first = await connect()
    await fake.send_dm(ANA, "/start")
    dm = fake.dm_channel_id(ANA)
    await fake.wait_for(lambda: fake.posts_to(dm))
    greeting = fake.last_message(dm)
    await first.stop()

    app, _ = await connect()
    pressed = await fake.click(ANA, greeting["id"], "cmd|language")
    menu = (await fake.wait_for(lambda: fake.interaction_calls(pressed)))[0]
    assert menu.content == "Choose your language:"
    assert "lang|es" in menu.custom_ids()

    chosen = await fake.click(ANA, fake.last_message(dm)["id"], "lang|es")
    update = (await fake.wait_for(lambda: fake.interaction_calls(chosen)))[0]
    assert update.body["type"] == 7, "UPDATE_MESSAGE: the menu is replaced"
    assert update.content.startswith("Listo: le hablaré en Español.")
    assert update.body["data"]["components"] == []
    person = await app.repos.people.find("discord", ANA)
    assert person is not None and person.locale == "es"


async def test_unanswered_interaction_is_still_acknowledged(
    connect: Connect, fake: FakeDiscord
) -> None:
    """A handler that says nothing: the command is deferred and the placeholder removed."""
    app, _ = await connect()

    async def silence(ctx: object, event: object) -> bool:
        return False

    app.dispatcher.guards.append(silence)
    interaction = await fake.slash(BEN, "help")
    calls = await fake.wait_for(
        lambda: (
            len(fake.interaction_calls(interaction)) >= 2 and fake.interaction_calls(interaction)
        )
    )
    assert calls[0].body["type"] == 5
    assert calls[1].method == "DELETE"


async def test_slow_handler_is_deferred_then_followed_up(
    connect: Connect, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the acknowledgement deadline the interaction is deferred; the answer follows up."""
    monkeypatch.setattr(adapter_module, "ACK_DEADLINE_S", 0.05)
    app, _ = await connect()

    async def slow(ctx: object, event: object) -> bool:
        """Answers only once the adapter has deferred: slow past any deadline, by design."""
        await fake.wait_for(lambda: any(is_deferral(call) for call in fake.calls))
        return True

    app.dispatcher.guards.append(slow)
    interaction = await fake.slash(BEN, "help")
    calls = await fake.wait_for(
        lambda: (
            len(fake.interaction_calls(interaction)) >= 2 and fake.interaction_calls(interaction)
        )
    )
    assert calls[0].body["type"] == 5
    assert calls[1].path.startswith(f"/webhooks/{fake.APP_ID}/")
    assert calls[1].content.startswith("Here is what you can send me:")


# --- delivery ------------------------------------------------------------------------------


async def test_thread_is_opened_and_the_outbox_posts_into_it(
    connect: Connect, fake: FakeDiscord
) -> None:
    """open_thread makes a public thread in the liaison channel; outbox rows land in it."""
    app, adapter = await connect()
    thread_id = await adapter.open_thread(fake.LIAISON_CHANNEL_ID, "Case 12")
    assert thread_id is not None
    created = next(c for c in fake.calls if c.path.endswith("/threads"))
    assert created.path == f"/channels/{fake.LIAISON_CHANNEL_ID}/threads"
    assert created.body["name"] == "Case 12" and created.body["type"] == 11

    recipient = Recipient("discord", fake.LIAISON_CHANNEL_ID, thread_id=thread_id)
    await app.services.outbox.enqueue(recipient, Outgoing("A resident needs a liaison."), "c12")
    await app.delivery.drain()
    assert [c.content for c in fake.posts_to(thread_id)] == ["A resident needs a liaison."]
    assert await adapter.open_thread("1100000000000000777", "Not configured") is None


async def test_long_message_is_split_at_2000_on_paragraphs(
    connect: Connect, fake: FakeDiscord
) -> None:
    """A 5,700-character message goes as three messages, whole paragraphs, buttons on the last."""
    app, _ = await connect()
    text = "\n\n".join(f"Paragraph {n}: " + "word " * 90 for n in range(12))
    buttons = ((Button("Start", "cmd", "start"),),)
    await app.services.outbox.enqueue(Recipient("discord", ANA), Outgoing(text, buttons), "long")
    await app.delivery.drain()
    posts = fake.posts_to(fake.dm_channel_id(ANA))
    assert len(posts) == 3
    assert all(len(post.content) <= 2000 for post in posts)
    assert "\n\n".join(post.content for post in posts) == text
    assert [post.custom_ids() for post in posts] == [[], [], ["cmd|start"]]


async def test_attachment_is_uploaded_as_a_file(connect: Connect, fake: FakeDiscord) -> None:
    """Outgoing.attachment travels as a multipart file upload with the text."""
    app, _ = await connect()
    invite = Attachment("meeting.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    message = Outgoing("Add it to your calendar.", attachment=invite)
    await app.services.outbox.enqueue(Recipient("discord", ANA), message, "ics")
    await app.delivery.drain()
    post = fake.posts_to(fake.dm_channel_id(ANA))[0]
    assert post.content == "Add it to your calendar."
    assert post.files == [("meeting.ics", invite.data)]


async def test_relayed_everyone_never_pings(connect: Connect, fake: FakeDiscord) -> None:
    """@everyone, @here and user mentions in relayed text are defused and no mention parses."""
    app, _ = await connect()
    relayed = "From a resident: @everyone @here <@1300000000000000009> come *now*"
    target = Recipient("discord", fake.ANNOUNCE_CHANNEL_ID)
    await app.services.outbox.enqueue(target, Outgoing(relayed), "relay-1")
    await app.delivery.drain()
    post = fake.posts_to(fake.ANNOUNCE_CHANNEL_ID)[0]
    assert post.body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in post.content and "@\u200beveryone" in post.content
    assert "@\u200bhere" in post.content and r"\*now\*" in post.content


async def test_gateway_drop_is_resumed_and_events_keep_flowing(
    connect: Connect, fake: FakeDiscord
) -> None:
    """The socket closes; the client RESUMEs the session, gets what it missed, and later events."""
    await connect()
    await fake.drop_connection()
    await fake.send_dm(ANA, "/start")  # sent while disconnected: replayed on resume
    resume = (await fake.wait_for(lambda: fake.gateway_ops(6)))[0]["d"]
    assert resume["session_id"].startswith("session-") and resume["seq"] >= 2
    dm = fake.dm_channel_id(ANA)
    await fake.wait_for(lambda: fake.posts_to(dm))
    await fake.send_dm(ANA, "/about")
    posts = await fake.wait_for(lambda: len(fake.posts_to(dm)) >= 2 and fake.posts_to(dm))
    assert "is run by" in posts[1].content
    assert len(fake.gateway_ops(2)) == 1, "resumed, never identified again"


async def test_dm_refused_by_discord_marks_the_person_unreachable(
    connect: Connect, fake: FakeDiscord
) -> None:
    """A 403 on an outbox DM (DMs closed) skips the row and marks the person unreachable."""
    app, _ = await connect()
    await fake.send_dm(ANA, "/start")
    dm = fake.dm_channel_id(ANA)
    await fake.wait_for(lambda: fake.posts_to(dm))
    fake.refuse("POST", f"/channels/{dm}/messages", 403, 50007, "Cannot send messages to this user")
    await app.services.outbox.enqueue(Recipient("discord", ANA), Outgoing("Reminder"), "r1")
    await app.delivery.drain()
    person = await app.repos.people.find("discord", ANA)
    assert person is not None and person.unreachable
    counts = await app.repos.outbox.counts_by_status()
    assert counts[OutboxStatus.SKIPPED] == 1


async def test_direct_reply_refused_marks_the_person_unreachable(
    connect: Connect, fake: FakeDiscord
) -> None:
    """A 403 on a direct reply in a DM marks the person unreachable instead of crashing."""
    app, _ = await connect()
    dm = fake.dm_channel_id(BEN)
    fake.refuse("POST", f"/channels/{dm}/messages", 403, 50007, "Cannot send messages to this user")
    await fake.send_dm(BEN, "/start")
    people = app.repos.people

    async def unreachable() -> bool:
        person = await people.find("discord", BEN)
        return person is not None and person.unreachable

    await eventually(unreachable)


# --- pure parts: mapping, rendering, errors ------------------------------------------------


def _state(fake: FakeDiscord) -> Any:
    """A discord.py connection state holding the fake's guild, as after GUILD_CREATE."""
    client = discord.Client(intents=gateway_intents())
    state = client._connection
    state.user = discord.ClientUser(state=state, data=user_payload(fake.BOT_ID, "bot", True))  # type: ignore[arg-type]
    state._add_guild(discord.Guild(data=fake._guild(), state=state))  # type: ignore[arg-type]
    return state


def _message(fake: FakeDiscord, payload: dict[str, Any]) -> discord.Message:
    state = _state(fake)
    channel, _ = state._get_guild_channel(payload)
    return discord.Message(state=state, channel=channel, data=payload)


def _dm(fake: FakeDiscord, content: str, author: str = ANA, bot: bool = False) -> dict[str, Any]:
    return fake.message_payload(
        fake.dm_channel_id(author), user_payload(author, "ana", bot), content
    )


MESSAGE_CASES: list[tuple[str, Callable[[FakeDiscord], dict[str, Any]], dict[str, Any] | None]] = [
    (
        "dm command",
        lambda f: _dm(f, " /Start  now "),
        {"kind": EventKind.COMMAND, "command": "start", "args": "now", "chat_id": ANA},
    ),
    (
        "dm text",
        lambda f: _dm(f, "how do I file a complaint?"),
        {
            "kind": EventKind.TEXT,
            "text": "how do I file a complaint?",
            "chat_kind": ChatKind.PRIVATE,
        },
    ),
    ("another bot", lambda f: _dm(f, "/start", author=BEN, bot=True), None),
    ("itself", lambda f: _dm(f, "Hello!", author=f.BOT_ID, bot=True), None),
    (
        "guild text",
        lambda f: f.message_payload(f.ANNOUNCE_CHANNEL_ID, user_payload(ANA, "ana"), "hi"),
        {"chat_kind": ChatKind.GROUP, "chat_id": FakeDiscord.ANNOUNCE_CHANNEL_ID},
    ),
    (
        "guild text withheld (no message_content intent)",
        lambda f: f.message_payload(f.ANNOUNCE_CHANNEL_ID, user_payload(ANA, "ana"), ""),
        None,
    ),
    (
        "thread",
        lambda f: f.message_payload(
            f.add_thread(f.LIAISON_CHANNEL_ID, "Case 1"), user_payload(ANA, "ana"), "update"
        ),
        {"chat_kind": ChatKind.GROUP, "chat_id": FakeDiscord.LIAISON_CHANNEL_ID},
    ),
    (
        "reply",
        lambda f: {
            **_dm(f, "yes"),
            "type": 19,
            "message_reference": {"message_id": "17", "channel_id": f.dm_channel_id(ANA)},
        },
        {"kind": EventKind.TEXT, "reply_to_message_id": "17"},
    ),
    ("system message", lambda f: {**_dm(f, "joined"), "type": 7}, None),
]


async def test_dm_photo_reaches_the_dispatcher_as_an_attachment(
    connect: Connect, fake: FakeDiscord
) -> None:
    """A photo sent in a DM (without text) is fetched and handed on, e.g. to a case."""
    app, _ = await connect()
    seen: list[Incoming] = []
    collector = Router("collect")

    @collector.text()
    async def collect(ctx: Context, event: Incoming) -> bool:
        seen.append(event)
        return True

    app.dispatcher.include(collector)
    photo = b"\xff\xd8\xff\xe0fake-jpeg"
    await fake.send_dm(ANA, "", files=[("evidence.jpg", photo, "image/jpeg")])
    await eventually(lambda: _true_if(bool(seen)))
    (attachment,) = seen[0].attachments
    assert attachment.data == photo and attachment.mime_type == "image/jpeg"
    assert attachment.is_image and attachment.filename == "evidence.jpg"


async def _true_if(value: bool) -> bool:
    return value


@pytest.mark.parametrize(
    ("payload", "expected"),
    [case[1:] for case in MESSAGE_CASES],
    ids=[case[0] for case in MESSAGE_CASES],
)
async def test_message_mapping(
    payload: Callable[[FakeDiscord], dict[str, Any]], expected: dict[str, Any] | None
) -> None:
    """Each raw message maps to the expected event, or to nothing."""
    fake = FakeDiscord()
    raw = payload(fake)
    event = message_to_incoming(_message(fake, raw))
    if expected is None:
        assert event is None
        return
    assert event is not None
    assert event.platform == "discord" and event.user_id == ANA
    assert event.message_id == raw["id"]
    in_thread = fake.channels[raw["channel_id"]]["type"] == 11
    assert event.thread_id == (raw["channel_id"] if in_thread else None)
    for name, value in expected.items():
        assert getattr(event, name) == value, name


def _slash(f: FakeDiscord, channel: str, locale: str) -> dict[str, Any]:
    return f.interaction_payload(2, {"id": "1", "name": "help", "type": 1}, ANA, locale, channel)


def _press(f: FakeDiscord, channel: str) -> dict[str, Any]:
    message = f.message_payload(channel, user_payload(f.BOT_ID, "bot", True), "Choose:")
    data = {"custom_id": "lang|es", "component_type": 2}
    return f.interaction_payload(3, data, ANA, "en-US", channel, message)


INTERACTION_CASES: list[
    tuple[str, Callable[[FakeDiscord], dict[str, Any]], dict[str, Any] | None]
] = [
    (
        "slash in a guild channel",
        lambda f: _slash(f, f.ANNOUNCE_CHANNEL_ID, "es-ES"),
        {
            "kind": EventKind.COMMAND,
            "command": "help",
            "text": "/help",
            "chat_kind": ChatKind.GROUP,
            "chat_id": FakeDiscord.ANNOUNCE_CHANNEL_ID,
            "language_hint": "es-ES",
            "thread_id": None,
        },
    ),
    (
        "slash in a DM",
        lambda f: _slash(f, f.dm_channel_id(ANA), "pt-BR"),
        {"chat_kind": ChatKind.PRIVATE, "chat_id": ANA, "language_hint": "pt-BR"},
    ),
    (
        "button in a thread",
        lambda f: _press(f, f.add_thread(f.LIAISON_CHANNEL_ID, "Case 2")),
        {
            "kind": EventKind.BUTTON,
            "payload": "lang|es",
            "chat_id": FakeDiscord.LIAISON_CHANNEL_ID,
            "chat_kind": ChatKind.GROUP,
        },
    ),
    (
        "autocomplete",
        lambda f: f.interaction_payload(4, {"name": "help"}, ANA, "en-US", f.ANNOUNCE_CHANNEL_ID),
        None,
    ),
    (
        "modal submit: the form's button, with what was written",
        lambda f: f.interaction_payload(
            5,
            {
                "custom_id": "esc.story|anon",
                "components": [
                    {"type": 18, "component": {"type": 4, "custom_id": "text", "value": " hi "}}
                ],
            },
            ANA,
            "en-US",
            f.ANNOUNCE_CHANNEL_ID,
        ),
        {"kind": EventKind.BUTTON, "payload": "esc.story|anon", "text": "hi", "forms": False},
    ),
]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [case[1:] for case in INTERACTION_CASES],
    ids=[case[0] for case in INTERACTION_CASES],
)
async def test_interaction_mapping(
    payload: Callable[[FakeDiscord], dict[str, Any]], expected: dict[str, Any] | None
) -> None:
    """Slash commands and button presses map to events; other interaction types do not."""
    fake = FakeDiscord()
    raw = payload(fake)
    state = _state(fake)
    event = interaction_to_incoming(discord.Interaction(data=raw, state=state))
    if expected is None:
        assert event is None
        return
    assert event is not None and event.user_id == ANA
    if fake.channels[raw["channel_id"]]["type"] == 11:
        assert event.thread_id == raw["channel_id"]
        assert event.message_id == raw["message"]["id"]
    for name, value in expected.items():
        assert getattr(event, name) == value, name


def test_escaped_text_is_split_within_the_limit() -> None:
    """Escaping doubles '*': the pieces are measured after escaping, so none exceeds 2000."""
    pieces = message_contents(Outgoing("*" * 3000))
    assert all(len(piece) <= 2000 for piece in pieces)
    assert "".join(pieces) == "\\*" * 3000


def test_rtl_text_gets_a_mark_on_every_line() -> None:
    """Right-to-left replies start each line with RLM so digits and Latin stay in place."""
    (content,) = message_contents(Outgoing("مرحبا\n911", rtl=True))
    assert content == "\u200fمرحبا\n\u200f911"


def test_buttons_are_reflowed_when_rows_do_not_fit() -> None:
    """Six rows become rows of five; more than 25 buttons is a named error, not a silent drop."""
    rows = tuple((Button(str(n), "cmd", str(n)),) for n in range(6))
    assert [len(row) for row in fit_rows(rows)] == [5, 1]
    with pytest.raises(TooManyButtons):
        fit_rows(tuple((Button(str(n), "cmd"),) for n in range(26)))


def _http(error: type[discord.HTTPException], status: int) -> discord.HTTPException:
    return error(SimpleNamespace(status=status, reason="fake"), {"message": "x", "code": 0})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "private", "expected"),
    [
        (discord.RateLimited(42.0), False, RetryAfter),
        (_http(discord.Forbidden, 403), True, Unreachable),
        (_http(discord.Forbidden, 403), False, PermanentFailure),
        (_http(discord.NotFound, 404), True, PermanentFailure),
        (_http(discord.DiscordServerError, 503), False, TemporaryFailure),
        (_http(discord.HTTPException, 400), False, PermanentFailure),
        (TimeoutError(), False, TemporaryFailure),
        (aiohttp.ServerDisconnectedError(), True, TemporaryFailure),
    ],
)
def test_delivery_errors_map_to_outbox_outcomes(
    error: BaseException, private: bool, expected: type[Exception]
) -> None:
    """403 in a DM is 'unreachable'; elsewhere refusals are permanent, 5xx/timeouts retried."""
    assert type(delivery_error(error, private)) is expected


# --- the real command ----------------------------------------------------------------------


@BOT_PROCESS
async def test_liaison_run_serves_discord_and_stops_on_sigterm(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """`python -m bot run` with a Discord token: a DM /start is greeted; SIGTERM exits 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    env.update(
        LIAISON_DISCORD_TOKEN=TOKEN,
        LIAISON_DISCORD_API_BASE_URL=fake.api_base_url,
        LIAISON_DISCORD_LIAISON_CHANNEL_ID=fake.LIAISON_CHANNEL_ID,  # start-up needs a room
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: fake.gateway_ops(2), timeout=60)
        await fake.send_dm(ANA, "/start")
        dm = fake.dm_channel_id(ANA)
        post = (await fake.wait_for(lambda: fake.posts_to(dm), timeout=30))[0]
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert post.content.startswith("Hello! I am the assistant")
    assert any(c.path == f"/applications/{fake.APP_ID}/commands" for c in fake.calls), "global"
    assert TOKEN not in log and ANA not in log


async def test_a_spanish_direct_answer_offers_its_close_alternatives(
    connect: Connect, fake: FakeDiscord
) -> None:
    """A Spanish question in a DM is answered in Spanish with the topics ranked close
    behind it as its first buttons; the one she clicks opens in Spanish."""
    app, _ = await connect()
    question = "como pongo una queja contra un policia"
    verdict = app.services.knowledge.decide(question, "es")
    assert verdict.reply == "answer" and verdict.choices  # the premise
    await fake.send_dm(ANA, question)
    dm = fake.dm_channel_id(ANA)
    answer = (await fake.wait_for(lambda: fake.posts_to(dm)))[0]
    first = f"kb|{verdict.choices[0]}@es"
    assert answer.custom_ids()[0] == first
    offered = app.services.knowledge.topic(verdict.choices[0], "es")
    assert offered is not None
    pressed = await fake.click(ANA, fake.last_message(dm)["id"], first)
    opened = (await fake.wait_for(lambda: fake.interaction_calls(pressed)))[0]
    assert opened.content.startswith(offered.topic.title.upper())
    assert "Información general, no asesoría legal." in opened.content


async def test_danger_told_in_everyday_forms_opens_with_the_emergency_lines(
    connect: Connect, fake: FakeDiscord
) -> None:
    """A Spanish DM saying her sister wants to kill herself ("se quiere matar") is
    answered with the emergency lines first, in Spanish, with a person one tap away."""
    app, _ = await connect()
    question = "mi hermana dice que se quiere matar"
    assert app.services.knowledge.decide(question, "es").danger  # by the lists
    await fake.send_dm(ANA, question)
    dm = fake.dm_channel_id(ANA)
    reply = (await fake.wait_for(lambda: fake.posts_to(dm)))[0]
    assert reply.content.startswith("🚨 Si está en peligro ahora mismo, llame al 911.")
    assert any(custom_id.startswith("cmd|human") for custom_id in reply.custom_ids())
