"""Features, one module each. `ROUTERS` is the order in which they are consulted."""

from __future__ import annotations

from bot.core.router import Router
from bot.scheduler import PeriodicJob
from handlers import (
    admin,
    broadcast_progress,
    complaint_navigator,
    knowledge,
    language,
    privacy,
    start,
)
from handlers.escalation import liaison, resident
from handlers.escalation.sla import check_sla
from handlers.meetings import organizer, subscriptions
from handlers.polls import chat as polls
from handlers.polls.service import close_due_polls

ROUTERS: tuple[Router, ...] = (
    start.router,
    language.router,
    admin.router,
    privacy.router,
    complaint_navigator.router,
    organizer.router,
    broadcast_progress.router,
    polls.router,
    # Before the search: messages in a case thread, and a resident's open case, go to people.
    liaison.router,
    resident.router,
    # STOP in any language unsubscribes (before the search would treat it as a question).
    subscriptions.router,
    # Last: its free-text search answers whatever no earlier feature claimed.
    knowledge.router,
)

# Timed jobs: (name, job, every N seconds). SLA reminders are minute-accurate.
JOBS: tuple[PeriodicJob, ...] = (
    ("escalation-sla", check_sla, 60),
    ("retention", privacy.apply_retention, 24 * 3600),
    ("poll-close", close_due_polls, 60),
)
