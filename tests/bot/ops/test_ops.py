"""The operator's listener: /healthz follows storage and platforms, /metrics moves."""

from __future__ import annotations

import asyncio
import shutil
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.config import Config, ConfigError
from bot.core.events import Outgoing
from bot.core.people import Role
from bot.core.ports import Recipient, RetryAfter
from bot.host import AppHost
from bot.ops.backend import storage_backend
from bot.ops.server import OpsServer, start_ops_listener
from bot.platforms.discord import DiscordAdapter
from bot.platforms.discord_spec import DISCORD
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_spec import TELEGRAM
from bot.runner import serve
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import (
    TOKEN,
    FakeTelegramAPI,
    message,
    person,
    too_many_requests,
)
from tests.support.app import AppFactory, make_config
from tests.support.harness import Conversation, FakeClock, RecordingSender

DISCORD_TOKEN = "fake-discord-token-0123456789"
SECRET_TEXT = "the officer at 12 Elm Street took my phone"
RESIDENT_IDS = ("555000111", "555000222", "555000333")


class FakePlatform:
    """A started platform whose connection the test switches off and on."""

    platform = "fakechat"

    def __init__(self) -> None:
        self.connected = True

    async def start(self) -> None:
        self.connected = True

    async def stop(self) -> None:
        self.connected = False


@pytest.fixture
def ops_config(tmp_path: Path, storage_url: str) -> Config:
    """The test's storage backend (SQLite, and PostgreSQL when configured), listener on."""
    return make_config(tmp_path, LIAISON_STORAGE_URL=storage_url, LIAISON_OPS_LISTEN="127.0.0.1:0")


@pytest.fixture
async def ops_app(make_app: AppFactory, ops_config: Config) -> App:
    return await make_app(ops_config)


@pytest.fixture
async def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
async def server(ops_app: App, platform: FakePlatform) -> AsyncIterator[OpsServer]:
    ops = await start_ops_listener(ops_app, [platform])
    assert ops is not None
    yield ops
    await ops.stop()


async def _get(server: OpsServer, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{server.address}{path}") as response,
    ):
        return response.status, await response.text()


async def test_listener_is_off_by_default(app: App) -> None:
    """No [ops] listen, no socket."""
    assert await start_ops_listener(app, []) is None


@pytest.mark.sqlite_only  # moves the database file away
async def test_healthz_flips_to_503_when_storage_goes_away_and_back(
    server: OpsServer, ops_config: Config, platform: FakePlatform
) -> None:
    """Moving the database file away under the running bot is reported, then recovered."""
    status, body = await _get(server, "/healthz")
    assert (status, '"status": "ok"' in body) == (200, True)
    database = storage_backend(ops_config).path
    moved = database.with_name("moved.db")
    shutil.move(database, moved)
    status, body = await _get(server, "/healthz")
    assert status == 503
    assert '"storage"' in body and str(database) not in body
    shutil.move(moved, database)
    assert (await _get(server, "/healthz"))[0] == 200
    platform.connected = False
    status, body = await _get(server, "/healthz")
    assert status == 503 and '"fakechat": "not connected"' in body
    platform.connected = True
    assert (await _get(server, "/healthz"))[0] == 200


