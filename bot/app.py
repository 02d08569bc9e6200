"""The composition root: the only place that builds objects and wires them together."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.config import (
    DEFAULT_STORAGE_PATH,
    DEFAULT_STORAGE_URL,
    Config,
    ConfigError,
    StartupError,
)
from bot.core.clock import Clock, system_clock
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.delivery.retries import Sleep
from bot.delivery.service import Delivery
from bot.i18n import Languages
from bot.knowledge.base import KnowledgeBase
from bot.ops.backend import storage_backend
from bot.ops.backup import BackupError, backup_before_upgrade
from bot.outbox import Outbox, OutboxDispatcher
from bot.platforms.registry import platforms_view
from bot.privacy import Hasher, load_or_create_key
from bot.scheduler import Scheduler
from handlers import JOBS, ROUTERS
from handlers.abuse import FloodGuard, length_guard
from handlers.broadcast_progress import DeliveryCounts
from handlers.escalation.service import Escalation
from handlers.meetings.audiences import SubscriberAudiences
from handlers.meetings.service import Meetings, SendJobs
from handlers.polls.service import Polls
from handlers.privacy import Privacy
from handlers.profiles import Profiles
from handlers.reading import Reading
from storage.database import Database, StorageError, open_database
from storage.instance_lock import InstanceLock, hold_instance_lock
from storage.leases import instance_name
from storage.migrations_runner import migrate
from storage.repositories import Repositories

log = logging.getLogger(__name__)


@dataclass(slots=True)
class App:
    """Everything a running bot holds; platforms attach to `dispatcher` and `delivery`.
    `repos` is for the operator's tools (CLI, metrics); features get theirs from
    `_wire_features`."""

    db: Database
    repos: Repositories
    services: Services
    dispatcher: Dispatcher
    delivery: Delivery
    scheduler: Scheduler

    def start_background(self) -> None:
        """Outbox delivery and timed jobs: started once platforms are registered."""
        self.delivery.start()
        self.scheduler.start()

    async def close(self) -> None:
        self.scheduler.stop()
        await self.delivery.stop()
        await self.db.close()


def build_languages(config: Config) -> Languages:
    return Languages(config.bot.languages, config.bot.default_locale)


def _storage_key(config: Config) -> str:
    """The setting an operator would change: the URL, or the older path if that is used."""
    url_set = config.storage.url != DEFAULT_STORAGE_URL
    return (
        "storage.url" if url_set or config.storage.path == DEFAULT_STORAGE_PATH else "storage.path"
    )


async def _open_storage(config: Config, clock: Clock) -> Database:
    """The database, or one line naming it and what is wrong (garbage, read-only, newer
    than this program, unreachable): start-up stops with exit code 2, never a hang."""
    try:
        db = await open_database(config.storage.database_url, migrate_schema=False)
    except StorageError as error:
        raise ConfigError(_storage_key(config), str(error)) from None
    except (OSError, sqlite3.Error) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ConfigError(_storage_key(config), f"cannot open the database ({reason})") from None
    try:
        # Opened (so garbage or an unreadable file is named as such), copied if its
        # schema is about to change, then migrated.
        await _backup_before_upgrade(config, clock)
        await migrate(db)
    except StorageError as error:
        await db.close()
        raise ConfigError(_storage_key(config), str(error)) from None
    except BaseException:
        await db.close()
        raise
    return db


def claim_instance(config: Config) -> InstanceLock:
    """On SQLite, be the only bot process on the file (exit 2 with one line if not)."""
    try:
        return hold_instance_lock(config.storage.database_url)
    except StorageError as error:
        raise StartupError(str(error)) from None


async def _backup_before_upgrade(config: Config, clock: Clock) -> None:
    """Copy a database that migrations are about to change; no copy, no upgrade."""
    try:
        saved = await asyncio.to_thread(
            backup_before_upgrade, storage_backend(config), config.ops.keep_backups, clock()
        )
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            return  # garbage, not an older schema: opening it names the problem
        raise StartupError(f"cannot back up the database before upgrading it ({error})") from None
    except (BackupError, OSError, sqlite3.Error) as error:
        raise StartupError(f"cannot back up the database before upgrading it ({error})") from None
    if saved is not None:
        log.info("database backed up before upgrading its schema: %s", saved.name)


async def build_app(
    config: Config,
    clock: Clock = system_clock,
    languages: Languages | None = None,
    knowledge: KnowledgeBase | None = None,
    sleep: Sleep = asyncio.sleep,
) -> App:
    """Open storage and build every service; the caller starts platforms and delivery.
    `sleep` is what a direct reply's backoff waits with (tests move their clock instead)."""
    key = load_or_create_key(config.privacy.hash_key, Path(config.privacy.hash_key_path))
    db = await _open_storage(config, clock)
    repos = Repositories.over(db)
    outbox = Outbox(repos.outbox, db, clock)
    instance = instance_name()
    languages = languages or build_languages(config)
    platforms = platforms_view(config)
    services = Services(
        config=config,
        languages=languages,
        people=repos.people,
        conversations=repos.conversations,
        outbox=outbox,
        hasher=Hasher(key),
        clock=clock,
        knowledge=knowledge or KnowledgeBase(config),
        audiences=SubscriberAudiences(config, platforms, repos.subscriptions),
        platforms=platforms,
    )
    _wire_features(services, db, repos)
    dispatcher = Dispatcher(services)
    dispatcher.include(*ROUTERS)
    dispatcher.guards.extend((FloodGuard(config.abuse), length_guard))
    rows = OutboxDispatcher(
        repos.outbox,
        repos.people,
        outbox,
        clock,
        services.metrics,
        holder=instance,
        leases=repos.leases,
    )
    delivery = Delivery(
        rows, outbox, repos.people, services.metrics, services.hasher, clock, sleep=sleep
    )
    # Meeting send jobs, expanded when due.
    delivery.register(SendJobs(services.feature(Meetings)), None)
    return App(
        db=db,
        repos=repos,
        services=services,
        dispatcher=dispatcher,
        delivery=delivery,
        scheduler=Scheduler(services, repos.leases, JOBS, instance),
    )


def _wire_features(services: Services, db: Database, repos: Repositories) -> None:
    """Give each feature its service and the repositories it owns; nothing else in the
    bot holds a repository on a feature's behalf."""
    features = services.features
    escalation = Escalation(
        services,
        db,
        repos.cases,
        repos.audit,
        repos.snippets,
        repos.people,
        repos.knowledge,
        repos.outbox,
    )
    features.add(escalation)
    features.add(escalation.sla())
    features.add(Meetings(services, db, repos.meetings, repos.subscriptions, repos.outbox))
    features.add(Polls(services, db, repos.polls, repos.people, repos.outbox))
    features.add(Profiles(services, db, repos.people, repos.audit))
    features.add(Privacy(db, repos.privacy))
    features.add(Reading(repos.knowledge))
    features.add(DeliveryCounts(repos.outbox))
