"""The liaison side: claim, answer, note, snippets, close, block — from any platform.

What the bot tells a liaison is for that liaison (`ephemeral`): in a Discord server only
they see it; in a Telegram liaison group, a staff room, everyone there may.

Every action re-checks what the button or command names: the case exists, is still
open, and this person may act on it. A forged, forwarded or stale button changes nothing.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.core.context import Context
from bot.core.events import EventKind, Incoming, Outgoing
from bot.core.forms import Filled, FormData, FormSpec
from bot.core.payloads import Ref, StaleButton
from bot.core.people import Person, Role
from bot.core.ports import Recipient
from bot.core.router import Refused, Router
from bot.i18n import N_
from handlers.escalation.buttons import (
    BLOCK,
    BLOCK_YES,
    CLAIM,
    CLOSE,
    OUTCOME,
    REPLY,
    REPLY_SENT,
    CaseOutcome,
)
from handlers.escalation.service import Escalation
from handlers.escalation.texts import liaison_code, outcome_label, room_translator, who
from storage.cases import Case, Outcome

router = Router("escalation.liaison")

STAFF = (Role.LIAISON,)
# Saved replies are written by the people who answer cases, and by organizers.
SNIPPET_WRITERS = (Role.LIAISON, Role.ORGANIZER)


class SelectedStep(enum.Enum):
    CASE = "case"


@dataclass(frozen=True, slots=True)
class SelectedCase(FormData):
    case: int


# A liaison working on one case in a private chat (the terminal): typed text answers it.
SELECTED = FormSpec(
    "esc.selected",
    SelectedCase,
    SelectedStep,
    N_("This button no longer works. Send /start to begin again."),
)
CLOSING_OUTCOMES = (
    Outcome.ANSWERED,
    Outcome.OVERSIGHT,
    Outcome.LEGAL_AID,
    Outcome.NO_RESPONSE,
    Outcome.OTHER,
)


def _number(text: str) -> int | None:
    cleaned = text.strip().lstrip("#")
    return int(cleaned) if cleaned.isdigit() and len(cleaned) < 10 else None


# Case cards and relays name their case as "#12"; a reply to one is about that case.
CASE_NUMBER = re.compile(r"#(\d{1,9})\b")


def _cases(ctx: Context) -> Escalation:
    return ctx.feature(Escalation)


async def _case_from_event(ctx: Context, event: Incoming) -> Case | None:
    """The case an event is about: its thread, else the bot message it replies to."""
    if event.thread_id is not None:
        case = await _cases(ctx).in_thread(event.platform, event.chat_id, event.thread_id)
        if case is not None:
            return case
    named = CASE_NUMBER.search(event.reply_to_bot_text)
    if named is not None and not event.is_private:
        return await _cases(ctx).get(int(named.group(1)))
    return None


async def _open_case(ctx: Context, case_id: int | None) -> Case:
    """An open case by number; anything else is refused with a translated answer."""
    case = None if case_id is None else await _cases(ctx).get(case_id)
    if case is None:
        raise Refused(ctx._("There is no such case."))
    if not case.is_open:
        raise Refused(ctx._("Case #{number} is already closed.").format(number=case.id))
    return case


def _may_manage(ctx: Context, case: Case) -> bool:
    """The owner of a claimed case, or an admin; anyone of the staff if unclaimed."""
    return (
        ctx.person.role is Role.ADMIN or case.claimed_by is None or case.claimed_by == ctx.person.id
    )


async def _case_with_resident(ctx: Context, case_id: int | None) -> tuple[Case, int]:
    """A case, open or closed, and its resident while they are known; else refused."""
    case = None if case_id is None else await _cases(ctx).get(case_id)
    if case is None or case.person_id is None:
        raise Refused(ctx._("There is no such case."))
    return case, case.person_id


def _check_manager(ctx: Context, case: Case) -> None:
    if not _may_manage(ctx, case):
        raise Refused(ctx._("Only the liaison who claimed this case or an admin can do that."))


@router.button(CLAIM, roles=STAFF)
async def claim(ctx: Context, event: Incoming, named: Ref) -> None:
    case = await _open_case(ctx, named.id)
    if case.claimed_by is not None and case.claimed_by != ctx.person.id:
        name = await _cases(ctx).claimant(case) or "?"
        await ctx.reply(
            ctx._("Case #{number} is already claimed by {liaison}.").format(
                number=case.id, liaison=name
            ),
            ephemeral=True,
        )
        return
    await _assign(ctx, case, ctx.person)


async def _assign(ctx: Context, case: Case, liaison: Person | None) -> None:
    text = await _cases(ctx).assign(case, ctx.person, liaison)
    if not _sees_room_notices(ctx):
        await ctx.reply(text, ephemeral=True)


def _sees_room_notices(ctx: Context) -> bool:
    """Rooms and terminal liaisons already get every case notice: telling the person who
    acted as well would post the same event twice."""
    return not ctx.event.is_private or ctx.services.platforms.is_local(ctx.event.platform)


@router.command("release", N_("Give a case back to everyone: /release number"), roles=STAFF)
async def release(ctx: Context, event: Incoming) -> None:
    in_thread = await _case_from_event(ctx, event)
    case = await _open_case(ctx, in_thread.id if in_thread else _number(event.args))
    _check_manager(ctx, case)
    await _assign(ctx, case, None)


@router.command(
    "assign", N_("Take a case, or give it to a colleague: /assign number [code]"), roles=STAFF
)
async def assign(ctx: Context, event: Incoming) -> None:
    """/assign <case> [liaison code]: without a code the case goes to whoever asked."""
    parts = event.args.split()
    in_thread = await _case_from_event(ctx, event)
    if in_thread is not None and (not parts or _number(parts[0]) is None):
        case = await _open_case(ctx, in_thread.id)
    else:
        case = await _open_case(ctx, _number(parts[0]) if parts else None)
        parts = parts[1:]
    _check_manager(ctx, case)
    if not parts:
        await _assign(ctx, case, ctx.person)
        return
    target = await _cases(ctx).liaison_by_code(parts[0].upper())
    if target is None:
        await ctx.reply(
            ctx._("No liaison has that code. Send /cases to see the codes."), ephemeral=True
        )
        return
    await _assign(ctx, case, target)


@router.button(CLOSE, roles=STAFF)
async def close_button(ctx: Context, event: Incoming, named: Ref) -> None:
    """Closing needs an outcome: offer them to the presser only."""
    case = await _open_case(ctx, named.id)
    _check_manager(ctx, case)
    await _ask_outcome(ctx, case)


def _outcomes_for(case: Case) -> tuple[Outcome, ...]:
    """A case nobody ever answered cannot end as 'answered': the liaison gives a reason."""
    if case.first_reply_at is None:
        return tuple(o for o in CLOSING_OUTCOMES if o is not Outcome.ANSWERED)
    return CLOSING_OUTCOMES


async def _ask_outcome(ctx: Context, case: Case) -> None:
    """Closing is two steps: the outcome buttons are the confirmation."""
    rows = [
        [OUTCOME.button(outcome_label(ctx.t, outcome), CaseOutcome(case.id, outcome))]
        for outcome in _outcomes_for(case)
    ]
    question = ctx._("How did case #{number} end?").format(number=case.id)
    if case.first_reply_at is None:
        question = ctx._(
            "Nobody has answered case #{number} yet. Why are you closing it? "
            "The resident will not be asked to rate it."
        ).format(number=case.id)
    await ctx.reply(question, rows, ephemeral=True)


@router.button(OUTCOME, roles=STAFF)
async def choose_outcome(ctx: Context, event: Incoming, chosen: CaseOutcome) -> None:
    outcome = chosen.outcome
    if outcome not in CLOSING_OUTCOMES:
        raise StaleButton
    case = await _open_case(ctx, chosen.case_id)
    if outcome not in _outcomes_for(case):
        await _ask_outcome(ctx, case)
        return
    _check_manager(ctx, case)
    await _cases(ctx).close(case, ctx.person, outcome, None)


@router.command("close", N_("Close a case: /close number"), roles=STAFF)
async def close_command(ctx: Context, event: Incoming) -> None:
    """/close [case] [outcome] [note]: offers the outcomes, whose buttons confirm; a note
    written after them is kept on the case at once, so it is not lost either way."""
    parts = event.args.split(maxsplit=2)
    in_thread = await _case_from_event(ctx, event)
    if in_thread is not None and (not parts or _number(parts[0]) is None):
        parts = [str(in_thread.id), *parts]
    if not parts:
        await ctx.reply(ctx._("Write /close and the case number."), ephemeral=True)
        return
    case = await _open_case(ctx, _number(parts[0]))
    _check_manager(ctx, case)
    note = " ".join(parts[1:]).strip()
    if note:
        await _cases(ctx).closing_note(case, ctx.person, note)
    await _ask_outcome(ctx, case)


@router.button(BLOCK, roles=STAFF)
async def block(ctx: Context, event: Incoming, named: Ref) -> None:
    """Blocking cuts a resident off: always confirmed, naming a colleague who claimed it."""
    case, _ = await _case_with_resident(ctx, named.id)
    question = ctx._(
        "Block the resident of case #{number}? They will no longer reach anyone."
    ).format(number=case.id)
    if not _may_manage(ctx, case) and case.claimed_by is not None:
        question = ctx._(
            "Case #{number} is claimed by {liaison}. Block its resident anyway? They will no "
            "longer reach anyone."
        ).format(number=case.id, liaison=await _cases(ctx).claimant(case) or "?")
    await ctx.reply(
        question,
        [[BLOCK_YES.button(ctx._("Yes, block"), Ref(case.id))]],
        ephemeral=True,
    )


@router.button(BLOCK_YES, roles=STAFF)
async def block_confirmed(ctx: Context, event: Incoming, named: Ref) -> None:
    """Block the resident behind a case, without anyone learning who they are."""
    case, resident = await _case_with_resident(ctx, named.id)
    await _cases(ctx).block(case, resident, ctx.person)
    t = room_translator(ctx.services)
    await ctx.reply(
        t._(
            "The resident of case #{number} is blocked. "
            "An admin can undo it with /unblock {number}."
        ).format(number=case.id),
        ephemeral=True,
    )


@router.command(
    "unblock", N_("Let a blocked resident write again: /unblock number"), roles=(Role.ADMIN,)
)
async def unblock(ctx: Context, event: Incoming) -> None:
    case, resident = await _case_with_resident(ctx, _number(event.args))
    await _cases(ctx).unblock(case, resident, ctx.person)
    await ctx.reply(
        ctx._("The resident of case #{number} is unblocked.").format(number=case.id), ephemeral=True
    )


async def _answer(ctx: Context, case: Case, text: str, event: Incoming) -> None:
    """A liaison's message for a case: an internal note, or a reply to the resident."""
    prefix = ctx.config.escalation.note_prefix
    if prefix and text.lower().startswith(prefix.lower()):
        await _cases(ctx).note(case, ctx.person, text[len(prefix) :].strip())
        await ctx.reply(ctx._("Note saved. It was not sent to the resident."), ephemeral=True)
        return
    attachment = event.attachments[0] if event.attachments else None
    settings = ctx.config.escalation
    if attachment is not None and (
        attachment.mime_type not in settings.attachment_types
        or len(attachment.data) > settings.attachment_max_bytes
    ):
        await ctx.reply(
            ctx._("Sorry, that kind of file cannot be passed on. Photos and PDF files can."),
            ephemeral=True,
        )
        return
    if not text and attachment is None:
        await ctx.reply(
            ctx._("Please write a message, or send a photo or a document."), ephemeral=True
        )
        return
    # Typed in a room, the answer is already there for everyone in it to read.
    typed_in = (
        Recipient(event.platform, event.chat_id, event.thread_id)
        if event.kind is EventKind.TEXT and not event.is_private
        else None
    )
    await _cases(ctx).answer(case, ctx.person, text, attachment, typed_in)


