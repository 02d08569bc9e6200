"""PNG charts of poll results (distribution; trend across waves).

matplotlib is imported only when a chart is drawn: it costs ~30 MB and most processes
never draw one, which keeps the bot's resident memory low at start. Drawing takes
0.4 s the first time (the import) and ~70 ms after, so callers run it in a worker
thread (`asyncio.to_thread`) rather than stall every conversation on the event loop;
charts use matplotlib's object API, not pyplot's global state, and one at a time.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

_DRAWING = threading.Lock()


def _draw(title: str, note: str, plot: Callable[[Any], None]) -> bytes:
    """One 700x350 chart: `plot` fills the axes; title and the opt-in note are added here."""
    with _DRAWING:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(7, 3.5), dpi=100)
        axes = figure.subplots()
        plot(axes)
        axes.set_title(title[:80])
        figure.text(0.01, 0.01, note[:160], fontsize=7)
        figure.tight_layout(rect=(0, 0.06, 1, 1))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()


def distribution_png(title: str, labels: list[str], values: list[int | None], note: str) -> bytes:
    """Bars per answer; suppressed cells are drawn hatched and empty, explained in `note`."""

    def plot(axes: Any) -> None:
        bars = axes.bar(range(len(labels)), [v or 0 for v in values], color="#3b6ea5")
        for bar, value in zip(bars, values, strict=True):
            if value is None:
                bar.set_hatch("//")
                bar.set_facecolor("white")
                bar.set_edgecolor("#999999")
        axes.set_xticks(range(len(labels)), labels)

    return _draw(title, note, plot)


def trend_png(title: str, waves: list[str], scores: list[float | None], note: str) -> bytes:
    """Score per wave on 0-100; waves without enough answers are gaps, not zeros."""

    def plot(axes: Any) -> None:
        points = [(i, s) for i, s in enumerate(scores) if s is not None]
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#3b6ea5")
        axes.set_xticks(range(len(waves)), waves)
        axes.set_ylim(0, 100)

    return _draw(title, note, plot)
