"""The held-out figures the calibration is chosen on measure what the chat would show."""

from __future__ import annotations

from bot.knowledge.content import load_calibration, load_search_hints, load_topics
from bot.knowledge.crossval import held_out_figures, offers


def test_talk_to_person_counts_as_offered_only_with_choices() -> None:
    assert offers("choices", ("rights.arrested",), "liaison.talk_to_person")
    assert offers("choices", ("rights.arrested",), "rights.arrested")
    assert not offers("choices", ("rights.arrested",), "rights.minors")
    assert not offers("offtopic", (), "liaison.talk_to_person")


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
