"""A poll's results as people read them: figures, the reporting rule, charts and trends.

What a poll looks like when sent is in `sending`; when and to whom, in the service, which
also counts the results this module is given (so it needs no repository nor service).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.events import Attachment, Outgoing
from bot.i18n import LANGUAGE_NAMES, Translator
from handlers.polls.chart import ChartBar, ChartText, distribution_png, trend_png
from handlers.polls.results import (
    MIN_N_DISCLOSE,
    Bar,
    Figures,
    PollResults,
    SecondaryRule,
    Suppression,
)
from handlers.polls.sending import option_labels, question_text
from handlers.polls.templates import Scale, Template, template_for
from storage.polls import Poll

# The waves of a poll's template, each with its results, oldest first.
Waves = list[tuple[Poll, PollResults]]
# Templates asked again and again in the same words, so their waves make a trend.
TRACKED = ("T1", "T2", "T3", "T4")


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


def score_axis(t: Translator, template: Template) -> str:
    if template.scale is Scale.ZERO_TO_TEN:
        return t._("{name} (0–100, not a percentage)").format(
            name=t._(template.score_name) if template.score_name else ""
        )
    return t._("Agree (%)")


def trend_lines(t: Translator, waves: Waves) -> tuple[list[str], list[ChartBar]]:
    """One line per wave of the same template, and the points of the trend chart."""
    lines: list[str] = []
    points: list[ChartBar] = []
    for wave, results in waves:
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
    t: Translator, poll: Poll, results: PollResults, waves: Waves, zone: ZoneInfo, now: datetime
) -> list[Outgoing]:
    """The results as text, then a PNG chart (distribution, or the trend across `waves`)
    whose caption says the same numbers in words."""
    trend, points = trend_lines(t, waves)
    messages = [Outgoing(results_text(t, poll, results, trend, zone, now), rtl=t.is_rtl)]
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
