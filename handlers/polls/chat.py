"""Polls in the chat: organizers create and read them, residents answer with one tap."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.events import Button, Incoming
from bot.core.forms import Filled, FormData, FormSpec
from bot.core.payloads import ButtonSpec, Key, NoPayload, Payload, StaleButton
from bot.core.people import Role
from bot.core.ports import Recipient
from bot.core.router import Router
from bot.i18n import N_
from handlers.neighborhoods import by_short_id, short_id
from handlers.polls.delivery import progress_text
from handlers.polls.sending import (
    ANSWER,
    PREFER_NOT,
    PollAnswer,
    option_count,
    person_zone,
    poll_message,
    reminder_key,
    voter_hash,
)
from handlers.polls.service import Polls, offer_open_polls
from handlers.polls.templates import CUSTOM, TEMPLATES, template_for
from storage.polls import Poll

router = Router("polls")
# Whoever starts a private chat or subscribes is offered the open polls at once.
router.on_welcome(offer_open_polls)


def _store(ctx: Context) -> Polls:
    return ctx.feature(Polls)


ORGANIZERS = (Role.ORGANIZER,)


class Step(enum.Enum):
    TEMPLATE = "template"
    QUESTION = "question"
    OPTIONS = "options"
    WINDOW = "window"
    AUDIENCE = "audience"
    HOOD = "hood"
    PREVIEW = "preview"


@dataclass(frozen=True, slots=True)
class PollDraft(FormData):
    """A poll being written: the question and answers per language for a custom one."""

    template: str = ""
    question: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    window: str = ""
    tags: tuple[str, ...] = ()
    channels: bool = False
    hood: bool = False


NEW_POLL = FormSpec(
    "poll", PollDraft, Step, N_("This form is no longer open. Send /poll new to start again.")
)
Drafting = Filled[PollDraft, Step]


@dataclass(frozen=True, slots=True)
class PollNeighborhood(Payload):
    """The neighbourhood a voter gives with their answer, as `short_id` of its name."""

    poll_id: int
    hood: str


@dataclass(frozen=True, slots=True)
class Flag(Payload):
    yes: bool


CHOOSE = ButtonSpec("poll.t", Key)
WINDOW = ButtonSpec("poll.w", Key)
AUDIENCE = ButtonSpec("poll.aud", Key)
HOOD_Q = ButtonSpec("poll.hq", Flag)
SEND = ButtonSpec("poll.send", NoPayload)
DISCARD = ButtonSpec("poll.discard", NoPayload)
NEIGHBORHOOD = ButtonSpec("poll.n", PollNeighborhood)
WINDOWS = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "1w": timedelta(weeks=1),
    "2w": timedelta(weeks=2),
}
MAX_OPTIONS = 11
# /poll shows at most this many open polls: more would bury the chat.
MAX_LISTED = 5


def _voter(ctx: Context, poll_id: int) -> str:
    return voter_hash(ctx.services, poll_id, ctx.person.platform, ctx.person.platform_user_id)


@router.command("poll", N_("Open polls you can answer; organizers: /poll new, results, csv"))
async def poll_command(ctx: Context, event: Incoming) -> None:
    words = event.args.split()
    if not ctx.person.is_at_least(*ORGANIZERS):
        await _open_polls(ctx)
    elif words[:1] == ["new"]:
        await _start(ctx)
    elif words[:1] == ["results"]:
        await _results(ctx, words[1] if len(words) > 1 else "")
    elif words[:1] == ["csv"]:
        await _csv(ctx, words[1] if len(words) > 1 else "")
    else:
        await _progress(ctx)
        await ctx.reply(
            ctx._(
                "Send /poll new to create a poll, /poll results to see results, or /poll csv "
                "for a CSV file."
            )
        )


async def _open_polls(ctx: Context) -> None:
    """Every open poll this person may answer, one tap away (answering again replaces)."""
    polls = await _store(ctx).open_for(ctx.person)
    if not polls:
        await ctx.reply(
            ctx._(
                "Polls are short anonymous questions about safety and trust. No poll is open "
                "for you right now; when one opens, it comes to you here if you have sent "
                "/subscribe."
            )
        )
        return
    for poll in polls[:MAX_LISTED]:
        message = poll_message(ctx.t, poll)
        if await _store(ctx).polls.has_answered(poll.id, _voter(ctx, poll.id)):
            note = ctx._("You have answered this one; a new tap replaces your answer.")
            message = replace(message, text=note + "\n\n" + message.text)
        await ctx.reply(message)


async def _progress(ctx: Context) -> None:
    """Organizers: how many have answered each open poll so far (no breakdowns)."""
    for poll in await _store(ctx).polls.open_at(ctx.now()):
        results = await _store(ctx).results(poll)
        await ctx.reply(progress_text(ctx.t, poll, results, _zone(ctx)))


async def _start(ctx: Context) -> None:
    await ctx.set_form(NEW_POLL, Step.TEMPLATE, PollDraft())
    rows = [[CHOOSE.button(f"{tid}: {ctx._(t.name)}", Key(tid))] for tid, t in TEMPLATES.items()]
    rows.append([CHOOSE.button(ctx._("My own question"), Key(CUSTOM))])
    rows.append([DISCARD.button(ctx._("Cancel"))])
    await ctx.reply(
        ctx._(
            "Which question? The standard ones keep the same words every "
            "time, so results can be compared."
        ),
        rows,
    )


@router.form_button(CHOOSE, (NEW_POLL,), (Step.TEMPLATE,), roles=ORGANIZERS)
async def choose_template(ctx: Context, event: Incoming, chosen: Key, form: Drafting) -> None:
    if chosen.key not in TEMPLATES and chosen.key != CUSTOM:
        raise StaleButton
    data = replace(form.data, template=chosen.key)
    if chosen.key == CUSTOM:
        await ctx.set_form(NEW_POLL, Step.QUESTION, data)
        await ctx.reply(
            ctx._(
                "Write the question, one line per language, for example:\n"
                "en: Do you feel safe at the bus stops?\nes: ¿Se siente seguro en las paradas?"
            )
        )
        return
    await _ask_window(ctx, data)


def _per_language(ctx: Context, text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        code, _, value = line.partition(":")
        if code.strip() in ctx.services.languages.codes and value.strip():
            found[code.strip()] = value.strip()[:300]
    return found


@router.flow(NEW_POLL, roles=ORGANIZERS)
async def flow_text(ctx: Context, event: Incoming, form: Drafting) -> None:
    default = ctx.config.bot.default_locale
    if form.step is Step.QUESTION:
        question = _per_language(ctx, event.text)
        if default not in question:
            await ctx.reply(ctx._("Please include a line for {language}.").format(language=default))
            return
        await ctx.set_form(NEW_POLL, Step.OPTIONS, replace(form.data, question=question))
        await ctx.reply(
            ctx._(
                "Now the answers (2 to 11), separated by |, one line per language, for example:\n"
                "en: Yes | No | Sometimes"
            )
        )
        return
    if form.step is Step.OPTIONS:
        lines = _per_language(ctx, event.text)
        options = {
            lang: [o.strip() for o in text.split("|") if o.strip()] for lang, text in lines.items()
        }
        sizes = {len(o) for o in options.values()}
        if default not in options or len(sizes) != 1 or not 2 <= sizes.pop() <= MAX_OPTIONS:
            await ctx.reply(
                ctx._(
                    "Each language needs the same number of answers, between 2 and 11, and "
                    "there must be a line for {language}."
                ).format(language=default)
            )
            return
        await _ask_window(ctx, replace(form.data, options=options))
        return
    await ctx.reply(ctx._("Please use the buttons above."))


async def _ask_window(ctx: Context, data: PollDraft) -> None:
    await ctx.set_form(NEW_POLL, Step.WINDOW, data)
    await ctx.reply(
        ctx._("How long should the poll stay open?"),
        [
            [WINDOW.button(ctx._("1 day"), Key("1d")), WINDOW.button(ctx._("3 days"), Key("3d"))],
            [
                WINDOW.button(ctx._("1 week"), Key("1w")),
                WINDOW.button(ctx._("2 weeks"), Key("2w")),
            ],
        ],
    )


@router.form_button(WINDOW, (NEW_POLL,), (Step.WINDOW,), roles=ORGANIZERS)
async def choose_window(ctx: Context, event: Incoming, chosen: Key, form: Drafting) -> None:
    if chosen.key not in WINDOWS:
        raise StaleButton
    await ctx.set_form(NEW_POLL, Step.AUDIENCE, replace(form.data, window=chosen.key))
    rows = [
        [AUDIENCE.button(ctx._("Everyone subscribed"), Key("*"))],
        [AUDIENCE.button(ctx._("Subscribers and announcement channels"), Key("+"))],
    ]
    rows.extend(
        [AUDIENCE.button(tag, Key(short_id(tag)))] for tag in ctx.config.meetings.neighborhoods
    )
    await ctx.reply(ctx._("Who should be asked?"), rows)


@router.form_button(AUDIENCE, (NEW_POLL,), (Step.AUDIENCE,), roles=ORGANIZERS)
async def choose_audience(ctx: Context, event: Incoming, chosen: Key, form: Drafting) -> None:
    choice = chosen.key
    tag = by_short_id(ctx.config.meetings.neighborhoods, choice)
    if choice not in ("*", "+") and tag is None:
        raise StaleButton
    tags = () if tag is None else (tag,)
    data = replace(form.data, tags=tags, channels=choice == "+")
    if ctx.config.meetings.neighborhoods:
        await ctx.set_form(NEW_POLL, Step.HOOD, data)
        await ctx.reply(
            ctx._("Also ask people which neighborhood they live in (optional for them)?"),
            [
                [
                    HOOD_Q.button(ctx._("Yes"), Flag(yes=True)),
                    HOOD_Q.button(ctx._("No"), Flag(yes=False)),
                ]
            ],
        )
        return
    await _preview(ctx, data)


@router.form_button(HOOD_Q, (NEW_POLL,), (Step.HOOD,), roles=ORGANIZERS)
async def choose_hood_question(ctx: Context, event: Incoming, asked: Flag, form: Drafting) -> None:
    await _preview(ctx, replace(form.data, hood=asked.yes))


def _draft(ctx: Context, data: PollDraft) -> Poll:
    now = ctx.now()
    return Poll(
        id=0,
        template=data.template,
        opens_at=now,
        closes_at=now + WINDOWS[data.window],
        question=data.question,
        options=data.options,
        audience_tags=data.tags,
        ask_neighborhood=data.hood,
    )


async def _preview(ctx: Context, data: PollDraft) -> None:
    await ctx.set_form(NEW_POLL, Step.PREVIEW, data)
    preview = poll_message(ctx.t, _draft(ctx, data))
    await ctx.reply(
        ctx._("Preview. Nothing has been sent yet.") + "\n\n" + preview.text,
        [[SEND.button(ctx._("Send")), DISCARD.button(ctx._("Cancel"))]],
    )


@router.form_button(SEND, (NEW_POLL,), (Step.PREVIEW,), roles=ORGANIZERS)
async def send(ctx: Context, event: Incoming, _: NoPayload, form: Drafting) -> None:
    async with _store(ctx).transaction():  # the poll exists only with its messages queued
        await ctx.clear_state()
        poll = await _store(ctx).polls.create(_draft(ctx, form.data), ctx.person.id)
        count = await _store(ctx).send(poll, form.data.channels)
    await ctx.reply(
        ctx.ngettext(
            "Poll #{number} sent to {count} person or channel. It closes by itself.",
            "Poll #{number} sent to {count} people and channels. It closes by itself.",
            count,
        ).format(number=poll.id, count=count)
    )


@router.button(DISCARD)
async def discard(ctx: Context, event: Incoming, _: NoPayload) -> None:
    await ctx.clear_state()
    await ctx.reply(ctx._("Cancelled. Nothing was sent."))


async def _chosen_poll(ctx: Context, arg: str) -> Poll | None:
    """The poll an organizer named (the latest when none), or None after saying so."""
    if arg:
        poll = await _named_poll(ctx, arg)
    else:
        latest = await _store(ctx).polls.latest(1)
        poll = latest[0] if latest else None
    if poll is None:
        await ctx.reply(ctx._("There is no such poll."))
    return poll


async def _results(ctx: Context, arg: str) -> None:
    poll = await _chosen_poll(ctx, arg)
    if poll is None:
        return
    for message in await _store(ctx).results_messages(ctx.t, poll, _zone(ctx)):
        await ctx.reply(message)


async def _csv(ctx: Context, arg: str) -> None:
    """The results of one poll (the latest by default) as a CSV file in the chat."""
    poll = await _chosen_poll(ctx, arg)
    if poll is None:
        return
    await ctx.reply(await _store(ctx).csv_message(ctx.t, poll))


async def _named_poll(ctx: Context, arg: str) -> Poll | None:
    """The poll a command names, if the (untrusted) number is one."""
    return await _store(ctx).polls.get(int(arg)) if arg.isdigit() and len(arg) < 10 else None


@router.button(ANSWER)
async def answer(ctx: Context, event: Incoming, given: PollAnswer) -> None:
    """Record the tap; a second tap replaces the first until the poll closes."""
    value = given.value
    poll = await _store(ctx).polls.get(given.poll_id)
    if poll is None or not poll.is_open_at(ctx.now()):
        await ctx.reply(ctx._("This poll is closed. Thank you all the same."), ephemeral=True)
        return
    template = template_for(poll.template)
    allowed = {str(v) for v in template.values(option_count(poll))} | {PREFER_NOT}
    if value not in allowed:
        raise StaleButton
    digest = _voter(ctx, poll.id)
    own_chat = Recipient(ctx.person.platform, ctx.person.platform_user_id)
    async with _store(ctx).transaction():
        await _store(ctx).polls.answer(
            poll.id, digest, None if value == PREFER_NOT else int(value), ctx.t.locale
        )
        # Answered: the closing-soon reminder queued with the poll is no longer wanted.
        await _store(ctx).queued.skip_pending(reminder_key(poll, own_chat))
    closes = ctx.t.moment(poll.closes_at, _zone(ctx))
    rows: list[list[Button]] = []
    if poll.ask_neighborhood and value != PREFER_NOT:
        rows = [
            [NEIGHBORHOOD.button(tag, PollNeighborhood(poll.id, short_id(tag)))]
            for tag in ctx.config.meetings.neighborhoods
        ]
    text = ctx._("Thank you. Your answer is saved anonymously. You can change it until {when}.")
    if rows:
        text += "\n\n" + ctx._("Optional: which neighborhood do you live in?")
    await ctx.reply(text.format(when=closes), rows, ephemeral=True)


@router.button(NEIGHBORHOOD)
async def neighborhood(ctx: Context, event: Incoming, given: PollNeighborhood) -> None:
    poll = await _store(ctx).polls.get(given.poll_id)
    tag = by_short_id(ctx.config.meetings.neighborhoods, given.hood)
    if (
        poll is None
        or not poll.is_open_at(ctx.now())
        or not poll.ask_neighborhood
        or tag is None
        or not await _store(ctx).polls.set_neighborhood(poll.id, _voter(ctx, poll.id), tag)
    ):
        await ctx.reply(ctx._("This poll is closed. Thank you all the same."), ephemeral=True)
        return
    await ctx.reply(ctx._("Thank you."), ephemeral=True)


def _zone(ctx: Context) -> ZoneInfo:
    return person_zone(ctx.services, ctx.person.timezone)
