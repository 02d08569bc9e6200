"""Know-your-rights and complaint answers: topic menus, free-text search, triage.

Free text is decided once by the knowledge base (`Verdict`); this module only renders
the verdict. Urgent topics, urgent choices and messages that describe danger happening
now show the emergency contacts before anything else. A question clearly written in
another supported language is answered in that language, with a one-tap offer to switch,
and the topic buttons offered keep that language when pressed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from bot.core.context import Context
from bot.core.dispatcher import COMMAND_BUTTON, CommandName
from bot.core.events import Button, Incoming
from bot.core.payloads import ButtonSpec, Key, NoPayload, Payload, StaleButton
from bot.core.router import Router
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.knowledge.content import PLACEHOLDER, Topic
from bot.knowledge.verdict import REACH_A_PERSON_TOPIC, Verdict
from handlers.common import DISCLAIMER, emergency_lines, main_menu
from handlers.language import CHOOSE_LANGUAGE
from handlers.reading import Reading, UrgentReaders
from handlers.start import help_command

router = Router("knowledge")
router.keeps_undisturbed(UrgentReaders())


@dataclass(frozen=True, slots=True)
class TopicRef(Payload):
    """A topic, in the language it was offered in: "kb|rights.arrested@es"."""

    SEPARATOR: ClassVar[str] = "@"
    topic_id: str
    lang: str = ""


@dataclass(frozen=True, slots=True)
class TopicFeedback(Payload):
    topic_id: str
    helpful: bool


SHOW_TOPIC = ButtonSpec("kb", TopicRef)
FEEDBACK = ButtonSpec("kbf", TopicFeedback)
PREPARE_COMPLAINT = ButtonSpec("cn.start", NoPayload)
RIGHTS_SECTIONS = ("encounters", "safety", "service")
COMPLAINT_SECTIONS = ("complaints",)
# Contacts the 🚨 block already gives; an urgent answer's opening sentences that give
# them again are left out under the block (TOPICS.md has every urgent answer open so).
BLOCK_CONTACTS = frozenset({"EMERGENCY_NUMBER", "CRISIS_LINE", "LIAISON_CONTACT"})
SENTENCE_END = re.compile(r"(?<=[.!?。؟])\s*")
# Topic buttons under an answer: the search's alternatives, then the related topics.
ANSWER_TOPIC_BUTTONS = 4


def topic_button(title: str, topic_id: str, lang: str) -> Button:
    """A button that opens the topic in `lang`, whoever presses it and whatever the
    language saved for them (a Spanish question answered on an English chat)."""
    return SHOW_TOPIC.button(title, TopicRef(topic_id, lang))


def topic_buttons(topics: list[Topic]) -> list[list[Button]]:
    return [[topic_button(topic.title, topic.id, topic.lang)] for topic in topics]


@router.command("rights", N_("Know your rights with the police"))
async def rights_menu(ctx: Context, event: Incoming) -> None:
    topics = ctx.services.knowledge.section(RIGHTS_SECTIONS, ctx.t.locale)
    await ctx.reply(ctx._("What would you like to know? Choose a topic:"), topic_buttons(topics))


@router.command("complaint", N_("Make a complaint about police conduct"))
async def complaint_menu(ctx: Context, event: Incoming) -> None:
    topics = ctx.services.knowledge.section(COMPLAINT_SECTIONS, ctx.t.locale)
    buttons = [[PREPARE_COMPLAINT.button(ctx._("Help me prepare a complaint"))]]
    buttons.extend(topic_buttons(topics))
    await ctx.reply(ctx._("Complaints about police: choose a topic."), buttons)


@router.button(SHOW_TOPIC)
async def show_topic(ctx: Context, event: Incoming, topic: TopicRef) -> None:
    t = ctx.t
    if topic.lang in ctx.services.languages.codes:
        t = ctx.services.languages.translator(topic.lang)
    await send_answer(ctx, topic.topic_id, t, emergency=False)


async def send_answer(
    ctx: Context,
    topic_id: str,
    t: Translator,
    emergency: bool,
    alternatives: tuple[str, ...] = (),
) -> None:
    """The answer in `t`'s language: emergency contacts first when urgent or in danger
    (or when an urgent topic is among the `alternatives` the search offers with it)."""
    knowledge = ctx.services.knowledge
    found = knowledge.topic(topic_id, t.locale)
    if found is None:  # only a button can name a topic the content no longer has
        raise StaleButton
    topic = found.topic
    urgent = topic.urgent or emergency
    parts: list[str] = []
    if urgent:
        parts.append(emergency_lines(t, ctx.config.local))
    if found.fallback:
        parts.append(
            t._(
                "This answer is not yet available in your language. Here it is in {language}."
            ).format(language=LANGUAGE_NAMES[topic.lang])
        )
    parts.append(topic.title.upper())
    answer = _without_block_contacts(topic.answer) if urgent else topic.answer
    parts.append(knowledge.fill(answer, topic.lang))
    sources = "\n".join(f"• {source.name}: {source.url}" for source in topic.sources)
    parts.append(t._("Sources:") + "\n" + sources)
    parts.append(
        t._("Last reviewed: {date}.").format(date=t.day(topic.last_reviewed))
        + " "
        + t._(DISCLAIMER)
    )
    if urgent:
        ctx.services.metrics.urgent_answers.inc()
    await ctx.feature(Reading).viewed(ctx.person.id, topic.id, urgent, ctx.now())
    buttons = _answer_buttons(ctx, t, topic, alternatives)
    await ctx.reply("\n\n".join(parts), buttons, rtl=t.is_rtl, private=True)


def _without_block_contacts(answer: str) -> str:
    """The answer without the opening sentences that only repeat the 🚨 block's
    contacts; a sentence with anything else in it (legal aid contacts) stays."""
    opening, gap, rest = answer.partition("\n\n")
    kept = [sentence for sentence in SENTENCE_END.split(opening) if _says_more(sentence)]
    return " ".join(kept) + gap + rest if kept else rest


def _says_more(sentence: str) -> bool:
    """The sentence says something beyond the 🚨 block's contacts."""
    named = set(PLACEHOLDER.findall(sentence))
    return bool(sentence.strip()) and (not named & BLOCK_CONTACTS or bool(named - BLOCK_CONTACTS))


