"""The resident side: "Talk to a person", the open case, closing, rating and reopening.

Nothing the resident types is lost: text written where a button was expected opens the case
(anonymously, which they can change), the question asked just before "Talk to a person" is
carried into the case, and in a shared room the message is asked for in a form, never typed
where others would read it. Everything said to the resident here is personal (`private`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.events import Attachment, Button, Incoming, Outgoing
from bot.core.forms import Filled, FormData, FormSpec
from bot.core.payloads import NoPayload, Ref, StaleButton
from bot.core.router import Router
from bot.i18n import N_
from handlers.common import emergency_lines
from handlers.escalation.buttons import (
    ANONYMOUS,
    KEEP_OPEN,
    NAMED,
    RATE,
    REOPEN,
    SEND_STORY,
    SHOW_NAME,
    STORY,
    WITHDRAW,
    WITHDRAW_YES,
    Appearance,
    CaseRating,
    MaybeCase,
    StoryForm,
)
from handlers.escalation.office import next_office_opening
from handlers.escalation.personal import CaseRecords, OpenCases
from handlers.escalation.relaying import NewCase
from handlers.escalation.service import Escalation
from storage.cases import Case, Outcome

router = Router("escalation.resident")
router.stores(CaseRecords())
router.keeps_undisturbed(OpenCases())


class TalkStep(enum.Enum):
    """Choosing how to appear, then writing (in a form where a shared room needs one)."""

    APPEAR = "appear"
    FORM = "form"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class TalkRequest(FormData):
    """What the resident asked just before (carried into the case) and how they appear."""

    story: str = ""
    anonymous: bool = True


TALK = FormSpec(
    "human", TalkRequest, TalkStep, N_("This button no longer works. Send /start to begin again.")
)
Talking = Filled[TalkRequest, TalkStep]


class AskedStep(enum.Enum):
    QUESTION = "question"


@dataclass(frozen=True, slots=True)
class AskedQuestion(FormData):
    text: str = ""


# The last question asked of the search. No flow handler is registered for it, so free
# text still goes to the search meanwhile.
ASKED = FormSpec(
    "asked",
    AskedQuestion,
    AskedStep,
    N_("This button no longer works. Send /start to begin again."),
)
# A follow-up is acknowledged unless the resident already wrote this recently: one
# "received" per burst of messages, not one per line.
ACK_EVERY = timedelta(minutes=3)
# How much of a remembered question is quoted back to the resident.
QUOTE_CHARS = 200
# The satisfaction scale offered after a case closes.
SCORES = range(1, 6)


def _cases(ctx: Context) -> Escalation:
    return ctx.feature(Escalation)


async def _say(
    ctx: Context, text: str, rows: list[list[Button]] | tuple[tuple[Button, ...], ...] = ()
) -> None:
    """Everything the resident is told about their case is for them alone."""
    await ctx.reply(text, rows, private=True)


def allowed_attachment(ctx: Context, attachment: Attachment) -> bool:
    settings = ctx.config.escalation
    return (
        attachment.mime_type in settings.attachment_types
        and len(attachment.data) <= settings.attachment_max_bytes
    )


async def remember_question(ctx: Context, text: str) -> None:
    """Keep the question just asked, so "Talk to a person" right after carries it along;
    an empty one forgets the last (it was answered, or was not a question)."""
    state = await ctx.state()
    if text.strip() and (state is None or state.flow == ASKED.flow):
        limit = ctx.config.escalation.max_message_chars
        await ctx.set_form(ASKED, AskedStep.QUESTION, AskedQuestion(text.strip()[:limit]))
    elif state is not None and state.flow == ASKED.flow:
        await ctx.clear_state()


router.on_question(remember_question)


async def _remembered_question(ctx: Context) -> str:
    asked = await ctx.form(ASKED)
    if asked is not None:
        return asked.data.text
    return ""


def _joined(story: str, text: str) -> str:
    return "\n\n".join(part for part in (story, text) if part)


@router.command("human", N_("Talk to a person"))
async def talk_to_person(ctx: Context, event: Incoming) -> None:
    """Say who reads, when, and ask how the resident wants to appear."""
    if not ctx.private_here:
        # Nothing is started: their next private message must not open a case unasked.
        await ctx.reply(ctx.privacy_pointer())
        return
    if ctx.person.blocked:
        await _say(ctx, ctx._("Thank you. Your message has been received."))
        return
    open_case_now = await _cases(ctx).open_for(ctx.person.id)
    if open_case_now is not None:
        await _say(
            ctx,
            ctx._(
                "Your conversation #{number} with a liaison is open. Just write here and "
                "they will read it."
            ).format(number=open_case_now.id),
            [[WITHDRAW.button(ctx._("Close my conversation"), MaybeCase(open_case_now.id))]],
        )
        return
    story = await _remembered_question(ctx)
    settings = ctx.config.escalation
    lines = [
        ctx._(
            "A liaison from {service} will read your message: a person who connects "
            "residents and the police. They are not police officers."
        ).format(service=ctx.config.bot.service_name),
        ctx.ngettext(
            "They usually answer within {hours} hour.",
            "They usually answer within {hours} hours.",
            settings.response_hours,
        ).format(hours=settings.response_hours),
    ]
    opening = next_office_opening(ctx.services, ctx.now())
    if opening is not None:
        lines.append(
            ctx._("The office is closed now. Someone will answer from {when}.").format(
                when=ctx.t.datetime(opening, ZoneInfo(ctx.config.bot.timezone), "medium")
            )
        )
        lines.append(emergency_lines(ctx.t, ctx.config.local))
    if story:
        quoted = story if len(story) <= QUOTE_CHARS else story[: QUOTE_CHARS - 1] + "…"
        lines.append(ctx._("I will pass on what you already wrote: “{text}”").format(text=quoted))
    lines.append(
        ctx._(
            "How do you want to appear? Anonymous is the default: the liaison sees only a code, "
            "never your name or account."
        )
    )
    await ctx.set_form(TALK, TalkStep.APPEAR, TalkRequest(story))
    await _say(
        ctx,
        "\n\n".join(lines),
        [
            [ANONYMOUS.button(ctx._("Anonymous (recommended)"))],
            [NAMED.button(ctx._("Show my name"))],
            [WITHDRAW.button(ctx._("Cancel"), MaybeCase())],
        ],
    )


async def _choose_appearance(ctx: Context, event: Incoming, form: Talking, anonymous: bool) -> None:
    data = replace(form.data, anonymous=anonymous)
    if not event.is_private and event.forms:
        # Typed in a shared room, the message would be read by everyone (or not at all).
        await ctx.set_form(TALK, TalkStep.FORM, data)
        asked = STORY.form(
            ctx._("Talk to a person"),
            ctx._("Your message"),
            StoryForm(Appearance.ANONYMOUS if anonymous else Appearance.NAMED),
        )
        await ctx.reply(Outgoing("", form=asked))
        return
    await ctx.set_form(TALK, TalkStep.MESSAGE, data)
    rows = [[SEND_STORY.button(ctx._("Send what I already wrote"))]] if data.story else []
    await _say(ctx, ctx._("Now write your message. You can also send a photo or a document."), rows)


@router.form_button(ANONYMOUS, (TALK,))
async def choose_anonymous(ctx: Context, event: Incoming, _: NoPayload, form: Talking) -> None:
    await _choose_appearance(ctx, event, form, anonymous=True)


@router.form_button(NAMED, (TALK,))
async def choose_named(ctx: Context, event: Incoming, _: NoPayload, form: Talking) -> None:
    await _choose_appearance(ctx, event, form, anonymous=False)


@router.button(STORY)
async def story_from_form(ctx: Context, event: Incoming, form: StoryForm) -> None:
    """The message written in the form a shared room asks with; the form says how to
    appear, so the text is kept even if the conversation state expired meanwhile."""
    if ctx.person.blocked:
        await _say(ctx, ctx._("Thank you. Your message has been received."))
        return
    talk = await ctx.form(TALK)
    text = _joined(talk.data.story if talk else "", event.text.strip())
    if await _acceptable(ctx, text, None):
        anonymous = form.appearance is Appearance.ANONYMOUS
        await _open(ctx, event, anonymous, text, None, defaulted=False)


@router.form_button(SEND_STORY, (TALK,))
async def send_story(ctx: Context, event: Incoming, _: NoPayload, form: Talking) -> None:
    """Open the case with the question already written, nothing added."""
    if not form.data.story:
        raise StaleButton
    await _open(ctx, event, form.data.anonymous, form.data.story, None, defaulted=False)


@router.flow(TALK)
async def first_message(ctx: Context, event: Incoming, form: Talking) -> None:
    """The first message opens the case; until then nothing reaches anyone. Typed before
    choosing how to appear, it is kept and the case opens anonymously (which can change)."""
    text = event.text.strip()
    attachment = event.attachments[0] if event.attachments else None
    if not await _acceptable(ctx, text, attachment):
        return
    choosing = form.step is TalkStep.APPEAR
    anonymous = True if choosing else form.data.anonymous
    story = _joined(form.data.story, text)
    await _open(ctx, event, anonymous, story, attachment, defaulted=choosing)


def _written_in(ctx: Context, text: str) -> str:
    """The language the liaison should answer in: the resident's choice, else what their
    message is clearly written in, else the platform's hint."""
    if ctx.person.locale_chosen or not text:
        return ctx.t.locale
    return ctx.services.knowledge.search(text, ctx.t.locale).detected_lang or ctx.t.locale


