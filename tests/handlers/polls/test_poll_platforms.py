"""Polls across the real Telegram and Discord adapters, against their local fakes.

Several people on one database, in Arabic, Spanish, Chinese and English: a neighbourhood
whose name is far too long for a button payload, a poll for it, a resident who subscribes
after the poll went out (a late voter), the organizer's running count, the closing-soon
reminder to those who have not answered, and the results with the CSV file at the close.
Delivery is driven by `app.delivery.drain()` and the hand-moved clock, as in
tests/handlers/escalation/test_escalation_platforms.py, whose helpers are reused.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.core.people import Role
from bot.host import AppHost
from bot.platforms.discord_spec import DISCORD
from bot.platforms.telegram_spec import TELEGRAM
from handlers.polls.service import Polls
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import ApiCall, FakeTelegramAPI, button_press, message, person
from tests.support.app import AppFactory, make_config
from tests.support.harness import FakeClock
from tests.support.platforms import (
    DISCORD_TOKEN,
    GUILD_READY_WAIT_S,
    TIMEOUT_S,
    TOKEN,
    Bot,
    answered,
    callback_data,
    callback_rows,
    eventually,
    sent_to,
    slash_done,
    text_of,
    wait_sent_to,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

# 73 bytes in UTF-8: as a payload ("sub|" + name) it would break Telegram's 64-byte limit.
LONG = "حي الشيخ جراح والمصرارة الشرقية الجديدة"
OTHER = "Centre"
ORGANIZER_TG = person(8001, "Olga", "en")
AMAL_TG = person(8101, "Amal", "ar")
SOFIA_TG = person(8102, "Sofia", "es")
HALA_DC = "1400000000000000041"
WEI_DC = "1400000000000000042"
ORGANIZER_DC = "1400000000000000043"
PAYLOAD_LIMIT = 64


@pytest.fixture
async def bot(
    make_app: AppFactory, tmp_path: Path, api: FakeTelegramAPI, fake: FakeDiscord
) -> AsyncIterator[Bot]:
    """Both adapters started, with two neighbourhoods, one of them very long."""
    from bot.platforms.discord import DiscordAdapter
    from bot.platforms.telegram import TelegramAdapter

    config = make_config(
        tmp_path,
        LIAISON_MEETINGS_NEIGHBORHOODS=f"{LONG},{OTHER}",
        LIAISON_TELEGRAM_TOKEN=TOKEN,
        LIAISON_TELEGRAM_API_BASE_URL=api.base_url,
        LIAISON_TELEGRAM_API_FILE_URL=api.file_url,
        LIAISON_DISCORD_TOKEN=DISCORD_TOKEN,
        LIAISON_DISCORD_API_BASE_URL=fake.api_base_url,
        LIAISON_DISCORD_GUILD_IDS=fake.GUILD_ID,
        LIAISON_TELEGRAM_RATE_PRIVATE_CHAT_PER_S="100",
        LIAISON_DISCORD_RATE_CHANNEL_PER_5S="500",
    )
    app = await make_app(config)
    telegram = TelegramAdapter(AppHost(app), TELEGRAM.settings(config))
    discord = DiscordAdapter(
        AppHost(app), DISCORD.settings(config), guild_ready_timeout=GUILD_READY_WAIT_S
    )
    await telegram.start()
    await discord.start()
    yield Bot(app, telegram, discord, api, fake)
    await discord.stop()
    await telegram.stop()


async def grant(bot: Bot, platform: str, user_id: str, role: Role) -> None:
    people = bot.app.repos.people
    found = await people.upsert_seen(platform, user_id, None, bot.app.services.clock())
    await people.set_role(found.id, role)


async def delivered(bot: Bot, check: Callable[[], Any]) -> None:
    """Deliver the outbox until `check` holds: a handler queues its outbox rows after it
    has answered, so the answer alone does not mean the rows are there yet."""

    async def done() -> bool:
        await bot.app.delivery.drain()
        return bool(check())

    await eventually(done)


async def settled(bot: Bot) -> None:
    """Let the handler that just answered finish, then deliver what it queued."""
    for _ in range(5):
        await asyncio.sleep(0.02)
        await bot.app.delivery.drain()


# -- Telegram


async def tg_say(bot: Bot, user: dict[str, Any], text: str) -> ApiCall:
    """The user writes; the bot's last answer in their chat."""
    seen = len(sent_to(bot.api, user["id"]))
    await bot.api.push_update(message(user, text))
    return (await wait_sent_to(bot.api, user["id"], seen + 1))[-1]