def _answer_buttons(
    ctx: Context, t: Translator, topic: Topic, alternatives: tuple[str, ...]
) -> list[list[Button]]:
    """The search's alternatives first (the answer may be the wrong one), then the
    topic's related ones, ANSWER_TOPIC_BUTTONS at most; feedback; a person."""
    knowledge = ctx.services.knowledge
    rows: list[list[Button]] = []
    # The "Talk to a person" button below reaches a person in one tap.
    offered = dict.fromkeys(alternatives + topic.related)
    offered.pop(REACH_A_PERSON_TOPIC, None)
    offered.pop(topic.id, None)
    for other_id in offered:
        other = knowledge.topic(other_id, t.locale)
        if other is not None and len(rows) < ANSWER_TOPIC_BUTTONS:
            rows.append([topic_button("→ " + other.topic.title, other_id, t.locale)])
    rows.append(
        [
            FEEDBACK.button("👍 " + t._("Helpful"), TopicFeedback(topic.id, helpful=True)),
            FEEDBACK.button("👎 " + t._("Not helpful"), TopicFeedback(topic.id, helpful=False)),
        ]
    )
    rows.append([COMMAND_BUTTON.button(t._("Talk to a person"), CommandName("human"))])
    return rows


@router.button(FEEDBACK)
async def feedback(ctx: Context, event: Incoming, given: TopicFeedback) -> None:
    if ctx.services.knowledge.topic(given.topic_id, ctx.t.locale) is None:
        raise StaleButton
    await ctx.feature(Reading).rated(given.topic_id, ctx.t.locale, helpful=given.helpful)
    await ctx.reply(ctx._("Thank you. Your answer helps us improve."))


@router.text()
async def search(ctx: Context, event: Incoming) -> bool:
    """Free text: the verdict of the knowledge base, rendered."""
    if not event.is_private or not event.text.strip():
        return False
    verdict = ctx.services.knowledge.decide(event.text, ctx.t.locale)
    # Offered choices, the question may be what they then bring to a person.
    await ctx.services.published.asked(ctx, event.text if verdict.reply == "choices" else "")
    t = ctx.services.languages.translator(verdict.lang)
    ctx.services.metrics.verdict(verdict)
    if verdict.small_talk == "help":
        await help_command(ctx, event)
    elif verdict.small_talk is not None:
        await _small_talk(ctx, t, verdict)
    elif verdict.reply == "answer" and verdict.topic is not None:
        await send_answer(
            ctx, verdict.topic, t, emergency=verdict.emergency_first, alternatives=verdict.choices
        )
    elif verdict.reply == "choices":
        await _choices(ctx, t, verdict)
    else:
        await _offtopic(ctx, t)
    if verdict.lang != ctx.t.locale:
        name = LANGUAGE_NAMES[verdict.lang]
        await ctx.reply(
            t._("Would you like me to always answer in {language}?").format(language=name),
            [[CHOOSE_LANGUAGE.button(name, Key(verdict.lang))]],
            private=True,
        )
    return True


async def _choices(ctx: Context, t: Translator, verdict: Verdict) -> None:
    knowledge = ctx.services.knowledge
    rows: list[list[Button]] = []
    for topic_id in verdict.choices:
        found = knowledge.topic(topic_id, t.locale)
        if found is not None:
            rows.append([topic_button(found.topic.title, topic_id, t.locale)])
    rows.append([COMMAND_BUTTON.button(t._("Talk to a person"), CommandName("human"))])
    text = t._("I am not sure I understood. Is it one of these?")
    if verdict.emergency_first:
        text = emergency_lines(t, ctx.config.local) + "\n\n" + text
    await ctx.reply(text, rows, rtl=t.is_rtl, private=True)


async def _small_talk(ctx: Context, t: Translator, verdict: Verdict) -> None:
    """A greeting gets a friendly menu; thanks a short "you're welcome" and the menu."""
    if verdict.small_talk == "thanks":
        text = t._("You're welcome! Is there anything else I can help with?")
    else:
        text = t._(
            "Hello! I can tell you your rights with the police, help you make a complaint, "
            "tell you about community meetings, and put you in touch with a person. Choose "
            "below or write your question in your own words."
        )
    await ctx.reply(text, main_menu(t), rtl=t.is_rtl)


async def _offtopic(ctx: Context, t: Translator) -> None:
    text = t._(
        "I can only help with questions about the police: your rights, complaints, "
        "community meetings, and reaching a person. Here is what I can help with:"
    )
    await ctx.reply(text, main_menu(t), rtl=t.is_rtl, private=True)
