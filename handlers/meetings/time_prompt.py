"""Asking an organizer when a meeting is: typed, echoed in words, confirmed — or picked.

The understood time is shown back at once ("Tuesday, December 8, 2026, 6:30 PM — is that
right?") rather than at the preview, so a misread is caught where it was typed. A day
without a time asks for the time and keeps the day; a past date, a date more than a year
ahead or an impossible one gets its own answer. Where typing keeps failing (a language the
reader knows little of, a phone keyboard without the right digits) three rows of buttons
— day, hour, minutes — reach the same confirmation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot.core.context import Context
from bot.core.events import Button
from bot.core.forms import FormSpec
from bot.core.payloads import ButtonSpec, Key, NoPayload
from bot.i18n import CALENDAR_NAMES
from handlers.meetings.forms import Step, TimeAnswer
from handlers.meetings.when import HORIZON, Reading, Reason, local_time, read_meeting_time
from storage.timestamps import from_db, to_db

# A picker button's key is one step: "start", a day "d2026-12-08", an hour "h18", minutes "m30".
PICK = ButtonSpec("mtg.pick", Key)
WHEN_OK = ButtonSpec("mtg.when_ok", NoPayload)
WHEN_AGAIN = ButtonSpec("mtg.when_again", NoPayload)
# The form's Cancel button, which each flow using the prompt answers itself.
Cancel = ButtonSpec[NoPayload]
T = TypeVar("T", bound=TimeAnswer)
# The picker offers the next two weeks, and the hours people hold community meetings.
PICK_DAYS = 14
PICK_HOURS = range(8, 22)
PICK_MINUTES = (0, 15, 30, 45)


def short_date(ctx: Context, day: date, weekday: bool = False) -> str:
    """ "Tue, Dec 8" / "Dec 8" for buttons; CLDR has placeholders for some languages
    (Haitian Creole: "M12 8, Tue"), which get their full written date instead."""
    if ctx.t.locale in CALENDAR_NAMES:
        return ctx.t.day(day, "full" if weekday else "long")
    return format_skeleton("MMMEd" if weekday else "MMMd", day, locale=ctx.t.locale)


def zone(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.config.bot.timezone)


def example(ctx: Context) -> str:
    """A sample date and time in the organizer's own conventions (12/25/26 vs 25/12/2026)."""
    sample = datetime(2026, 12, 25, 18, 30, tzinfo=zone(ctx))
    return ctx.t.datetime(sample, zone(ctx), "short")


def _type_or_pick(ctx: Context, cancel: Cancel) -> list[list[Button]]:
    return [
        [PICK.button(ctx._("Choose with buttons"), Key("start")), cancel.button(ctx._("Cancel"))]
    ]


async def ask(ctx: Context, form: FormSpec[T, Step], data: T, cancel: Cancel) -> None:
    """The first question: type the date and time, or pick them."""
    fresh = replace(data, when_day=None, when_pending=None, pick_day=None, pick_hour=None)
    await ctx.set_form(form, Step.WHEN, fresh)
    await ctx.reply(
        ctx._("When is it? Write the date and time, for example {example}.").format(
            example=example(ctx)
        ),
        _type_or_pick(ctx, cancel),
    )


async def typed(ctx: Context, form: FormSpec[T, Step], data: T, text: str, cancel: Cancel) -> None:
    """Read a typed answer and echo it, or say exactly what is missing."""
    known = data.when_day
    reading = read_meeting_time(
        text, ctx.t.locale, zone(ctx), ctx.now(), date.fromisoformat(known) if known else None
    )
    if reading.start is not None:
        await confirm(ctx, form, data, reading.start)
        return
    await ctx.set_form(form, Step.WHEN, _remember_day(data, reading))
    await ctx.reply(_problem(ctx, reading), _type_or_pick(ctx, cancel))


def _remember_day(data: T, reading: Reading) -> T:
    if reading.reason == Reason.NO_TIME and reading.day is not None:
        return replace(data, when_day=reading.day.isoformat())
    return data


