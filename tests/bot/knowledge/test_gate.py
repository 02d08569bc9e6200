"""What the off-topic gate lets through: an urgent topic matched weakly is offered with
the emergency lines rather than turned away; a calm one as weak is declined."""

from __future__ import annotations

import dataclasses

import pytest

from bot.knowledge.content import Calibration, load_search_hints
from bot.knowledge.search import (
    CHOICES_CONFIDENCE,
    DEFAULT_OFFTOPIC,
    URGENT_CHOICES_CONFIDENCE,
    KnowledgeSearch,
)
from bot.knowledge.verdict import decide
from tests.support.knowledge import make_topic

QUESTION = "how do i pay bail for my cousin"
# A gate that never declines by itself: only the confidence floors decide here.
OPEN_GATE = (-50.0, *(0.0 for _ in DEFAULT_OFFTOPIC[1:]))


def _search(urgent: bool, confidence: float) -> KnowledgeSearch:
    """A search whose best topic for QUESTION, urgent or not, scores `confidence`."""
    arrested = make_topic("arrested", ("my brother was arrested, how do i bail him out",))
    topics = {
        "arrested": dataclasses.replace(arrested, urgent=urgent),
        "records": make_topic("records", ("how do i get a copy of the police report",)),
    }
    hints = {"en": load_search_hints("en")}
    unscaled = KnowledgeSearch({"en": topics}, hints, Calibration({}, offtopic=OPEN_GATE))
    best = unscaled.search(QUESTION, "en").ranked[0]
    assert best.topic_id == "arrested"  # the premise
    scale = confidence / best.confidence
    return KnowledgeSearch({"en": topics}, hints, Calibration({"en": scale}, offtopic=OPEN_GATE))


@pytest.mark.parametrize(
    "confidence",
    [URGENT_CHOICES_CONFIDENCE + 0.005, (URGENT_CHOICES_CONFIDENCE + CHOICES_CONFIDENCE) / 2],
)
def test_a_weak_urgent_match_is_offered_with_the_emergency_lines(confidence: float) -> None:
    urgent = _search(urgent=True, confidence=confidence)
    verdict = decide(urgent.search(QUESTION, "en"), lambda topic_id: topic_id == "arrested")
    assert verdict.reply == "choices"
    assert verdict.choices[0] == "arrested" and verdict.emergency_first
    calm = _search(urgent=False, confidence=confidence)
    assert decide(calm.search(QUESTION, "en"), lambda topic_id: False).reply == "offtopic"


def test_an_urgent_match_weaker_still_is_declined() -> None:
    search = _search(urgent=True, confidence=URGENT_CHOICES_CONFIDENCE - 0.01)
    verdict = decide(search.search(QUESTION, "en"), lambda topic_id: topic_id == "arrested")
    assert verdict.reply == "offtopic" and not verdict.emergency_first
