"""The Telegram adapter, end to end against a local fake Bot API (loopback only)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Update

from bot.app import App
from bot.core.context import Context
from bot.core.events import Attachment, Button, ChatKind, EventKind, Incoming, Outgoing
from bot.core.ports import (
    NotConnected,
    PermanentFailure,
    Recipient,
    RetryAfter,
    TemporaryFailure,
    Unreachable,
)
from bot.core.router import Router
from bot.host import AppHost
from bot.i18n import RLM
from bot.platforms import stopping
from bot.platforms.telegram import MESSAGE_LIMIT, BotIdentity, TelegramAdapter, to_incoming
from bot.platforms.telegram_spec import TELEGRAM
from storage.outbox import OutboxStatus
from tests.fakes.telegram_api import (
    BOT_ID,
    BOT_USER,
    BOT_USERNAME,
    TOKEN,
    ApiCall,
    Failure,
    FakeTelegramAPI,
    bad_gateway,
    blocked_by_user,
    button_press,
    group_chat,
    message,
    person,
    too_many_requests,
)
from tests.support.app import AppFactory
from tests.support.platforms import telegram_config
from tests.support.processes import BOT_PROCESS

# PTB's own RetryAfter constructor reads its deprecated int `retry_after`; not our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

JSON = dict[str, Any]
StartBot = Callable[..., Awaitable["Running"]]
SPANISH_DONE = "Listo: le hablaré en Español"
PARAGRAPH = "word " * 399 + "end."  # 2000 characters
LONG_TEXT = "\n\n".join([PARAGRAPH] * 3)


# ---------------------------------------------------------------- fixtures and helpers


@dataclass(frozen=True)
class Running:
    """A started adapter and the app behind it."""

    app: App
    adapter: TelegramAdapter


@pytest.fixture
async def start_bot(
    make_app: AppFactory, tmp_path: Path, api: FakeTelegramAPI
) -> AsyncIterator[StartBot]:
    """Start the real adapter against the fake (settings as LIAISON_TELEGRAM_* values)."""
    adapters: list[TelegramAdapter] = []

    async def start(**settings: str) -> Running:
        # One message a second per private chat would make every step of a test that
        # answers the bot at once wait a real second; the pacing tests set their rates.
        settings.setdefault("rate_private_chat_per_s", "100")
        config = telegram_config(tmp_path, api, **settings)
        app = await make_app(config)
        app.dispatcher.include(_test_router())
        adapter = TelegramAdapter(AppHost(app), TELEGRAM.settings(config))
        await adapter.start()
        adapters.append(adapter)
        return Running(app, adapter)

    yield start
    for adapter in adapters:
        await adapter.stop()


@pytest.fixture
async def running(start_bot: StartBot) -> Running:
    """A long-polling adapter."""
    return await start_bot()


@pytest.fixture
def app(running: Running) -> App:
    return running.app


@pytest.fixture
def adapter(running: Running) -> TelegramAdapter:
    return running.adapter


def _test_router() -> Router:
    """Test-only commands: an echo (for escaping), a reply longer than one message and a
    command whose handling never ends."""
    router = Router("telegram-test")

    @router.command("echo")
    async def echo(ctx: Context, event: Incoming) -> None:
        await ctx.reply(f"{event.display_name}: {event.args}")

    @router.command("long")
    async def long(ctx: Context, event: Incoming) -> None:
        await ctx.reply(LONG_TEXT, [[Button("OK", "cmd", "start")]])

    @router.command("hang")
    async def hang(ctx: Context, event: Incoming) -> None:
        """An update whose handling never ends (a call that never returns)."""
        HANGING.append(event.user_id)
        await asyncio.Event().wait()

    return router


# Who sent /hang: their update is still in hand.
HANGING: list[str] = []


def record_events(app: App) -> list[Incoming]:
    """Every event the dispatcher receives, seen through a guard that lets all pass."""
    seen: list[Incoming] = []

    async def guard(ctx: Context, event: Incoming) -> bool:
        seen.append(event)
        return True

    app.dispatcher.guards.append(guard)
    return seen


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.01)


def button_data(call: ApiCall, label: str) -> str:
    for row in call.json("reply_markup")["inline_keyboard"]:
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---------------------------------------------------------------- conversations


async def test_full_conversation_switches_to_spanish(app: App, api: FakeTelegramAPI) -> None:
    """/start, /language, press Español: the message is edited in Spanish, /help is Spanish."""
    ana = person(501, "Ana", "en")
    await api.push_update(message(ana, "/start"))
    greeting = (await api.wait_for("sendMessage"))[0]
    assert "Hello" in (greeting.get("text") or "")
    assert greeting.get("parse_mode") == "HTML"
    assert button_data(greeting, "Language") == "cmd|language"

    await api.push_update(message(ana, "/language"))
    menu = (await api.wait_for("sendMessage", 2))[1]
    await api.push_update(button_press(ana, menu.result, button_data(menu, "Español")))
    edit = (await api.wait_for("editMessageText"))[0]
    assert edit.get("message_id") == str(menu.result["message_id"])
    assert SPANISH_DONE in (edit.get("text") or "")
    assert len(api.sent("answerCallbackQuery")) == 1
    assert len(api.sent("sendMessage")) == 2  # edited in place, nothing new sent

    stored = await app.repos.people.find("telegram", "501")
    assert stored is not None and stored.locale == "es"
    await api.push_update(message(ana, "/help"))
    help_reply = (await api.wait_for("sendMessage", 3))[2]
    assert "Esto es lo que puede enviarme" in (help_reply.get("text") or "")


async def test_menu_button_press_is_answered_and_runs_the_command(
    app: App, api: FakeTelegramAPI
) -> None:
    """A press is answered (no spinner) and the menu button's command replies anew."""
    ben = person(502, "Ben")
    await api.push_update(message(ben, "/start"))
    greeting = (await api.wait_for("sendMessage"))[0]
    await api.push_update(button_press(ben, greeting.result, "cmd|language"))
    choose = (await api.wait_for("sendMessage", 2))[1]
    answer = (await api.wait_for("answerCallbackQuery"))[0]
    assert (answer.get("callback_query_id") or "").startswith("cb-")
    assert button_data(choose, "Español") == "lang|es"


