"""What escalation knows about a person, for other features to ask without importing it:
what it stores, for /mydata and /forget (`bot.core.hooks.PersonalData`), and who has a
case open, whom polls leave alone (`bot.core.hooks.DoNotDisturb`)."""

from __future__ import annotations

from datetime import datetime

from bot.core.context import Context, Services
from handlers.escalation.service import Escalation
from storage.cases import MessageKind, Outcome


class CaseRecords:
    """The person's conversations with liaisons: listed with their words, and an open one
    closed (as withdrawn) before erasure, so liaisons are told it ended."""

    async def describe(self, ctx: Context) -> list[str]:
        cases = await ctx.feature(Escalation).of_person(ctx.person.id)
        if not cases:
            return ["• " + ctx._("Conversations with a liaison: none.")]
        lines = []
        for case in cases:
            state = ctx._("open") if case.is_open else ctx._("closed")
            lines.append(
                "• "
                + ctx._("Conversation #{number} ({state}):").format(number=case.id, state=state)
            )
            for message in await ctx.feature(Escalation).messages(case.id):
                if message.kind is MessageKind.NOTE or message.body is None:
                    continue
                author = ctx._("You") if message.kind is MessageKind.RESIDENT else ctx._("Liaison")
                lines.append(f"   {author}: {message.body}")
        return lines

    async def before_erase(self, ctx: Context) -> None:
        cases = ctx.feature(Escalation)
        open_case = await cases.open_for(ctx.person.id)
        if open_case is not None:
            await cases.close(open_case, ctx.person, Outcome.WITHDRAWN, None)


class OpenCases:
    """Whoever has a case open is in trouble, however long ago it was opened."""

    async def people(self, services: Services, since: datetime) -> set[int]:
        return await services.feature(Escalation).people_with_open_cases()

    async def includes(self, services: Services, person_id: int, since: datetime) -> bool:
        return await services.feature(Escalation).open_for(person_id) is not None