def _samples(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the text format, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_move_after_a_scripted_conversation(
    server: OpsServer, ops_app: App, clock: FakeClock
) -> None:
    """Three residents (English, Spanish, Arabic) and a liaison: every counter moves."""
    app = ops_app
    sender = RecordingSender("console")
    app.delivery.register(sender, None)
    before = _samples((await _get(server, "/metrics"))[1])
    assert before[("liaison_cases_opened_total", ())] == 0

    english = Conversation(app, user=RESIDENT_IDS[0], platform="console", language_hint="en")
    spanish = Conversation(app, user=RESIDENT_IDS[1], platform="console", language_hint="es")
    arabic = Conversation(app, user=RESIDENT_IDS[2], platform="console", language_hint="ar")
    liaison = Conversation(app, user="liaison-7", platform="console")
    await liaison.send("/start")
    person = await app.repos.people.find("console", "liaison-7")
    assert person is not None
    await app.repos.people.set_role(person.id, Role.LIAISON)

    await english.send("cop took my phone and won't give it back")  # answer
    await english.send("what's the weather tomorrow")  # off-topic
    await english.send("police paper thing")  # choices
    await english.send("a man with a gun is outside my door right now")  # urgent
    await spanish.send("la policía se llevó mi teléfono")
    await arabic.send("أخذت الشرطة هاتفي")
    await arabic.send("/human")
    await arabic.press_payload("esc.anon")
    await arabic.send(SECRET_TEXT)
    waiting = _samples((await _get(server, "/metrics"))[1])
    assert waiting[("liaison_cases_unclaimed", ())] == 1
    await liaison.send("/reply 1 we are looking into it")
    await liaison.send("/close 1")
    await liaison.press_payload("esc.outcome|1:answered")  # closing asks for the outcome
    await app.delivery.drain()
    clock.advance(minutes=3)

    assert all(reply.rtl for reply in arabic.transcript)  # the Arabic resident reads RTL
    status, exposition = await _get(server, "/metrics")
    assert status == 200
    after = _samples(exposition)
    replies = {
        kind: after.get(("liaison_replies_total", (("kind", kind),)), 0.0)
        for kind in ("answer", "choices", "offtopic")
    }
    assert replies["answer"] >= 2 and replies["choices"] >= 1 and replies["offtopic"] >= 1
    assert sum(replies.values()) == 6  # every free-text question, nothing else
    assert after[("liaison_urgent_answers_total", ())] >= 1
    assert after[("liaison_messages_in_total", (("platform", "console"),))] == 13
    assert after[("liaison_handler_seconds_count", (("kind", "text"),))] == 7
    assert after[("liaison_handler_seconds_count", (("kind", "command"),))] == 4
    direct = after[("liaison_messages_out_total", (("path", "reply"), ("platform", "console")))]
    assert direct == sum(len(c.transcript) for c in (english, spanish, arabic, liaison))
    outbox = after[("liaison_messages_out_total", (("path", "outbox"), ("platform", "console")))]
    assert outbox == len(sender.delivered) > 0
    assert after[("liaison_cases_opened_total", ())] == 1
    assert after[("liaison_cases_closed_total", ())] == 1
    assert after[("liaison_cases_unclaimed", ())] == 0  # claimed by the reply, then closed
    assert after[("liaison_outbox_pending", ())] == 0
    for private in (*RESIDENT_IDS, "liaison-7", "Elm Street"):
        assert private not in exposition


class LimitedSender:
    """A platform that says 'too many requests' once, then delivers."""

    platform = "console"

    def __init__(self) -> None:
        self.refused = False
        self.delivered: list[Outgoing] = []

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        if not self.refused:
            self.refused = True
            raise RetryAfter(30)
        self.delivered.append(message)


async def test_rate_limits_and_outbox_age_are_reported(
    server: OpsServer, ops_app: App, clock: FakeClock
) -> None:
    """A 429 is counted, the held row shows as depth and age, then drains."""
    app = ops_app
    sender = LimitedSender()
    app.delivery.register(sender, None)
    await app.services.outbox.enqueue(
        Recipient("console", "someone"), Outgoing("meeting tonight"), "test:1"
    )
    await app.delivery.drain()
    clock.advance(seconds=45)
    samples = _samples((await _get(server, "/metrics"))[1])
    assert samples[("liaison_rate_limited_total", (("platform", "console"),))] == 1
    errors = ("liaison_delivery_errors_total", (("kind", "rate_limited"), ("platform", "console")))
    assert samples[errors] == 1
    assert samples[("liaison_outbox_pending", ())] == 1
    assert samples[("liaison_outbox_oldest_due_age_seconds", ())] == pytest.approx(15)
    await app.delivery.drain()
    samples = _samples((await _get(server, "/metrics"))[1])
    assert samples[("liaison_outbox_pending", ())] == 0
    assert len(sender.delivered) == 1


async def test_loop_lag_is_measured(server: OpsServer) -> None:
    """A sample records how late a timer fired; the histogram counts it."""

    lag = await server.sample_loop_lag(asyncio.get_running_loop(), 0.0)
    assert lag >= 0
    samples = _samples((await _get(server, "/metrics"))[1])
    assert samples[("liaison_event_loop_lag_seconds_count", ())] >= 1


async def test_the_longest_loop_stall_is_kept(server: OpsServer) -> None:
    """A task that blocks the loop for 50 ms shows as a maximum lag of at least that; a
    later quick sample does not lower it."""
    loop = asyncio.get_running_loop()
    loop.call_soon(time.sleep, 0.05)
    await server.sample_loop_lag(loop, 0.0)
    await server.sample_loop_lag(loop, 0.0)
    samples = _samples((await _get(server, "/metrics"))[1])
    assert samples[("liaison_event_loop_lag_max_seconds", ())] >= 0.05


async def test_serve_starts_the_listener_with_telegram_and_counts_its_messages(
    make_app: AppFactory, tmp_path: Path
) -> None:
    """The real runner: Telegram against its fake, /healthz is 200 once it is connected, a
    Spanish speaker's message and the 429 on its answer are counted under telegram, and
    stopping closes the listener."""
    import asyncio

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    async with FakeTelegramAPI() as api:
        config = make_config(
            tmp_path,
            LIAISON_TELEGRAM_TOKEN=TOKEN,
            LIAISON_TELEGRAM_API_BASE_URL=api.base_url,
            LIAISON_TELEGRAM_API_FILE_URL=api.file_url,
            LIAISON_OPS_LISTEN=f"127.0.0.1:{port}",
        )
        app = await make_app(config)
        stop = asyncio.Event()
        running = asyncio.create_task(
            serve(app, [TelegramAdapter(AppHost(app), TELEGRAM.settings(config))], stop)
        )
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(10):
                while True:
                    try:
                        async with session.get(f"{url}/healthz") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.02)
            api.fail_next("sendMessage", too_many_requests(1))  # PTB reads 0 as no 429
            await api.push_update(message(person(601, "Lucía", "es"), "/start"))
            greeting = (await api.wait_for("sendMessage"))[0]
            assert "Hola" in (greeting.get("text") or "")
            async with session.get(f"{url}/metrics") as response:
                samples = _samples(await response.text())
            assert samples[("liaison_messages_in_total", (("platform", "telegram"),))] == 1
            reply = ("liaison_messages_out_total", (("path", "reply"), ("platform", "telegram")))
            assert samples[reply] == 1
            limited = ("liaison_rate_limited_total", (("platform", "telegram"),))
            assert samples[limited] == 1  # the 429 was waited out, and counted
            stop.set()
            await running
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(f"{url}/healthz")