async def test_pressing_the_same_choice_twice_sends_nothing_new(
    app: App, api: FakeTelegramAPI
) -> None:
    """A second press that changes nothing ('message is not modified') is not an error."""
    cleo = person(503, "Cleo")
    await api.push_update(message(cleo, "/language"))
    menu = (await api.wait_for("sendMessage"))[0]
    press = button_press(cleo, menu.result, "lang|fr")
    await api.push_update(press)
    await api.wait_for("editMessageText")
    await api.push_update(button_press(cleo, menu.result, "lang|fr"))
    await eventually(lambda: _true(len(api.attempts("editMessageText")) == 2))
    await api.push_update(message(cleo, "/help"))
    await api.wait_for("sendMessage", 2)
    assert len(api.sent("answerCallbackQuery")) == 2
    assert len(api.sent("sendMessage")) == 2  # the menu and /help: no duplicate "done"


async def _true(value: bool) -> bool:
    return value


# ---------------------------------------------------------------- delivery failures


async def test_flood_limit_waits_exactly_retry_after(app: App, api: FakeTelegramAPI) -> None:
    """A 429 with retry_after=1: the reply is sent again after one second and arrives."""
    api.fail_next("sendMessage", too_many_requests(1))
    await api.push_update(message(person(504), "/start"))
    await api.wait_for("sendMessage")
    refused, delivered = api.attempts("sendMessage")
    assert refused.failed and not delivered.failed
    assert 1.0 <= delivered.at - refused.at < 2.0


async def test_bad_gateway_is_retried(app: App, api: FakeTelegramAPI) -> None:
    """A 502 from the API is retried with backoff and the reply arrives."""
    api.fail_next("sendMessage", bad_gateway())
    await api.push_update(message(person(505), "/start"))
    await api.wait_for("sendMessage")
    assert [c.failed for c in api.attempts("sendMessage")] == [True, False]


