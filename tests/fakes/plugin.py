"""The platform fakes as a pytest plugin: a local Telegram Bot API server, a local Discord
REST + gateway server, and the bot started against them (registered in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.host import AppHost
from bot.platforms.discord import DiscordAdapter
from bot.platforms.discord_spec import DISCORD
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_spec import TELEGRAM
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.support.app import AppFactory, make_config
from tests.support.harness import FakeClock
from tests.support.platforms import (
    DISCORD_TOKEN,
    GUILD_READY_WAIT_S,
    Bot,
    Connect,
    StartBot,
    discord_config,
    telegram_config,
)
from tests.support.telegram_chat import MONDAY_MORNING


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    """A local Telegram Bot API server for adapter tests."""
    async with FakeTelegramAPI() as server:
        yield server


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A local Discord REST + gateway server for adapter tests."""
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def start_bot(
    make_app: AppFactory, tmp_path: Path, api: FakeTelegramAPI, fake: FakeDiscord
) -> AsyncIterator[StartBot]:
    """Both tokens configured, the Discord liaison channel set, api_base_url at the fakes;
    `telegram_liaison_chat_id` optionally makes a Telegram group a liaison room too."""
    running: list[Bot] = []

    async def start(telegram_liaison_chat_id: str = "", **env: str) -> Bot:
        config = make_config(
            tmp_path,
            **env,
            LIAISON_TELEGRAM_TOKEN=TOKEN,
            LIAISON_TELEGRAM_API_BASE_URL=api.base_url,
            LIAISON_TELEGRAM_API_FILE_URL=api.file_url,
            LIAISON_TELEGRAM_LIAISON_CHAT_ID=telegram_liaison_chat_id,
            LIAISON_DISCORD_TOKEN=DISCORD_TOKEN,
            LIAISON_DISCORD_API_BASE_URL=fake.api_base_url,
            LIAISON_DISCORD_GUILD_IDS=fake.GUILD_ID,
            LIAISON_DISCORD_LIAISON_CHANNEL_ID=fake.LIAISON_CHANNEL_ID,
            # Pacing is the adapters' own tests' business; here it would only add seconds.
            LIAISON_TELEGRAM_RATE_PRIVATE_CHAT_PER_S="100",
            LIAISON_TELEGRAM_RATE_GROUP_PER_MIN="6000",
            LIAISON_DISCORD_RATE_CHANNEL_PER_5S="500",
        )
        app = await make_app(config)
        telegram = TelegramAdapter(AppHost(app), TELEGRAM.settings(config))
        discord = DiscordAdapter(
            AppHost(app), DISCORD.settings(config), guild_ready_timeout=GUILD_READY_WAIT_S
        )
        await telegram.start()
        try:
            await discord.start()
        except BaseException:
            await telegram.stop()
            raise
        bot = Bot(app, telegram, discord, api, fake)
        running.append(bot)
        return bot

    yield start
    for bot in running:
        await bot.discord.stop()
        await bot.telegram.stop()


@pytest.fixture
async def connect(
    make_app: AppFactory, tmp_path: Path, fake: FakeDiscord
) -> AsyncIterator[Connect]:
    """Start the bot on the fake; a second call is the bot after a restart (same database)."""
    config = discord_config(tmp_path, fake)
    adapters: list[DiscordAdapter] = []

    async def start() -> tuple[App, DiscordAdapter]:
        app = await make_app(config)
        adapter = DiscordAdapter(
            AppHost(app), DISCORD.settings(config), guild_ready_timeout=GUILD_READY_WAIT_S
        )
        await adapter.start()
        adapters.append(adapter)
        return app, adapter

    yield start
    for adapter in adapters:
        await adapter.stop()


@pytest.fixture
async def telegram_bot(
    make_app: AppFactory, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[App, FakeTelegramAPI]]:
    """The bot on Telegram alone, against the fake, on a Monday morning in New York."""
    clock.now = MONDAY_MORNING
    async with FakeTelegramAPI() as api:
        # One message a second per chat is the adapter's own tests' business: here a
        # person answering the bot at once would wait a real second at every step.
        config = telegram_config(tmp_path, api, rate_private_chat_per_s="100")
        app = await make_app(config)
        adapter = TelegramAdapter(AppHost(app), TELEGRAM.settings(config))
        await adapter.start()
        try:
            yield app, api
        finally:
            await adapter.stop()
