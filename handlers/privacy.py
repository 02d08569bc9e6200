"""/mydata and /forget: a person sees what is stored about them and can erase it.

Poll answers are stored without any link to the person, so they can neither be shown
nor singled out for erasure; /mydata says so plainly.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.context import Context, Services
from bot.core.events import Incoming
from bot.core.payloads import ButtonSpec, NoPayload
from bot.core.router import Router
from bot.i18n import LANGUAGE_NAMES, N_
from handlers.common import ROLE_NAMES
from storage.database import Database
from storage.privacy import PrivacyRepository, RetentionCounts

router = Router("privacy")
log = logging.getLogger(__name__)

CONFIRM_FORGET = ButtonSpec("forget.yes", NoPayload)
KEEP = ButtonSpec("forget.no", NoPayload)
# Delivered outbox rows still hold message text: kept a week for delivery diagnostics.
DELIVERED_KEPT = timedelta(days=7)
# Viewed topics serve "what they read just before" and "no poll after an urgent answer".
VIEWS_KEPT = timedelta(days=1)


class Privacy:
    """Erasure and retention: the only writers of the privacy repository."""

    def __init__(self, db: Database, store: PrivacyRepository) -> None:
        self._db = db
        self._store = store

    async def forget(self, ctx: Context) -> None:
        """What features close first (their `before_erase`), then the erasure of the
        person: one transaction, all or nothing."""
        async with self._db.transaction():
            for feature in ctx.services.published.personal_data:
                await feature.before_erase(ctx)
            await self._store.erase_person(ctx.person.id)

    async def apply_retention(self, services: Services) -> RetentionCounts:
        """Drop what the deployment keeps only for a while, as of now."""
        now = services.clock()
        privacy = services.config.privacy
        async with self._db.transaction():
            return await self._store.apply_retention(
                closed_before=now - timedelta(days=privacy.closed_case_retention_days),
                idle_before=now - timedelta(hours=privacy.conversation_expiry_hours),
                delivered_before=now - DELIVERED_KEPT,
                viewed_before=now - VIEWS_KEPT,
            )


@router.command("mydata", N_("See what is stored about you"))
async def my_data(ctx: Context, event: Incoming) -> None:
    person = ctx.person
    zone = ZoneInfo(ctx.config.bot.timezone)
    lines = [
        ctx._("What we store about you:"),
        "• "
        + ctx._("Account: {platform}, language {language}, role {role}.").format(
            platform=person.platform,
            language=LANGUAGE_NAMES.get(person.locale or "", "—"),
            role=ctx._(ROLE_NAMES[person.role]),
        ),
        "• "
        + ctx._("First message: {first}. Last message: {last}.").format(
            first=ctx.t.datetime(person.created_at, zone, "medium"),
            last=ctx.t.datetime(person.last_seen_at, zone, "medium"),
        ),
    ]
    for feature in ctx.services.published.personal_data:
        lines.extend(await feature.describe(ctx))
    lines.append(
        "• "
        + ctx._(
            "Poll answers: stored anonymously, with no link to you. Nobody, not even staff, "
            "can see which answers are yours."
        )
    )
    lines.append(ctx._("Send /forget to erase your data."))
    await ctx.reply("\n".join(lines), private=True)


@router.command("forget", N_("Erase your data"))
async def forget(ctx: Context, event: Incoming) -> None:
    await ctx.reply(
        ctx._(
            "This erases your profile, your settings and the text of your conversations with "
            "liaisons. An open conversation will be closed first. Are you sure?"
        ),
        [[CONFIRM_FORGET.button(ctx._("Yes, erase my data")), KEEP.button(ctx._("No"))]],
        private=True,
    )


@router.button(CONFIRM_FORGET)
async def forget_confirmed(ctx: Context, event: Incoming, _: NoPayload) -> None:
    await ctx.feature(Privacy).forget(ctx)
    await ctx.reply(
        ctx._("Your data has been erased. If you write again, we start fresh."), private=True
    )


@router.button(KEEP)
async def forget_cancelled(ctx: Context, event: Incoming, _: NoPayload) -> None:
    await ctx.reply(ctx._("Nothing was erased."), private=True)


async def apply_retention(services: Services) -> RetentionCounts:
    """Daily: drop closed cases' text, abandoned forms and delivered message copies."""
    counts = await services.feature(Privacy).apply_retention(services)
    # A run that removed nothing (every start, most days) is not news in the log.
    removed = any(dataclasses.astuple(counts))
    log.log(
        logging.INFO if removed else logging.DEBUG,
        "retention: %d case messages cleared, %d forms expired, %d delivered rows deleted, "
        "%d topic views deleted",
        counts.case_messages_cleared,
        counts.conversations_expired,
        counts.outbox_rows_deleted,
        counts.topic_views_deleted,
    )
    return counts
