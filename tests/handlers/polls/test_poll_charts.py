"""Result charts in all ten languages: every glyph found, every word inside the picture."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import SUPPORTED_LOCALES
from bot.i18n import Translator
from handlers.polls.chart import ChartBar, ChartText, draw_distribution, draw_trend
from handlers.polls.delivery import distribution_chart, fewer_than, score_axis
from handlers.polls.results import Suppression, summarize
from handlers.polls.templates import TEMPLATES
from storage.polls import Poll, Response
from tests.support.app import languages

OPENED = datetime(2026, 11, 21, 15, tzinfo=UTC)
# T4 has the longest answer labels; T1 (45 answers) falls back to three bands, one hidden;
# T5 has seven choices. Each hides at least one bar.
ANSWERS = {
    "T1": [(0, 3), (2, 4), (5, 8), (6, 9), (7, 11), (9, 6), (10, 4)],
    "T4": [(1, 4), (2, 15), (3, 22), (4, 40), (5, 12)],
    "T5": [(0, 31), (1, 12), (2, 5), (3, 18), (4, 0), (5, 22), (6, 3)],
}


def _undrawn_tick_labels(figure: Any) -> set[int]:
    """Tick labels matplotlib keeps but does not draw (their tick is outside the view)."""
    skipped: set[int] = set()
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    skipped.update({id(tick.label1), id(tick.label2)})
    return skipped


def _check(figure: Any, values: str) -> None:
    """Fail on any text outside the drawn figure, or a value axis (`values`: "x" or "y")
    reaching below zero."""
    renderer = figure.canvas.get_renderer()
    bounds = figure.bbox
    from matplotlib.text import Text

    skipped = _undrawn_tick_labels(figure)
    for text in figure.findobj(Text):
        if id(text) in skipped or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        inside = (
            box.x0 >= bounds.x0 - 1
            and box.x1 <= bounds.x1 + 1
            and box.y0 >= bounds.y0 - 1
            and box.y1 <= bounds.y1 + 1
        )
        assert inside, f"text overflows the figure: {text.get_text()!r} at {box}"
    axis = figure.axes[0].xaxis if values == "x" else figure.axes[0].yaxis
    low, high = sorted(axis.get_view_interval())
    shown_ticks = [loc for loc in axis.get_majorticklocs() if low <= loc <= high]
    assert low == 0 and min(shown_ticks) >= 0, "the value axis starts at zero"


def _drawn(draw: Any, *args: Any) -> Any:
    """Draw with matplotlib's warnings recorded: a missing glyph is a failure."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = draw(*args)
        figure.canvas.draw()
    problems = [str(w.message) for w in caught]
    assert problems == [], problems
    return figure


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
@pytest.mark.parametrize("template_id", ["T1", "T4", "T5"])
def test_chart_distribution_in_every_language(lang: str, template_id: str) -> None:
    """Title, answer labels, hidden bars and note: all glyphs, all inside, hidden ≠ zero."""
    t: Translator = languages().translator(lang)
    poll = Poll(1, template_id, OPENED, OPENED + timedelta(days=7))
    responses = [Response(value, lang, None, count) for value, count in ANSWERS[template_id]]
    results = summarize(responses, TEMPLATES[template_id], 0, Suppression())
    text, bars = distribution_chart(t, poll, results)
    assert any(bar.value is None for bar in bars), "the data hide at least one bar"
    figure = _drawn(draw_distribution, text, bars)
    _check(figure, "x")
    hatched = [p for p in figure.axes[0].patches if p.get_hatch()]
    assert len(hatched) == sum(bar.value is None for bar in bars), "hidden bars are hatched"
    assert all(p.get_width() > 0 for p in hatched), "a hidden bar is never drawn as zero"


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_chart_trend_and_long_custom_title(lang: str) -> None:
    """A trend with a hidden wave, under a title far too long for one line."""
    t = languages().translator(lang)
    title = " ".join([t._(TEMPLATES["T3"].question)] * 4)
    text = ChartText(
        title=title,
        value_axis=score_axis(t, TEMPLATES["T3"]),
        hidden=fewer_than(t, 30),
        note=t._("Answers from residents who chose to respond; not a random sample."),
    )
    waves = [
        ChartBar(t._("Wave {number}").format(number=n), value, "" if value is None else "61")
        for n, value in ((1, 61.0), (2, None), (3, 66.0), (4, 58.5))
    ]
    _check(_drawn(draw_trend, text, waves), "y")
