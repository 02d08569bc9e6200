"""Honest poll results: suppression of small groups, scores that are not percentages.

Rules (shared/polls/TRUST_POLLS.md §3): a group's figures show only at n >= 30; no count
under 10 is ever shown; when one cell is hidden, another is hidden with it so the first
cannot be worked out by subtraction from a total.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from handlers.polls.templates import Scale, Template
from storage.polls import Response

MIN_N_DISPLAY = 30
MIN_N_DISCLOSE = 10


@dataclass(frozen=True, slots=True)
class Figures:
    """One group's results; None means suppressed."""

    label: str
    n: int | None
    mean: float | None
    score: float | None  # 0-100 (0-10 items), % agree (1-5 items); None for choices
    shares: dict[int, float] | None  # choice items: share of each option


@dataclass(frozen=True, slots=True)
class PollResults:
    n_answered: int
    n_prefer_not: int
    overall: Figures
    distribution: dict[int, int | None]  # value -> count, None when suppressed
    by_language: list[Figures]
    by_neighborhood: list[Figures]

    @property
    def enough(self) -> bool:
        return self.overall.n is not None and self.n_answered >= MIN_N_DISPLAY


def _figures(label: str, counts: Counter[int], template: Template, small_n: bool) -> Figures:
    """A group's figures; under 30 nothing but (if `small_n` and n >= 10) its count."""
    n = sum(counts.values())
    if n < MIN_N_DISPLAY:
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


def secondary_suppression(groups: list[Figures]) -> list[Figures]:
    """If exactly one group is hidden, hide the smallest shown group with it."""
    hidden = [g for g in groups if g.n is None]
    shown = [g for g in groups if g.n is not None]
    if len(hidden) != 1 or not shown:
        return groups
    smallest = min(shown, key=lambda g: g.n or 0)
    return [Figures(g.label, None, None, None, None) if g is smallest else g for g in groups]


def suppress_counts(counts: dict[int, int], total_shown: bool) -> dict[int, int | None]:
    """Counts under 10 hidden; one hidden cell never stands alone beside a shown total."""
    shown: dict[int, int | None] = {
        k: (v if v >= MIN_N_DISCLOSE or v == 0 else None) for k, v in counts.items()
    }
    hidden = [k for k, v in shown.items() if v is None]
    if total_shown and len(hidden) == 1:
        candidates = [k for k, v in shown.items() if v not in (None, 0)]
        if candidates:
            shown[min(candidates, key=lambda k: counts[k])] = None
    return shown


def _grouped(responses: list[Response], key: str, template: Template) -> list[Figures]:
    groups: dict[str, Counter[int]] = {}
    for response in responses:
        label = getattr(response, key)
        if response.answer is not None and label:
            groups.setdefault(label, Counter())[response.answer] += response.count
    figures = [
        _figures(label, counts, template, small_n=False) for label, counts in sorted(groups.items())
    ]
    return secondary_suppression(figures)


def summarize(responses: list[Response], template: Template, options: int = 0) -> PollResults:
    """Results from answers grouped by value (each `Response` carries its count)."""
    counts: Counter[int] = Counter()
    prefer_not = 0
    for response in responses:
        if response.answer is None:
            prefer_not += response.count
        else:
            counts[response.answer] += response.count
    answered = sum(counts.values())
    distribution = (
        suppress_counts({v: counts.get(v, 0) for v in template.values(options)}, total_shown=True)
        if answered >= MIN_N_DISPLAY
        else {}
    )
    return PollResults(
        n_answered=answered,
        n_prefer_not=prefer_not,
        overall=_figures("all", counts, template, small_n=True),
        distribution=distribution,
        by_language=_grouped(responses, "lang", template),
        by_neighborhood=_grouped(responses, "neighborhood", template),
    )
