"""The one decision the chat renders and `liaison ask` prints for a free-text message.

The search ranks topics; this module turns the ranking into what the resident will see:
a direct answer, a choice of topics, or the off-topic menu, and whether the emergency
lines come first. Deciding it once, here, is what keeps the chat and the JSON interface
from disagreeing about what a frightened person is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.knowledge.search import CHOICES_CONFIDENCE, SearchResult, SmallTalk

Reply = Literal["answer", "choices", "offtopic"]
# Choices always end with a "Talk to a person" button that starts the hand-over itself, so
# the topic about reaching a person would only repeat it under the same name.
REACH_A_PERSON_TOPIC = "liaison.talk_to_person"
# What a danger phrase is answered with when no topic matched, and always offered with it.
EMERGENCY_TOPIC = "safety.emergency"
CHOICES = 3
# A non-urgent winner is not answered directly while an urgent topic among the next
# offered ones scores at least this share of it: the resident gets the choices with the
# emergency lines first instead (see docs/SEARCH.md, "urgent close behind").
URGENT_RUNNER_UP = 0.6
# Choices that hold no urgent topic still start with the emergency lines when an urgent
# topic ranks among the first URGENT_REACH at URGENT_WITHIN_REACH of the best topic's
# confidence or more: the ranking was not sure, and the topic it nearly offered is one
# where a person may be in custody or in danger (see docs/SEARCH.md).
URGENT_REACH = 5
URGENT_WITHIN_REACH = 0.6
# A direct answer also offers the next topics scoring at least ALTERNATIVE_SHARE of the
# answered one's confidence, at most ALTERNATIVES of them: when the answer is the wrong
# one (a held-out phrasing's right topic is most often second), the right one is a tap
# away under it, not a rephrasing away (see docs/SEARCH.md, "alternatives").
ALTERNATIVE_SHARE = 0.5
ALTERNATIVES = 2


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the resident sees first. `emergency_first` is true exactly when the first
    message starts with the emergency lines: danger was described, the answered topic
    is urgent, or any offered choice is (urgent is never behind a tap)."""

    reply: Reply
    lang: str
    # The answered topic; with choices, the best-ranked one (what the search thinks).
    topic: str | None
    # The topics offered, in order: the choices, or the alternatives under an answer.
    choices: tuple[str, ...]
    confidence: float
    emergency_first: bool
    danger: bool
    small_talk: SmallTalk | None = None

    @property
    def urgent(self) -> bool:
        return self.emergency_first

    def as_json(self) -> dict[str, object]:
        return {
            "reply": self.reply,
            "topic": self.topic,
            "choices": list(self.choices),
            "emergency_first": self.emergency_first,
            "lang": self.lang,
            "confidence": round(self.confidence, 4),
            "urgent": self.urgent,
            "small_talk": self.small_talk,
        }


def decide(result: SearchResult, is_urgent: Callable[[str], bool]) -> Verdict:
    """The verdict for a search result; `is_urgent` says whether a topic id is urgent."""
    best = result.best
    if result.small_talk is not None:
        return Verdict("offtopic", result.lang, None, (), 0.0, False, False, result.small_talk)
    if best is None or (result.danger and best.confidence < CHOICES_CONFIDENCE):
        if result.danger:
            return Verdict("answer", result.lang, EMERGENCY_TOPIC, (), 0.0, True, True)
        return Verdict("offtopic", result.lang, None, (), 0.0, False, False)
    if result.confident and not _urgent_close_behind(result, is_urgent):
        urgent = result.danger or is_urgent(best.topic_id)
        alternatives = _alternatives(result, is_urgent, urgent)
        return Verdict(
            "answer",
            result.lang,
            best.topic_id,
            alternatives,
            best.confidence,
            urgent,
            result.danger,
        )
    offered = tuple(m.topic_id for m in result.ranked if m.topic_id != REACH_A_PERSON_TOPIC)[
        :CHOICES
    ]
    if result.danger and EMERGENCY_TOPIC not in offered:
        # Danger described in words the topics do not share (a romanized message):
        # what to do in danger is always one tap away, below the emergency lines.
        offered = (*offered[: CHOICES - 1], EMERGENCY_TOPIC)
    urgent = (
        result.danger
        or any(is_urgent(topic_id) for topic_id in offered)
        or any(
            is_urgent(match.topic_id) and match.confidence >= URGENT_WITHIN_REACH * best.confidence
            for match in result.ranked[:URGENT_REACH]
        )
    )
    return Verdict(
        "choices", result.lang, best.topic_id, offered, best.confidence, urgent, result.danger
    )


def _urgent_close_behind(result: SearchResult, is_urgent: Callable[[str], bool]) -> bool:
    """The best topic is not urgent, but one that would be offered with it is, and close:
    "ICE at the door" ranked as the police at the door, with immigration just behind.
    A wrong direct answer there hides the emergency lines; choices show them."""
    best = result.ranked[0]
    if is_urgent(best.topic_id):
        return False
    return any(
        is_urgent(match.topic_id) and match.confidence >= URGENT_RUNNER_UP * best.confidence
        for match in result.ranked[1:CHOICES]
    )


def _alternatives(
    result: SearchResult, is_urgent: Callable[[str], bool], emergency_first: bool
) -> tuple[str, ...]:
    """The topics offered under a direct answer: the next ones within ALTERNATIVE_SHARE
    of its confidence (reaching a person has its own button under every answer). An
    urgent topic is offered only under an answer that already starts with the emergency
    lines: urgent is never behind a tap, and an urgent topic that close to a calm answer
    has already turned it into choices (`URGENT_RUNNER_UP`); lower down, the lines would
    greet a question about filing a complaint."""
    best = result.ranked[0]
    return tuple(
        match.topic_id
        for match in result.ranked[1:]
        if match.topic_id != REACH_A_PERSON_TOPIC
        and match.confidence >= ALTERNATIVE_SHARE * best.confidence
        and (emergency_first or not is_urgent(match.topic_id))
    )[:ALTERNATIVES]
