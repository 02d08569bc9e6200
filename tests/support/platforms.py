"""Both platform adapters in one app against their fakes, and what people see there.

Used by the cross-platform journeys (escalation, polls, meetings): the `start_bot`
fixture (tests/fakes/plugin.py) starts Telegram then Discord as `bot.runner` does;
the helpers here read what each person was sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import Config
from bot.core.people import Role
from bot.platforms.discord import DiscordAdapter
from bot.platforms.telegram import TelegramAdapter
from tests.fakes.discord_api import Call, FakeDiscord
from tests.fakes.telegram_api import (
    TOKEN,
    ApiCall,
    FakeTelegramAPI,
    button_press,
    message,
    person,
)
from tests.support.app import make_config

JSON = dict[str, Any]
DISCORD_TOKEN = "fake-discord-token-0123456789"
# discord.py waits this long after the last GUILD_CREATE before it reports ready (2 s live).
GUILD_READY_WAIT_S = 0.01
# A bound on failure only: waits end as soon as the condition holds, and a loaded
# machine (CI on two shared cores) can take seconds to schedule the bot's tasks.
TIMEOUT_S = 30.0

# An anonymous resident on Telegram, with everything that could identify them.
RESIDENT_TG_ID = 5550123987
RESIDENT_TG = {
    **person(RESIDENT_TG_ID, "Zebulon", "es"),
    "last_name": "Quixotesecret",
    "username": "zeb_hidden_handle",
}
RESIDENT_TG_CHAT = str(RESIDENT_TG_ID)
# A liaison on Telegram, writing in the forum supergroup that is the liaison room.
LIAISON_TG = person(7001, "Lia", "en")
FORUM_ID = -1001777
# People on Discord.
LIAISON_DC = "1300000000000000011"
RESIDENT_DC = "1300000000000000021"
BYSTANDER_DC = "1300000000000000031"

# locales/es/LC_MESSAGES/messages.po: msgid "Liaison" -> msgstr "Enlace comunitario";
# "{sender} (case #{number}):" -> "{sender} (caso #{number}):".
SPANISH_LIAISON_HEADER = "Enlace comunitario (caso #1):"
CASE_BUTTONS = ["esc.claim|1", "esc.reply|1", "esc.close|1", "esc.block|1"]
STAFF_ONLY = "Sorry, this button is only for the service's staff."


# ---------------------------------------------------------------- fixtures and helpers


@dataclass(frozen=True)
class Bot:
    """The app with both adapters started, and the two fakes they talk to."""

    app: App
    telegram: TelegramAdapter
    discord: DiscordAdapter
    api: FakeTelegramAPI
    fake: FakeDiscord

    async def drain(self) -> None:
        await self.app.delivery.drain()


StartBot = Callable[..., Awaitable[Bot]]


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = TIMEOUT_S) -> Any:
    """Wait for a side effect no request announces (a database write); its value."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.01)
    return result


async def grant_liaison(app: App, platform: str, user_id: str) -> int:
    """The liaison role, granted through the repository (as `liaison roles grant` does)."""
    people = app.repos.people
    found = await people.upsert_seen(platform, user_id, None, app.services.clock())
    await people.set_role(found.id, Role.LIAISON)
    return found.id


async def drained_until(bot: Bot, seen: Callable[[], list[Any]], count: int) -> list[Any]:
    """Deliver until `seen()` holds `count` items: a handler stores its change a moment
    before it queues the messages about it, so one drain right after can come too early."""

    async def enough() -> list[Any] | None:
        await bot.drain()
        items = seen()
        return items if len(items) >= count else None

    result: list[Any] = await eventually(enough)
    return result


# -- Telegram


def sent_to(api: FakeTelegramAPI, chat_id: str | int) -> list[ApiCall]:
    """Messages Telegram accepted for one chat, in order."""
    return [c for c in api.sent("sendMessage") if c.get("chat_id") == str(chat_id)]


async def wait_sent_to(api: FakeTelegramAPI, chat_id: str | int, count: int) -> list[ApiCall]:
    async def enough() -> list[ApiCall] | None:
        calls = sent_to(api, chat_id)
        return calls if len(calls) >= count else None

    result: list[ApiCall] = await eventually(enough)
    return result


def text_of(call: ApiCall) -> str:
    """What the person sees: the fake parsed the HTML like Telegram does."""
    return str(call.result["text"])


def callback_rows(call: ApiCall) -> list[list[JSON]]:
    markup = call.json("reply_markup")
    return [] if markup is None else list(markup["inline_keyboard"])


def callback_data(call: ApiCall) -> list[str]:
    return [button["callback_data"] for row in callback_rows(call) for button in row]


async def telegram_resident_opens_case(bot: Bot, *texts: str) -> None:
    """/human, press Anonymous, write the first message (then the others); all delivered."""
    api, chat = bot.api, RESIDENT_TG_CHAT
    seen = len(sent_to(api, chat))
    await api.push_update(message(RESIDENT_TG, "/human"))
    intro = (await wait_sent_to(api, chat, seen + 1))[-1]
    assert "esc.anon" in callback_data(intro), "the Anonymous button"
    await api.push_update(button_press(RESIDENT_TG, intro.result, "esc.anon"))
    await wait_sent_to(api, chat, seen + 2)
    await api.push_update(message(RESIDENT_TG, texts[0]))
    acknowledged = (await wait_sent_to(api, chat, seen + 3))[-1]
    assert "#1" in text_of(acknowledged)
    for number, text in enumerate(texts[1:], start=2):
        await api.push_update(message(RESIDENT_TG, text))

        async def queued(count: int = number) -> bool:
            """Stored and queued for the rooms (a relay is stored a moment before)."""
            rows = await bot.app.db.fetch(
                "SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'case:1:in:%'"
            )
            keys = [str(row[0]) for row in rows]
            return len({key.split(":")[3] for key in keys}) >= count - 1

        await eventually(queued)
    await bot.drain()


