"""One leader receives: two instances on one database share the fake Bot API, only the
leader long-polls, and when it loses its lock connection the other takes over with no
update handled twice or lost."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.config import Config
from bot.host import AppHost
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_spec import TELEGRAM
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI, message, person
from tests.support.app import AppFactory, make_config
from tests.support.leadership import (
    Instance,
    eventually,
    kill_leader_session,
    record_handled,
    start_instance,
    stopped_at_end,
    two_instances,
)


def _config(tmp_path: Path, storage_url: str, api: FakeTelegramAPI) -> Config:
    """Every instance of a journey: one database, the fake Bot API."""
    return make_config(
        tmp_path,
        LIAISON_STORAGE_URL=storage_url,
        LIAISON_TELEGRAM_TOKEN=TOKEN,
        LIAISON_TELEGRAM_API_BASE_URL=api.base_url,
        LIAISON_TELEGRAM_API_FILE_URL=api.file_url,
    )


async def _instances(
    make_app: AppFactory,
    tmp_path: Path,
    storage_url: str,
    api: FakeTelegramAPI,
    handled: list[tuple[str, str]],
    started: list[Instance[TelegramAdapter]],
) -> Callable[[str], Awaitable[Instance[TelegramAdapter]]]:
    config = _config(tmp_path, storage_url, api)

    async def start(name: str) -> Instance[TelegramAdapter]:
        app = await make_app(config)
        adapter = TelegramAdapter(AppHost(app), TELEGRAM.settings(config))
        return await start_instance(name, app, adapter, handled, started)

    return start


async def test_only_the_leader_polls_and_the_other_takes_over_when_it_loses_its_lock(
    make_app: AppFactory,
    tmp_path: Path,
    storage_url: str,
    api: FakeTelegramAPI,
    quick: None,
) -> None:
    """Leader a polls and handles; a's lock session dies; a stops polling, b takes over
    after the grace, and every update is handled exactly once, never with two polls."""
    handled: list[tuple[str, str]] = []
    started: list[Instance[TelegramAdapter]] = []
    start = await _instances(make_app, tmp_path, storage_url, api, handled, started)
    async with stopped_at_end(started):
        pair = await two_instances(start, storage_url)
        if pair is None:
            return
        a, b = pair
        assert a.leadership.leading and not b.leadership.leading
        assert a.app.services.metrics.leader._value.get() == 1
        assert b.app.services.metrics.leader._value.get() == 0
        assert b.adapter.connected  # a follower is healthy: it sends, it does not poll
        residents = [person(9100 + n, f"R{n}", lang) for n, lang in enumerate(("es", "ar", "fr"))]
        for resident in residents:
            await api.push_update(message(resident, f"before {resident['id']}"))
        await eventually(lambda: len(handled) == 3)
        assert {name for name, _ in handled} == {"a"}

        await kill_leader_session(storage_url)
        await eventually(lambda: b.leadership.leading and not a.leadership.leading)
        for resident in residents:
            await api.push_update(message(resident, f"after {resident['id']}"))
        await eventually(lambda: len(handled) == 6)
        await asyncio.sleep(0.3)  # anything handled twice would show by now
        texts = Counter(text for _, text in handled)
        assert len(texts) == 6 and set(texts.values()) == {1}
        assert {name for name, text in handled if text.startswith("after")} == {"b"}
        assert api.conflicts == 0, "two instances polled at once"
        assert len(api.pollers()) >= 2  # both polled, one after the other
        assert b.app.services.metrics.leader._value.get() == 1
        assert a.app.services.metrics.leader._value.get() == 0


async def test_a_second_poller_gets_409_and_the_adapter_keeps_going(
    make_app: AppFactory, tmp_path: Path, storage_url: str, api: FakeTelegramAPI
) -> None:
    """If two processes poll anyway (a second deployment on another database), Telegram
    answers 409 to one of them: the adapter logs it and keeps polling, and every update
    is still handled once."""
    config = _config(tmp_path, storage_url, api)
    handled: list[tuple[str, str]] = []
    adapters: list[TelegramAdapter] = []
    async with stopped_at_end(adapters):
        for name in ("a", "b"):
            app = await make_app(config)
            record_handled(app, name, handled)
            adapter = TelegramAdapter(AppHost(app), TELEGRAM.settings(config))
            adapters.append(adapter)
            await adapter.start()
        await eventually(lambda: api.conflicts >= 1)
        resident = person(9200, "Ana", "es")
        for n in range(4):
            await api.push_update(message(resident, f"hola {n}"))
        await eventually(lambda: len(handled) >= 4)
        await asyncio.sleep(0.3)
        assert sorted(text for _, text in handled) == [f"hola {n}" for n in range(4)]
        assert all(adapter.connected for adapter in adapters)