async def _open(
    ctx: Context,
    event: Incoming,
    anonymous: bool,
    text: str,
    attachment: Attachment | None,
    defaulted: bool,
) -> None:
    """Open the case (or add to the one already open) and tell the resident what happens."""
    existing = await _cases(ctx).open_for(ctx.person.id)
    await ctx.clear_state()
    if existing is not None:
        await _cases(ctx).relay_from_resident(existing, text, attachment)
        await _say(ctx, ctx._("Received. Your message was passed on to the liaison."))
        return
    case = await _cases(ctx).open(
        NewCase(
            ctx.person,
            _written_in(ctx, text),
            anonymous,
            None if anonymous else (event.display_name or None),
            text,
            attachment,
        )
    )
    if event.is_private:
        thanks = ctx._(
            "Thank you. Your message is now case #{number}. A liaison will answer here. "
            "Everything you write now goes to them."
        )
    else:
        thanks = ctx._(
            "Thank you. Your message is now case #{number}. A liaison will answer you in a "
            "private message from me; write there to add anything."
        )
    lines = [thanks.format(number=case.id)]
    rows = [[WITHDRAW.button(ctx._("Close my conversation"), MaybeCase(case.id))]]
    if defaulted:
        lines.append(
            ctx._(
                "You did not choose how to appear, so you are anonymous: the liaison sees only "
                "a code. You can show your name instead."
            )
        )
        rows.insert(0, [SHOW_NAME.button(ctx._("Show my name"), Ref(case.id))])
    await _say(ctx, "\n\n".join(lines), rows)


