"""The operator's HTTP listener: `GET /healthz` and `GET /metrics`, nothing else.

Off unless `[ops] listen` names an address. It runs in the bot's own event loop (aiohttp),
so a blocked loop shows up as a slow health check and as event-loop lag, which is the point.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.core.context import Services
from bot.core.ports import PlatformAdapter
from bot.ops.backend import storage_backend
from bot.ops.health import HealthCheck
from bot.ops.metrics import Metrics

if TYPE_CHECKING:
    from bot.app import App
    from storage.repositories import Repositories

log = logging.getLogger(__name__)

# How often the loop-lag probe asks for a timer; the lag is how late it fires. A stall
# shows in full only when it covers the probe's due time, so the probe runs often enough
# to catch any stall long enough to matter, at most this much short of it (50 wake-ups a
# second cost the loop well under 1 %).
LAG_INTERVAL_S = 0.02


def split_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:9464' or '[::1]:9464' -> (host, port); config already validated it."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class OpsServer:
    def __init__(
        self, services: Services, repos: Repositories, health: HealthCheck, listen: str
    ) -> None:
        self._services = services
        self._repos = repos
        self._health = health
        self._listen = listen
        self._runner: web.AppRunner | None = None
        self._lag_task: asyncio.Task[None] | None = None
        self._lag_max = 0.0

    @property
    def metrics(self) -> Metrics:
        return self._services.metrics

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        host, port = split_listen(self._listen)
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._lag_task = asyncio.create_task(self._watch_loop_lag(), name="ops-loop-lag")
        log.info("ops listener on %s", self.address)

    @property
    def address(self) -> str:
        """host:port actually bound (port 0 in tests becomes a real one)."""
        if self._runner is None or not self._runner.addresses:
            return self._listen
        host, port = self._runner.addresses[0][:2]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"

    async def stop(self) -> None:
        if self._lag_task is not None:
            self._lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag_task
        if self._runner is not None:
            await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self._health.check()
        body = {"status": "ok" if report.healthy else "unavailable", "problems": report.problems}
        return web.json_response(body, status=200 if report.healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        services = self._services
        try:
            await self.metrics.refresh(self._repos, services.clock())
        except Exception as error:  # storage down: still serve what this process counted
            log.warning("metrics: storage gauges not refreshed: %s", type(error).__name__)
        return web.Response(
            body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def _watch_loop_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.sample_loop_lag(loop, LAG_INTERVAL_S)

    async def sample_loop_lag(self, loop: asyncio.AbstractEventLoop, interval: float) -> float:
        """Sleep `interval` and record how much longer than that it took."""
        asked = loop.time()
        await asyncio.sleep(interval)
        lag = max(0.0, loop.time() - asked - interval)
        self.metrics.loop_lag.observe(lag)
        if lag > self._lag_max:
            self._lag_max = lag
            self.metrics.loop_lag_max.set(lag)
        return lag


async def start_ops_listener(app: App, platforms: Sequence[PlatformAdapter]) -> OpsServer | None:
    """The listener `[ops] listen` asks for (None when off); health reads `platforms` live."""
    listen = app.services.config.ops.listen
    if not listen:
        return None
    backend = storage_backend(app.services.config)
    health = HealthCheck(app.db, backend, lambda: platforms)
    server = OpsServer(app.services, app.repos, health, listen)
    await server.start()
    return server
