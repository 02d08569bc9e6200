"""Shared fixtures: a real migrated database per test, a hand-moved clock.

Tests that use the `config` (or `app`) fixture run once per storage backend: on SQLite
always, and on PostgreSQL too when `LIAISON_TEST_DATABASE_URL` names a server database
(each test gets a fresh schema in it, dropped afterwards). The platform fakes' fixtures
come from the `tests.fakes.plugin` pytest plugin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import Config
from tests.support.app import (
    AppFactory,
    backends,
    knowledge,
    languages,
    make_config,
    postgres_schema,
)
from tests.support.harness import FakeClock

pytest_plugins = [
    "tests.fakes.plugin",
    "tests.support.exercised",
    "tests.support.processes",
    "tests.support.leadership",
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "storage_url" in metafunc.fixturenames:
        # `sqlite_only` marks tests of the SQLite file itself (backups, file modes).
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize(
            "storage_url", ["sqlite"] if sqlite_only else backends(), indirect=True
        )


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


@pytest.fixture
async def make_app(config: Config, clock: FakeClock) -> AsyncIterator[AppFactory]:
    """Build apps on the same database (a second call is 'the bot after a restart')."""
    apps: list[App] = []

    async def factory(cfg: Config | None = None) -> App:
        chosen = cfg or config
        app = await build_app(
            chosen,
            clock=clock,
            languages=languages(),
            knowledge=knowledge(chosen),
            sleep=clock.sleep,
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        await app.close()


@pytest.fixture
async def app(make_app: AppFactory) -> App:
    return await make_app()
