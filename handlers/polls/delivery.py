"""Sending a poll, closing it on time, and rendering its results.

A poll is never pushed to someone with an open escalation case or who was just shown an
urgent answer: a trust survey is the wrong thing to send a person in trouble.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.audiences import Audience
from bot.core.context import Services
from bot.core.events import Attachment, Outgoing
from bot.core.payloads import ButtonSpec, Payload
from bot.core.people import Person
from bot.core.ports import Recipient
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.outbox import Queued
from handlers.polls.chart import ChartBar, ChartText, distribution_png, trend_png
from handlers.polls.results import (
    MIN_N_DISCLOSE,
    Bar,
    Figures,
    PollResults,
    SecondaryRule,
    Suppression,
    summarize,
)
from handlers.polls.service import Polls
from handlers.polls.templates import Scale, Template, template_for
from storage.polls import Poll

PREFER_NOT = "x"


@dataclass(frozen=True, slots=True)
class PollAnswer(Payload):
    """One answer to one poll: a scale value, an option number or PREFER_NOT."""

    poll_id: int
    value: str


ANSWER = ButtonSpec("poll.a", PollAnswer)
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
        buttons = [ANSWER.button(str(v), PollAnswer(poll.id, str(v))) for v in range(11)]
        rows = [tuple(buttons[:6]), tuple(buttons[6:])]
    else:
        first = 1 if template.scale is Scale.AGREE_FIVE else 0
        rows = [
            (ANSWER.button(label, PollAnswer(poll.id, str(i + first))),)
            for i, label in enumerate(labels)
        ]
    rows.append((ANSWER.button(t._("Prefer not to answer"), PollAnswer(poll.id, PREFER_NOT)),))
    text += "\n\n" + t._("Anonymous: nobody can see who answered what.")
    return Outgoing(text, tuple(rows), rtl=t.is_rtl)


async def send_poll(services: Services, poll: Poll, to_channels: bool) -> int:
    """Queue the poll for its audience, skipping people it would be wrong to ask now.

    The audience is walked a page at a time (`bot.core.audiences.Audiences`) in one
    transaction; who must not be asked is read once for the whole poll, not per person.
    """
    store = services.feature(Polls)
    quiet = await _in_trouble(services, services.clock() - URGENT_QUIET)
    queue = _PollQueue(services, poll)
    sent = 0
    async with store.transaction():
        async for page in services.audiences.subscribers(poll.audience_tags):
            sent += await queue.add([a for a in page if a.person_id not in quiet])
        if to_channels:
            sent += await queue.add(services.audiences.rooms())
    return sent


class _PollQueue:
    """Queues one poll, and each person's closing-soon reminder, to pages of audiences;
    each language's message (and each language and zone's reminder) is rendered once."""

    def __init__(self, services: Services, poll: Poll) -> None:
        self._services = services
        self._poll = poll
        self._messages: dict[str, Outgoing] = {}
        self._reminders: dict[tuple[str, str], Outgoing] = {}

    async def _prepare(self, audiences: list[Audience]) -> None:
        """Render, in a worker thread, the messages these audiences need and lack: a
        language's first use loads its CLDR data, too slow to do on the event loop."""
        for audience in audiences:
            t = self._services.languages.translator(audience.lang)
            if audience.lang not in self._messages:
                self._messages[audience.lang] = await asyncio.to_thread(poll_message, t, self._poll)
            key = (audience.lang, audience.zone.key)
            if audience.person_id is not None and key not in self._reminders:
                self._reminders[key] = await asyncio.to_thread(
                    closing_soon_message, t, self._poll, audience.zone
                )

    async def add(self, audiences: list[Audience]) -> int:
        services, poll = self._services, self._poll
        await self._prepare(audiences)
        now = services.clock()
        batch: list[Queued] = []
        later: list[Queued] = []
        for audience in audiences:
            batch.append(
                Queued(
                    audience.recipient,
                    self._messages[audience.lang],
                    poll_dedupe_key(poll, audience.recipient),
                    not_before=now,
                    broadcast_id=f"poll:{poll.id}",
                    expires_at=poll.closes_at,
                )
            )
            if audience.person_id is None:
                continue  # channels get no reminder: nobody there can be told apart
            reminder = closing_soon(
                services,
                poll,
                audience.recipient,
                audience.zone,
                self._reminders[(audience.lang, audience.zone.key)],
            )
            if reminder is not None:
                later.append(reminder)
        sent = await services.outbox.enqueue_many(batch)
        await services.outbox.enqueue_many(later)
        return sent


