"""The resident side: "Talk to a person", the open case, closing, rating and reopening."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.events import Attachment, Button, Incoming, Outgoing
from bot.core.router import Router
from bot.i18n import N_
from handlers.common import emergency_lines
from handlers.escalation.service import (
    RATE,
    REOPEN,
    close_case,
    next_office_opening,
    open_case,
    relay_from_resident,
    to_liaisons,
)
from storage.cases import Case, Outcome

router = Router("escalation.resident")

FLOW = "human"
ANONYMOUS, NAMED, WITHDRAW = "esc.anon", "esc.named", "esc.withdraw"


def allowed_attachment(ctx: Context, attachment: Attachment) -> bool:
    settings = ctx.config.escalation
    return (
        attachment.mime_type in settings.attachment_types
        and len(attachment.data) <= settings.attachment_max_bytes
    )


@router.command("human", N_("Talk to a person"))
async def talk_to_person(ctx: Context, event: Incoming) -> None:
    """Say who reads, when, and ask how the resident wants to appear."""
    if ctx.person.blocked:
        await ctx.reply(ctx._("Thank you. Your message has been received."))
        return
    open_case_now = await ctx.repos.cases.open_for_person(ctx.person.id)
    if open_case_now is not None:
        await ctx.reply(
            ctx._(
                "Your conversation #{number} with a liaison is open. Just write here and "
                "they will read it."
            ).format(number=open_case_now.id),
            [[Button(ctx._("Close my conversation"), WITHDRAW, str(open_case_now.id))]],
        )
        return
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
    lines.append(
        ctx._(
            "How do you want to appear? Anonymous is the default: the liaison sees only a code, "
            "never your name or account."
        )
    )
    await ctx.set_state(FLOW, "appear", {})
    await ctx.reply(
        "\n\n".join(lines),
        [
            [Button(ctx._("Anonymous (recommended)"), ANONYMOUS)],
            [Button(ctx._("Show my name"), NAMED)],
            [Button(ctx._("Cancel"), WITHDRAW)],
        ],
    )


async def _choose_appearance(ctx: Context, anonymous: bool) -> None:
    state = await ctx.state()
    if state is None or state.flow != FLOW:
        await ctx.reply(ctx._("This button no longer works. Send /start to begin again."))
        return
    await ctx.set_state(FLOW, "message", {"anonymous": anonymous})
    await ctx.reply(ctx._("Now write your message. You can also send a photo or a document."))


@router.button(ANONYMOUS)
async def choose_anonymous(ctx: Context, event: Incoming) -> None:
    await _choose_appearance(ctx, anonymous=True)


@router.button(NAMED)
async def choose_named(ctx: Context, event: Incoming) -> None:
    await _choose_appearance(ctx, anonymous=False)


@router.flow(FLOW)
async def first_message(ctx: Context, event: Incoming) -> None:
    """The first message opens the case; until then nothing reaches anyone."""
    state = await ctx.state()
    if state is None or state.step != "message":
        await ctx.reply(ctx._("Please choose how you want to appear, using the buttons above."))
        return
    text = event.text.strip()
    attachment = event.attachments[0] if event.attachments else None
    if not await _acceptable(ctx, text, attachment):
        return
    open_cases = await ctx.repos.cases.open_for_person(ctx.person.id)
    if open_cases is not None:
        await ctx.clear_state()
        await relay_from_resident(ctx.services, open_cases, text, attachment)
        return
    anonymous = bool(state.data.get("anonymous", True))
    case = await open_case(
        ctx.services,
        ctx.person,
        ctx.t.locale,
        anonymous,
        None if anonymous else (event.display_name or None),
        text,
        attachment,
    )
    await ctx.clear_state()
    await ctx.reply(
        ctx._(
            "Thank you. Your message is now case #{number}. A liaison will answer here. "
            "Everything you write now goes to them."
        ).format(number=case.id),
        [[Button(ctx._("Close my conversation"), WITHDRAW, str(case.id))]],
    )


async def _acceptable(ctx: Context, text: str, attachment: Attachment | None) -> bool:
    """Refuse (kindly, keeping the case open) what cannot be relayed."""
    if not text and attachment is None:
        await ctx.reply(ctx._("Please write a message, or send a photo or a document."))
        return False
    limit = ctx.config.escalation.max_message_chars
    if len(text) > limit:
        await ctx.reply(
            ctx._("That is longer than {limit} characters. Please send it in parts.").format(
                limit=limit
            )
        )
        return False
    if attachment is not None and not allowed_attachment(ctx, attachment):
        await ctx.reply(
            ctx._("Sorry, that kind of file cannot be passed on. Photos and PDF files can.")
        )
        return False
    return True


@router.text()
async def relay_open_case(ctx: Context, event: Incoming) -> bool:
    """While a case is open, everything the resident sends goes to it, not to the search."""
    if not event.is_private:
        return False
    if ctx.person.blocked:
        await ctx.reply(ctx._("Thank you. Your message has been received."))
        return True
    case = await ctx.repos.cases.open_for_person(ctx.person.id)
    if case is None:
        return False
    text = event.text.strip()
    attachment = event.attachments[0] if event.attachments else None
    if await _acceptable(ctx, text, attachment):
        await relay_from_resident(ctx.services, case, text, attachment)
    return True


async def _own_case(ctx: Context, arg: str) -> Case | None:
    """The case a resident's button names, only if it really is theirs."""
    if not arg.isdigit():
        return None
    case = await ctx.repos.cases.get(int(arg))
    if case is None or case.person_id != ctx.person.id:
        return None
    return case


