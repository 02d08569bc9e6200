"""Timed jobs on one APScheduler 3.x AsyncIOScheduler in the bot's event loop.

The database is the source of truth: jobs read what is due from it each time they run,
so nothing is lost when the process restarts and nothing needs to be re-armed by hand.
A job that fails is logged (without message text) and runs again at its next time.

Several instances may share one database: each periodic run first takes the job's lease
(`storage.leases`) for most of its period, so one instance does it and the others skip
that round; if that instance dies, its lease runs out and another takes over. Every job
also runs once when the process starts (retention does not wait a day after a restart):
jobs are idempotent (dedupe keys, conditional updates), so an extra run is only work.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.context import Services
from storage.leases import LeaseRepository

log = logging.getLogger(__name__)

Job = Callable[[Services], Awaitable[object]]
# (name, job, run every N seconds); features list theirs in handlers.JOBS.
PeriodicJob = tuple[str, Job, int]
# A period's lease lasts this share of it: the holder's next run renews it in time, and
# a dead holder's lease has run out before the others' next run.
LEASE_SHARE = 0.9


class JobRunner:
    """Runs one job for this instance, at most once per period across instances."""

    def __init__(
        self,
        services: Services,
        leases: LeaseRepository,
        holder: str,
        name: str,
        job: Job,
        seconds: int,
    ):
        self._services = services
        self._leases = leases
        self._holder = holder
        self._name = name
        self._job = job
        self._ttl = timedelta(seconds=seconds * LEASE_SHARE)
        self._started = False

    async def run(self) -> bool:
        """True when this instance ran the job this time.

        A coroutine method, not `__call__`: APScheduler awaits only what
        `inspect.iscoroutinefunction` recognises, and hands any other callable to a
        thread, where an async `__call__` would only create a coroutine and drop it.
        """
        try:
            first, self._started = not self._started, True
            taken = await self._leases.acquire(
                f"job:{self._name}", self._holder, self._services.clock(), self._ttl
            )
            if not (taken or first):
                return False
            await self._job(self._services)
            return True
        except Exception as error:
            log.error("scheduled job %s failed: %s", self._name, type(error).__name__)
            return False


class Scheduler:
    def __init__(
        self,
        services: Services,
        leases: LeaseRepository,
        jobs: tuple[PeriodicJob, ...],
        holder: str,
    ) -> None:
        self._scheduler = AsyncIOScheduler(timezone=services.config.bot.timezone)
        start = datetime.now(self._scheduler.timezone)
        for name, job, seconds in jobs:
            self._scheduler.add_job(
                JobRunner(services, leases, holder, name, job, seconds).run,
                "interval",
                seconds=seconds,
                id=name,
                coalesce=True,
                max_instances=1,
                next_run_time=start,
            )

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
