"""Building configs and apps for tests: one database per test, on each backend.

`tests/conftest.py` turns these into fixtures; test modules import the helpers from here
(never from conftest or from another test module).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import Config, load_config
from bot.i18n import Languages
from bot.knowledge.base import KnowledgeBase

_LANGUAGES: Languages | None = None
_KNOWLEDGE: dict[tuple[str, str], KnowledgeBase] = {}
POSTGRES_URL = os.environ.get("LIAISON_TEST_DATABASE_URL", "")
AppFactory = Callable[..., Coroutine[Any, Any, App]]


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


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


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


def make_config(tmp_path: Path, **env: str) -> Config:
    base = {
        "LIAISON_STORAGE_PATH": str(tmp_path / "liaison.db"),
        "LIAISON_PRIVACY_HASH_KEY_PATH": str(tmp_path / "liaison.key"),
    }
    base.update(env)
    empty = tmp_path / "config.toml"
    empty.touch()
    return load_config(empty, env=base)