async def test_blocked_user_is_marked_unreachable(app: App, api: FakeTelegramAPI) -> None:
    """403 'bot was blocked by the user' marks the person unreachable; no retry."""
    api.fail_next("sendMessage", blocked_by_user())
    await api.push_update(message(person(506), "/start"))
    people = app.repos.people

    async def marked() -> bool:
        found = await people.find("telegram", "506")
        return found is not None and found.unreachable

    await eventually(marked)
    assert len(api.attempts("sendMessage")) == 1


async def test_long_flood_wait_hands_the_reply_to_the_outbox(
    app: App, api: FakeTelegramAPI
) -> None:
    """A wait longer than a person should hold the line is queued durably, not dropped."""
    api.fail_next("sendMessage", too_many_requests(600))
    await api.push_update(message(person(507), "/start"))
    outbox = app.repos.outbox

    async def queued() -> bool:
        return (await outbox.counts_by_status()).get(OutboxStatus.PENDING, 0) == 1

    await eventually(queued)


# ---------------------------------------------------------------- rendering


async def test_long_reply_is_split_on_paragraphs(app: App, api: FakeTelegramAPI) -> None:
    """Over 4096 characters: whole paragraphs per message, buttons under the last one."""
    await api.push_update(message(person(508), "/long"))
    first, second = await api.wait_for("sendMessage", 2)
    texts = [first.get("text") or "", second.get("text") or ""]
    assert all(len(text) <= MESSAGE_LIMIT for text in texts)
    assert texts == [PARAGRAPH + "\n\n" + PARAGRAPH, PARAGRAPH]
    assert first.json("reply_markup") is None
    assert button_data(second, "OK") == "cmd|start"


async def test_html_in_names_and_text_arrives_escaped(app: App, api: FakeTelegramAPI) -> None:
    """A name and words full of HTML are sent escaped, and Telegram shows them literally."""
    eve = person(509, "<b>Eve</b>")
    await api.push_update(message(eve, "/echo <i>hi</i> & <script>"))
    reply = (await api.wait_for("sendMessage"))[0]
    assert reply.get("text") == "&lt;b&gt;Eve&lt;/b&gt;: &lt;i&gt;hi&lt;/i&gt; &amp; &lt;script&gt;"
    assert reply.result["text"] == "<b>Eve</b>: <i>hi</i> & <script>"


async def test_right_to_left_lines_are_marked(app: App, api: FakeTelegramAPI) -> None:
    """Arabic replies carry a right-to-left mark at the start of every line."""
    await api.push_update(message(person(510, "Amal", "ar"), "/help"))
    text = (await api.wait_for("sendMessage"))[0].get("text") or ""
    lines = [line for line in text.split("\n") if line]
    assert len(lines) > 2 and all(line.startswith(RLM) for line in lines)


async def test_command_menus_are_published_per_language(app: App, api: FakeTelegramAPI) -> None:
    """setMyCommands for every language (two-letter codes) and a default in English,
    published while the bot already answers."""
    calls = await api.wait_for("setMyCommands", count=11)
    codes = {call.get("language_code") for call in calls}
    assert codes == {None, "en", "es", "fr", "ar", "zh", "vi", "ht", "ru", "pt", "so"}
    default = {c["command"]: c["description"] for c in api.commands[("default", "")]}
    assert default["start"] == "Start over and see what I can do"
    url = f"{api.base_url}{TOKEN}/getMyCommands?language_code=es"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        spanish = {c["command"]: c["description"] for c in (await response.json())["result"]}
    assert spanish["start"] == "Empezar de nuevo y ver lo que puedo hacer"
    assert "echo" not in default  # commands without a description stay out of menus


# ---------------------------------------------------------------- groups and incoming


