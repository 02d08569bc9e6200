"""How far a broadcast has got, from its outbox rows: shared by the CLI and the chat."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from storage.outbox import OutboxStatus


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    """Counts of one broadcast's rows. Skipped rows (expired, unreachable) are settled: they
    will never be sent, so they count as done, like sent and failed ones."""

    sent: int
    pending: int
    failed: int
    skipped: int

    @classmethod
    def of(cls, counts: Mapping[OutboxStatus, int]) -> BroadcastProgress:
        return cls(
            sent=counts.get(OutboxStatus.SENT, 0),
            pending=counts.get(OutboxStatus.PENDING, 0),
            failed=counts.get(OutboxStatus.FAILED, 0),
            skipped=counts.get(OutboxStatus.SKIPPED, 0),
        )

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed + self.skipped

    @property
    def settled(self) -> int:
        return self.total - self.pending

    @property
    def finished(self) -> bool:
        return self.pending == 0

    @property
    def percent(self) -> int:
        """Whole percent settled, rounded down so 100 % means nothing is left."""
        return 100 if self.total == 0 else 100 * self.settled // self.total

    def bar(self, width: int, full: str = "▰", empty: str = "▱") -> str:
        filled = width if self.total == 0 else width * self.settled // self.total
        return full * filled + empty * (width - filled)
