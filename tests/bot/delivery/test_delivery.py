"""People before bulk, end to end through the fake platforms: one pacer per platform for
direct replies and outbox rows, and failed replies handed to the outbox ahead of bulk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sized
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.core.events import Outgoing
from bot.core.ports import Recipient
from bot.host import AppHost
from bot.outbox import BULK_ROOM, Queued
from bot.platforms.discord import DiscordAdapter
from bot.platforms.discord_spec import DISCORD
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_spec import TELEGRAM
from storage.outbox import OutboxStatus
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import (
    TOKEN,
    ApiCall,
    FakeTelegramAPI,
    RateLimits,
    bad_gateway,
    message,
    person,
)
from tests.support.app import AppFactory, make_config
from tests.support.harness import FakeClock

# PTB's own RetryAfter constructor reads its deprecated int `retry_after`; not our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

RESIDENT = 4242
FIRST_SUBSCRIBER = 8_000_000
ANA = "1300000000000000001"
TIMEOUT_S = 30.0

StartTelegram = Callable[..., Awaitable[App]]


@pytest.fixture
async def api(request: pytest.FixtureRequest) -> AsyncIterator[FakeTelegramAPI]:
    """The fake Bot API, enforcing the flood limits a test passes as its parameter."""
    async with FakeTelegramAPI(rate_limits=getattr(request, "param", None)) as fake:
        yield fake


@pytest.fixture
async def start_telegram(
    make_app: AppFactory, tmp_path: Path, api: FakeTelegramAPI
) -> AsyncIterator[StartTelegram]:
    """The Telegram adapter on a fake, paced at `rate` sends a second overall (and
    `chat_rate` per private chat)."""
    adapters: list[TelegramAdapter] = []

    async def start(rate: float, chat_rate: float = 1.0) -> App:
        config = make_config(
            tmp_path,
            LIAISON_TELEGRAM_TOKEN=TOKEN,
            LIAISON_TELEGRAM_API_BASE_URL=api.base_url,
            LIAISON_TELEGRAM_API_FILE_URL=api.file_url,
            LIAISON_TELEGRAM_RATE_GLOBAL_PER_S=str(rate),
            LIAISON_TELEGRAM_RATE_PRIVATE_CHAT_PER_S=str(chat_rate),
        )
        app = await make_app(config)
        adapter = TelegramAdapter(AppHost(app), TELEGRAM.settings(config))
        await adapter.start()
        adapters.append(adapter)
        return app

    yield start
    for adapter in adapters:
        await adapter.stop()


async def announce(app: App, subscribers: int) -> None:
    """A broadcast queued as bulk, one message per subscriber."""
    notice = Outgoing("The community meeting moved to Thursday.")
    now = app.services.clock()
    await app.services.outbox.enqueue_many(
        [
            Queued(Recipient("telegram", str(FIRST_SUBSCRIBER + n)), notice, f"notice:{n}", now)
            for n in range(subscribers)
        ]
    )


def successful_sends(api: FakeTelegramAPI) -> list[ApiCall]:
    return sorted(
        (c for c in api.calls if c.method == "sendMessage" and not c.failed and c.result),
        key=lambda call: call.at,
    )


async def eventually(check: Callable[[], bool]) -> None:
    """Wait for something the fakes record without a request to wait on."""
    async with asyncio.timeout(TIMEOUT_S):
        while not check():
            await asyncio.sleep(0.01)


async def eventually_async(check: Callable[[], Awaitable[Sized]]) -> None:
    """Wait until a database read returns something (a row handed to the outbox)."""
    async with asyncio.timeout(TIMEOUT_S):
        while not await check():
            await asyncio.sleep(0.01)


def to_resident(call: ApiCall) -> bool:
    return call.get("chat_id") == str(RESIDENT)


@pytest.mark.parametrize("api", [RateLimits(global_per_s=4.0)], indirect=True)
async def test_an_answer_during_a_broadcast_goes_before_the_queued_bulk(
    start_telegram: StartTelegram, api: FakeTelegramAPI
) -> None:
    """A resident asks while an announcement is being sent at the enforced limit: the
    answer takes the next free slot, the broadcast goes on, and Telegram refuses nothing."""
    rate, subscribers = 4.0, 16
    app = await start_telegram(rate)
    await announce(app, subscribers)
    app.delivery.start()
    await api.wait_for("sendMessage", 4, timeout=TIMEOUT_S)

    update = await api.push_update(message(person(RESIDENT, "Amira", "ar"), "/start"))
    await eventually(lambda: any(to_resident(c) for c in successful_sends(api)))
    sends = successful_sends(api)
    asked_at = api.handed_out[update["update_id"]]
    answer = next(c for c in sends if to_resident(c))
    bulk_between = [c for c in sends if asked_at <= c.at < answer.at and not to_resident(c)]
    # The answer waits for one slot (a quarter second here), not for the broadcast.
    assert len(bulk_between) <= 2
    await api.wait_for("sendMessage", subscribers + 1, timeout=TIMEOUT_S)
    assert api.rate_limited == 0
    times = [c.at for c in successful_sends(api)]
    for start in times:
        # Replies and bulk together stay within the limit (plus the start's one burst).
        assert len([t for t in times if start <= t < start + 1.0]) <= rate + 1


async def test_a_reply_failing_five_times_goes_out_ahead_of_a_queued_broadcast(
    start_telegram: StartTelegram, api: FakeTelegramAPI, clock: FakeClock
) -> None:
    """Five 502s in a row: the reply is handed to the outbox as interactive, and the
    outbox sends it before the broadcast that was queued first (and fills its chats)."""
    # The five tries took the resident's chat slots for the next seconds (real time;
    # only the app's clock moved): a chat rate that does not hold this test up.
    app = await start_telegram(30.0, chat_rate=100.0)
    await announce(app, BULK_ROOM + 4)
    api.fail_next("sendMessage", bad_gateway(), times=5)
    await api.push_update(message(person(RESIDENT, "Lucía", "es"), "/start"))
    outbox = app.repos.outbox

    await eventually_async(lambda: outbox.pending_for_chat("telegram", str(RESIDENT)))
    assert [c.failed for c in api.attempts("sendMessage")] == [True] * 5
    (row,) = await outbox.pending_for_chat("telegram", str(RESIDENT))
    assert row.priority == 0

    await app.delivery.drain()
    sends = successful_sends(api)
    assert to_resident(sends[0])
    assert "Hola" in (sends[0].get("text") or "")
    assert len(sends) == BULK_ROOM + 5


async def test_a_discord_dm_reply_that_gets_a_5xx_reaches_the_resident_later(
    make_app: AppFactory, tmp_path: Path, fake: FakeDiscord, clock: FakeClock
) -> None:
    """Discord answers 503 to every try of a DM reply: the reply is not lost, it waits in
    the outbox and the resident sees it once Discord is back."""
    config = make_config(
        tmp_path,
        LIAISON_DISCORD_TOKEN=TOKEN,
        LIAISON_DISCORD_API_BASE_URL=fake.api_base_url,
        LIAISON_DISCORD_GUILD_IDS=fake.GUILD_ID,
    )
    app = await make_app(config)
    adapter = DiscordAdapter(AppHost(app), DISCORD.settings(config), guild_ready_timeout=0.01)
    await adapter.start()
    try:
        dm = fake.dm_channel_id(ANA)
        fake.refuse("POST", f"/channels/{dm}/messages", 503, times=5)
        await fake.send_dm(ANA, "/start")
        outbox = app.repos.outbox

        await eventually_async(lambda: outbox.pending_for_chat("discord", ANA))
        assert not [m for m in fake.messages.values() if m["channel_id"] == dm]

        clock.advance(seconds=1)
        await app.delivery.drain()
        seen = fake.last_message(dm)
        assert seen["content"].startswith("Hello! I am the assistant")
        counts = await outbox.counts_by_status()
        assert counts[OutboxStatus.SENT] == 1 and counts[OutboxStatus.PENDING] == 0
    finally:
        await adapter.stop()


async def test_a_reply_after_a_short_outage_needs_no_outbox(
    start_telegram: StartTelegram, api: FakeTelegramAPI, clock: FakeClock
) -> None:
    """Two 502s: retried inline with backoff (on the app's clock), delivered directly."""
    app = await start_telegram(30.0)
    started = clock()
    api.fail_next("sendMessage", bad_gateway(), times=2)
    await api.push_update(message(person(RESIDENT, "Vy", "vi"), "/start"))
    await api.wait_for("sendMessage", timeout=TIMEOUT_S)
    assert [c.failed for c in api.attempts("sendMessage")] == [True, True, False]
    assert clock() - started == timedelta(seconds=1.5)
    assert (await app.repos.outbox.counts_by_status())[OutboxStatus.PENDING] == 0
