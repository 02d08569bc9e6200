"""Reading cases for the handlers: a person's case, a thread's case, the open ones, who
claimed one, saved replies, and the anonymous statistics."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.people import Person, Role
from handlers.escalation.desk import CaseDesk
from handlers.escalation.texts import liaison_code, liaison_label
from storage.cases import Case, CaseMessage


@dataclass(frozen=True, slots=True)
class CaseStats:
    opened: int
    closed: int
    first_reply_median_min: float | None
    first_reply_p90_min: float | None
    outcomes: dict[str, int]
    satisfaction_mean: float | None
    per_language: dict[str, int]


class CaseLookup(CaseDesk):
    """What the escalation service answers without changing anything."""

    async def get(self, case_id: int) -> Case | None:
        return await self._cases.get(case_id)

    async def open_for(self, person_id: int) -> Case | None:
        """The person's open case, if they have one (at most one is open at a time)."""
        return await self._cases.open_for_person(person_id)

    async def people_with_open_cases(self) -> set[int]:
        return await self._cases.people_with_open_cases()

    async def of_person(self, person_id: int) -> list[Case]:
        return await self._cases.of_person(person_id)

    async def messages(self, case_id: int) -> list[CaseMessage]:
        return await self._cases.messages(case_id)

    async def in_thread(self, platform: str, chat_id: str, thread_id: str) -> Case | None:
        """The case a room's thread belongs to."""
        case_id = await self._cases.case_for_thread(platform, chat_id, thread_id)
        return None if case_id is None else await self._cases.get(case_id)

    async def open_cases(self) -> list[Case]:
        return await self._cases.list_open()

    async def claimant(self, case: Case) -> str | None:
        """How the liaison who claimed the case appears (None: unclaimed, or gone)."""
        owner = None if case.claimed_by is None else await self._people.get(case.claimed_by)
        return None if owner is None else liaison_label(self._services, owner)

    async def liaison_by_code(self, wanted: str) -> Person | None:
        """The liaison or admin with that code or public name (upper case)."""
        for role in (Role.LIAISON, Role.ADMIN):
            for person in await self._people.with_role(role):
                names = {liaison_code(self._services, person), (person.public_name or "").upper()}
                if wanted in names:
                    return person
        return None

    async def snippet_names(self) -> list[str]:
        return await self._snippets.names()

    async def snippet(self, name: str, lang: str) -> str | None:
        """A saved reply in `lang`, else in the deployment's default language."""
        return await self._snippets.get(name, lang, self._services.config.bot.default_locale)

    async def stats(self) -> CaseStats:
        """Anonymous aggregates only: counts, durations, outcomes, satisfaction."""
        counts = await self._cases.stats()
        return CaseStats(
            opened=counts.opened,
            closed=counts.closed,
            first_reply_median_min=(
                None if counts.wait_median_s is None else counts.wait_median_s / 60
            ),
            first_reply_p90_min=None if counts.wait_p90_s is None else counts.wait_p90_s / 60,
            outcomes=dict(counts.outcomes),
            satisfaction_mean=counts.rating_sum / counts.ratings if counts.ratings else None,
            per_language=dict(counts.per_language),
        )