@router.button(WITHDRAW)
async def withdraw(ctx: Context, event: Incoming) -> None:
    """The resident closes their own case (or cancels before writing)."""
    if not event.button_arg:
        await ctx.clear_state()
        await ctx.reply(ctx._("Cancelled. Send /start to see what I can do."))
        return
    case = await _own_case(ctx, event.button_arg)
    if case is None or not case.is_open:
        await ctx.reply(ctx._("This conversation is already closed."))
        return
    await close_case(ctx.services, case, ctx.person, Outcome.WITHDRAWN, None)


async def withdraw_open_case(ctx: Context) -> bool:
    """/cancel while a case is open closes it from the resident's side."""
    case = await ctx.repos.cases.open_for_person(ctx.person.id)
    if case is None:
        return False
    await close_case(ctx.services, case, ctx.person, Outcome.WITHDRAWN, None)
    return True


@router.button(RATE)
async def rate(ctx: Context, event: Incoming) -> None:
    case_arg, _, score = event.button_arg.partition(":")
    case = await _own_case(ctx, case_arg)
    if case is None or case.is_open or score not in {"1", "2", "3", "4", "5"}:
        await ctx.reply(ctx._("This button no longer works. Send /start to begin again."))
        return
    await ctx.repos.cases.rate(case.id, int(score))
    await ctx.reply(ctx._("Thank you. Your answer helps us improve."))


@router.button(REOPEN)
async def reopen(ctx: Context, event: Incoming) -> None:
    case = await _own_case(ctx, event.button_arg)
    window = timedelta(days=ctx.config.escalation.reopen_days)
    if (
        case is None
        or case.is_open
        or case.closed_at is None
        or ctx.now() - case.closed_at > window
        or ctx.person.blocked
    ):
        await ctx.reply(
            ctx._("This conversation can no longer be reopened. Send /human to start a new one.")
        )
        return
    if await ctx.repos.cases.open_for_person(ctx.person.id) is not None:
        await ctx.reply(ctx._("You already have an open conversation. Just write here."))
        return
    await ctx.repos.cases.reopen(case.id)
    await ctx.repos.audit.record(ctx.person.id, "reopened", case.id, ctx.now())
    reopened = await ctx.repos.cases.get(case.id)
    assert reopened is not None
    room = ctx.services.languages.translator(ctx.config.bot.default_locale)
    await to_liaisons(
        ctx.services,
        reopened,
        Outgoing(room._("Case #{number} was reopened by the resident.").format(number=case.id)),
        f"reopened:{ctx.now().timestamp()}",
    )
    await ctx.reply(
        ctx._("Your conversation #{number} is open again. Write your message.").format(
            number=case.id
        )
    )
