"""Shared fixtures: a real migrated SQLite file per test, a hand-moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.config import Config, load_config
from bot.i18n import Languages
from bot.knowledge.base import KnowledgeBase
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


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


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