@router.command("reply", N_("Answer a case: /reply number message"), roles=STAFF)
async def reply(ctx: Context, event: Incoming) -> None:
    in_thread = await _case_from_event(ctx, event)
    if in_thread is not None:
        case, text = in_thread, event.args
    else:
        number, _, text = event.args.strip().partition(" ")
        case = await _open_case(ctx, _number(number))
    if not case.is_open:
        await ctx.reply(
            ctx._("Case #{number} is already closed.").format(number=case.id), ephemeral=True
        )
        return
    await _answer(ctx, case, text.strip(), event)


@router.text()
async def thread_message(ctx: Context, event: Incoming) -> bool:
    """A staff message in a case thread, or replying to a case card, answers that case."""
    if event.is_private or (event.thread_id is None and not event.reply_to_bot_text):
        return False
    case = await _case_from_event(ctx, event)
    if case is None or not ctx.person.is_at_least(*STAFF):
        return False
    if not case.is_open:
        await ctx.reply(
            ctx._("Case #{number} is already closed.").format(number=case.id), ephemeral=True
        )
        return True
    await _answer(ctx, case, event.text.strip(), event)
    return True


@router.button(REPLY, roles=STAFF)
async def reply_button(ctx: Context, event: Incoming, named: Ref) -> None:
    """Reply: a form where the platform has one, else how to answer from here."""
    case = await _open_case(ctx, named.id)
    if event.forms:
        form = REPLY_SENT.form(
            ctx._("Reply to case #{number}").format(number=case.id),
            ctx._("Your answer to the resident"),
            Ref(case.id),
        )
        await ctx.reply(Outgoing("", form=form))
        return
    await ctx.reply(
        ctx._("Write your answer here, or send /reply {number} followed by your message.").format(
            number=case.id
        ),
        ephemeral=True,
    )