async def test_groups_answer_only_what_is_addressed_to_the_bot(
    app: App, api: FakeTelegramAPI
) -> None:
    """Group chatter is ignored; a mention, a reply to the bot and a command are handled."""
    seen = record_events(app)
    room = group_chat()
    dan = person(511, "Dan")
    await api.push_update(message(dan, "nice weather today", chat=room))
    mention = message(dan, f"@{BOT_USERNAME} when is the meeting?", chat=room)
    mention["message"]["entities"] = [
        {"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}
    ]
    await api.push_update(mention)
    bot_message = {"message_id": 900, "date": 0, "chat": room, "from": BOT_USER, "text": "Hi"}
    await api.push_update(message(dan, "thanks!", chat=room, reply_to_message=bot_message))
    await api.push_update(message(dan, f"/start@{BOT_USERNAME}", chat=room))
    await api.wait_for("sendMessage")
    assert [(e.kind, e.text) for e in seen] == [
        (EventKind.TEXT, "when is the meeting?"),
        (EventKind.TEXT, "thanks!"),
        (EventKind.COMMAND, f"/start@{BOT_USERNAME}"),
    ]
    assert all(e.chat_kind is ChatKind.GROUP for e in seen)


async def test_incoming_photo_is_fetched_as_an_attachment(app: App, api: FakeTelegramAPI) -> None:
    """A photo sent to the bot arrives with its bytes, fetched through the file URL."""
    seen = record_events(app)
    file_id = api.add_file(b"\x89PNG fake image", "photos/file_1.jpg")
    photo = [{"file_id": file_id, "file_unique_id": "u1", "width": 9, "height": 9}]
    update = message(person(512), "", photo=photo, caption="my ticket")
    del update["message"]["text"]
    await api.push_update(update)
    await eventually(lambda: _true(bool(seen)))
    (event,) = seen
    assert event.text == "my ticket"
    assert [(a.data, a.is_image) for a in event.attachments] == [(b"\x89PNG fake image", True)]


async def test_webhook_requires_the_secret_token(start_bot: StartBot, api: FakeTelegramAPI) -> None:
    """Webhook mode: with the secret header an update is handled; without it, 403."""
    port = free_port()
    webhook = await start_bot(
        mode="webhook",
        webhook_url=f"http://127.0.0.1:{port}/telegram-hook",
        webhook_listen="127.0.0.1",
        webhook_port=str(port),
        webhook_secret="test-secret_42",
    )
    assert api.webhook == {
        "url": f"http://127.0.0.1:{port}/telegram-hook",
        "secret_token": "test-secret_42",
    }
    fay = person(513, "Fay")
    assert await api.post_webhook(message(fay, "/start"), secret=None) == 403
    assert await api.post_webhook(message(fay, "/start"), secret="wrong") == 403
    assert await api.post_webhook(message(fay, "/help")) == 200
    reply = (await api.wait_for("sendMessage"))[0]
    assert "Here is what you can send me" in (reply.get("text") or "")
    # The refused ones had no late effect either: a chat's updates are handled in order,
    # so once a second /help is answered nothing from before it is still on its way.
    assert await api.post_webhook(message(fay, "/help")) == 200
    await api.wait_for("sendMessage", count=2)
    assert len(api.sent("sendMessage")) == 2
    assert await webhook.app.repos.people.find("telegram", "513")
    assert api.attempts("deleteWebhook") == []  # polling's clean-up is not run in webhook mode


# ---------------------------------------------------------------- the outbox's sender


async def test_outbox_rows_are_posted_into_their_thread(app: App, api: FakeTelegramAPI) -> None:
    """A row for a forum topic goes to that topic (message_thread_id)."""
    target = Recipient("telegram", "-100200300", thread_id="77")
    await app.services.outbox.enqueue(target, Outgoing("A resident needs help"), "case-1")
    await app.delivery.drain()
    sent = (await api.wait_for("sendMessage"))[0]
    assert (sent.get("chat_id"), sent.get("message_thread_id")) == ("-100200300", "77")
    assert sent.result["is_topic_message"] is True


async def test_fractional_rates_deliver_proactive_messages(
    start_bot: StartBot, api: FakeTelegramAPI
) -> None:
    """rate_private_chat_per_s = 0.5 (and a group rate of 0.5 a minute) still send."""
    running = await start_bot(rate_private_chat_per_s="0.5", rate_group_per_min="0.5")
    outbox = running.app.services.outbox
    await outbox.enqueue(Recipient("telegram", "521"), Outgoing("Reminder"), "r-521")
    await outbox.enqueue(Recipient("telegram", "-100200300"), Outgoing("Meeting"), "m-group")
    await running.app.delivery.drain()
    sent = await api.wait_for("sendMessage", 2)
    assert sorted(str(c.get("chat_id")) for c in sent) == ["-100200300", "521"]
    counts = await running.app.repos.outbox.counts_by_status()
    assert counts[OutboxStatus.SENT] == 2


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (too_many_requests(3), RetryAfter),
        (bad_gateway(), TemporaryFailure),
        (blocked_by_user(), Unreachable),
    ],
)
async def test_delivery_errors_are_mapped(
    adapter: TelegramAdapter, api: FakeTelegramAPI, failure: Failure, expected: type[Exception]
) -> None:
    """429 -> RetryAfter(seconds), 502 -> TemporaryFailure, 403 -> Unreachable."""
    api.fail_next("sendMessage", failure)
    with pytest.raises(expected) as raised:
        await adapter.deliver(Recipient("telegram", "514"), Outgoing("hello"))
    if isinstance(raised.value, RetryAfter):
        assert raised.value.seconds == 3