async def test_health_follows_the_discord_gateway(make_app: AppFactory, tmp_path: Path) -> None:
    """Connected to Discord's fake: healthy; the client closed: 503 naming discord."""
    fake = FakeDiscord()
    await fake.start()
    try:
        config = make_config(
            tmp_path,
            LIAISON_DISCORD_TOKEN=DISCORD_TOKEN,
            LIAISON_DISCORD_API_BASE_URL=fake.api_base_url,
            LIAISON_DISCORD_GUILD_IDS=fake.GUILD_ID,
            LIAISON_OPS_LISTEN="127.0.0.1:0",
        )
        app = await make_app(config)
        adapter = DiscordAdapter(AppHost(app), DISCORD.settings(config), guild_ready_timeout=0.01)
        await adapter.start()
        ops = await start_ops_listener(app, [adapter])
        assert ops is not None
        try:
            assert (await _get(ops, "/healthz"))[0] == 200
            await adapter.stop()
            status, body = await _get(ops, "/healthz")
            assert status == 503 and '"discord": "not connected"' in body
        finally:
            await ops.stop()
    finally:
        await fake.close()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("LIAISON_OPS_LISTEN", "9464"),
        ("LIAISON_OPS_LISTEN", "localhost:http"),
        ("LIAISON_OPS_LISTEN", "127.0.0.1:70000"),
        ("LIAISON_LOGGING_FORMAT", "xml"),
    ],
)
def test_bad_ops_settings_name_the_key(key: str, value: str, tmp_path: Path) -> None:
    """A listen address without a usable port, or an unknown log format, stops start-up."""
    with pytest.raises(ConfigError) as refused:
        make_config(tmp_path, **{key: value})
    assert refused.value.key == key.removeprefix("LIAISON_").lower().replace("_", ".", 1)