def _problem(ctx: Context, reading: Reading) -> str:
    if reading.reason == Reason.NO_TIME and reading.day is not None:
        return ctx._("On {day}: at what time? For example {example}.").format(
            day=ctx.t.day(reading.day, "full"), example=ctx.t.time(_sample(ctx), zone(ctx))
        )
    if reading.reason == Reason.PAST:
        return ctx._("That time has already passed. Please give a future date.")
    if reading.reason == Reason.TOO_FAR:
        return ctx._("That is more than a year away. Please check the date.")
    if reading.reason == Reason.INVALID_DATE:
        return ctx._("That date does not exist. Write it like {example}.").format(
            example=example(ctx)
        )
    if reading.reason == Reason.WEEKDAY_MISMATCH:
        return ctx._(
            "The day of the week does not match the date. Write it like {example}."
        ).format(example=example(ctx))
    return ctx._("I could not read that date and time. Write it like {example}.").format(
        example=example(ctx)
    )


def _sample(ctx: Context) -> datetime:
    return datetime(2026, 12, 25, 18, 30, tzinfo=zone(ctx))


async def confirm(ctx: Context, form: FormSpec[T, Step], data: T, start: datetime) -> None:
    """Say the understood time in words and ask whether it is meant."""
    kept = replace(data, when_day=None, pick_day=None, pick_hour=None, when_pending=to_db(start))
    await ctx.set_form(form, Step.WHEN_CONFIRM, kept)
    await ctx.reply(
        ctx._("I understood: {when}. Is that right?").format(when=ctx.t.moment(start, zone(ctx))),
        [[WHEN_OK.button(ctx._("Yes")), WHEN_AGAIN.button(ctx._("No, write it again"))]],
    )


def confirmed(ctx: Context, data: TimeAnswer) -> datetime | None:
    """The time the organizer just confirmed, if it is still in the future."""
    if data.when_pending is None:
        return None
    start = from_db(data.when_pending)
    return start if ctx.now() < start <= ctx.now() + HORIZON else None


async def pick(ctx: Context, form: FormSpec[T, Step], data: T, arg: str, cancel: Cancel) -> None:
    """One step of the button picker: days, then hours, then minutes, then the echo."""
    kind, value = arg[:1], arg[1:]
    today = ctx.now().astimezone(zone(ctx)).date()
    rows: list[list[Button]]
    if kind == "d" and _valid_day(value, today):
        await ctx.set_form(form, Step.WHEN, replace(data, pick_day=value))
        labels = [
            PICK.button(
                ctx.t.time(local_time(date.fromisoformat(value), h, 0, zone(ctx)), zone(ctx)),
                Key(f"h{h}"),
            )
            for h in PICK_HOURS
        ]
        rows = [labels[i : i + 4] for i in range(0, len(labels), 4)]
        await ctx.reply(ctx._("Pick the hour:"), [*rows, [cancel.button(ctx._("Cancel"))]])
        return
    if kind == "h" and value.isdigit() and int(value) in PICK_HOURS and data.pick_day:
        await ctx.set_form(form, Step.WHEN, replace(data, pick_hour=int(value)))
        day = date.fromisoformat(data.pick_day)
        rows = [
            [
                PICK.button(
                    ctx.t.time(local_time(day, int(value), m, zone(ctx)), zone(ctx)), Key(f"m{m}")
                )
                for m in PICK_MINUTES
            ]
        ]
        await ctx.reply(ctx._("Pick the minutes:"), [*rows, [cancel.button(ctx._("Cancel"))]])
        return
    if (
        kind == "m"
        and value.isdigit()
        and int(value) in PICK_MINUTES
        and data.pick_day
        and data.pick_hour is not None
    ):
        day = date.fromisoformat(data.pick_day)
        start = local_time(day, data.pick_hour, int(value), zone(ctx))
        if start <= ctx.now():
            await ctx.reply(ctx._("That time has already passed. Please give a future date."))
            await _days(ctx, form, data, today, cancel)
            return
        await confirm(ctx, form, data, start)
        return
    await _days(ctx, form, data, today, cancel)


def _valid_day(value: str, today: date) -> bool:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return False
    return today <= day < today + timedelta(days=PICK_DAYS)


async def _days(
    ctx: Context, form: FormSpec[T, Step], data: T, today: date, cancel: Cancel
) -> None:
    await ctx.set_form(form, Step.WHEN, data)
    days = [today + timedelta(days=n) for n in range(PICK_DAYS)]
    labels = [
        PICK.button(short_date(ctx, day, weekday=True), Key(f"d{day.isoformat()}")) for day in days
    ]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    await ctx.reply(
        ctx._("Pick the day, or write a later date:"), [*rows, [cancel.button(ctx._("Cancel"))]]
    )