async def test_refused_message_is_a_permanent_failure(
    adapter: TelegramAdapter, api: FakeTelegramAPI
) -> None:
    """400 Bad Request (here: no such chat) is permanent: the outbox will not retry it."""
    with pytest.raises(PermanentFailure):
        await adapter.deliver(Recipient("telegram", "not-a-chat"), Outgoing("hello"))


async def test_split_row_retried_sends_only_what_is_missing(
    adapter: TelegramAdapter, api: FakeTelegramAPI
) -> None:
    """A 429 on the second part of a split row: the retry sends the second part only."""
    api.fail_next("sendMessage", too_many_requests(1), after=1)
    target, long_message = Recipient("telegram", "515"), Outgoing(LONG_TEXT)
    with pytest.raises(RetryAfter):
        await adapter.deliver(target, long_message)
    await adapter.deliver(target, long_message)
    assert [c.get("text") for c in api.sent("sendMessage")] == [
        PARAGRAPH + "\n\n" + PARAGRAPH,
        PARAGRAPH,
    ]


async def test_rows_wait_while_the_adapter_is_stopped(adapter: TelegramAdapter) -> None:
    """After stop (shutting down), a row is NotConnected: it stays pending for next start."""
    await adapter.stop()
    with pytest.raises(NotConnected):
        await adapter.deliver(Recipient("telegram", "517"), Outgoing("hello"))


async def test_images_go_as_photos_and_files_as_documents(
    adapter: TelegramAdapter, api: FakeTelegramAPI
) -> None:
    """Attachments: images by sendPhoto, others by sendDocument, captions escaped."""
    chart = Attachment("results.png", b"\x89PNG chart", "image/png", is_image=True)
    invite = Attachment("meeting.ics", b"BEGIN:VCALENDAR", "text/calendar")
    await adapter.deliver(Recipient("telegram", "516"), Outgoing("Trust <poll>", attachment=chart))
    await adapter.deliver(Recipient("telegram", "516"), Outgoing("", attachment=invite))
    photo = (await api.wait_for("sendPhoto"))[0]
    document = (await api.wait_for("sendDocument"))[0]
    uploaded = photo.upload("photo")
    assert uploaded is not None and uploaded.data == b"\x89PNG chart"
    assert photo.get("caption") == "Trust &lt;poll&gt;"
    sent_file = document.upload("document")
    assert sent_file is not None and (sent_file.filename, sent_file.data) == (
        "meeting.ics",
        b"BEGIN:VCALENDAR",
    )


async def test_a_file_sent_again_goes_by_file_id_not_a_new_upload(
    adapter: TelegramAdapter, api: FakeTelegramAPI
) -> None:
    """The same .ics for many people is uploaded once, then re-sent by its file_id."""
    invite = Attachment("meeting.ics", b"BEGIN:VCALENDAR\r\nUID:1", "text/calendar")
    for chat in ("601", "602", "603"):
        await adapter.deliver(Recipient("telegram", chat), Outgoing("Meeting", attachment=invite))
    calls = await api.wait_for("sendDocument", 3)
    assert [call.upload("document") is not None for call in calls] == [True, False, False]
    assert api.resends == 2
    assert {call.get("chat_id") for call in calls} == {"601", "602", "603"}