async def latest_with_button(api: FakeTelegramAPI, chat_id: str, data: str) -> ApiCall | None:
    """The latest message to a chat offering a button with this callback data."""
    return next((c for c in reversed(sent_to(api, chat_id)) if data in callback_data(c)), None)


# -- Discord


async def discord_resident_opens_case(bot: Bot, text: str) -> None:
    """/human typed in a DM, press Anonymous, write the first message; all delivered."""
    fake = bot.fake
    dm = fake.dm_channel_id(RESIDENT_DC)
    seen = len(fake.posts_to(dm))
    await fake.send_dm(RESIDENT_DC, "/human")
    await fake.wait_for(lambda: len(fake.posts_to(dm)) > seen, timeout=TIMEOUT_S)
    intro = stored_message_with(fake, dm, "esc.anon")
    await answered(fake, await fake.click(RESIDENT_DC, intro["id"], "esc.anon"))
    await fake.send_dm(RESIDENT_DC, text)
    posts = await fake.wait_for(
        lambda: len(fake.posts_to(dm)) > seen + 1 and fake.posts_to(dm), timeout=TIMEOUT_S
    )
    assert "#1" in posts[-1].content
    await bot.drain()


def case_threads(fake: FakeDiscord) -> list[str]:
    """Threads the bot opened in the liaison channel, in order."""
    return [
        channel_id
        for channel_id, channel in fake.channels.items()
        if channel["type"] == 11 and channel["parent_id"] == fake.LIAISON_CHANNEL_ID
    ]


def stored_message_with(fake: FakeDiscord, channel_id: str, custom_id: str) -> JSON:
    """The latest message in a channel carrying a button with this custom_id."""
    for stored in reversed(list(fake.messages.values())):
        ids = [b["custom_id"] for row in stored["components"] for b in row["components"]]
        if stored["channel_id"] == channel_id and custom_id in ids:
            return stored
    raise AssertionError(f"no message with {custom_id!r} in {channel_id}")


async def answered(fake: FakeDiscord, interaction_id: str, count: int = 1) -> list[Call]:
    """The interaction's calls once there are `count` of them."""

    def check() -> list[Call] | None:
        calls = fake.interaction_calls(interaction_id)
        return calls if len(calls) >= count else None

    result: list[Call] = await fake.wait_for(check, timeout=TIMEOUT_S)
    return result


async def slash_done(fake: FakeDiscord, interaction_id: str) -> list[Call]:
    """A slash command the handler answered only through the outbox: deferred, then the
    "thinking…" placeholder deleted, which happens once the handler has returned."""

    def check() -> list[Call] | None:
        calls = fake.interaction_calls(interaction_id)
        said = any(c.method == "DELETE" or c.content for c in calls)
        return calls if said else None

    result: list[Call] = await fake.wait_for(check, timeout=TIMEOUT_S)
    return result


async def discord_reply(bot: Bot, thread_id: str, text: str) -> None:
    """The liaison answers with /reply in the case thread (see the module docstring)."""
    interaction = await bot.fake.slash(
        LIAISON_DC, "reply", channel_id=thread_id, options={"text": text}
    )
    calls = await slash_done(bot.fake, interaction)
    assert [c.content for c in calls if c.content] == [], "no refusal, no error"


async def discord_card(bot: Bot) -> tuple[str, Call]:
    """The one case thread and the case card posted in it."""
    fake = bot.fake
    (thread_id,) = case_threads(fake)
    card = fake.posts_to(thread_id)[0]
    return thread_id, card


def everything_recorded(fake: FakeDiscord) -> str:
    """Every REST request (method, path, query, body, files) and every gateway payload."""
    calls = [asdict(call) for call in fake.calls]
    return json.dumps([calls, fake.received], default=repr, ensure_ascii=False)


# -- one platform

Connect = Callable[[], Awaitable[tuple[App, DiscordAdapter]]]


def telegram_config(tmp_path: Path, api: FakeTelegramAPI, **settings: str) -> Config:
    env = {
        "LIAISON_TELEGRAM_TOKEN": TOKEN,
        "LIAISON_TELEGRAM_API_BASE_URL": api.base_url,
        "LIAISON_TELEGRAM_API_FILE_URL": api.file_url,
    }
    env.update({f"LIAISON_TELEGRAM_{key.upper()}": value for key, value in settings.items()})
    return make_config(tmp_path, **env)


def discord_config(tmp_path: Path, fake: FakeDiscord) -> Config:
    return make_config(
        tmp_path,
        LIAISON_DISCORD_TOKEN=DISCORD_TOKEN,
        LIAISON_DISCORD_API_BASE_URL=fake.api_base_url,
        LIAISON_DISCORD_GUILD_IDS=fake.GUILD_ID,
        LIAISON_DISCORD_LIAISON_CHANNEL_ID=fake.LIAISON_CHANNEL_ID,
        LIAISON_DISCORD_ANNOUNCEMENT_CHANNEL_IDS=fake.ANNOUNCE_CHANNEL_ID,
    )


def is_deferral(call: Call) -> bool:
    """An interaction answered with "thinking…" (type 5), to be followed up later."""
    return isinstance(call.body, dict) and call.body.get("type") == 5
