"""Suppression rules at the edges: n = 9, 10, 29, 30, and secondary suppression."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError
from handlers.polls.results import (
    Figures,
    SecondaryRule,
    Suppression,
    secondary_suppression,
    summarize,
    suppress_counts,
)
from handlers.polls.templates import TEMPLATES
from storage.polls import Response
from tests.support.app import make_config

T1 = TEMPLATES["T1"]


def answers(n: int, value: int = 7, lang: str = "en", hood: str | None = None) -> list[Response]:
    return [Response(value, lang, hood) for _ in range(n)]


@pytest.mark.parametrize(
    ("n", "n_shown", "score_shown"),
    [(9, None, False), (10, 10, False), (29, 29, False), (30, 30, True)],
)
def test_overall_thresholds(n: int, n_shown: int | None, score_shown: bool) -> None:
    """Under 10 nothing; 10-29 the count only; from 30 the mean and score."""
    results = summarize(answers(n), T1)
    assert results.overall.n == n_shown
    assert (results.overall.score is not None) is score_shown
    if score_shown:
        assert results.overall.score == pytest.approx(70.0)


def test_groups_under_30_are_hidden_with_a_second_group() -> None:
    """One small language group hidden alone would be derivable: another goes with it."""
    responses = answers(40, lang="en") + answers(35, lang="es") + answers(12, lang="so")
    groups = {g.label: g for g in summarize(responses, T1).by_language}
    assert groups["so"].n is None and groups["so"].score is None
    assert groups["es"].n is None  # smallest shown group hidden too
    assert groups["en"].n == 40 and groups["en"].score == pytest.approx(70.0)


def test_two_hidden_groups_need_no_extra_suppression() -> None:
    """With two groups hidden, the difference from the total does not reveal either."""
    figures = [
        Figures("a", 40, 5.0, 50.0, None),
        Figures("b", None, None, None, None),
        Figures("c", None, None, None, None),
    ]
    assert secondary_suppression(figures) == figures


def test_counts_under_10_hidden_and_paired() -> None:
    """A lone small count is hidden together with the next smallest."""
    shown = suppress_counts({0: 3, 1: 15, 2: 40, 3: 0}, total_shown=True)
    assert shown == {0: None, 1: None, 2: 40, 3: 0}


def test_prefer_not_is_counted_apart_and_never_in_the_mean() -> None:
    """'Prefer not to answer' counts as a response but not as a value."""
    responses = answers(30, value=10) + [Response(None, "en", None)] * 5
    results = summarize(responses, T1)
    assert results.n_answered == 30 and results.n_prefer_not == 5
    assert results.overall.score == pytest.approx(100.0)


def test_agree_scale_reports_percent_agree() -> None:
    """T4 is reported as % agree (4 + 5)."""
    responses = answers(15, value=5) + answers(15, value=2)
    assert summarize(responses, TEMPLATES["T4"]).overall.score == pytest.approx(50.0)


def test_minimum_group_size_is_a_setting_with_a_floor(tmp_path: Path) -> None:
    """min_group_size 50 hides a group of 40; below 10 the configuration is refused."""
    config = make_config(tmp_path, LIAISON_POLLS_MIN_GROUP_SIZE="50")
    assert config.polls.min_group_size == 50
    results = summarize(answers(40), T1, 0, Suppression(min_group=50))
    assert not results.enough and results.overall.n == 40 and results.overall.score is None
    with pytest.raises(ConfigError, match=r"polls\.min_group_size"):
        make_config(tmp_path, LIAISON_POLLS_MIN_GROUP_SIZE="9")
    with pytest.raises(ConfigError, match=r"polls\.secondary_suppression"):
        make_config(tmp_path, LIAISON_POLLS_SECONDARY_SUPPRESSION="none")


def test_totals_only_rule_hides_the_whole_breakdown() -> None:
    """With 'totals_only', one small language group hides every language group."""
    responses = answers(40, lang="en") + answers(35, lang="es") + answers(12, lang="so")
    rule = Suppression(rule=SecondaryRule.TOTALS_ONLY)
    results = summarize(responses, T1, 0, rule)
    assert [g.n for g in results.by_language] == [None, None, None]
    assert results.overall.n == 87 and results.overall.score == pytest.approx(70.0)


def test_forty_nine_answers_fall_back_to_three_bands() -> None:
    """Most of 11 values hold under 10 and would be hidden; three bands show the shape."""
    spread = [(0, 3), (2, 4), (3, 4), (5, 8), (6, 9), (7, 11), (9, 6), (10, 4)]
    responses = [Response(v, "en", None, c) for v, c in spread]
    bars = summarize(responses, T1).distribution
    assert [(b.values[0], b.values[-1], b.count) for b in bars] == [
        (0, 3, 11),
        (4, 6, 17),
        (7, 10, 21),
    ]


def test_bands_are_kept_only_when_they_hide_less() -> None:
    """If bands would hide a larger share than single values, single values stay."""
    spread = [(0, 3), (2, 4), (5, 8), (6, 9), (7, 11), (9, 6), (10, 4)]
    responses = [Response(v, "en", None, c) for v, c in spread]
    bars = summarize(responses, T1).distribution
    assert len(bars) == 11 and bars[7].count == 11 and bars[1].count == 0
    assert bars[0].count is None and bars[0].small