async def test_case_thread_is_opened_and_staff_messages_in_it_reach_the_bot(
    app: App, api: FakeTelegramAPI
) -> None:
    """The neutral thread opener makes a topic; a liaison's plain message there is handled."""
    seen = record_events(app)
    api.forums.add("-100777")
    thread_id = await app.services.thread_openers["telegram"]("-100777", "Case 12")
    assert thread_id is not None
    forum = group_chat(-100777, forum=True)
    notice = {
        "message_id": int(thread_id),
        "date": 0,
        "chat": forum,
        "from": BOT_USER,
        "forum_topic_created": {"name": "Case 12", "icon_color": 7322096},
    }
    in_topic = {"message_thread_id": int(thread_id), "is_topic_message": True}
    await api.push_update(
        message(
            person(518, "Lia"),
            "We will call you today.",
            forum,
            **in_topic,
            reply_to_message=notice,
        )
    )
    await eventually(lambda: _true(bool(seen)))
    assert (seen[0].text, seen[0].thread_id) == ("We will call you today.", thread_id)


async def test_open_thread_creates_a_forum_topic_only_in_forums(
    adapter: TelegramAdapter, api: FakeTelegramAPI
) -> None:
    """open_thread returns the new topic's thread id in a forum, None elsewhere."""
    api.forums.add("-100777")
    thread_id = await adapter.open_thread("-100777", "Case 12: noise complaint")
    assert thread_id is not None and thread_id.isdigit()
    assert (await api.wait_for("createForumTopic"))[0].get("name") == "Case 12: noise complaint"
    assert await adapter.open_thread("-100888", "Case 13") is None
    assert len(api.attempts("createForumTopic")) == 1


# ---------------------------------------------------------------- the mapping, as a table

ME = BotIdentity(BOT_ID, BOT_USERNAME)
GROUP = group_chat()
FORUM = group_chat(-100999, forum=True)
USER = person(42, "Ana", "es")
OTHER = person(43, "Bo", None)
BOT_MESSAGE = {"message_id": 900, "date": 0, "chat": GROUP, "from": BOT_USER, "text": "Hi"}
TOPIC_NOTICE = {
    "message_id": 77,
    "date": 0,
    "chat": FORUM,
    "from": OTHER,
    "forum_topic_created": {"name": "Case", "icon_color": 7322096},
}


def _with_mention(update: JSON) -> JSON:
    length = len(BOT_USERNAME) + 1
    update["message"]["entities"] = [{"type": "mention", "offset": 0, "length": length}]
    return update