def voter_hash(services: Services, poll_id: int, platform: str, platform_user_id: str) -> str:
    """The only link between a response and a person: a keyed hash nobody can reverse."""
    return services.hasher.digest("poll", str(poll_id), platform, platform_user_id)


def poll_dedupe_key(poll: Poll, recipient: Recipient) -> str:
    """One key per (poll, chat): the first sending and any later offer share it, so nobody
    is ever sent the same poll twice."""
    return f"poll:{poll.id}:{recipient.platform}:{recipient.chat_id}"


def reminder_key(poll: Poll, recipient: Recipient) -> str:
    """The closing-soon reminder's key; withdrawn by exactly this key when they answer."""
    return poll_dedupe_key(poll, recipient) + ":soon"


def closing_soon_message(t: Translator, poll: Poll, zone: ZoneInfo) -> Outgoing:
    """The poll again, one tap to answer, headed by when it closes."""
    poll_part = poll_message(t, poll)
    heading = t._("⏰ This poll closes on {when} and you have not answered yet.").format(
        when=t.moment(poll.closes_at, zone)
    )
    return Outgoing(heading + "\n\n" + poll_part.text, poll_part.buttons, rtl=t.is_rtl)


def closing_soon(
    services: Services, poll: Poll, recipient: Recipient, zone: ZoneInfo, message: Outgoing
) -> Queued | None:
    """The one reminder, queued with the poll itself for `closing_soon_hours` before it
    closes (the database is the schedule, as for meeting reminders), moved past the person's
    quiet hours; answering withdraws it. None if it would come too late to be of use."""
    now = services.clock()
    due = poll.closes_at - timedelta(hours=services.config.polls.closing_soon_hours)
    if due <= now:
        return None  # the poll itself has only just arrived: no reminder needed
    send_at = services.audiences.after_quiet_hours(zone, due)
    if send_at >= poll.closes_at:
        return None
    return Queued(
        recipient,
        message,
        reminder_key(poll, recipient),
        not_before=send_at,
        broadcast_id=f"poll:{poll.id}:soon",
        expires_at=poll.closes_at,
    )


def reaches(poll: Poll, tags: tuple[str, ...] | None) -> bool:
    """Whether a person with these subscription tags (None: not subscribed, (): the whole
    city) is in the poll's audience. A city-wide poll reaches anyone who asks for it."""
    if not poll.audience_tags:
        return True
    return tags is not None and (not tags or bool(set(tags) & set(poll.audience_tags)))


async def polls_for(services: Services, person: Person) -> list[Poll]:
    """Open polls this person may answer now."""
    tags = await services.audiences.tags_of(person.id)
    return [
        p for p in await services.feature(Polls).polls.open_at(services.clock()) if reaches(p, tags)
    ]


async def offer_open_polls(services: Services, person: Person) -> int:
    """Late voters: queue each open poll this person may answer, has not answered and was
    never sent (the shared dedupe key makes it once), unless it is the wrong moment to ask."""
    if person.blocked:
        return 0
    polls = await polls_for(services, person)
    if not polls or await should_not_ask(services, person.id):
        return 0
    t = services.languages.translator(person.locale or services.config.bot.default_locale)
    zone = person_zone(services, person.timezone)
    recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
    batch: list[Queued] = []
    later: list[Queued] = []
    for poll in polls:
        digest = voter_hash(services, poll.id, person.platform, person.platform_user_id)
        if await services.feature(Polls).polls.has_answered(poll.id, digest):
            continue
        reminder = closing_soon(
            services, poll, recipient, zone, closing_soon_message(t, poll, zone)
        )
        later.extend([reminder] if reminder is not None else [])
        batch.append(
            Queued(
                recipient,
                poll_message(t, poll),
                poll_dedupe_key(poll, recipient),
                not_before=services.clock(),
                broadcast_id=f"poll:{poll.id}",
                expires_at=poll.closes_at,
            )
        )
    offered = await services.outbox.enqueue_many(batch)
    await services.outbox.enqueue_many(later)
    return offered


async def _in_trouble(services: Services, since: datetime) -> set[int]:
    """Everyone another feature knows to be in trouble (`bot.core.hooks.DoNotDisturb`)."""
    quiet: set[int] = set()
    for feature in services.published.do_not_disturb:
        quiet |= await feature.people(services, since)
    return quiet


