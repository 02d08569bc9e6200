"""Polls in the chat: organizers create and read them, residents answer with one tap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.events import Button, Incoming
from bot.core.router import Router
from bot.i18n import N_
from handlers.polls.delivery import (
    ANSWER,
    PREFER_NOT,
    option_count,
    poll_message,
    results_message,
    send_poll,
)
from handlers.polls.templates import CUSTOM, TEMPLATES, template_for
from storage.people import Role
from storage.polls import Poll

router = Router("polls")

ORGANIZERS = (Role.ORGANIZER,)
FLOW = "poll"
CHOOSE, WINDOW, AUDIENCE, HOOD_Q, SEND, DISCARD = (
    "poll.t",
    "poll.w",
    "poll.aud",
    "poll.hq",
    "poll.send",
    "poll.discard",
)
NEIGHBORHOOD = "poll.n"
WINDOWS = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "1w": timedelta(weeks=1),
    "2w": timedelta(weeks=2),
}
MAX_OPTIONS = 11


def voter_hash(ctx: Context, poll_id: int) -> str:
    """The only link between a response and a person: a keyed hash nobody can reverse."""
    return ctx.services.hasher.digest(
        "poll", str(poll_id), ctx.person.platform, ctx.person.platform_user_id
    )


@router.command("poll", N_("Trust polls: /poll new, /poll results (organizers)"))
async def poll_command(ctx: Context, event: Incoming) -> None:
    words = event.args.split()
    if not ctx.person.is_at_least(*ORGANIZERS):
        await ctx.reply(
            ctx._(
                "Polls are short anonymous questions about safety and trust. When one is open, "
                "it comes to you here. Send /subscribe to receive them."
            )
        )
        return
    if words[:1] == ["new"]:
        await _start(ctx)
    elif words[:1] == ["results"]:
        await _results(ctx, words[1] if len(words) > 1 else "")
    else:
        await ctx.reply(ctx._("Send /poll new to create a poll, or /poll results to see results."))


async def _start(ctx: Context) -> None:
    await ctx.set_state(FLOW, "template", {})
    rows = [
        [Button(f"{tid}: {ctx._(t.question)[:45]}…", CHOOSE, tid)] for tid, t in TEMPLATES.items()
    ]
    rows.append([Button(ctx._("My own question"), CHOOSE, CUSTOM)])
    rows.append([Button(ctx._("Cancel"), DISCARD)])
    await ctx.reply(
        ctx._(
            "Which question? The standard ones keep the same words every "
            "time, so results can be compared."
        ),
        rows,
    )


async def _state(ctx: Context, step: str) -> dict[str, Any] | None:
    state = await ctx.state()
    if state is None or state.flow != FLOW or state.step != step:
        await ctx.reply(ctx._("This form is no longer open. Send /poll new to start again."))
        return None
    return dict(state.data)


@router.button(CHOOSE, roles=ORGANIZERS)
async def choose_template(ctx: Context, event: Incoming) -> None:
    data = await _state(ctx, "template")
    if data is None or (event.button_arg not in TEMPLATES and event.button_arg != CUSTOM):
        return
    data["template"] = event.button_arg
    if event.button_arg == CUSTOM:
        await ctx.set_state(FLOW, "question", data)
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


@router.flow(FLOW, roles=ORGANIZERS)
async def flow_text(ctx: Context, event: Incoming) -> None:
    state = await ctx.state()
    if state is None:
        return
    data = dict(state.data)
    default = ctx.config.bot.default_locale
    if state.step == "question":
        question = _per_language(ctx, event.text)
        if default not in question:
            await ctx.reply(ctx._("Please include a line for {language}.").format(language=default))
            return
        data["question"] = question
        await ctx.set_state(FLOW, "options", data)
        await ctx.reply(
            ctx._(
                "Now the answers (2 to 11), separated by |, one line per language, for example:\n"
                "en: Yes | No | Sometimes"
            )
        )
        return
    if state.step == "options":
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
        data["options"] = options
        await _ask_window(ctx, data)
        return
    await ctx.reply(ctx._("Please use the buttons above."))


async def _ask_window(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.set_state(FLOW, "window", data)
    await ctx.reply(
        ctx._("How long should the poll stay open?"),
        [
            [Button(ctx._("1 day"), WINDOW, "1d"), Button(ctx._("3 days"), WINDOW, "3d")],
            [Button(ctx._("1 week"), WINDOW, "1w"), Button(ctx._("2 weeks"), WINDOW, "2w")],
        ],
    )


@router.button(WINDOW, roles=ORGANIZERS)
async def choose_window(ctx: Context, event: Incoming) -> None:
    data = await _state(ctx, "window")
    if data is None or event.button_arg not in WINDOWS:
        return
    data["window"] = event.button_arg
    await ctx.set_state(FLOW, "audience", data)
    rows = [
        [Button(ctx._("Everyone subscribed"), AUDIENCE, "*")],
        [Button(ctx._("Subscribers and announcement channels"), AUDIENCE, "+")],
    ]
    rows.extend([Button(tag, AUDIENCE, tag)] for tag in ctx.config.meetings.neighborhoods)
    await ctx.reply(ctx._("Who should be asked?"), rows)


@router.button(AUDIENCE, roles=ORGANIZERS)
async def choose_audience(ctx: Context, event: Incoming) -> None:
    data = await _state(ctx, "audience")
    choice = event.button_arg
    if data is None or (
        choice not in ("*", "+") and choice not in ctx.config.meetings.neighborhoods
    ):
        return
    data["tags"] = [] if choice in ("*", "+") else [choice]
    data["channels"] = choice == "+"
    if ctx.config.meetings.neighborhoods:
        await ctx.set_state(FLOW, "hood", data)
        await ctx.reply(
            ctx._("Also ask people which neighborhood they live in (optional for them)?"),
            [[Button(ctx._("Yes"), HOOD_Q, "1"), Button(ctx._("No"), HOOD_Q, "0")]],
        )
        return
    await _preview(ctx, data)


@router.button(HOOD_Q, roles=ORGANIZERS)
async def choose_hood_question(ctx: Context, event: Incoming) -> None:
    data = await _state(ctx, "hood")
    if data is None:
        return
    data["hood"] = event.button_arg == "1"
    await _preview(ctx, data)


def _draft(ctx: Context, data: dict[str, Any]) -> Poll:
    now = ctx.now()
    return Poll(
        id=0,
        template=str(data["template"]),
        opens_at=now,
        closes_at=now + WINDOWS[str(data["window"])],
        question=dict(data.get("question", {})),
        options=dict(data.get("options", {})),
        audience_tags=tuple(data.get("tags", [])),
        ask_neighborhood=bool(data.get("hood", False)),
    )


async def _preview(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.set_state(FLOW, "preview", data)
    preview = poll_message(ctx.t, _draft(ctx, data))
    await ctx.reply(
        ctx._("Preview. Nothing has been sent yet.") + "\n\n" + preview.text,
        [[Button(ctx._("Send"), SEND), Button(ctx._("Cancel"), DISCARD)]],
    )


@router.button(SEND, roles=ORGANIZERS)
async def send(ctx: Context, event: Incoming) -> None:
    data = await _state(ctx, "preview")
    if data is None:
        return
    async with ctx.db.transaction():  # the poll exists only with its messages queued
        await ctx.clear_state()
        poll = await ctx.repos.polls.create(_draft(ctx, data), ctx.person.id)
        count = await send_poll(ctx.services, poll, bool(data.get("channels")))
    await ctx.reply(
        ctx.ngettext(
            "Poll #{number} sent to {count} person or channel. It closes by itself.",
            "Poll #{number} sent to {count} people and channels. It closes by itself.",
            count,
        ).format(number=poll.id, count=count)
    )


@router.button(DISCARD)
async def discard(ctx: Context, event: Incoming) -> None:
    await ctx.clear_state()
    await ctx.reply(ctx._("Cancelled. Nothing was sent."))


async def _results(ctx: Context, arg: str) -> None:
    if arg:
        poll = await _named_poll(ctx, arg)
    else:
        latest = await ctx.repos.polls.latest(1)
        poll = latest[0] if latest else None
    if poll is None:
        await ctx.reply(ctx._("There is no such poll."))
        return
    await ctx.reply(await results_message(ctx.services, ctx.t, poll))


async def _named_poll(ctx: Context, arg: str) -> Poll | None:
    """The poll a button names, if the (untrusted) number is one."""
    return await ctx.repos.polls.get(int(arg)) if arg.isdigit() and len(arg) < 10 else None


@router.button(ANSWER)
async def answer(ctx: Context, event: Incoming) -> None:
    """Record the tap; a second tap replaces the first until the poll closes."""
    poll_arg, _, value = event.button_arg.partition(":")
    poll = await _named_poll(ctx, poll_arg)
    if poll is None or not poll.is_open_at(ctx.now()):
        await ctx.reply(ctx._("This poll is closed. Thank you all the same."), ephemeral=True)
        return
    template = template_for(poll.template)
    allowed = {str(v) for v in template.values(option_count(poll))} | {PREFER_NOT}
    if value not in allowed:
        await ctx.reply(ctx._("This button no longer works. Send /start to begin again."))
        return
    digest = voter_hash(ctx, poll.id)
    async with ctx.db.transaction():
        await ctx.repos.polls.answer(
            poll.id, digest, None if value == PREFER_NOT else int(value), ctx.t.locale
        )
    closes = ctx.t.datetime(poll.closes_at, _zone(ctx), "medium")
    rows: list[list[Button]] = []
    if poll.ask_neighborhood and value != PREFER_NOT:
        rows = [
            [Button(tag, NEIGHBORHOOD, f"{poll.id}:{tag}")]
            for tag in ctx.config.meetings.neighborhoods
        ]
    text = ctx._("Thank you. Your answer is saved anonymously. You can change it until {when}.")
    if rows:
        text += "\n\n" + ctx._("Optional: which neighborhood do you live in?")
    await ctx.reply(text.format(when=closes), rows, ephemeral=True)


@router.button(NEIGHBORHOOD)
async def neighborhood(ctx: Context, event: Incoming) -> None:
    poll_arg, _, tag = event.button_arg.partition(":")
    poll = await _named_poll(ctx, poll_arg)
    if (
        poll is None
        or not poll.is_open_at(ctx.now())
        or not poll.ask_neighborhood
        or tag not in ctx.config.meetings.neighborhoods
        or not await ctx.repos.polls.set_neighborhood(poll.id, voter_hash(ctx, poll.id), tag)
    ):
        await ctx.reply(ctx._("This poll is closed. Thank you all the same."), ephemeral=True)
        return
    await ctx.reply(ctx._("Thank you."), ephemeral=True)


def _zone(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.person.timezone or ctx.config.bot.timezone)
