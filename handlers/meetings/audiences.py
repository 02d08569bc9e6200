"""Who hears about meetings, and everything else broadcast: the subscribers, as meetings
keeps them, and the announcement rooms.

`SubscriberAudiences` publishes them as `bot.core.audiences.Audiences`, so polls reach
the same people, in the same languages and time zones and outside the same quiet hours,
without importing meetings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.audiences import Audience
from bot.core.platforms import Platforms
from bot.core.ports import Recipient
from storage.meetings import PAGE, Subscriber, SubscriptionRepository

if TYPE_CHECKING:
    from bot.config import Config


def _zone(config: Config, subscriber_zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(subscriber_zone or config.bot.timezone)
    except (KeyError, ValueError):
        return ZoneInfo(config.bot.timezone)


def person_audience(config: Config, subscriber: Subscriber) -> Audience:
    lang = subscriber.locale or config.bot.default_locale
    return Audience(
        subscriber.person_id,
        Recipient(subscriber.platform, subscriber.platform_user_id, None, subscriber.person_id),
        lang,
        _zone(config, subscriber.timezone),
    )


def channel_audiences(config: Config, platforms: Platforms) -> list[Audience]:
    """Announcement rooms, in the bot's default language."""
    zone = ZoneInfo(config.bot.timezone)
    return [
        Audience(None, Recipient(room.platform, room.chat_id), config.bot.default_locale, zone)
        for room in platforms.announcement_rooms
    ]


def _clock(value: str) -> time:
    """ "21:00" from config; int() also reads Arabic-Indic digits ("٢١:٠٠"), which the
    settings check lets through, so a Publish never fails on them."""
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


def after_quiet_hours(config: Config, zone: ZoneInfo, moment: datetime) -> datetime:
    """The same moment, or the end of the person's quiet hours if it falls inside them."""
    settings = config.meetings
    start = _clock(settings.quiet_start)
    end = _clock(settings.quiet_end)
    local = moment.astimezone(zone)
    now_t = local.time()
    inside = (start <= now_t or now_t < end) if start > end else (start <= now_t < end)
    if not inside:
        return moment
    morning = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return morning


async def pages(
    read: Callable[[int], Awaitable[list[Subscriber]]],
) -> AsyncIterator[list[Subscriber]]:
    """Walk an audience a page at a time (`read(after)` gives the people after that person
    id), letting other tasks run between pages: queueing 100,000 people never holds the
    event loop for more than one page's work."""
    after = 0
    while True:
        page = await read(after)
        if page:
            yield page
        if len(page) < PAGE:
            return
        after = page[-1].person_id
        await asyncio.sleep(0)


class SubscriberAudiences:
    """`Audiences` over the subscriptions meetings keeps."""

    def __init__(
        self, config: Config, platforms: Platforms, subscriptions: SubscriptionRepository
    ) -> None:
        self._config = config
        self._platforms = platforms
        self._subscriptions = subscriptions

    async def subscribers(self, tags: tuple[str, ...]) -> AsyncIterator[list[Audience]]:
        async for page in pages(lambda after: self._subscriptions.audience(tags, after)):
            yield [person_audience(self._config, subscriber) for subscriber in page]

    def rooms(self) -> list[Audience]:
        return channel_audiences(self._config, self._platforms)

    async def tags_of(self, person_id: int) -> tuple[str, ...] | None:
        return await self._subscriptions.tags_of(person_id)

    def after_quiet_hours(self, zone: ZoneInfo, moment: datetime) -> datetime:
        return after_quiet_hours(self._config, zone, moment)
