"""Sending a poll, closing it on time, and rendering its results.

A poll is never pushed to someone with an open escalation case or who was just shown an
urgent answer: a trust survey is the wrong thing to send a person in trouble.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.core.context import Services
from bot.core.events import Attachment, Button, Outgoing
from bot.core.ports import Recipient
from bot.i18n import Translator
from bot.outbox import Queued
from handlers.meetings.broadcast import channel_audiences, person_audience
from handlers.polls.chart import distribution_png, trend_png
from handlers.polls.results import Figures, PollResults, summarize
from handlers.polls.templates import Scale, Template, template_for
from storage.people import Role
from storage.polls import Poll

log = logging.getLogger(__name__)

ANSWER = "poll.a"
PREFER_NOT = "x"
# After an urgent answer, polls wait this long for that person.
URGENT_QUIET = timedelta(hours=24)


def question_text(t: Translator, poll: Poll) -> str:
    template = template_for(poll.template)
    if template.question:
        return t._(template.question)
    return poll.question.get(t.locale) or next(iter(poll.question.values()), "")


def option_labels(t: Translator, poll: Poll) -> list[str]:
    template = template_for(poll.template)
    if template.scale is Scale.CHOICE and not template.labels:
        return list(poll.options.get(t.locale) or next(iter(poll.options.values()), []))
    if template.scale is Scale.ZERO_TO_TEN:
        return [str(v) for v in range(11)]
    return [t._(label) for label in template.labels]


def option_count(poll: Poll) -> int:
    return len(next(iter(poll.options.values()), [])) if poll.options else 0


def poll_message(t: Translator, poll: Poll) -> Outgoing:
    """One tap to answer: 0-10 as two rows of digits (left to right in every language)."""
    template = template_for(poll.template)
    labels = option_labels(t, poll)
    text = question_text(t, poll)
    if template.scale is Scale.ZERO_TO_TEN:
        low, _, high = (t._(label) for label in template.labels)
        text += "\n\n0 = " + low + "\n10 = " + high
        buttons = [Button(str(v), ANSWER, f"{poll.id}:{v}") for v in range(11)]
        rows = [tuple(buttons[:6]), tuple(buttons[6:])]
    else:
        first = 1 if template.scale is Scale.AGREE_FIVE else 0
        rows = [
            (Button(label, ANSWER, f"{poll.id}:{i + first}"),) for i, label in enumerate(labels)
        ]
    rows.append((Button(t._("Prefer not to answer"), ANSWER, f"{poll.id}:{PREFER_NOT}"),))
    text += "\n\n" + t._("Anonymous: nobody can see who answered what.")
    return Outgoing(text, tuple(rows), rtl=t.is_rtl)


async def send_poll(services: Services, poll: Poll, to_channels: bool) -> int:
    """Queue the poll for its audience, skipping people it would be wrong to ask now."""
    now = services.clock()
    subscribers = await services.repos.subscriptions.audience(poll.audience_tags)
    audiences = [person_audience(services, s) for s in subscribers]
    if to_channels:
        audiences += channel_audiences(services)
    messages: dict[str, Outgoing] = {}
    batch: list[Queued] = []
    for audience in audiences:
        if audience.person_id is not None and await _should_not_ask(services, audience.person_id):
            continue
        if audience.lang not in messages:
            messages[audience.lang] = poll_message(
                services.languages.translator(audience.lang), poll
            )
        where = f"{audience.recipient.platform}:{audience.recipient.chat_id}"
        batch.append(
            Queued(
                audience.recipient,
                messages[audience.lang],
                f"poll:{poll.id}:{where}",
                not_before=now,
                broadcast_id=f"poll:{poll.id}",
                expires_at=poll.closes_at,
            )
        )
    return await services.outbox.enqueue_many(batch)


async def _should_not_ask(services: Services, person_id: int) -> bool:
    if await services.repos.cases.open_for_person(person_id) is not None:
        return True
    views = await services.repos.knowledge.recent_views(person_id, services.clock() - URGENT_QUIET)
    return any(view.urgent for view in views)


def results_text(t: Translator, poll: Poll, results: PollResults, trend: list[str]) -> str:
    template = template_for(poll.template)
    lines = [
        t._("Results of poll #{number}").format(number=poll.id),
        question_text(t, poll),
        "",
    ]
    if not results.enough:
        n = results.overall.n
        lines.append(
            t._("Not enough responses yet.")
            + ("" if n is None else " " + t._("n = {n}").format(n=n))
        )
    else:
        lines.append(t._("n = {n}").format(n=results.n_answered))
        labels = option_labels(t, poll)
        first = 1 if template.scale is Scale.AGREE_FIVE else 0
        for value, count in results.distribution.items():
            label = labels[value - first] if 0 <= value - first < len(labels) else str(value)
            lines.append(
                f"  {label}: " + (str(count) if count is not None else t._("fewer than 10"))
            )
        lines.extend(_headline(t, template, results))
    lines.append("")
    for title, groups in (
        (t._("By language"), results.by_language),
        (t._("By neighborhood"), results.by_neighborhood),
    ):
        if not groups:
            continue
        lines.append(title + ":")
        for group in groups:
            lines.append(f"  {group.label}: " + _group_value(t, template, group))
    if trend:
        lines.extend(["", t._("Trend across waves:"), *trend])
    lines.extend(["", disclosure(t, poll, results)])
    return "\n".join(lines)


def _headline(t: Translator, template: Template, results: PollResults) -> list[str]:
    figures = results.overall
    if figures.mean is None or figures.score is None:
        return []
    if template.scale is Scale.ZERO_TO_TEN:
        return [
            t._("Mean: {mean} out of 10").format(mean=t.number(round(figures.mean, 1))),
            t._("{name}: {score} (a 0–100 score, not a percentage)").format(
                name=t._(template.score_name) if template.score_name else "",
                score=t.number(round(figures.score)),
            ),
        ]
    return [t._("Agree: {share} %").format(share=t.number(round(figures.score)))]


def _group_value(t: Translator, template: Template, group: Figures) -> str:
    if group.n is None or (group.score is None and group.shares is None):
        return t._("not enough responses yet")
    if group.score is not None:
        return t._("n = {n}, score {score}").format(n=group.n, score=t.number(round(group.score)))
    return t._("n = {n}").format(n=group.n)


def disclosure(t: Translator, poll: Poll, results: PollResults) -> str:
    return t._(
        "Answers come from residents who chose to respond in the chat. They are not a random "
        "sample and may not represent everyone in the area. n = {n}; fielded {start} to {end}."
    ).format(
        n=results.n_answered,
        start=t.day(poll.opens_at.date()),
        end=t.day(poll.closes_at.date()),
    )


async def poll_results(services: Services, poll: Poll) -> PollResults:
    responses = await services.repos.polls.responses(poll.id)
    return summarize(responses, template_for(poll.template), option_count(poll))


async def trend_lines(
    services: Services, t: Translator, poll: Poll
) -> tuple[list[str], list[float | None]]:
    if poll.template not in ("T1", "T2", "T3", "T4"):
        return [], []
    lines: list[str] = []
    scores: list[float | None] = []
    for wave in await services.repos.polls.waves(poll.template):
        results = await poll_results(services, wave)
        score = results.overall.score if results.enough else None
        scores.append(score)
        value = t.number(round(score)) if score is not None else t._("not enough responses yet")
        label = t._("Wave {number}").format(number=wave.wave)
        lines.append(f"  {label}: {value}")
    return lines, scores


async def results_message(services: Services, t: Translator, poll: Poll) -> Outgoing:
    """The results as text plus a PNG chart (distribution, or the trend across waves)."""
    results = await poll_results(services, poll)
    trend, scores = await trend_lines(services, t, poll)
    text = results_text(t, poll, results, trend)
    chart: Attachment | None = None
    note = t._("Answers from residents who chose to respond; not a random sample.")
    if results.enough and results.distribution:
        labels = [str(v) for v in results.distribution]
        png = await asyncio.to_thread(
            distribution_png,
            question_text(t, poll),
            labels,
            list(results.distribution.values()),
            note,
        )
        chart = Attachment(f"poll-{poll.id}.png", png, "image/png", is_image=True)
    elif len(scores) > 1:
        png = await asyncio.to_thread(
            trend_png,
            question_text(t, poll),
            [str(i + 1) for i in range(len(scores))],
            scores,
            note,
        )
        chart = Attachment(f"poll-{poll.id}-trend.png", png, "image/png", is_image=True)
    return Outgoing(text, attachment=chart, rtl=t.is_rtl)


async def close_due_polls(services: Services) -> int:
    """Close polls at the end of their window and send the results to the organizers.

    Results are drawn first; closing and queueing them is then one short transaction
    (a closed poll always has its results on the way)."""
    closed = 0
    for poll in await services.repos.polls.due_to_close(services.clock()):
        results = []
        for role in (Role.ORGANIZER, Role.ADMIN):
            for person in await services.repos.people.with_role(role):
                t = services.languages.translator(person.locale)
                results.append((person, await results_message(services, t, poll)))
        async with services.db.transaction():
            if not await services.repos.polls.close(poll.id):
                continue
            for person, message in results:
                await services.outbox.enqueue(
                    Recipient(person.platform, person.platform_user_id, None, person.id),
                    message,
                    f"poll:{poll.id}:results:{person.id}",
                )
        closed += 1
        log.info("poll closed and results sent")
    return closed
