"""Timed jobs on one APScheduler 3.x AsyncIOScheduler in the bot's event loop.

The database is the source of truth: jobs read what is due from it each time they run,
so nothing is lost when the process restarts and nothing needs to be re-armed by hand.
A job that fails is logged (without message text) and runs again at its next time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.context import Services

log = logging.getLogger(__name__)

Job = Callable[[Services], Awaitable[object]]
# (name, job, run every N seconds); features list theirs in handlers.JOBS.
PeriodicJob = tuple[str, Job, int]


async def _run(name: str, job: Job, services: Services) -> None:
    try:
        await job(services)
    except Exception as error:
        log.error("scheduled job %s failed: %s", name, type(error).__name__)


class Scheduler:
    def __init__(self, services: Services, jobs: tuple[PeriodicJob, ...]) -> None:
        self._scheduler = AsyncIOScheduler(timezone=services.config.bot.timezone)
        for name, job, seconds in jobs:
            self._scheduler.add_job(
                _run,
                "interval",
                seconds=seconds,
                args=(name, job, services),
                id=name,
                coalesce=True,
                max_instances=1,
            )

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
