"""Shared fixtures: a real migrated database per test, a hand-moved clock.

Tests that use the `config` (or `app`) fixture run once per storage backend: on SQLite
always, and on PostgreSQL too when `LIAISON_TEST_DATABASE_URL` names a server database
(each test gets a fresh schema in it, dropped afterwards).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import Config, load_config
from bot.i18n import Languages
from bot.knowledge.base import KnowledgeBase
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.harness import FakeClock

_LANGUAGES: Languages | None = None
_KNOWLEDGE: dict[tuple[str, str], KnowledgeBase] = {}


def languages() -> Languages:
    """Catalogs compile once per test session; they are immutable."""
    global _LANGUAGES
    if _LANGUAGES is None:
        _LANGUAGES = Languages()
    return _LANGUAGES


def knowledge(config: Config) -> KnowledgeBase:
    """Search indexes take a second to build: one per distinct content setup."""
    key = (config.knowledge.extra_path, repr(config.local))
    if key not in _KNOWLEDGE:
        _KNOWLEDGE[key] = KnowledgeBase(config)
    return _KNOWLEDGE[key]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


POSTGRES_URL = os.environ.get("LIAISON_TEST_DATABASE_URL", "")


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "storage_url" in metafunc.fixturenames:
        # `sqlite_only` marks tests of the SQLite file itself (backups, file modes).
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize(
            "storage_url", ["sqlite"] if sqlite_only else backends(), indirect=True
        )


async def _schema_command(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections work in a new, empty schema of the test database."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_schema_command(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}search_path={schema}"
    finally:
        asyncio.run(_schema_command(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if getattr(request, "param", "sqlite") == "postgresql":
        with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'liaison.db'}"


@pytest.fixture
def config(tmp_path: Path, storage_url: str) -> Config:
    return make_config(tmp_path, LIAISON_STORAGE_URL=storage_url)


def make_config(tmp_path: Path, **env: str) -> Config:
    base = {
        "LIAISON_STORAGE_PATH": str(tmp_path / "liaison.db"),
        "LIAISON_PRIVACY_HASH_KEY_PATH": str(tmp_path / "liaison.key"),
    }
    base.update(env)
    empty = tmp_path / "config.toml"
    empty.touch()
    return load_config(empty, env=base)


AppFactory = Callable[..., Coroutine[Any, Any, App]]


@pytest.fixture
async def make_app(config: Config, clock: FakeClock) -> AsyncIterator[AppFactory]:
    """Build apps on the same database (a second call is 'the bot after a restart')."""
    apps: list[App] = []

    async def factory(cfg: Config | None = None) -> App:
        chosen = cfg or config
        app = await build_app(
            chosen, clock=clock, languages=languages(), knowledge=knowledge(chosen)
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        await app.close()


@pytest.fixture
async def app(make_app: AppFactory) -> App:
    return await make_app()


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    """A local Telegram Bot API server for adapter tests."""
    async with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A local Discord REST + gateway server for adapter tests."""
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()
