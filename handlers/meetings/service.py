"""What the meetings feature keeps, in one object wired by `bot.app`.

The organizer's chat, the broadcasts, the native calendar events and the subscriptions
reach meetings, series, RSVPs, subscriptions and the feature's pending outbox rows only
through this service (`services.feature(Meetings)`); writes that belong together run
inside its `transaction()`, so a meeting is never stored without its announcement queued.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from storage.database import Database
from storage.meetings import MeetingRepository, SubscriptionRepository
from storage.outbox import OutboxRepository


class Meetings:
    """Meetings, their subscribers, and the rows queued about them."""

    def __init__(
        self,
        db: Database,
        meetings: MeetingRepository,
        subscriptions: SubscriptionRepository,
        queued: OutboxRepository,
    ) -> None:
        self._db = db
        self.meetings = meetings
        self.subscriptions = subscriptions
        # Only to withdraw a changed meeting's pending notices (by key prefix).
        self.queued = queued

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """One unit of work across the feature's writes and the outbox rows they queue."""
        return self._db.transaction()