@router.button(REPLY_SENT, roles=STAFF)
async def reply_from_form(ctx: Context, event: Incoming, named: Ref) -> None:
    """What the liaison wrote in the Reply form ("!note ..." makes it a note)."""
    case = await _open_case(ctx, named.id)
    await _answer(ctx, case, event.text.strip(), event)


@router.command(
    "case", N_("Work on one case here: what you type then goes to its resident"), roles=STAFF
)
async def select_case(ctx: Context, event: Incoming) -> None:
    """/case 12 in a private chat (the terminal): typed text answers case 12 until /cancel."""
    case = await _open_case(ctx, _number(event.args))
    await ctx.set_form(SELECTED, SelectedStep.CASE, SelectedCase(case.id))
    await ctx.reply(
        ctx._(
            "You are working on case #{number}: what you type goes to its resident "
            "(start with {prefix} for an internal note). Send /cancel to stop."
        ).format(number=case.id, prefix=ctx.config.escalation.note_prefix),
        ephemeral=True,
    )


@router.flow(SELECTED, roles=STAFF)
async def selected_case_message(
    ctx: Context, event: Incoming, form: Filled[SelectedCase, SelectedStep]
) -> None:
    try:
        case = await _open_case(ctx, form.data.case)
    except Refused:
        await ctx.clear_state()
        raise
    await _answer(ctx, case, event.text.strip(), event)