MAPPING_TABLE: list[tuple[str, JSON, JSON | None]] = [
    (
        "private text",
        message(USER, "hola"),
        {
            "kind": EventKind.TEXT,
            "chat_id": "42",
            "user_id": "42",
            "text": "hola",
            "language_hint": "es",
            "chat_kind": ChatKind.PRIVATE,
            "display_name": "Ana",
        },
    ),
    (
        "private command with arguments",
        message(USER, "/Start  from the poster"),
        {"kind": EventKind.COMMAND, "command": "start", "args": "from the poster"},
    ),
    (
        "group command addressed with @botname",
        message(USER, f"/help@{BOT_USERNAME} now", chat=GROUP),
        {
            "kind": EventKind.COMMAND,
            "command": "help",
            "args": "now",
            "chat_id": str(GROUP["id"]),
            "chat_kind": ChatKind.GROUP,
        },
    ),
    ("group command for another bot", message(USER, "/help@OtherBot", chat=GROUP), None),
    ("group plain message", message(USER, "see you all tonight", chat=GROUP), None),
    (
        "group mention of the bot",
        _with_mention(message(USER, f"@{BOT_USERNAME} my rights?", chat=GROUP)),
        {"kind": EventKind.TEXT, "text": "my rights?"},
    ),
    (
        "group reply to the bot",
        message(USER, "yes please", chat=GROUP, reply_to_message=BOT_MESSAGE),
        {
            "kind": EventKind.TEXT,
            "text": "yes please",
            "reply_to_message_id": "900",
            "reply_to_bot_text": "Hi",
        },
    ),
    (
        "group reply to someone else",
        message(USER, "agreed", chat=GROUP, reply_to_message={**BOT_MESSAGE, "from": OTHER}),
        None,
    ),
    (
        "forum topic command",
        message(
            USER,
            "/start",
            chat=FORUM,
            message_thread_id=77,
            is_topic_message=True,
            reply_to_message=TOPIC_NOTICE,
        ),
        {"kind": EventKind.COMMAND, "thread_id": "77", "reply_to_message_id": None},
    ),
    (
        "forum topic someone else opened: chatter",
        message(
            USER,
            "hello all",
            chat=FORUM,
            message_thread_id=77,
            is_topic_message=True,
            reply_to_message=TOPIC_NOTICE,
        ),
        None,
    ),
    (
        "forum topic the bot opened (a case thread): every message",
        message(
            USER,
            "we can meet on Tuesday",
            chat=FORUM,
            message_thread_id=77,
            is_topic_message=True,
            reply_to_message={**TOPIC_NOTICE, "from": BOT_USER},
        ),
        {"kind": EventKind.TEXT, "thread_id": "77", "reply_to_message_id": None},
    ),
    (
        "button press",
        button_press(USER, {**BOT_MESSAGE, "chat": {"id": 42, "type": "private"}}, "lang|es"),
        {
            "kind": EventKind.BUTTON,
            "payload": "lang|es",
            "message_id": "900",
            "chat_id": "42",
            "language_hint": "es",
        },
    ),
    (
        "private reply to an earlier message",
        message(
            USER,
            "this one",
            reply_to_message={**BOT_MESSAGE, "chat": {"id": 42, "type": "private"}, "from": USER},
        ),
        {"kind": EventKind.TEXT, "reply_to_message_id": "900"},
    ),
    ("message from another bot", message(BOT_USER, "beep"), None),
    ("edited message", {"edited_message": message(USER, "typo")["message"]}, None),
    (
        "sticker",
        {"message": {**message(USER, "")["message"], "sticker": None, "text": None}},
        None,
    ),
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [pytest.param(raw, expected, id=name) for name, raw, expected in MAPPING_TABLE],
)
def test_mapping_table(raw: JSON, expected: JSON | None) -> None:
    """Raw Bot API updates map to the right neutral event, or to nothing."""
    update = Update.de_json({"update_id": 1, **raw}, None)
    event = to_incoming(update, ME)
    if expected is None:
        assert event is None
        return
    assert event is not None and event.platform == "telegram"
    assert {key: getattr(event, key) for key in expected} == expected


# ---------------------------------------------------------------- `liaison run`


@BOT_PROCESS
async def test_liaison_run_serves_telegram_and_stops_cleanly(
    tmp_path: Path, api: FakeTelegramAPI
) -> None:
    """`python -m bot run` with a token and the fake's URL greets, then exits 0 on SIGTERM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    env.update(
        LIAISON_TELEGRAM_TOKEN=TOKEN,
        LIAISON_TELEGRAM_API_BASE_URL=api.base_url,
        LIAISON_TELEGRAM_API_FILE_URL=api.file_url,
        LIAISON_TELEGRAM_LIAISON_CHAT_ID="-100200300",  # start-up needs a liaison room
    )
    await api.push_update(message(person(520, "Gus"), "/start"))
    log_path = tmp_path / "stderr.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "run"),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log_file,
        )
    greeted = asyncio.ensure_future(api.wait_for("sendMessage", timeout=30))
    try:
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait({greeted, exited}, return_when=asyncio.FIRST_COMPLETED)
        assert not exited.done(), log_path.read_text()
        assert "Hello" in ((await greeted)[0].get("text") or "")
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 20)
    finally:
        greeted.cancel()
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = log_path.read_text()
    assert process.returncode == 0, log
    assert TOKEN not in log and "Gus" not in log
    assert (tmp_path / "liaison.db").exists()


async def test_spanish_question_on_an_english_chat_is_triaged_in_spanish(
    app: App, api: FakeTelegramAPI
) -> None:
    """Urgent choices open with the emergency lines, and the Spanish topic she presses is
    shown in Spanish although her Telegram language is English and never confirmed."""
    lucia = person(520, "Lucía", "en")
    await api.push_update(message(lucia, "arrestaron a mi hijo de 14 años"))
    choices = (await api.wait_for("sendMessage"))[0]
    assert (choices.get("text") or "").startswith("🚨")
    topic_data = choices.json("reply_markup")["inline_keyboard"][0][0]["callback_data"]
    assert topic_data.endswith("@es")
    await api.push_update(button_press(lucia, choices.result, topic_data))
    sent = await api.wait_for("sendMessage", 3)  # choices, offer to switch, the article
    article = sent[-1].get("text") or ""
    assert "Información general, no asesoría legal." in article
    stored = await app.repos.people.find("telegram", "520")
    assert stored is not None and stored.locale == "en"


async def test_stopping_ends_with_an_update_stuck_in_hand(
    running: Running,
    api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A handler that never returns does not hold the process: that step of stopping
    waits its bound, says so, and the adapter stops."""
    monkeypatch.setattr(stopping, "STOP_STEP_S", 0.2)
    HANGING.clear()  # the same test on another backend ran before
    await api.push_update(message(person(531), "/hang"))
    await eventually(lambda: _true("531" in HANGING))
    with caplog.at_level(logging.WARNING, logger="bot.platforms.stopping"):
        async with asyncio.timeout(5):
            await running.adapter.stop()
    assert "telegram: stopping (updates in hand) took over" in caplog.text
    assert not running.adapter.connected


