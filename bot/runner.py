"""Runs the configured platforms side by side in one event loop.

Each adapter is started with its library's manual lifecycle (never a blocking call that
owns the loop), so every platform of the registry, the outbox delivery and the scheduler
share one asyncio loop and stop together on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.app import App, build_app, claim_instance
from bot.config import Config
from bot.core.ports import ExclusiveReceiver, PlatformAdapter
from bot.host import AppHost
from bot.leadership import Leadership
from bot.ops.server import OpsServer, start_ops_listener
from storage.leader import leader_lock

# What `liaison run` awaits before starting adapters: None to go on, else an exit code.
Gate = Callable[[], Awaitable[int | None]]
log = logging.getLogger(__name__)


def configured_adapters(app: App) -> list[PlatformAdapter]:
    """An adapter for every enabled platform (its library imported only then)."""
    config = app.services.config
    host = AppHost(app)
    return [
        spec.adapter(host, spec.settings(config))
        for spec in config.platform_specs
        if spec.adapter is not None and spec.is_enabled(config)
    ]


async def serve(app: App, adapters: list[PlatformAdapter], stop: asyncio.Event) -> None:
    """Start adapters and delivery, wait for `stop`, then shut everything down in reverse.

    Adapters whose receiving only one instance may run start sending here; receiving is
    switched on and off by `Leadership` (at once on SQLite, whose process is alone)."""
    started: list[PlatformAdapter] = []
    exclusive: list[ExclusiveReceiver] = []
    ops: OpsServer | None = None
    leadership: Leadership | None = None
    try:
        for adapter in adapters:
            if isinstance(adapter, ExclusiveReceiver) and adapter.exclusive:
                await adapter.start_sending()
                exclusive.append(adapter)
            else:
                await adapter.start()
            started.append(adapter)
            log.info("%s started", adapter.platform)
        leadership = Leadership(leader_lock(app.db), exclusive, app.services.metrics)
        await leadership.start()
        app.start_background()
        ops = await start_ops_listener(app, started)
        # Everything built at start-up (catalogs, knowledge index, adapters) lives as long
        # as the process: left out of the collector's full passes, which otherwise walk it
        # all and stalled the event loop for 0.1-0.4 s at a time on a busy machine.
        gc.freeze()
        await stop.wait()
    finally:
        if ops is not None:
            await ops.stop()
        if leadership is not None:
            await leadership.stop()
        for adapter in reversed(started):
            with contextlib.suppress(Exception):
                await adapter.stop()
        await app.close()


async def run_platforms(config: Config, gate: Gate | None = None) -> int:
    """Run until stopped. `gate` is awaited once the app is built and before any adapter
    starts: an exit code from it stops start-up (so a check's network round trips can
    overlap building the app instead of coming before it)."""
    lock = claim_instance(config)
    try:
        return await _run_platforms(config, gate)
    finally:
        lock.release()


async def _run_platforms(config: Config, gate: Gate | None) -> int:
    app = await build_app(config)
    refused = None if gate is None else await gate()
    if refused is not None:
        await app.close()
        return refused
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, configured_adapters(app), stop)
    return 0