async def should_not_ask(services: Services, person_id: int) -> bool:
    """A trust survey is the wrong thing to send a person in trouble."""
    since = services.clock() - URGENT_QUIET
    for feature in services.published.do_not_disturb:
        if await feature.includes(services, person_id, since):
            return True
    return False


def person_zone(services: Services, timezone: str | None) -> ZoneInfo:
    """The person's own time zone, else the deployment's (a stale name falls back too)."""
    try:
        return ZoneInfo(timezone or services.config.bot.timezone)
    except (KeyError, ValueError):
        return ZoneInfo(services.config.bot.timezone)


def suppression_of(services: Services) -> Suppression:
    settings = services.config.polls
    return Suppression(settings.min_group_size, SecondaryRule(settings.secondary_suppression))


def thresholds_text(t: Translator, suppression: Suppression) -> str:
    """The reporting rule in force, stated beside every result."""
    rule = (
        t._(
            "When one group or answer is hidden, the next smallest is hidden too, so it cannot "
            "be worked out from the total."
        )
        if suppression.rule is SecondaryRule.NEXT_SMALLEST
        else t._(
            "When any group or answer is hidden, that whole breakdown is hidden and only "
            "totals are shown."
        )
    )
    return (
        t.ngettext(
            "Groups with fewer than {n} answer are not shown, and no count under {floor} is "
            "ever shown.",
            "Groups with fewer than {n} answers are not shown, and no count under {floor} is "
            "ever shown.",
            suppression.min_group,
        ).format(n=suppression.min_group, floor=MIN_N_DISCLOSE)
        + " "
        + rule
    )


def progress_text(t: Translator, poll: Poll, results: PollResults, zone: ZoneInfo) -> str:
    """For an open poll: how many have answered so far, and until when it runs."""
    total = results.n_answered + results.n_prefer_not
    return t.ngettext(
        "Poll #{number} is open until {when}: {count} answer so far.",
        "Poll #{number} is open until {when}: {count} answers so far.",
        total,
    ).format(number=poll.id, when=t.moment(poll.closes_at, zone), count=total)


def bar_label(t: Translator, poll: Poll, values: tuple[int, ...]) -> str:
    """'0 (Not at all safe)', '4–6', 'Agree', 'Violence/guns' …"""
    template = template_for(poll.template)
    if len(values) > 1:
        return f"{values[0]}–{values[-1]}"
    value = values[0]
    if template.scale is Scale.ZERO_TO_TEN:
        ends = {0: template.labels[0], 5: template.labels[1], 10: template.labels[2]}
        return f"{value} ({t._(ends[value])})" if value in ends else str(value)
    labels = option_labels(t, poll)
    first = 1 if template.scale is Scale.AGREE_FIVE else 0
    return labels[value - first] if 0 <= value - first < len(labels) else str(value)


def fewer_than(t: Translator, n: int) -> str:
    return t.ngettext("fewer than {n} answer", "fewer than {n} answers", n).format(n=n)


def _hidden_bar(t: Translator, bar: Bar) -> str:
    if bar.small:
        return fewer_than(t, MIN_N_DISCLOSE)
    return t._("hidden to protect a smaller answer")


def results_text(
    t: Translator, poll: Poll, results: PollResults, trend: list[str], zone: ZoneInfo, now: datetime
) -> str:
    template = template_for(poll.template)
    lines = [
        t._("Results of poll #{number}").format(number=poll.id),
        question_text(t, poll),
        "",
    ]
    is_open = poll.is_open_at(now)
    if is_open:
        lines.append(progress_text(t, poll, results, zone))
    if not results.enough:
        if not is_open:
            n = results.overall.n
            lines.append(
                t._("Not enough responses yet.")
                + ("" if n is None else " " + t._("n = {n}").format(n=n))
            )
        lines.extend(["", thresholds_text(t, results.suppression)])
        return "\n".join(lines)
    lines.append(t._("n = {n}").format(n=results.n_answered))
    for bar in results.distribution:
        value = t.number(bar.count) if bar.count is not None else _hidden_bar(t, bar)
        lines.append(f"  {bar_label(t, poll, bar.values)}: {value}")
    lines.extend(_headline(t, template, results))
    lines.append("")
    for title, groups, names in (
        (t._("By language"), results.by_language, LANGUAGE_NAMES),
        (t._("By neighborhood"), results.by_neighborhood, {}),
    ):
        if not groups:
            continue
        lines.append(title + ":")
        for group in groups:
            label = names.get(group.label, group.label)
            lines.append(f"  {label}: " + _group_value(t, template, group))
    if len(trend) > 1:
        lines.extend(["", t._("Trend across waves:"), *trend])
    lines.extend(["", disclosure(t, poll, results), thresholds_text(t, results.suppression)])
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
    responses = await services.feature(Polls).polls.responses(poll.id)
    return summarize(
        responses, template_for(poll.template), option_count(poll), suppression_of(services)
    )


