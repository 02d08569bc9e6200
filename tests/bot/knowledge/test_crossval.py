"""The held-out figures the calibration is chosen on measure what the chat would show."""

from __future__ import annotations

from bot.knowledge.content import load_calibration, load_search_hints, load_topics
from bot.knowledge.crossval import SEED, averaged_figures, held_out_figures, offers


def test_talk_to_person_counts_as_offered_only_with_choices() -> None:
    assert offers("choices", ("rights.arrested",), "liaison.talk_to_person")
    assert offers("choices", ("rights.arrested",), "rights.arrested")
    assert not offers("choices", ("rights.arrested",), "rights.minors")
    assert not offers("offtopic", (), "liaison.talk_to_person")
    # An answer's alternatives are offered too; a person is not, under an answer.
    assert offers("answer", ("rights.minors",), "rights.minors")
    assert not offers("answer", ("rights.minors",), "liaison.talk_to_person")


def test_held_out_figures_are_consistent_shares() -> None:
    misses: list[tuple[str, str]] = []
    figures = held_out_figures(
        load_topics(("en",)),
        {"en": load_search_hints("en")},
        load_calibration(),
        lambda lang, question, wanted, got, choices: misses.append((wanted, got)),
    )
    assert figures["phrasings"] > 500
    # Held out, the search still finds most phrasings' topic, and answers directly
    # right far more often than wrong.
    assert 0.7 < figures["top1"] < 1.0
    assert figures["direct_correct"] > 5 * figures["wrong_direct"]
    assert figures["choices_contain"] >= figures["direct_correct"]
    assert 0.5 < figures["offtopic_declined"] <= 1.0
    assert any(wanted == "" for wanted, _ in misses)  # off-topic examples are asked too
    # Every phrasing not answered directly and right is reported.
    topic_misses = sum(1 for wanted, _ in misses if wanted)
    assert topic_misses == round((1 - figures["direct_correct"]) * figures["phrasings"])


def test_averaged_figures_are_the_mean_over_seeds_of_different_folds() -> None:
    topics = load_topics(("en",))
    hints = {"en": load_search_hints("en")}
    calibration = load_calibration()
    first, second = (
        held_out_figures(topics, hints, calibration, seed=seed) for seed in (SEED, SEED + 1)
    )
    assert first != second  # another seed, other folds
    averaged = averaged_figures(topics, hints, calibration, seeds=2)
    for key, value in averaged.items():
        assert abs(value - (first[key] + second[key]) / 2) < 1e-4, key