@router.button(SHOW_NAME)
async def show_name(ctx: Context, event: Incoming, named: Ref) -> None:
    """The resident who defaulted to anonymous lets the liaison see their name."""
    case = await _own_case(ctx, named.id)
    name = event.display_name.strip()[:60]
    if case is None or not case.is_open or not name:
        raise StaleButton
    await _cases(ctx).show_name(case, ctx.person, name)
    await _say(ctx, ctx._("Done. The liaison now sees your name."))


async def _acceptable(ctx: Context, text: str, attachment: Attachment | None) -> bool:
    """Refuse (kindly, keeping the case open) what cannot be relayed."""
    if not text and attachment is None:
        await _say(ctx, ctx._("Please write a message, or send a photo or a document."))
        return False
    limit = ctx.config.escalation.max_message_chars
    if len(text) > limit:
        await _say(
            ctx,
            ctx._("That is longer than {limit} characters. Please send it in parts.").format(
                limit=limit
            ),
        )
        return False
    if attachment is not None and not allowed_attachment(ctx, attachment):
        await _say(
            ctx, ctx._("Sorry, that kind of file cannot be passed on. Photos and PDF files can.")
        )
        return False
    return True


async def _acknowledge_due(ctx: Context, case: Case) -> bool:
    """True unless the resident already wrote to this case within `ACK_EVERY`."""
    messages = await _cases(ctx).messages(case.id)
    theirs = [m.created_at for m in messages if m.author_id == case.person_id]
    return not theirs or ctx.now() - max(theirs) >= ACK_EVERY


