"""What an operator watches, in Prometheus form: traffic, answers, cases, delivery.

Each App owns its own `CollectorRegistry` (never the library's global one), so several
apps in one process (the tests, a future multi-tenant host) never share counts. Labels
carry only fixed vocabularies (platform names, reply kinds, error kinds): never a person,
a chat, a case number or text.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.events import Outgoing
from bot.core.ports import (
    DeliveryError,
    NotConnected,
    Responder,
    RetryAfter,
    TemporaryFailure,
    Unreachable,
)

if TYPE_CHECKING:
    from bot.knowledge.verdict import Verdict
    from storage.repositories import Repositories

# Handler latency: a typed answer should take well under a second; the tail shows trouble.
HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Event-loop lag: anything above a few milliseconds means something blocks the loop.
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


def error_kind(error: DeliveryError) -> str:
    """The fixed label for a delivery failure (never its message)."""
    match error:
        case RetryAfter():
            return "rate_limited"
        case TemporaryFailure():
            return "temporary"
        case Unreachable():
            return "unreachable"
        case NotConnected():
            return "not_connected"
        case _:
            return "permanent"


class Metrics:
    """Counters moved at the seams (dispatcher, outbox, escalation) and gauges read from
    storage when scraped, so a restart does not reset what the database already knows."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.messages_in = Counter(
            "liaison_messages_in",
            "Events received from people, per platform",
            ["platform"],
            registry=registry,
        )
        self.messages_out = Counter(
            "liaison_messages_out",
            "Messages sent, per platform; path is reply (direct answer) or outbox",
            ["platform", "path"],
            registry=registry,
        )
        self.replies = Counter(
            "liaison_replies",
            "Answers to free text by search verdict: answer, choices or offtopic",
            ["kind"],
            registry=registry,
        )
        self.urgent_answers = Counter(
            "liaison_urgent_answers",
            "Answers shown with the emergency contacts first",
            registry=registry,
        )
        self.cases_opened = Counter(
            "liaison_cases_opened", "Escalation cases opened", registry=registry
        )
        self.cases_closed = Counter(
            "liaison_cases_closed", "Escalation cases closed", registry=registry
        )
        self.cases_unclaimed = Gauge(
            "liaison_cases_unclaimed",
            "Open cases no liaison has claimed yet (read at scrape time)",
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "liaison_outbox_pending",
            "Outbox rows waiting to be delivered (read at scrape time)",
            registry=registry,
        )
        self.outbox_oldest_age = Gauge(
            "liaison_outbox_oldest_due_age_seconds",
            "How long the oldest due, undelivered outbox row has waited (0 when none)",
            registry=registry,
        )
        self.delivery_errors = Counter(
            "liaison_delivery_errors",
            "Failed delivery attempts (outbox rows and direct replies), by kind",
            ["platform", "kind"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "liaison_rate_limited",
            "Platform 'too many requests' (HTTP 429) answers to deliveries",
            ["platform"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "liaison_handler_seconds",
            "Time to handle one incoming event, by event kind",
            ["kind"],
            buckets=HANDLER_BUCKETS,
            registry=registry,
        )
        self.leader = Gauge(
            "liaison_leader",
            "1 while this instance receives where one instance at a time may (long "
            "polling, gateways) on a shared database, else 0",
            registry=registry,
        )
        self.loop_lag = Histogram(
            "liaison_event_loop_lag_seconds",
            "How late the event loop ran a timer it was asked to run",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.loop_lag_max = Gauge(
            "liaison_event_loop_lag_max_seconds",
            "The longest the event loop has run a timer late since the process started",
            registry=registry,
        )

    # -- seams

    @contextmanager
    def handling(self, platform: str, kind: str) -> Iterator[None]:
        """Count an incoming event and time its handling (errors included)."""
        self.messages_in.labels(platform).inc()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.handler_seconds.labels(kind).observe(time.perf_counter() - started)

    def counting_replies(self, responder: Responder, platform: str) -> Responder:
        """The same responder, counting each direct reply it sends."""
        sent = self.messages_out.labels(platform, "reply")

        async def respond(message: Outgoing) -> None:
            await responder(message)
            sent.inc()

        return respond

    def verdict(self, verdict: Verdict) -> None:
        """Count a free-text answer by the kind the search decided."""
        self.replies.labels(verdict.reply).inc()

    def delivered(self, platform: str) -> None:
        self.messages_out.labels(platform, "outbox").inc()

    def delivery_failed(self, platform: str, kind: str) -> None:
        self.delivery_errors.labels(platform, kind).inc()
        if kind == "rate_limited":
            self.rate_limited.labels(platform).inc()

    # -- scrape

    async def refresh(self, repos: Repositories, now: datetime) -> None:
        """Read the gauges that storage knows better than this process's counters."""
        depth, oldest_due = await repos.outbox.pending_summary(now)
        self.outbox_depth.set(depth)
        age = 0.0 if oldest_due is None else max(0.0, (now - oldest_due).total_seconds())
        self.outbox_oldest_age.set(age)
        open_cases = await repos.cases.list_open()
        self.cases_unclaimed.set(sum(1 for case in open_cases if case.claimed_by is None))

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)