def score_axis(t: Translator, template: Template) -> str:
    if template.scale is Scale.ZERO_TO_TEN:
        return t._("{name} (0–100, not a percentage)").format(
            name=t._(template.score_name) if template.score_name else ""
        )
    return t._("Agree (%)")


async def trend_lines(
    services: Services, t: Translator, poll: Poll
) -> tuple[list[str], list[ChartBar]]:
    """One line per wave of the same template, and the points of the trend chart."""
    if poll.template not in ("T1", "T2", "T3", "T4"):
        return [], []
    lines: list[str] = []
    points: list[ChartBar] = []
    for wave in await services.feature(Polls).polls.waves(poll.template):
        results = await poll_results(services, wave)
        score = results.overall.score if results.enough else None
        value = t.number(round(score)) if score is not None else t._("not enough responses yet")
        label = t._("Wave {number}").format(number=wave.wave)
        lines.append(f"  {label}: {value}")
        points.append(ChartBar(label, score, t.number(round(score)) if score is not None else ""))
    return lines, points


def distribution_chart(
    t: Translator, poll: Poll, results: PollResults
) -> tuple[ChartText, list[ChartBar]]:
    """The words and bars of the results chart, in the reader's language."""
    text = ChartText(
        title=question_text(t, poll),
        value_axis=t._("Number of answers"),
        hidden=fewer_than(t, MIN_N_DISCLOSE),
        note=disclosure(t, poll, results),
    )
    bars = [
        ChartBar(
            bar_label(t, poll, bar.values),
            bar.count,
            t.number(bar.count) if bar.count is not None else _hidden_bar(t, bar),
        )
        for bar in results.distribution
    ]
    return text, bars


def chart_summary(t: Translator, poll: Poll, results: PollResults, bars: list[ChartBar]) -> str:
    """The chart in words, with the same numbers: its caption, for screen readers and for
    people whose phone does not load images."""
    lines = [
        t._("Chart: {question}").format(question=question_text(t, poll)),
        t._("n = {n}").format(n=results.n_answered),
    ]
    lines.extend(_headline(t, template_for(poll.template), results))
    lines.extend(f"{bar.label}: {bar.shown}" for bar in bars)
    return "\n".join(lines)


async def results_messages(
    services: Services, t: Translator, poll: Poll, zone: ZoneInfo
) -> list[Outgoing]:
    """The results as text, then a PNG chart (distribution, or the trend across waves)
    whose caption says the same numbers in words."""
    results = await poll_results(services, poll)
    trend, points = await trend_lines(services, t, poll)
    messages = [
        Outgoing(results_text(t, poll, results, trend, zone, services.clock()), rtl=t.is_rtl)
    ]
    if results.enough and any(bar.count is not None for bar in results.distribution):
        text, bars = distribution_chart(t, poll, results)
        png = await asyncio.to_thread(distribution_png, text, bars)
        chart = Attachment(f"poll-{poll.id}.png", png, "image/png", is_image=True)
        caption = chart_summary(t, poll, results, bars)
        messages.append(Outgoing(caption, attachment=chart, rtl=t.is_rtl))
    elif sum(point.value is not None for point in points) > 1:
        template = template_for(poll.template)
        text = ChartText(
            title=question_text(t, poll),
            value_axis=score_axis(t, template),
            hidden=fewer_than(t, results.suppression.min_group),
            note=t._("Answers from residents who chose to respond; not a random sample."),
        )
        png = await asyncio.to_thread(trend_png, text, points)
        chart = Attachment(f"poll-{poll.id}-trend.png", png, "image/png", is_image=True)
        caption = "\n".join(
            [t._("Chart: {question}").format(question=question_text(t, poll)), text.value_axis]
            + [f"{p.label}: {p.shown or t._('not enough responses yet')}" for p in points]
        )
        messages.append(Outgoing(caption, attachment=chart, rtl=t.is_rtl))
    return messages
