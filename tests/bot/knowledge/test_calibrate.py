"""The re-ranker: its features, the offline fit of their weights, what ships."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bot.knowledge.calibrate import (
    GateSamples,
    HeldOut,
    fit_offtopic,
    fit_ranking,
    gate_samples,
    held_out,
    scale_for,
)
from bot.knowledge.content import load_calibration, load_search_hints, load_topics
from bot.knowledge.search import DEFAULT_RANKING, FEATURES, OFFTOPIC_EVIDENCE, LanguageIndex
from bot.knowledge.text import runs
from tests.support.knowledge import make_topic


def test_a_keyword_counts_by_the_share_of_its_words_the_question_holds() -> None:
    """One word in common with a three-word keyword must not weigh as the whole keyword:
    "without my mom" is not "without my name"."""
    topics = {
        "anonymous": make_topic("anonymous", ("can i complain anonymously",), ("without my name",)),
        "minors": make_topic("minors", ("police questioned my son",), ("my mom",)),
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


def test_the_gate_fit_learns_which_evidence_marks_offtopic() -> None:
    """Synthetic evidence: off-topic messages hold few terms the topics use (third
    column), everything else is noise; the fit leans on that column, with the classes
    weighed alike although off-topic examples are seven times fewer."""
    rng = np.random.default_rng(2)
    labels = rng.uniform(size=800) < 0.125
    evidence = rng.normal(size=(800, len(OFFTOPIC_EVIDENCE)))
    column = OFFTOPIC_EVIDENCE.index("topic_terms")
    evidence[:, column] = np.where(labels, 0.2, 0.8) + rng.normal(scale=0.15, size=800)
    weights = fit_offtopic([GateSamples(evidence, labels)])
    assert len(weights) == 1 + len(OFFTOPIC_EVIDENCE)
    slopes = np.abs(np.array(weights[1:]))
    assert weights[1 + column] < 0 and slopes[column] == slopes.max()
    odds = weights[0] + evidence @ np.array(weights[1:])
    declined = odds > 0
    assert declined[labels].mean() > 0.9 and declined[~labels].mean() < 0.1


def test_the_gate_is_fitted_on_held_out_phrasings_and_offtopic_examples() -> None:
    topics = load_topics(("en",))["en"]
    hints = load_search_hints("en")
    samples = gate_samples(topics, hints, 1.0, DEFAULT_RANKING)
    examples = sum(len(topic.examples) for topic in topics.values())
    # Messages naming the police are left out (never declined); both kinds remain.
    assert 0.5 * examples < int((~samples.offtopic).sum()) < examples
    assert 0.8 * len(hints.offtopic) < int(samples.offtopic.sum()) <= len(hints.offtopic)
    assert samples.evidence.shape == (len(samples.offtopic), len(OFFTOPIC_EVIDENCE))


def test_the_shipped_calibration_names_a_gate_weight_per_evidence() -> None:
    calibration = load_calibration()
    assert calibration.offtopic is not None
    assert len(calibration.offtopic) == 1 + len(OFFTOPIC_EVIDENCE)
    weights = dict(zip(OFFTOPIC_EVIDENCE, calibration.offtopic[1:], strict=True))
    # A stronger best topic, and more of the question in the topics' terms, mean
    # on-topic; words that lean towards the off-topic examples, off-topic.
    assert weights["best"] < 0 and weights["topic_terms"] < 0
    assert weights["offtopic_lean"] > 0


def test_any_teenage_age_matches_a_phrasing_that_gives_another() -> None:
    """ "my 12 year old" shares no word with "my 15 year old son" but the age: a number
    from 10 to 17 (in any digits) also counts as one shared word; other numbers do not."""
    topics = {
        "minors": make_topic("minors", ("police questioned my 15 year old",), ()),
        "stopped": make_topic("stopped", ("police stopped me on the street",), ()),
    }
    index = LanguageIndex(topics, load_search_hints("en"))
    for age in ("12", "١٢", "17", "10"):
        ranked = index.rank(age)
        assert ranked and ranked[0].topic_id == "minors", age
    assert index.rank("25") == [] and index.rank("9") == []


def test_words_of_the_offtopic_examples_lean_a_message_off_topic() -> None:
    """ "Complaint" belongs to the topics, "store" to the off-topic examples: a complaint
    about a store leans off-topic, one about an officer does not, and a word neither
    side uses says nothing either way."""
    topics = {
        "how_to_file": make_topic(
            "how_to_file",
            ("how do i file a complaint about an officer", "complaint against a cop"),
            (),
        ),
        "stopped": make_topic("stopped", ("police stopped me on the street",), ()),
    }
    hints = dataclasses.replace(
        load_search_hints("en"),
        offtopic=("the store overcharged me", "where is the nearest store", "store hours"),
    )
    index = LanguageIndex(topics, hints)
    lean = OFFTOPIC_EVIDENCE.index("offtopic_lean")

    def leaning(message: str) -> float:
        return float(index.assess(runs(message)).evidence[lean])

    assert leaning("complaint about the store") > leaning("complaint about the officer")
    assert leaning("complaint about the officer") < 0 < leaning("store")
    assert leaning("complaint about the officer zzyzx") == pytest.approx(
        leaning("complaint about the officer"), abs=0.2
    )