async def tg_press(bot: Bot, user: dict[str, Any], on: ApiCall, data: str) -> ApiCall:
    """The user presses a button of the bot's message `on`; the bot's answer."""
    assert data in callback_data(on), (data, callback_data(on))
    seen = len(sent_to(bot.api, user["id"]))
    await bot.api.push_update(button_press(user, on.result, data))
    return (await wait_sent_to(bot.api, user["id"], seen + 1))[-1]


def tg_button(call: ApiCall, label: str) -> str:
    """The callback data of the button showing `label`."""
    for row in callback_rows(call):
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r}")


def assert_payloads_fit(call: ApiCall) -> None:
    for data in callback_data(call):
        assert len(data.encode("utf-8")) <= PAYLOAD_LIMIT, data


def tg_polls(bot: Bot, user: dict[str, Any]) -> list[ApiCall]:
    """Poll questions (with their one-tap buttons) the user received."""
    return [c for c in sent_to(bot.api, user["id"]) if "poll.a|1:0" in callback_data(c)]


async def tg_subscribe_to_long(bot: Bot, user: dict[str, Any]) -> None:
    menu = await tg_say(bot, user, "/subscribe")
    assert_payloads_fit(menu)
    done = await tg_press(bot, user, menu, tg_button(menu, LONG))
    assert LONG in text_of(done)


async def test_telegram_long_neighbourhood_late_voter_progress_reminder_and_results(
    bot: Bot, clock: FakeClock
) -> None:
    """Arabic and Spanish residents, an English organizer, all on Telegram."""
    app, api = bot.app, bot.api
    await grant(bot, "telegram", str(ORGANIZER_TG["id"]), Role.ORGANIZER)
    await tg_subscribe_to_long(bot, AMAL_TG)

    picker = await tg_say(bot, ORGANIZER_TG, "/poll new")
    window = await tg_press(bot, ORGANIZER_TG, picker, "poll.t|T1")
    audience = await tg_press(bot, ORGANIZER_TG, window, "poll.w|3d")
    assert_payloads_fit(audience)
    hood = await tg_press(bot, ORGANIZER_TG, audience, tg_button(audience, LONG))
    preview = await tg_press(bot, ORGANIZER_TG, hood, "poll.hq|0")
    sent = await tg_press(bot, ORGANIZER_TG, preview, "poll.send")
    assert "Poll #1 sent to 1 person" in text_of(sent)
    await app.delivery.drain()
    (amal_poll,) = tg_polls(bot, AMAL_TG)
    assert "بالأمان" in text_of(amal_poll)

    # Sofía subscribes after the poll went out: it is offered once, not again on /start.
    await tg_subscribe_to_long(bot, SOFIA_TG)
    await delivered(bot, lambda: tg_polls(bot, SOFIA_TG))
    await tg_say(bot, SOFIA_TG, "/start")
    await settled(bot)
    (sofia_poll,) = tg_polls(bot, SOFIA_TG)
    assert "delincuencia" in text_of(sofia_poll)

    thanks = await tg_press(bot, AMAL_TG, amal_poll, "poll.a|1:7")
    assert "تم حفظ إجابتك" in text_of(thanks)
    progress = await tg_say(bot, ORGANIZER_TG, "/poll")
    assert any("1 answer so far" in text_of(c) for c in sent_to(api, ORGANIZER_TG["id"])[-3:]), (
        text_of(progress)
    )

    clock.advance(days=2, minutes=1)  # 24 h before the close, 10:01 in New York
    await app.delivery.drain()
    reminders = [c for c in sent_to(api, SOFIA_TG["id"]) if text_of(c).startswith("⏰")]
    assert len(reminders) == 1 and "Esta encuesta cierra el" in text_of(reminders[0])
    assert "poll.a|1:7" in callback_data(reminders[0]), "one tap from the reminder"
    assert not [c for c in sent_to(api, AMAL_TG["id"]) if text_of(c).startswith("⏰")]

    clock.advance(days=1)
    assert await app.services.feature(Polls).close_due() == 1
    await app.delivery.drain()
    results = [text_of(c) for c in sent_to(api, ORGANIZER_TG["id"])]
    assert any("Results of poll #1" in text for text in results)
    documents = [c for c in api.sent("sendDocument") if c.get("chat_id") == "8001"]
    assert [d.result["document"]["file_name"] for d in documents] == ["poll-1.csv"]


# -- Discord


def dc_posts_with(fake: FakeDiscord, user_id: str, custom_id: str) -> list[dict[str, Any]]:
    """Messages in the user's DM carrying a button with this custom_id."""
    dm = fake.dm_channel_id(user_id)
    return [
        stored
        for stored in fake.messages.values()
        if stored["channel_id"] == dm
        and custom_id in [b["custom_id"] for row in stored["components"] for b in row["components"]]
    ]


