"""Feature services, found by their type.

Each feature owns a small service object (its repositories and its operations, each one
unit of work); `bot.app` builds them and adds them here once. A feature's handlers and
jobs ask for their own (`services.feature(Escalation)`), so the core never names a
feature nor a repository, and no handler holds more of the database than its feature.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class Features:
    """The feature services of one app, one per type."""

    def __init__(self) -> None:
        self._services: dict[type, object] = {}

    def add(self, service: object) -> None:
        """Wire one feature's service (in the composition root); twice is a mistake."""
        kind = type(service)
        if kind in self._services:
            raise ValueError(f"{kind.__name__} is wired twice")
        self._services[kind] = service

    def get(self, kind: type[T]) -> T:
        """The service of that type; a missing one is a wiring mistake, not a state."""
        service = self._services.get(kind)
        if not isinstance(service, kind):
            raise LookupError(f"{kind.__name__} is not wired")
        return service
