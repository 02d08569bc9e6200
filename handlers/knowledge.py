"""Know-your-rights and complaint answers: topic menus, free-text search, triage.

Urgent topics and messages that describe danger happening now show the emergency
contacts before anything else. A question clearly written in another supported language
is answered in that language, with a one-tap offer to switch.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.dispatcher import COMMAND_BUTTON
from bot.core.events import Button, Incoming
from bot.core.router import Router
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.knowledge.content import Topic
from bot.knowledge.search import SearchResult
from handlers.common import DISCLAIMER, emergency_lines, main_menu
from handlers.escalation.resident import remember_question
from handlers.language import CHOOSE_LANGUAGE

router = Router("knowledge")

SHOW_TOPIC = "kb"
FEEDBACK = "kbf"
PREPARE_COMPLAINT = "cn.start"
RIGHTS_SECTIONS = ("encounters", "safety", "service")
COMPLAINT_SECTIONS = ("complaints",)
# Choices always end with a "Talk to a person" button that starts the hand-over itself, so
# the topic about reaching a person would only repeat it under the same name.
REACH_A_PERSON_TOPIC = "liaison.talk_to_person"
CHOICES = 3


def topic_buttons(topics: list[Topic]) -> list[list[Button]]:
    return [[Button(topic.title, SHOW_TOPIC, topic.id)] for topic in topics]


@router.command("rights", N_("Know your rights with the police"))
async def rights_menu(ctx: Context, event: Incoming) -> None:
    topics = ctx.services.knowledge.section(RIGHTS_SECTIONS, ctx.t.locale)
    await ctx.reply(ctx._("What would you like to know? Choose a topic:"), topic_buttons(topics))


@router.command("complaint", N_("Make a complaint about police conduct"))
async def complaint_menu(ctx: Context, event: Incoming) -> None:
    topics = ctx.services.knowledge.section(COMPLAINT_SECTIONS, ctx.t.locale)
    buttons = [[Button(ctx._("Help me prepare a complaint"), PREPARE_COMPLAINT)]]
    buttons.extend(topic_buttons(topics))
    await ctx.reply(ctx._("Complaints about police: choose a topic."), buttons)


@router.button(SHOW_TOPIC)
async def show_topic(ctx: Context, event: Incoming) -> None:
    await send_answer(ctx, event.button_arg, ctx.t, danger=False)


async def send_answer(ctx: Context, topic_id: str, t: Translator, danger: bool) -> None:
    """The answer in `t`'s language: emergency contacts first when urgent or in danger."""
    knowledge = ctx.services.knowledge
    found = knowledge.topic(topic_id, t.locale)
    if found is None:
        await ctx.reply(t._("This button no longer works. Send /start to begin again."))
        return
    topic = found.topic
    parts: list[str] = []
    if topic.urgent or danger:
        parts.append(emergency_lines(t, ctx.config.local))
    if found.fallback:
        parts.append(
            t._(
                "This answer is not yet available in your language. Here it is in {language}."
            ).format(language=LANGUAGE_NAMES[topic.lang])
        )
    parts.append(topic.title.upper())
    parts.append(knowledge.answer_text(topic))
    sources = "\n".join(f"• {source.name}: {source.url}" for source in topic.sources)
    parts.append(t._("Sources:") + "\n" + sources)
    parts.append(
        t._("Last reviewed: {date}.").format(date=t.day(topic.last_reviewed))
        + " "
        + t._(DISCLAIMER)
    )
    urgent = topic.urgent or danger
    if urgent:
        ctx.services.metrics.urgent_answers.inc()
    await ctx.repos.knowledge.record_view(ctx.person.id, topic.id, urgent, ctx.now())
    await ctx.reply("\n\n".join(parts), _answer_buttons(ctx, t, topic), rtl=t.is_rtl, private=True)


def _answer_buttons(ctx: Context, t: Translator, topic: Topic) -> list[list[Button]]:
    knowledge = ctx.services.knowledge
    rows: list[list[Button]] = []
    for related_id in topic.related:
        related = knowledge.topic(related_id, t.locale)
        if related is not None:
            rows.append([Button("→ " + related.topic.title, SHOW_TOPIC, related_id)])
    rows.append(
        [
            Button("👍 " + t._("Helpful"), FEEDBACK, f"{topic.id}:1"),
            Button("👎 " + t._("Not helpful"), FEEDBACK, f"{topic.id}:0"),
        ]
    )
    rows.append([Button(t._("Talk to a person"), COMMAND_BUTTON, "human")])
    return rows


@router.button(FEEDBACK)
async def feedback(ctx: Context, event: Incoming) -> None:
    topic_id, _, value = event.button_arg.rpartition(":")
    if value not in {"0", "1"} or ctx.services.knowledge.topic(topic_id, ctx.t.locale) is None:
        await ctx.reply(ctx._("This button no longer works. Send /start to begin again."))
        return
    await ctx.repos.knowledge.count_feedback(topic_id, ctx.t.locale, helpful=value == "1")
    await ctx.reply(ctx._("Thank you. Your answer helps us improve."))


@router.text()
async def search(ctx: Context, event: Incoming) -> bool:
    """Free text: the best topic, a choice of three, or what the bot can help with."""
    if not event.is_private or not event.text.strip():
        return False
    result = ctx.services.knowledge.search(event.text, ctx.t.locale)
    # Offered choices, the question may be what they then bring to a person.
    unsure = result.best is not None and not result.confident
    await remember_question(ctx, event.text if unsure else "")
    t = ctx.services.languages.translator(result.lang)
    ctx.services.metrics.verdict(result)
    if result.best is None:
        await _offtopic(ctx, t, result)
    elif result.confident:
        await send_answer(ctx, result.best.topic_id, t, danger=result.danger)
    else:
        await _choices(ctx, t, result)
    if result.lang != ctx.t.locale:
        name = LANGUAGE_NAMES[result.lang]
        await ctx.reply(
            t._("Would you like me to always answer in {language}?").format(language=name),
            [[Button(name, CHOOSE_LANGUAGE, result.lang)]],
            private=True,
        )
    return True


async def _choices(ctx: Context, t: Translator, result: SearchResult) -> None:
    knowledge = ctx.services.knowledge
    rows: list[list[Button]] = []
    offered = [m for m in result.ranked if m.topic_id != REACH_A_PERSON_TOPIC][:CHOICES]
    for match in offered:
        found = knowledge.topic(match.topic_id, t.locale)
        if found is not None:
            rows.append([Button(found.topic.title, SHOW_TOPIC, match.topic_id)])
    rows.append([Button(t._("Talk to a person"), COMMAND_BUTTON, "human")])
    text = t._("I am not sure I understood. Is it one of these?")
    if result.danger:
        text = emergency_lines(t, ctx.config.local) + "\n\n" + text
    await ctx.reply(text, rows, rtl=t.is_rtl, private=True)


async def _offtopic(ctx: Context, t: Translator, result: SearchResult) -> None:
    text = t._(
        "I can only help with questions about the police: your rights, complaints, "
        "community meetings, and reaching a person. Here is what I can help with:"
    )
    await ctx.reply(text, main_menu(t), rtl=t.is_rtl, private=True)
