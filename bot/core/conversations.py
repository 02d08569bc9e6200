"""Where a person is in a multi-step form, as the core reads and writes it.

`ConversationState` is a domain type stored by `storage.conversations`; the context keeps
a person's form through the `Conversations` protocol, so the core imports no repository.
This module imports nothing of the bot, so storage may depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ConversationState:
    person_id: int
    flow: str
    step: str
    data: dict[str, Any]
    updated_at: datetime


class Conversations(Protocol):
    """One stored state per person at most: a person is in one form at a time."""

    async def get(self, person_id: int) -> ConversationState | None: ...

    async def put(
        self, person_id: int, flow: str, step: str, data: dict[str, Any], now: datetime
    ) -> None: ...

    async def clear(self, person_id: int) -> None: ...
