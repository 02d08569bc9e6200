"""Organizers create, list, change and cancel meetings; residents RSVP.

Creating a meeting is a guided flow stored as conversation state (so a restart in the
middle loses nothing) that ends in a preview; nothing is sent before "Publish".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.events import Button, Incoming
from bot.core.forms import Filled, FormSpec
from bot.core.payloads import ButtonSpec, Key, NoPayload, Payload, Ref, StaleButton
from bot.core.people import Role
from bot.core.router import Refused, Router
from bot.i18n import N_
from handlers.broadcast_progress import progress_buttons
from handlers.meetings import time_prompt
from handlers.meetings.broadcast import (
    RSVP,
    MeetingRsvp,
    Notice,
    broadcast_id,
    meeting_text,
    reminder_times,
    rsvp_buttons,
    send_time,
)
from handlers.meetings.forms import (
    CHANGE_MEETING,
    NEW_MEETING,
    Changing,
    Drafting,
    MeetingChange,
    MeetingDraft,
    Step,
    TimeAnswer,
)
from handlers.meetings.recurrence import CHOICES, Repeat, occurrences, rule_for
from handlers.meetings.service import Meetings
from handlers.meetings.time_prompt import PICK, WHEN_AGAIN, WHEN_OK, short_date
from handlers.meetings.when import HORIZON
from handlers.neighborhoods import by_short_id, short_id
from storage.meetings import Meeting, MeetingStatus, Rsvp
from storage.timestamps import from_db, to_db

router = Router("meetings.organizer")


def _store(ctx: Context) -> Meetings:
    return ctx.feature(Meetings)


ORGANIZERS = (Role.ORGANIZER,)
# The scope of an edit button ("12:place:all"): every upcoming occurrence.
SERIES_SCOPE = "all"
# An edit button's field before one is chosen: the menu of fields.
MENU = "menu"


@dataclass(frozen=True, slots=True)
class MeetingEdit(Payload):
    meeting_id: int
    field: str
    scope: str = ""


SKIP = ButtonSpec("mtg.skip", NoPayload)
PUBLISH = ButtonSpec("mtg.publish", NoPayload)
DISCARD = ButtonSpec("mtg.discard", NoPayload)
AUDIENCE = ButtonSpec("mtg.aud", Key)
REMINDERS = ButtonSpec("mtg.rem", Key)
REPEAT = ButtonSpec("mtg.repeat", Key)
CANCEL_SERIES = ButtonSpec("mtg.cancel_series", Ref)
CANCEL_SERIES_YES = ButtonSpec("mtg.cancel_series_yes", Ref)
EDIT = ButtonSpec("mtg.edit", MeetingEdit)
CANCEL = ButtonSpec("mtg.cancel", Ref)
CANCEL_YES = ButtonSpec("mtg.cancel_yes", Ref)
COUNTS = ButtonSpec("mtg.counts", Ref)
EDITABLE = (Step.WHEN, Step.PLACE, Step.LINK, Step.TITLE, Step.DESCRIPTION)
# What creating a meeting asks, in order (the time's confirmation and the preview aside).
STEPS = (
    Step.TITLE,
    Step.WHEN,
    Step.PLACE,
    Step.LINK,
    Step.DESCRIPTION,
    Step.AUDIENCE,
    Step.REMINDERS,
    Step.REPEAT,
    Step.LANGUAGES,
)
# Steps answered by typing, and which of them may be skipped.
TYPED = (Step.TITLE, Step.PLACE, Step.LINK, Step.DESCRIPTION)
SKIPPABLE = (Step.PLACE, Step.LINK, Step.DESCRIPTION, Step.LANGUAGES)
TIME_STEPS = (Step.WHEN, Step.WHEN_CONFIRM)
MEETING_FORMS: tuple[FormSpec[Any, Step], ...] = (NEW_MEETING, CHANGE_MEETING)
TEXT_LIMIT = 1000
REMINDER_CHOICES = {"default": None, "1h": (60,), "24h": (1440,), "none": ()}


def _zone(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.config.bot.timezone)


@router.command("meeting", N_("Create a meeting (organizers): /meeting new"), roles=ORGANIZERS)
async def meeting_command(ctx: Context, event: Incoming) -> None:
    if event.args.strip().lower() != "new":
        await ctx.reply(ctx._("Send /meeting new to create a meeting, /meetings to see them."))
        return
    await _ask(ctx, Step.TITLE, MeetingDraft())


async def _ask(ctx: Context, step: Step, data: MeetingDraft) -> None:
    await ctx.set_form(NEW_MEETING, step, data)
    cancel = DISCARD.button(ctx._("Cancel"))
    skip = SKIP.button(ctx._("Skip"))
    if step is Step.TITLE:
        await ctx.reply(ctx._("What is the meeting called?"), [[cancel]])
    elif step is Step.WHEN:
        await time_prompt.ask(ctx, NEW_MEETING, data, DISCARD)
    elif step is Step.PLACE:
        await ctx.reply(ctx._("Where is it? (address or place)"), [[skip, cancel]])
    elif step is Step.LINK:
        await ctx.reply(ctx._("Is there an online link? Send it, or skip."), [[skip, cancel]])
    elif step is Step.DESCRIPTION:
        await ctx.reply(
            ctx._("A short description (what it is about, who should come)."), [[skip, cancel]]
        )
    elif step is Step.AUDIENCE:
        chosen = set(data.tags)
        rows = [[AUDIENCE.button(ctx._("Everyone subscribed"), Key("*"))]]
        rows.extend(
            [AUDIENCE.button(("✓ " if tag in chosen else "") + tag, Key(short_id(tag)))]
            for tag in ctx.config.meetings.neighborhoods
        )
        rows.append([AUDIENCE.button(ctx._("Done"), Key("!"))])
        await ctx.reply(ctx._("Who should hear about it?"), rows)
    elif step is Step.REMINDERS:
        await ctx.reply(
            ctx._("When should people be reminded?"),
            [
                [REMINDERS.button(ctx._("24 hours and 1 hour before"), Key("default"))],
                [REMINDERS.button(ctx._("1 hour before"), Key("1h"))],
                [REMINDERS.button(ctx._("24 hours before"), Key("24h"))],
                [REMINDERS.button(ctx._("No reminders"), Key("none"))],
            ],
        )
    elif step is Step.REPEAT:
        await ctx.reply(ctx._("Does it repeat?"), _repeat_rows(ctx, data))
    elif step is Step.LANGUAGES:
        await ctx.reply(
            ctx._(
                "Optional: the title and description in other languages, one per line, like\n"
                "es: Reunión del barrio | Hablamos de seguridad\nOr skip."
            ),
            [[skip, cancel]],
        )


def _repeat_rows(ctx: Context, data: MeetingDraft) -> list[list[Button]]:
    """One button per rhythm, each showing its next dates, so "every month" is seen to
    mean "the second Tuesday" without naming it in ten grammars."""
    first = from_db(data.when)
    labels = {
        Repeat.WEEKLY: ctx._("Every week: {dates}…"),
        Repeat.BIWEEKLY: ctx._("Every 2 weeks: {dates}…"),
        Repeat.MONTHLY: ctx._("Every month: {dates}…"),
    }
    rows = [[REPEAT.button(ctx._("Does not repeat"), Key(Repeat.NONE))]]
    for choice in CHOICES:
        starts = occurrences(rule_for(choice, first, _zone(ctx)), first, _zone(ctx), ctx.now())
        label = labels[choice].format(dates=_dates(ctx, starts[:3]))
        rows.append([REPEAT.button(label, Key(choice))])
    return rows


def _dates(ctx: Context, starts: list[datetime]) -> str:
    return ", ".join(short_date(ctx, s.astimezone(_zone(ctx)).date()) for s in starts)


def secure_link(text: str) -> bool:
    """An https address with a host: what a resident can open safely from a message."""
    parts = urlsplit(text)
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in text)


@router.flow(NEW_MEETING, roles=ORGANIZERS)
async def flow_text(ctx: Context, event: Incoming, form: Drafting) -> None:
    data, step = form.data, form.step
    text = event.text.strip()
    if not text or len(text) > TEXT_LIMIT:
        await ctx.reply(
            ctx._("Please write between 1 and {limit} characters.").format(limit=TEXT_LIMIT)
        )
        return
    if step in TIME_STEPS:
        await time_prompt.typed(ctx, NEW_MEETING, data, text, DISCARD)
        return
    if step is Step.LINK and not secure_link(text):
        await ctx.reply(ctx._("A link starts with https://. Send it again, or skip."))
        return
    elif step is Step.LANGUAGES:
        data = replace(data, translations=_translations(ctx, text))
    elif step in TYPED:
        typed: dict[str, Any] = {step.value: text}
        data = replace(data, **typed)
    else:
        await ctx.reply(ctx._("Please use the buttons above."))
        return
    await _next(ctx, step, data)


def _translations(ctx: Context, text: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        code, _, rest = line.partition(":")
        if code.strip() in ctx.services.languages.codes and rest.strip():
            title, _, description = rest.partition("|")
            found[code.strip()] = {"title": title.strip(), "description": description.strip()}
    return found


async def _next(ctx: Context, step: Step, data: MeetingDraft) -> None:
    index = STEPS.index(step)
    if step is Step.LINK and not (data.place or data.link):
        await ctx.reply(ctx._("A meeting needs a place or an online link."))
        await _ask(ctx, Step.PLACE, data)
        return
    if step is Step.DESCRIPTION and not ctx.config.meetings.neighborhoods:
        index += 1  # one city-wide list: no audience to choose
    if index + 1 < len(STEPS):
        await _ask(ctx, STEPS[index + 1], data)
    else:
        await _preview(ctx, data)


@router.form_button(PICK, MEETING_FORMS, TIME_STEPS, roles=ORGANIZERS)
async def pick_time(
    ctx: Context, event: Incoming, step: Key, form: Filled[TimeAnswer, Step]
) -> None:
    await time_prompt.pick(ctx, form.spec, form.data, step.key, DISCARD)


@router.form_button(WHEN_AGAIN, MEETING_FORMS, (Step.WHEN_CONFIRM,), roles=ORGANIZERS)
async def time_again(
    ctx: Context, event: Incoming, _: NoPayload, form: Filled[TimeAnswer, Step]
) -> None:
    await time_prompt.ask(ctx, form.spec, form.data, DISCARD)


@router.form_button(WHEN_OK, MEETING_FORMS, (Step.WHEN_CONFIRM,), roles=ORGANIZERS)
async def time_confirmed(
    ctx: Context, event: Incoming, _: NoPayload, form: Filled[TimeAnswer, Step]
) -> None:
    start = time_prompt.confirmed(ctx, form.data)
    if start is None:
        await ctx.reply(ctx._("That time has already passed. Please give a future date."))
        await time_prompt.ask(ctx, form.spec, form.data, DISCARD)
        return
    if isinstance(form.data, MeetingChange):
        meeting = await _changed_meeting(ctx, form.data)
        await _save_change(ctx, replace(meeting, starts_at=start))
        return
    assert isinstance(form.data, MeetingDraft)
    await _next(ctx, Step.WHEN, replace(form.data, when_pending=None, when=to_db(start)))


@router.form_button(SKIP, (NEW_MEETING,), SKIPPABLE, roles=ORGANIZERS)
async def skip(ctx: Context, event: Incoming, _: NoPayload, form: Drafting) -> None:
    await _next(ctx, form.step, form.data)


@router.form_button(AUDIENCE, (NEW_MEETING,), (Step.AUDIENCE,), roles=ORGANIZERS)
async def audience(ctx: Context, event: Incoming, chosen: Key, form: Drafting) -> None:
    data, choice = form.data, chosen.key
    if choice in ("*", "!"):
        await _next(ctx, Step.AUDIENCE, replace(data, tags=()) if choice == "*" else data)
        return
    if (tag := by_short_id(ctx.config.meetings.neighborhoods, choice)) is not None:
        data = replace(data, tags=tuple(sorted(set(data.tags) ^ {tag})))
    await _ask(ctx, Step.AUDIENCE, data)


@router.form_button(REMINDERS, (NEW_MEETING,), (Step.REMINDERS,), roles=ORGANIZERS)
async def reminders(ctx: Context, event: Incoming, choice: Key, form: Drafting) -> None:
    if choice.key not in REMINDER_CHOICES:
        raise StaleButton
    chosen = REMINDER_CHOICES[choice.key]
    default = tuple(int(m) for m in ctx.config.meetings.reminder_minutes)
    data = replace(form.data, reminders=default if chosen is None else chosen)
    await _next(ctx, Step.REMINDERS, data)


@router.form_button(REPEAT, (NEW_MEETING,), (Step.REPEAT,), roles=ORGANIZERS)
async def repeat(ctx: Context, event: Incoming, chosen: Key, form: Drafting) -> None:
    choice = chosen.key
    if choice not in (Repeat.NONE, *CHOICES):
        raise StaleButton
    first = from_db(form.data.when)
    rule = "" if choice == Repeat.NONE else rule_for(choice, first, _zone(ctx))
    await _next(ctx, Step.REPEAT, replace(form.data, repeat=rule))


def _draft(ctx: Context, data: MeetingDraft) -> Meeting:
    return Meeting(
        id=0,
        title=data.title,
        description=data.description,
        place=data.place,
        link=data.link,
        starts_at=from_db(data.when),
        timezone=ctx.config.bot.timezone,
        audience_tags=data.tags,
        reminder_minutes=data.reminders,
        translations=data.translations,
    )


async def _preview(ctx: Context, data: MeetingDraft) -> None:
    await ctx.set_form(NEW_MEETING, Step.PREVIEW, data)
    draft = _draft(ctx, data)
    audience_text = ", ".join(draft.audience_tags) or ctx._("everyone subscribed")
    text = meeting_text(ctx.t, draft, _zone(ctx), ctx._("Preview. Nothing has been sent yet."))
    text += "\n\n" + ctx._("Audience: {audience}").format(audience=audience_text)
    text += "\n" + "\n".join(_schedule_lines(ctx, draft))
    if data.repeat:
        starts = occurrences(data.repeat, draft.starts_at, _zone(ctx), ctx.now())
        text += "\n" + ctx._(
            "Repeats: {dates}… until {last}. Each meeting is announced a week before."
        ).format(
            dates=_dates(ctx, starts[:3]), last=ctx.t.day(starts[-1].astimezone(_zone(ctx)).date())
        )
    await ctx.reply(
        text,
        [[PUBLISH.button(ctx._("Publish")), DISCARD.button(ctx._("Cancel"))]],
    )


def _schedule_lines(ctx: Context, meeting: Meeting) -> list[str]:
    """When the announcement and each reminder go out in the organizer's zone, and which
    ones quiet hours hold back (for people in this zone; others follow their own night)."""
    zone, now = _zone(ctx), ctx.now()
    held = send_time(ctx.services, zone, meeting, now)
    lines = [
        ctx._("Quiet hours: the announcement will go out at {time}.").format(
            time=ctx.t.moment(held, zone)
        )
        if held > now
        else ctx._("The announcement goes out as soon as you publish.")
    ]
    times = []
    for _minutes, due in reminder_times(meeting, now):
        when = ctx.t.moment(due, zone)
        sent = send_time(ctx.services, zone, meeting, due)
        if sent > due:
            when = ctx._("{time} (quiet hours: sent at {held})").format(
                time=when, held=ctx.t.moment(sent, zone)
            )
        times.append(when)
    if times:
        lines.append(ctx._("Reminders: {times}").format(times="; ".join(times)))
    else:
        lines.append(ctx._("No reminders will be sent."))
    return lines


@router.form_button(PUBLISH, (NEW_MEETING,), (Step.PREVIEW,), roles=ORGANIZERS)
async def publish(ctx: Context, event: Incoming, _: NoPayload, form: Drafting) -> None:
    draft = _draft(ctx, form.data)
    if not ctx.now() < draft.starts_at <= ctx.now() + HORIZON:
        if draft.starts_at <= ctx.now():
            await ctx.reply(ctx._("That time has already passed. Please give a future date."))
        else:
            await ctx.reply(ctx._("That is more than a year away. Please check the date."))
        await _ask(ctx, Step.WHEN, form.data)
        return
    # The meeting exists only with its announcement queued.
    async with _store(ctx).transaction():
        await ctx.clear_state()
        meeting = await _create(ctx, draft, form.data.repeat)
        count = await _store(ctx).announce(meeting)
    await _store(ctx).sync_calendars(meeting)  # a platform call: after the commit
    held = send_time(ctx.services, _zone(ctx), meeting, ctx.now())
    if held > ctx.now():
        await ctx.reply(
            ctx._("Published. Quiet hours: the announcement will go out at {time}.").format(
                time=ctx.t.moment(held, _zone(ctx))
            )
        )
        return
    await ctx.reply(
        ctx.ngettext(
            "Published. The announcement is on its way to {count} person or channel.",
            "Published. The announcement is on its way to {count} people and channels.",
            count,
        ).format(count=count),
        progress_buttons(ctx.t, broadcast_id(meeting, Notice.ANNOUNCE)),
    )


async def _create(ctx: Context, draft: Meeting, rule: str) -> Meeting:
    """The meeting, or every occurrence of its series (a year ahead); returns the first.
    Later occurrences are announced a week before each, by send jobs."""
    if not rule:
        return await _store(ctx).meetings.create(draft, ctx.person.id, ctx.now())
    kept, now = _store(ctx).meetings, ctx.now()
    series_id = await kept.create_series(rule, draft.starts_at, draft.timezone, now)
    created = [
        await kept.create(
            replace(draft, starts_at=start, series_id=series_id, series_start=start),
            ctx.person.id,
            now,
        )
        for start in occurrences(rule, draft.starts_at, _zone(ctx), now)
    ]
    for later in created[1:]:
        await _store(ctx).schedule_announcement(later)
    return created[0]


@router.button(DISCARD)
async def discard(ctx: Context, event: Incoming, _: NoPayload) -> None:
    await ctx.clear_state()
    await ctx.reply(ctx._("Cancelled. Nothing was sent."))


@router.command("meetings", N_("Upcoming community meetings"))
async def list_meetings(ctx: Context, event: Incoming) -> None:
    meetings = await _store(ctx).meetings.upcoming_next(ctx.now())
    if not meetings:
        await ctx.reply(
            ctx._("No meetings are planned right now. Send /subscribe to hear about the next one.")
        )
        return
    organizer = ctx.person.is_at_least(*ORGANIZERS)
    for meeting in meetings:
        rows = [list(row) for row in rsvp_buttons(ctx.t, meeting.id)]
        if organizer:
            rows.append(
                [
                    COUNTS.button(ctx._("Answers"), Ref(meeting.id)),
                    EDIT.button(ctx._("Change"), MeetingEdit(meeting.id, MENU)),
                    CANCEL.button(ctx._("Cancel meeting"), Ref(meeting.id)),
                ]
            )
        text = meeting_text(ctx.t, meeting, _zone(ctx), f"#{meeting.id}")
        if meeting.series_id is not None:
            last = (await _store(ctx).meetings.occurrences(meeting.series_id))[-1]
            text += "\n" + ctx._("Repeats until {last}.").format(
                last=ctx.t.day(last.starts_at.astimezone(_zone(ctx)).date())
            )
            if organizer:
                rows.append(
                    [CANCEL_SERIES.button(ctx._("Cancel the series"), Ref(meeting.series_id))]
                )
        if organizer:
            text += "\n\n" + _tally_text(
                ctx, meeting.id, await _store(ctx).meetings.rsvp_counts(meeting.id)
            )
        await ctx.reply(text, rows)


def _tally_text(ctx: Context, number: int, tally: dict[Rsvp, int]) -> str:
    return ctx._("Meeting #{number}: going {going}, maybe {maybe}, can't go {no}.").format(
        number=number, going=tally[Rsvp.GOING], maybe=tally[Rsvp.MAYBE], no=tally[Rsvp.NO]
    )


async def _upcoming(ctx: Context, meeting_id: int) -> Meeting:
    """The meeting a button names, if it exists, is published and has not started."""
    meeting = await _store(ctx).meetings.get(meeting_id)
    if (
        meeting is None
        or meeting.status is not MeetingStatus.PUBLISHED
        or (meeting.starts_at <= ctx.now())
    ):
        raise Refused(ctx._("This meeting is no longer open."))
    return meeting


async def _changed_meeting(ctx: Context, change: MeetingChange) -> Meeting:
    """The meeting a change form is about; gone meanwhile, the form closes."""
    try:
        return await _upcoming(ctx, change.meeting)
    except Refused:
        await ctx.clear_state()
        raise


@router.button(RSVP)
async def rsvp(ctx: Context, event: Incoming, given: MeetingRsvp) -> None:
    meeting = await _upcoming(ctx, given.meeting_id)
    await _store(ctx).meetings.set_rsvp(meeting.id, ctx.person.id, given.answer)
    await ctx.reply(
        ctx._("Thank you, your answer is saved. You can change it any time."), ephemeral=True
    )


@router.button(COUNTS, roles=ORGANIZERS)
async def counts(ctx: Context, event: Incoming, named: Ref) -> None:
    meeting = await _upcoming(ctx, named.id)
    tally = await _store(ctx).meetings.rsvp_counts(meeting.id)
    await ctx.reply(_tally_text(ctx, meeting.id, tally), ephemeral=True)


@router.button(EDIT, roles=ORGANIZERS)
async def edit(ctx: Context, event: Incoming, asked: MeetingEdit) -> None:
    field = next((f for f in EDITABLE if f.value == asked.field), None)
    meeting = await _upcoming(ctx, asked.meeting_id)
    whole = asked.scope == SERIES_SCOPE and meeting.series_id is not None
    if field is None or (whole and field is Step.WHEN):
        labels = {
            Step.WHEN: ctx._("Date and time"),
            Step.PLACE: ctx._("Place"),
            Step.LINK: ctx._("Online link"),
            Step.TITLE: ctx._("Title"),
            Step.DESCRIPTION: ctx._("Description"),
        }
        # A series changes as a whole in everything but its time (its rule sets that).
        fields = [f for f in EDITABLE if not (whole and f is Step.WHEN)]
        scope = SERIES_SCOPE if whole else ""
        rows = [[EDIT.button(labels[f], MeetingEdit(meeting.id, f.value, scope))] for f in fields]
        if meeting.series_id is not None and not whole:
            series = MeetingEdit(meeting.id, MENU, SERIES_SCOPE)
            rows.append([EDIT.button(ctx._("Change the whole series"), series)])
        await ctx.reply(ctx._("What do you want to change?"), rows, ephemeral=True)
        return
    change = MeetingChange(meeting=meeting.id, series=whole)
    if field is Step.WHEN:
        await time_prompt.ask(ctx, CHANGE_MEETING, change, DISCARD)
        return
    await ctx.set_form(CHANGE_MEETING, field, change)
    await ctx.reply(ctx._("Send the new value."), [[DISCARD.button(ctx._("Cancel"))]])


@router.flow(CHANGE_MEETING, roles=ORGANIZERS)
async def edit_value(ctx: Context, event: Incoming, form: Changing) -> None:
    meeting = await _changed_meeting(ctx, form.data)
    text = event.text.strip()[:TEXT_LIMIT]
    if form.step in TIME_STEPS:
        await time_prompt.typed(ctx, CHANGE_MEETING, form.data, text, DISCARD)
        return
    if form.step is Step.LINK and not secure_link(text):
        await ctx.reply(ctx._("A link starts with https://. Send it again."))
        return
    if form.data.series and meeting.series_id is not None:
        await _save_series_change(ctx, meeting.series_id, form.step, text)
        return
    await _save_change(ctx, _changed(meeting, form.step, text))


def _changed(meeting: Meeting, field: Step, text: str) -> Meeting:
    if field is Step.PLACE:
        return replace(meeting, place=text)
    if field is Step.LINK:
        return replace(meeting, link=text)
    if field is Step.TITLE:
        return replace(meeting, title=text)
    return replace(meeting, description=text)


async def _save_series_change(ctx: Context, series_id: int, field: Step, text: str) -> None:
    """The same change to every upcoming occurrence, each announced one telling its people."""
    upcoming = [
        m
        for m in await _store(ctx).meetings.occurrences(series_id)
        if m.status is MeetingStatus.PUBLISHED and m.starts_at > ctx.now()
    ]
    changes = [_changed(meeting, field, text) for meeting in upcoming]
    await _say_saved(ctx, await _save(ctx, changes, close_form=True))


async def _save_change(ctx: Context, changed: Meeting) -> None:
    """Close the edit form and save the change together with the notices about it; the
    organizer is told once it is committed."""
    await _say_saved(ctx, await _save(ctx, [changed], close_form=True))


async def _save(ctx: Context, changes: list[Meeting], close_form: bool) -> int:
    """Save changed meetings with the notices about them in one transaction (and the
    organizer's form closed with them, if asked), then update their calendar events:
    platform calls, made after the commit. Returns how many notices were queued."""
    store, saved, count = _store(ctx), [], 0
    async with store.transaction():
        if close_form:
            await ctx.clear_state()
        for changed in changes:
            saved.append(await store.meetings.update(changed))
            count += await store.notify_change(saved[-1])
    for updated in saved:
        await store.sync_calendars(updated)
    return count


@router.button(CANCEL, roles=ORGANIZERS)
async def cancel(ctx: Context, event: Incoming, named: Ref) -> None:
    meeting = await _upcoming(ctx, named.id)
    await ctx.reply(
        ctx._(
            "Cancel meeting #{number}? Everyone who was told will be told it is cancelled."
        ).format(number=meeting.id),
        [
            [
                CANCEL_YES.button(ctx._("Yes, cancel it"), Ref(meeting.id)),
                DISCARD.button(ctx._("No")),
            ]
        ],
        ephemeral=True,
    )


@router.button(CANCEL_SERIES, roles=ORGANIZERS)
async def cancel_series(ctx: Context, event: Incoming, series: Ref) -> None:
    await _open_series(ctx, series.id)
    await ctx.reply(
        ctx._("Cancel every upcoming meeting of this series? Everyone who was told will be told."),
        [
            [
                CANCEL_SERIES_YES.button(ctx._("Yes, cancel it"), series),
                DISCARD.button(ctx._("No")),
            ]
        ],
        ephemeral=True,
    )


@router.button(CANCEL_SERIES_YES, roles=ORGANIZERS)
async def cancel_series_confirmed(ctx: Context, event: Incoming, series: Ref) -> None:
    upcoming = await _open_series(ctx, series.id)
    await _save(ctx, [_cancelled(meeting) for meeting in upcoming], close_form=False)
    await ctx.reply(ctx._("The series is cancelled."))


async def _open_series(ctx: Context, series_id: int) -> list[Meeting]:
    """The series' meetings still to come and not cancelled (a button is never trusted)."""
    found = await _store(ctx).meetings.occurrences(series_id)
    upcoming = [m for m in found if m.status is MeetingStatus.PUBLISHED and m.starts_at > ctx.now()]
    if not upcoming:
        raise Refused(ctx._("This meeting is no longer open."))
    return upcoming


@router.button(CANCEL_YES, roles=ORGANIZERS)
async def cancel_confirmed(ctx: Context, event: Incoming, named: Ref) -> None:
    meeting = await _upcoming(ctx, named.id)
    await _save(ctx, [_cancelled(meeting)], close_form=False)
    await ctx.reply(ctx._("Meeting #{number} is cancelled.").format(number=meeting.id))


def _cancelled(meeting: Meeting) -> Meeting:
    return replace(meeting, status=MeetingStatus.CANCELLED)


async def _say_saved(ctx: Context, count: int) -> None:
    """Tell the organizer a change is saved and how many will hear about it."""
    await ctx.reply(
        ctx.ngettext(
            "Saved. {count} person or channel will be told.",
            "Saved. {count} people and channels will be told.",
            count,
        ).format(count=count)
    )
