"""Honest poll results: suppression of small groups, scores that are not percentages.

Rules (shared/polls/TRUST_POLLS.md §3): a group's figures show only when it has at least
the deployment's minimum group size (default 30, never below 10); no count under 10 is ever
shown; when one cell is hidden, the secondary-suppression rule hides more, so the first
cannot be worked out by subtraction from a total.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass

from handlers.polls.templates import Scale, Template
from storage.polls import Response

# Disclosure floor (WA DOH small-numbers guidelines): no count under 10 is ever published,
# and no deployment can set the minimum group size below it.
MIN_N_DISCLOSE = 10
DEFAULT_MIN_GROUP = 30
# Bands a 0-10 distribution falls back to when single values would be hidden: at 45
# answers most of 11 values hold fewer than 10, while three bands usually do not.
ZERO_TO_TEN_BANDS = ((0, 1, 2, 3), (4, 5, 6), (7, 8, 9, 10))


class SecondaryRule(enum.Enum):
    """What else is hidden when one cell of a breakdown is."""

    NEXT_SMALLEST = "next_smallest"  # hide the smallest shown cell with it
    TOTALS_ONLY = "totals_only"  # hide the whole breakdown; only totals remain


@dataclass(frozen=True, slots=True)
class Suppression:
    """The deployment's reporting thresholds (config `[polls]`)."""

    min_group: int = DEFAULT_MIN_GROUP
    rule: SecondaryRule = SecondaryRule.NEXT_SMALLEST


@dataclass(frozen=True, slots=True)
class Figures:
    """One group's results; None means suppressed."""

    label: str
    n: int | None
    mean: float | None
    score: float | None  # 0-100 (0-10 items), % agree (1-5 items); None for choices
    shares: dict[int, float] | None  # choice items: share of each option


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of the distribution: the answer values it counts (one, or a band)."""

    values: tuple[int, ...]
    count: int | None  # None: hidden
    # Why it is hidden: True, fewer than MIN_N_DISCLOSE answers; False, hidden with such a
    # bar (secondary suppression). Neither reveals a count: the two hidden bars' sum is
    # known from the total, their split is not.
    small: bool = False


@dataclass(frozen=True, slots=True)
class PollResults:
    n_answered: int
    n_prefer_not: int
    overall: Figures
    distribution: list[Bar]  # empty below the minimum group size
    by_language: list[Figures]
    by_neighborhood: list[Figures]
    suppression: Suppression

    @property
    def enough(self) -> bool:
        return self.overall.n is not None and self.n_answered >= self.suppression.min_group


def _figures(
    label: str, counts: Counter[int], template: Template, small_n: bool, min_group: int
) -> Figures:
    """A group's figures; below `min_group` nothing but (if `small_n` and n >= 10) its count."""
    n = sum(counts.values())
    if n < min_group:
        shown_n = n if small_n and n >= MIN_N_DISCLOSE else None
        return Figures(label, shown_n, None, None, None)
    if template.scale is Scale.CHOICE:
        return Figures(label, n, None, None, {k: v / n for k, v in sorted(counts.items())})
    mean = sum(value * count for value, count in counts.items()) / n
    if template.scale is Scale.ZERO_TO_TEN:
        score = mean * 10
    else:
        score = 100 * sum(count for value, count in counts.items() if value >= 4) / n
    return Figures(label, n, mean, score, None)


def _hidden(group: Figures) -> Figures:
    return Figures(group.label, None, None, None, None)


def secondary_suppression(
    groups: list[Figures], rule: SecondaryRule = SecondaryRule.NEXT_SMALLEST
) -> list[Figures]:
    """A lone hidden group would be derivable from the total: hide more, by the rule."""
    hidden = [g for g in groups if g.n is None]
    shown = [g for g in groups if g.n is not None]
    if not hidden or not shown:
        return groups
    if rule is SecondaryRule.TOTALS_ONLY:
        return [_hidden(g) for g in groups]
    if len(hidden) != 1:
        return groups
    smallest = min(shown, key=lambda g: g.n or 0)
    return [_hidden(g) if g is smallest else g for g in groups]


def suppress_counts(
    counts: dict[int, int], total_shown: bool, rule: SecondaryRule = SecondaryRule.NEXT_SMALLEST
) -> dict[int, int | None]:
    """Counts under 10 hidden; one hidden cell never stands alone beside a shown total."""
    shown: dict[int, int | None] = {
        k: (v if v >= MIN_N_DISCLOSE or v == 0 else None) for k, v in counts.items()
    }
    hidden = [k for k, v in shown.items() if v is None]
    if not total_shown or not hidden:
        return shown
    if rule is SecondaryRule.TOTALS_ONLY:
        return dict.fromkeys(shown)
    if len(hidden) == 1:
        candidates = [k for k, v in shown.items() if v not in (None, 0)]
        if candidates:
            shown[min(candidates, key=lambda k: counts[k])] = None
    return shown


def _distribution(
    counts: Counter[int], template: Template, options: int, rule: SecondaryRule
) -> list[Bar]:
    """Bars per answer value; a 0-10 scale whose single values would be hidden falls back to
    three bands, so a poll with 45 answers still shows something true."""
    cells = suppress_counts({v: counts.get(v, 0) for v in template.values(options)}, True, rule)
    bars = [Bar((value,), count, _small(counts[value])) for value, count in cells.items()]
    if template.scale is not Scale.ZERO_TO_TEN or all(bar.count is not None for bar in bars):
        return bars
    band_counts = {i: sum(counts[v] for v in band) for i, band in enumerate(ZERO_TO_TEN_BANDS)}
    banded = suppress_counts(band_counts, True, rule)
    hidden_single = sum(bar.count is None for bar in bars)
    hidden_banded = sum(count is None for count in banded.values())
    if hidden_banded * len(bars) >= hidden_single * len(banded):
        return bars  # bands hide as large a share: keep the finer view
    return [Bar(ZERO_TO_TEN_BANDS[i], count, _small(band_counts[i])) for i, count in banded.items()]


def _small(count: int) -> bool:
    return 0 < count < MIN_N_DISCLOSE


def _grouped(
    responses: list[Response], key: str, template: Template, suppression: Suppression
) -> list[Figures]:
    groups: dict[str, Counter[int]] = {}
    for response in responses:
        label = getattr(response, key)
        if response.answer is not None and label:
            groups.setdefault(label, Counter())[response.answer] += response.count
    figures = [
        _figures(label, counts, template, False, suppression.min_group)
        for label, counts in sorted(groups.items())
    ]
    return secondary_suppression(figures, suppression.rule)


def summarize(
    responses: list[Response],
    template: Template,
    options: int = 0,
    suppression: Suppression | None = None,
) -> PollResults:
    """Results from answers grouped by value (each `Response` carries its count)."""
    suppression = suppression or Suppression()
    counts: Counter[int] = Counter()
    prefer_not = 0
    for response in responses:
        if response.answer is None:
            prefer_not += response.count
        else:
            counts[response.answer] += response.count
    answered = sum(counts.values())
    distribution = (
        _distribution(counts, template, options, suppression.rule)
        if answered >= suppression.min_group
        else []
    )
    return PollResults(
        n_answered=answered,
        n_prefer_not=prefer_not,
        overall=_figures("all", counts, template, True, suppression.min_group),
        distribution=distribution,
        by_language=_grouped(responses, "lang", template, suppression),
        by_neighborhood=_grouped(responses, "neighborhood", template, suppression),
        suppression=suppression,
    )
