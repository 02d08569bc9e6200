"""The re-ranker: its features, the offline fit of their weights, what ships."""

from __future__ import annotations

import datetime as dt

import numpy as np

from bot.knowledge.calibrate import HeldOut, fit_ranking, held_out, scale_for
from bot.knowledge.content import Topic, load_calibration, load_search_hints, load_topics
from bot.knowledge.search import FEATURES, LanguageIndex
from bot.knowledge.text import runs


def _topic(topic_id: str, examples: tuple[str, ...], keywords: tuple[str, ...]) -> Topic:
    return Topic(
        id=topic_id,
        lang="en",
        section="test",
        urgent=False,
        last_reviewed=dt.date(2026, 1, 1),
        title=topic_id,
        examples=examples,
        keywords=keywords,
        related=(),
        answer="",
        sources=(),
    )


def test_a_keyword_counts_by_the_share_of_its_words_the_question_holds() -> None:
    """One word in common with a three-word keyword must not weigh as the whole keyword:
    "without my mom" is not "without my name"."""
    topics = {
        "anonymous": _topic("anonymous", ("can i complain anonymously",), ("without my name",)),
        "minors": _topic("minors", ("police questioned my son",), ("my mom",)),
    }
    index = LanguageIndex(topics, load_search_hints("en"))
    keyword = FEATURES.index("keyword")
    column = index.topic_ids.index("anonymous")
    partial = index.features(runs("without my mom"))
    whole = index.features(runs("without my name"))
    assert partial is not None and whole is not None
    # The question's words are all in the keyword only in the second case; in the first
    # the share (2 of 3 words) is squared on top of the lower BM25 match.
    assert partial[0][column, keyword] < 0.5 * whole[0][column, keyword]


def test_the_fit_weighs_the_feature_that_tells_topics_apart() -> None:
    """Synthetic phrasings: feature 0 is high for the right topic, the others are noise."""
    rng = np.random.default_rng(1)
    features = rng.uniform(0.05, 1.0, size=(300, 8, len(FEATURES)))
    wanted = rng.integers(0, 8, size=300)
    features[np.arange(300), wanted, 0] = 1.0
    ranking = fit_ranking([HeldOut("en", np.log(features), wanted)])
    assert len(ranking) == len(FEATURES)
    assert abs(sum(ranking) - 1.0) < 1e-3
    assert ranking[0] == max(ranking)
    # A scale brings the median correct confidence to the reference.
    assert scale_for(HeldOut("en", np.log(features), wanted), ranking) > 0


def test_the_calibration_asks_every_example_phrasing_once() -> None:
    """The folds hold keywords out with the examples, but only examples are asked: the
    features are those of residents-like phrasings, not of keywords."""
    topics = load_topics(("en",))["en"]
    found = held_out("en", topics, load_search_hints("en"))
    examples = sum(len(topic.examples) for topic in topics.values())
    assert 0.95 * examples <= len(found.wanted) <= examples
    assert found.features.shape[1:] == (len(topics), len(FEATURES))


def test_the_shipped_calibration_names_a_weight_per_feature() -> None:
    calibration = load_calibration()
    assert calibration.ranking is not None and len(calibration.ranking) == len(FEATURES)
    # The whole-topic view counts most; a keyword match alone little.
    weights = dict(zip(FEATURES, calibration.ranking, strict=True))
    assert weights["whole"] == max(weights.values())
    assert weights["keyword"] < weights["phrase"]
    assert set(calibration.scales) >= {"en", "es", "zh_Hans"}