async def test_a_direct_answer_offers_its_close_alternatives_in_arabic(
    app: App, api: FakeTelegramAPI
) -> None:
    """An Arabic question answered directly: the topics ranked close behind it are the
    first buttons under the article, and the one she presses opens in Arabic, marked
    right to left."""
    question = "كيف اقدم شكوى ضد شرطي"
    verdict = app.services.knowledge.decide(question, "ar")
    assert verdict.reply == "answer" and verdict.choices  # the premise
    salma = person(530, "Salma", "ar")
    await api.push_update(message(salma, question))
    answer = (await api.wait_for("sendMessage"))[0]
    first_button = answer.json("reply_markup")["inline_keyboard"][0][0]
    assert first_button["callback_data"] == f"kb|{verdict.choices[0]}@ar"
    offered = app.services.knowledge.topic(verdict.choices[0], "ar")
    assert offered is not None and first_button["text"] == "→ " + offered.topic.title
    await api.push_update(button_press(salma, answer.result, first_button["callback_data"]))
    article = (await api.wait_for("sendMessage", 2))[1].get("text") or ""
    assert offered.topic.title.upper() in article
    assert article.startswith("\u200f")  # right-to-left mark, as every Arabic reply


async def test_danger_told_in_everyday_forms_opens_with_the_emergency_lines(
    app: App, api: FakeTelegramAPI
) -> None:
    """Two residents on one bot: an Arabic one whose brother says he will kill himself
    sees the emergency lines first, right to left; a Russian one typing in Latin letters
    from an English Telegram about ICE at her husband's work sees them too, with the
    immigration topic offered first in Russian and the offer to keep to Russian."""
    salma = person(532, "Salma", "ar")
    brother = "اخوي عم يقول بدو ينتحر"
    assert app.services.knowledge.decide(brother, "ar").danger  # by the lists
    await api.push_update(message(salma, brother))
    danger = (await api.wait_for("sendMessage"))[0]
    text = danger.get("text") or ""
    assert text.startswith("\u200f🚨")
    assert "911" in text.splitlines()[0]
    vera = person(533, "Vera", "en")
    await api.push_update(message(vera, "ICE prishli k muzhu na rabotu, chto delat"))
    sent = await api.wait_for("sendMessage", 3)  # Salma's answer, then Vera's two
    choices, offer = sent[1], sent[2]
    assert (choices.get("text") or "").startswith("🚨")
    first = choices.json("reply_markup")["inline_keyboard"][0][0]
    assert first["callback_data"] == "kb|rights.immigration_status@ru"
    immigration = app.services.knowledge.topic("rights.immigration_status", "ru")
    assert immigration is not None and first["text"] == immigration.topic.title
    assert offer.json("reply_markup")["inline_keyboard"][0][0]["text"] == "Русский"
    # Each saw only her own replies.
    assert str(danger.get("chat_id")) == "532" and str(choices.get("chat_id")) == "533"