@router.command("snippet", N_("Send a saved reply: /snippet [number] name"), roles=STAFF)
async def snippet(ctx: Context, event: Incoming) -> None:
    """/snippet <name> in a case thread, or /snippet <case> <name>: a saved reply."""
    case = await _case_from_event(ctx, event)
    parts = event.args.split()
    if case is None and len(parts) >= 2:
        case = await _open_case(ctx, _number(parts[0]))
        parts = parts[1:]
    if case is None or not parts:
        names = ", ".join(await _cases(ctx).snippet_names()) or "—"
        await ctx.reply(ctx._("Saved replies: {names}").format(names=names), ephemeral=True)
        return
    body = await _cases(ctx).snippet(parts[0].lower(), case.lang)
    if body is None:
        await ctx.reply(ctx._("There is no saved reply with that name."), ephemeral=True)
        return
    await _answer(ctx, case, body, event)


@router.command(
    "snippet_set",
    N_("Save a reply: /snippet_set name language text"),
    roles=SNIPPET_WRITERS,
)
async def snippet_set(ctx: Context, event: Incoming) -> None:
    """/snippet_set <name> <language> <text>: add or change one language of a saved reply."""
    parts = event.args.split(maxsplit=2)
    if len(parts) < 3 or parts[1] not in ctx.services.languages.codes:
        await ctx.reply(
            ctx._("Write /snippet_set, a name, a language code, then the text."), ephemeral=True
        )
        return
    await _cases(ctx).save_snippet(ctx.person, parts[0].lower(), parts[1], parts[2])
    await ctx.reply(ctx._("Saved."), ephemeral=True)


@router.command("cases", N_("Open cases (staff)"), roles=STAFF)
async def list_cases(ctx: Context, event: Incoming) -> None:
    cases = await _cases(ctx).open_cases()
    lines = [ctx._("Your liaison code: {code}").format(code=liaison_code(ctx.services, ctx.person))]
    if not cases:
        lines.append(ctx._("No open cases."))
    for case in cases:
        owner = await _cases(ctx).claimant(case)
        lines.append(
            f"#{case.id} · {who(ctx.t, case)} · {case.lang} · " + (owner or ctx._("unclaimed"))
        )
    await ctx.reply("\n".join(lines), ephemeral=True)


@router.command("showname", N_("The name residents see on your answers"), roles=STAFF)
async def show_name(ctx: Context, event: Incoming) -> None:
    """/showname Ana: residents see 'Ana' instead of 'Liaison'; /showname alone undoes it."""
    name = event.args.strip()[:40] or None
    await _cases(ctx).set_public_name(ctx.person, name)
    if name:
        await ctx.reply(
            ctx._("Residents will see your answers as from {name}.").format(name=name),
            ephemeral=True,
        )
    else:
        await ctx.reply(ctx._("Residents will see your answers as from 'Liaison'."), ephemeral=True)