@router.text()
async def relay_open_case(ctx: Context, event: Incoming) -> bool:
    """While a case is open, everything the resident sends goes to it, not to the search."""
    if not event.is_private:
        return False
    if ctx.person.blocked:
        await _say(ctx, ctx._("Thank you. Your message has been received."))
        return True
    case = await _cases(ctx).open_for(ctx.person.id)
    if case is None:
        return False
    text = event.text.strip()
    attachment = event.attachments[0] if event.attachments else None
    if await _acceptable(ctx, text, attachment):
        acknowledge = await _acknowledge_due(ctx, case)
        await _cases(ctx).relay_from_resident(case, text, attachment)
        if acknowledge:
            await _say(ctx, ctx._("Received. Your message was passed on to the liaison."))
    return True


async def _own_case(ctx: Context, case_id: int) -> Case | None:
    """The case a resident's button names, only if it really is theirs."""
    case = await _cases(ctx).get(case_id)
    if case is None or case.person_id != ctx.person.id:
        return None
    return case


async def _ask_to_close(ctx: Context, case: Case) -> None:
    await _say(
        ctx,
        ctx._(
            "Close your conversation #{number}? The liaison will no longer read what you "
            "write here."
        ).format(number=case.id),
        [
            [
                WITHDRAW_YES.button(ctx._("Yes, close it"), Ref(case.id)),
                KEEP_OPEN.button(ctx._("No, keep it open"), Ref(case.id)),
            ]
        ],
    )


@router.button(WITHDRAW)
async def withdraw(ctx: Context, event: Incoming, named: MaybeCase) -> None:
    """Cancel before writing; with a case, ask before closing it."""
    if not named.case_id:
        await ctx.clear_state()
        await _say(ctx, ctx._("Cancelled. Send /start to see what I can do."))
        return
    case = await _own_case(ctx, named.case_id)
    if case is None or not case.is_open:
        await _say(ctx, ctx._("This conversation is already closed."))
        return
    await _ask_to_close(ctx, case)


@router.button(WITHDRAW_YES)
async def withdraw_confirmed(ctx: Context, event: Incoming, named: Ref) -> None:
    """The resident closes their own case."""
    case = await _own_case(ctx, named.id)
    if case is None or not case.is_open:
        await _say(ctx, ctx._("This conversation is already closed."))
        return
    await _cases(ctx).close(case, ctx.person, Outcome.WITHDRAWN, None)


@router.button(KEEP_OPEN)
async def keep_open(ctx: Context, event: Incoming, _: Ref) -> None:
    await _say(ctx, ctx._("You already have an open conversation. Just write here."))


@router.on_cancel()
async def withdraw_open_case(ctx: Context) -> bool:
    """/cancel while a case is open asks whether to close it (True: a case was open)."""
    case = await _cases(ctx).open_for(ctx.person.id)
    if case is None:
        return False
    await _ask_to_close(ctx, case)
    return True


@router.button(RATE)
async def rate(ctx: Context, event: Incoming, rating: CaseRating) -> None:
    case = await _own_case(ctx, rating.case_id)
    if case is None or case.is_open or rating.score not in SCORES:
        raise StaleButton
    await _cases(ctx).rate(case, rating.score)
    await _say(ctx, ctx._("Thank you. Your answer helps us improve."))


@router.button(REOPEN)
async def reopen(ctx: Context, event: Incoming, named: Ref) -> None:
    case = await _own_case(ctx, named.id)
    window = timedelta(days=ctx.config.escalation.reopen_days)
    if (
        case is None
        or case.is_open
        or case.closed_at is None
        or ctx.now() - case.closed_at > window
        or ctx.person.blocked
    ):
        await _say(
            ctx,
            ctx._("This conversation can no longer be reopened. Send /human to start a new one."),
        )
        return
    if await _cases(ctx).open_for(ctx.person.id) is not None:
        await _say(ctx, ctx._("You already have an open conversation. Just write here."))
        return
    await _cases(ctx).reopen(case, ctx.person)
    await _say(
        ctx,
        ctx._("Your conversation #{number} is open again. Write your message.").format(
            number=case.id
        ),
    )
