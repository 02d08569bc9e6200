"""Poll results as CSV: aggregates only, with the same suppression as in the chat.

Used by `liaison polls export`, by `/poll csv` in the chat and with the results a closed
poll sends its organizers; never a response row. The polls service counts the results.
"""

from __future__ import annotations

import csv
import io

from bot.core.events import Attachment, Outgoing
from bot.i18n import Translator
from handlers.polls.results import PollResults
from storage.polls import Poll

HEADER = (
    "poll",
    "template",
    "wave",
    "opens_at",
    "closes_at",
    "status",
    "group",
    "value",
    "n",
    "mean",
    "score",
    "min_group_size",
    "secondary_suppression",
)


def _cell(value: float | None) -> str:
    """Suppressed figures are left blank, never zero."""
    return "" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))


def csv_message(t: Translator, poll: Poll, results: PollResults) -> Outgoing:
    """One poll's results as a CSV file, as an organizer receives it."""
    data = results_csv([(poll, results)]).encode("utf-8")
    return Outgoing(
        t._("Poll #{number} as a CSV file: totals only, hidden figures left blank.").format(
            number=poll.id
        ),
        attachment=Attachment(f"poll-{poll.id}.csv", data, "text/csv"),
        rtl=t.is_rtl,
    )


def results_csv(polls: list[tuple[Poll, PollResults]]) -> str:
    """One header, then per poll: the overall row, the distribution, the groups."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for poll, results in polls:
        rule = results.suppression
        head = [
            poll.id,
            poll.template,
            poll.wave,
            poll.opens_at.isoformat(),
            poll.closes_at.isoformat(),
            poll.status.value,
        ]
        tail = [rule.min_group, rule.rule.value]
        overall = results.overall
        writer.writerow(
            [*head, "all", "", _cell(overall.n), _cell(overall.mean), _cell(overall.score), *tail]
        )
        for bar in results.distribution:
            value = str(bar.values[0])
            if len(bar.values) > 1:
                value += f"-{bar.values[-1]}"
            writer.writerow([*head, "all", value, _cell(bar.count), "", "", *tail])
        for prefix, groups in (
            ("lang", results.by_language),
            ("neighborhood", results.by_neighborhood),
        ):
            for group in groups:
                writer.writerow(
                    [
                        *head,
                        f"{prefix}:{group.label}",
                        "",
                        _cell(group.n),
                        _cell(group.mean),
                        _cell(group.score),
                        *tail,
                    ]
                )
    return buffer.getvalue()