async def dc_dm(bot: Bot, user_id: str, text: str) -> None:
    """The user writes in their DM and the bot has answered."""
    dm = bot.fake.dm_channel_id(user_id)
    seen = len(bot.fake.posts_to(dm))
    await bot.fake.send_dm(user_id, text)
    await bot.fake.wait_for(lambda: len(bot.fake.posts_to(dm)) > seen, timeout=TIMEOUT_S)


async def dc_click(bot: Bot, user_id: str, stored: dict[str, Any], custom_id: str) -> str:
    """The user presses a button; what the bot answered to the press."""
    interaction = await bot.fake.click(user_id, stored["id"], custom_id)
    return (await answered(bot.fake, interaction))[0].content


def custom_ids(stored: dict[str, Any]) -> list[str]:
    return [b["custom_id"] for row in stored["components"] for b in row["components"]]


async def test_discord_long_neighbourhood_late_voter_progress_and_reminder(
    bot: Bot, clock: FakeClock
) -> None:
    """Arabic and Chinese residents in Discord DMs; progress by slash command."""
    app, fake = bot.app, bot.fake
    await grant(bot, "discord", ORGANIZER_DC, Role.ORGANIZER)
    await dc_dm(bot, HALA_DC, "/language")
    (languages,) = dc_posts_with(fake, HALA_DC, "lang|ar")
    await dc_click(bot, HALA_DC, languages, "lang|ar")
    await dc_dm(bot, HALA_DC, "/subscribe")
    menu = fake.last_message(fake.dm_channel_id(HALA_DC))
    assert all(len(c.encode()) <= PAYLOAD_LIMIT for c in custom_ids(menu))
    long_id = next(
        b["custom_id"]
        for row in menu["components"]
        for b in row["components"]
        if b["label"] == LONG
    )
    assert LONG in await dc_click(bot, HALA_DC, menu, long_id)

    organizer = await grant_console_organizer(bot)
    await organizer.send("/poll new")
    await organizer.press_payload("poll.t|T2")
    await organizer.press_payload("poll.w|1w")
    await organizer.press(LONG)
    await organizer.press("No")
    await organizer.press("Send")
    await app.delivery.drain()
    (hala_poll,) = dc_posts_with(fake, HALA_DC, "poll.a|1:0")
    assert "باحترام" in hala_poll["content"]

    # Wei opens /start after the poll was sent: a city-wide audience would include him,
    # but this poll is for one neighbourhood he has not chosen.
    await dc_dm(bot, WEI_DC, "/language")
    (languages,) = dc_posts_with(fake, WEI_DC, "lang|zh_Hans")
    await dc_click(bot, WEI_DC, languages, "lang|zh_Hans")
    await dc_dm(bot, WEI_DC, "/start")
    await settled(bot)
    assert dc_posts_with(fake, WEI_DC, "poll.a|1:0") == []
    await dc_dm(bot, WEI_DC, "/subscribe")
    menu = fake.last_message(fake.dm_channel_id(WEI_DC))
    await dc_click(bot, WEI_DC, menu, long_id)
    await delivered(bot, lambda: dc_posts_with(fake, WEI_DC, "poll.a|1:0"))
    await dc_dm(bot, WEI_DC, "/start")
    await settled(bot)
    assert len(dc_posts_with(fake, WEI_DC, "poll.a|1:0")) == 1, "offered once"

    assert "تم حفظ إجابتك" in await dc_click(bot, HALA_DC, hala_poll, "poll.a|1:8")
    interaction = await fake.slash(ORGANIZER_DC, "poll")
    said = " ".join(c.content for c in await slash_done(fake, interaction))
    assert "1 answer so far" in said, said

    clock.advance(days=6, minutes=1)
    await app.delivery.drain()

    def reminders(user_id: str) -> list[str]:
        dm = fake.dm_channel_id(user_id)
        return [p.content for p in fake.posts_to(dm) if p.content.startswith("⏰")]

    (reminder,) = reminders(WEI_DC)
    assert reminder.startswith("⏰ 这份问卷将于")
    assert reminders(HALA_DC) == []


async def grant_console_organizer(bot: Bot) -> Any:
    """The organizer works from the terminal chat, on the same database."""
    from tests.support.harness import Conversation

    organizer = Conversation(bot.app, user="olga", platform="console")
    await organizer.send("/start")
    person_row = await bot.app.repos.people.find("console", "olga")
    assert person_row is not None
    await bot.app.repos.people.set_role(person_row.id, Role.ORGANIZER)
    return organizer
