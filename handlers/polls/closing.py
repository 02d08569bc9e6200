"""The end of a poll: closing on time and sending the results, the chart and the CSV to
the organizers in their chat."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from bot.core.context import Services
from bot.core.events import Attachment, Outgoing
from bot.core.ports import Recipient
from bot.i18n import Translator
from handlers.polls.delivery import results_messages
from handlers.polls.export import results_csv
from handlers.polls.sending import person_zone
from handlers.polls.service import Polls
from storage.polls import Poll

log = logging.getLogger(__name__)


async def organizer_messages(
    services: Services, t: Translator, poll: Poll, zone: ZoneInfo
) -> list[Outgoing]:
    """Results, chart (with its caption) and the CSV file, as an organizer receives them."""
    messages = await results_messages(services, t, poll, zone)
    csv_text = await results_csv(services, [poll])
    messages.append(
        Outgoing(
            t._("Poll #{number} as a CSV file: totals only, hidden figures left blank.").format(
                number=poll.id
            ),
            attachment=Attachment(f"poll-{poll.id}.csv", csv_text.encode("utf-8"), "text/csv"),
            rtl=t.is_rtl,
        )
    )
    return messages


async def close_due_polls(services: Services) -> int:
    """Close polls at the end of their window and send the results to the organizers.

    Results are drawn first; closing and queueing them is then one short transaction
    (a closed poll always has its results on the way)."""
    closed = 0
    store = services.feature(Polls)
    for poll in await store.polls.due_to_close(services.clock()):
        prepared: list[tuple[Recipient, int, list[Outgoing]]] = []
        for person in await store.organizers():
            t = services.languages.translator(person.locale)
            zone = person_zone(services, person.timezone)
            recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
            messages = await organizer_messages(services, t, poll, zone)
            prepared.append((recipient, person.id, messages))
        async with store.transaction():
            if not await store.polls.close(poll.id):
                continue
            for recipient, person_id, messages in prepared:
                for part, message in enumerate(messages):
                    await services.outbox.enqueue(
                        recipient, message, f"poll:{poll.id}:results:{person_id}:{part}"
                    )
        closed += 1
        log.info("poll closed and results sent")
    return closed
