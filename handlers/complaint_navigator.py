"""Complaint navigator: a short guided form that ends in a summary the person keeps.

The answers live in the stored conversation state, so a restart mid-form loses nothing;
every step can be skipped, gone back from, or cancelled.
"""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.dispatcher import COMMAND_BUTTON, CommandName
from bot.core.events import Attachment, Button, Incoming
from bot.core.payloads import ButtonSpec, NoPayload
from bot.core.router import Router
from bot.i18n import N_, Translator
from bot.local_defaults import localized
from handlers.knowledge import PREPARE_COMPLAINT, SHOW_TOPIC, TopicRef

router = Router("complaint_navigator")

FLOW = "complaint"
SKIP = ButtonSpec("cn.skip", NoPayload)
BACK = ButtonSpec("cn.back", NoPayload)
CANCEL = ButtonSpec("cn.cancel", NoPayload)
# Long enough for a full account, short enough to fit one platform message.
MAX_ANSWER_CHARS = 1500
# (step, question, label in the summary) in the order they are asked.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("what", N_("What happened? Describe it in your own words."), N_("What happened")),
    ("when", N_("When did it happen? (date and time, as well as you remember)"), N_("When")),
    ("where", N_("Where did it happen? (street, place or area)"), N_("Where")),
    (
        "officer",
        N_("Do you know the officer's name, badge number or car number? Write what you know."),
        N_("Officer details"),
    ),
    ("witnesses", N_("Did anyone see it? How could they be reached?"), N_("Witnesses")),
    ("injuries", N_("Was anyone hurt? Did anyone get medical care?"), N_("Injuries")),
    (
        "evidence",
        N_("Do you have photos, videos, papers or receipts? Describe them (keep the originals)."),
        N_("Evidence"),
    ),
)
STEP_NAMES = tuple(step for step, _, _ in STEPS)


def _controls(t: Translator, first: bool) -> list[list[Button]]:
    row = [SKIP.button(t._("Skip"))]
    if not first:
        row.append(BACK.button(t._("Back")))
    row.append(CANCEL.button(t._("Cancel")))
    return [row]


async def _ask(ctx: Context, index: int, answers: dict[str, Any]) -> None:
    await ctx.set_state(FLOW, STEP_NAMES[index], {"answers": answers})
    _, question, _ = STEPS[index]
    progress = ctx._("Question {number} of {total}").format(number=index + 1, total=len(STEPS))
    await ctx.reply(f"{progress}\n{ctx._(question)}", _controls(ctx.t, index == 0))


@router.button(PREPARE_COMPLAINT)
async def start_navigator(ctx: Context, event: Incoming, _: NoPayload) -> None:
    await ctx.reply(
        ctx._(
            "I will ask a few short questions and then give you a summary to keep. "
            "It is not sent to anyone unless you choose to. You can skip any question."
        )
    )
    await _ask(ctx, 0, {})


async def _current(ctx: Context) -> tuple[int, dict[str, Any]] | None:
    state = await ctx.state()
    if state is None or state.flow != FLOW or state.step not in STEP_NAMES:
        return None
    return STEP_NAMES.index(state.step), dict(state.data.get("answers", {}))


async def _advance(ctx: Context, index: int, answers: dict[str, Any]) -> None:
    if index + 1 < len(STEPS):
        await _ask(ctx, index + 1, answers)
    else:
        await _finish(ctx, answers)


@router.flow(FLOW)
async def answer(ctx: Context, event: Incoming) -> None:
    current = await _current(ctx)
    if current is None:
        await ctx.clear_state()
        return
    index, answers = current
    text = event.text.strip()
    if len(text) > MAX_ANSWER_CHARS:
        await ctx.reply(
            ctx._("That is longer than {limit} characters. Please shorten it a little.").format(
                limit=MAX_ANSWER_CHARS
            )
        )
        return
    if event.attachments and not text:
        text = ", ".join(a.filename for a in event.attachments)
    answers[STEP_NAMES[index]] = text
    await _advance(ctx, index, answers)


@router.button(SKIP)
async def skip(ctx: Context, event: Incoming, _: NoPayload) -> None:
    current = await _current(ctx)
    if current is None:
        await _not_open(ctx)
        return
    index, answers = current
    answers.pop(STEP_NAMES[index], None)
    await _advance(ctx, index, answers)


@router.button(BACK)
async def back(ctx: Context, event: Incoming, _: NoPayload) -> None:
    current = await _current(ctx)
    if current is None:
        await _not_open(ctx)
        return
    index, answers = current
    await _ask(ctx, max(0, index - 1), answers)


@router.button(CANCEL)
async def cancel(ctx: Context, event: Incoming, _: NoPayload) -> None:
    if await _current(ctx) is None:
        await _not_open(ctx)
        return
    await ctx.clear_state()
    await ctx.reply(ctx._("Cancelled. Nothing was kept. Send /complaint to start again."))


async def _not_open(ctx: Context) -> None:
    await ctx.reply(ctx._("This form is no longer open. Send /complaint to start again."))


def summary_text(t: Translator, answers: dict[str, Any]) -> str:
    lines = [t._("Summary of your complaint")]
    for step, _, label in STEPS:
        value = answers.get(step) or t._("(not given)")
        lines.append(f"{t._(label)}: {value}")
    return "\n".join(lines)


async def _finish(ctx: Context, answers: dict[str, Any]) -> None:
    await ctx.clear_state()
    summary = summary_text(ctx.t, answers)
    local = localized(ctx.config.local, ctx.t.locale)
    how = "\n".join(
        [
            ctx._("Where to file: {agency}").format(agency=local.oversight_agency),
            ctx._("Phone: {phone}").format(phone=local.oversight_phone),
            ctx._("Online: {url}").format(url=local.oversight_url),
            ctx._("Deadline: {deadline}").format(deadline=local.complaint_deadline),
            ctx._(
                "You can usually file without giving your name, but then investigators "
                "cannot contact you with questions."
            ),
        ]
    )
    keep = Attachment(
        filename="complaint-summary.txt", data=summary.encode("utf-8"), mime_type="text/plain"
    )
    await ctx.reply(
        summary + "\n\n" + ctx._("Keep this summary. It is yours.") + "\n\n" + how,
        [
            [COMMAND_BUTTON.button(ctx._("Give this to a liaison"), CommandName("human"))],
            [
                SHOW_TOPIC.button(
                    ctx._("How to file a complaint"), TopicRef("complaint.how_to_file")
                )
            ],
            [SHOW_TOPIC.button(ctx._("Complaining anonymously"), TopicRef("complaint.anonymous"))],
        ],
        attachment=keep,
    )
