"""Complaint navigator: a short guided form that ends in a summary the person keeps.

The answers live in the stored conversation state, so a restart mid-form loses nothing;
every step can be skipped, gone back from, or cancelled.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from bot.core.context import Context
from bot.core.dispatcher import COMMAND_BUTTON, CommandName
from bot.core.events import Attachment, Button, Incoming
from bot.core.forms import Filled, FormData, FormSpec
from bot.core.payloads import ButtonSpec, NoPayload
from bot.core.router import Router
from bot.i18n import N_, Translator
from bot.local_defaults import localized
from handlers.knowledge import PREPARE_COMPLAINT, SHOW_TOPIC, TopicRef

router = Router("complaint_navigator")


class Step(enum.Enum):
    """The questions, in the order they are asked."""

    WHAT = "what"
    WHEN = "when"
    WHERE = "where"
    OFFICER = "officer"
    WITNESSES = "witnesses"
    INJURIES = "injuries"
    EVIDENCE = "evidence"


@dataclass(frozen=True, slots=True)
class Answers(FormData):
    """What the person has answered so far, by step."""

    answers: dict[str, str] = field(default_factory=dict)


COMPLAINT = FormSpec(
    "complaint",
    Answers,
    Step,
    N_("This form is no longer open. Send /complaint to start again."),
)
Answering = Filled[Answers, Step]
SKIP = ButtonSpec("cn.skip", NoPayload)
BACK = ButtonSpec("cn.back", NoPayload)
CANCEL = ButtonSpec("cn.cancel", NoPayload)
# Long enough for a full account, short enough to fit one platform message.
MAX_ANSWER_CHARS = 1500
# What each step asks, and its label in the summary.
QUESTIONS: dict[Step, tuple[str, str]] = {
    Step.WHAT: (N_("What happened? Describe it in your own words."), N_("What happened")),
    Step.WHEN: (N_("When did it happen? (date and time, as well as you remember)"), N_("When")),
    Step.WHERE: (N_("Where did it happen? (street, place or area)"), N_("Where")),
    Step.OFFICER: (
        N_("Do you know the officer's name, badge number or car number? Write what you know."),
        N_("Officer details"),
    ),
    Step.WITNESSES: (N_("Did anyone see it? How could they be reached?"), N_("Witnesses")),
    Step.INJURIES: (N_("Was anyone hurt? Did anyone get medical care?"), N_("Injuries")),
    Step.EVIDENCE: (
        N_("Do you have photos, videos, papers or receipts? Describe them (keep the originals)."),
        N_("Evidence"),
    ),
}
STEPS = tuple(Step)


def _controls(t: Translator, first: bool) -> list[list[Button]]:
    row = [SKIP.button(t._("Skip"))]
    if not first:
        row.append(BACK.button(t._("Back")))
    row.append(CANCEL.button(t._("Cancel")))
    return [row]


async def _ask(ctx: Context, index: int, answers: dict[str, str]) -> None:
    step = STEPS[index]
    await ctx.set_form(COMPLAINT, step, Answers(answers))
    question, _ = QUESTIONS[step]
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


async def _advance(ctx: Context, index: int, answers: dict[str, str]) -> None:
    if index + 1 < len(STEPS):
        await _ask(ctx, index + 1, answers)
    else:
        await _finish(ctx, answers)


@router.flow(COMPLAINT)
async def answer(ctx: Context, event: Incoming, form: Answering) -> None:
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
    answers = {**form.data.answers, form.step.value: text}
    await _advance(ctx, STEPS.index(form.step), answers)


@router.form_button(SKIP, (COMPLAINT,))
async def skip(ctx: Context, event: Incoming, _: NoPayload, form: Answering) -> None:
    answers = {k: v for k, v in form.data.answers.items() if k != form.step.value}
    await _advance(ctx, STEPS.index(form.step), answers)


@router.form_button(BACK, (COMPLAINT,))
async def back(ctx: Context, event: Incoming, _: NoPayload, form: Answering) -> None:
    await _ask(ctx, max(0, STEPS.index(form.step) - 1), form.data.answers)


@router.form_button(CANCEL, (COMPLAINT,))
async def cancel(ctx: Context, event: Incoming, _: NoPayload, form: Answering) -> None:
    await ctx.clear_state()
    await ctx.reply(ctx._("Cancelled. Nothing was kept. Send /complaint to start again."))


def summary_text(t: Translator, answers: dict[str, str]) -> str:
    lines = [t._("Summary of your complaint")]
    for step, (_, label) in QUESTIONS.items():
        value = answers.get(step.value) or t._("(not given)")
        lines.append(f"{t._(label)}: {value}")
    return "\n".join(lines)


async def _finish(ctx: Context, answers: dict[str, str]) -> None:
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
