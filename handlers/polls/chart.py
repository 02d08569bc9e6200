"""PNG charts of poll results (distribution; trend across waves), legible in every language.

Fonts: matplotlib's bundled DejaVu Sans covers Latin (with Vietnamese diacritics), Cyrillic
and Arabic; Chinese falls back per glyph to the Noto Sans CJK SC subset shipped beside this
module (fonts/README.md). Arabic is shaped and laid out right to left by matplotlib's own
text layout (libraqm, matplotlib >= 3.11), so no reshaping is done here.

Text never leaves the figure: titles, labels and notes are wrapped by measuring them with
the renderer, not by counting characters (a Chinese character is twice as wide as a Latin
letter, an Arabic word narrower than its letter count suggests).

matplotlib is imported only when a chart is drawn: it costs ~30 MB and most processes never
draw one. Drawing takes ~0.5 s the first time (the import) and ~100 ms after, so callers run
it in a worker thread (`asyncio.to_thread`); charts use matplotlib's object API, not pyplot's
global state, and one at a time.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

_DRAWING = threading.Lock()
_FONTS_READY = False
FAMILIES = ["DejaVu Sans", "Noto Sans CJK SC"]
CJK_FONT = "NotoSansCJKsc-Subset.otf"
WIDTH_IN, HEIGHT_IN, DPI = 7.2, 4.8, 110
BAR_COLOR = "#3b6ea5"
HIDDEN_COLOR = "#8a8a8a"
# Word boundaries for wrapping; a run of CJK characters may break between any two.
_TOKENS = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+")


@dataclass(frozen=True, slots=True)
class ChartText:
    """Every word on a chart, already translated."""

    title: str
    value_axis: str  # "Number of answers" / "Score (0–100, not a percentage)"
    hidden: str  # "fewer than 30 answers": written on every hidden bar or gap
    note: str  # who answered, n, dates: the opt-in disclosure


@dataclass(frozen=True, slots=True)
class ChartBar:
    label: str
    value: float | None  # None: suppressed, drawn hatched and explained, never as zero
    shown: str = ""  # the value as written on the bar ("36", "62")


def _setup() -> None:
    """Register the shipped CJK font once per process."""
    global _FONTS_READY
    if _FONTS_READY:
        return
    from matplotlib import font_manager

    with resources.as_file(resources.files("handlers.polls") / "fonts" / CJK_FONT) as path:
        font_manager.fontManager.addfont(str(path))
    _FONTS_READY = True


def _wrap(figure: Any, text: str, size: float, max_px: float, max_lines: int) -> str:
    """Break `text` into lines no wider than `max_px` as drawn; an over-long text is cut
    with an ellipsis after `max_lines` lines rather than run off the figure.

    Words (and single CJK characters) are measured once each and summed; each finished
    line is measured whole, and shortened if shaping or kerning made it wider."""
    from matplotlib.text import Text

    renderer = figure.canvas.get_renderer()
    probe = Text(0, 0, "", fontsize=size, family=FAMILIES, figure=figure)
    measured: dict[str, float] = {}

    def width(candidate: str) -> float:
        if candidate not in measured:
            probe.set_text(candidate)
            measured[candidate] = float(probe.get_window_extent(renderer).width)
        return measured[candidate]

    lines: list[str] = []
    current, current_px = "", 0.0
    for token in _TOKENS.findall(" ".join(text.split())):
        token_px = width(token)
        if current and current_px + token_px > max_px:
            lines.append(current.rstrip())
            current, current_px = token.lstrip(), width(token.lstrip())
        else:
            current, current_px = current + token, current_px + token_px
    if current.strip():
        lines.append(current.rstrip())
    lines = [_shorten(line, max_px, width, "") for line in lines]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _shorten(lines[max_lines - 1] + "…", max_px, width)]
    return "\n".join(lines)


def _shorten(line: str, max_px: float, width: Callable[[str], float], ellipsis: str = "…") -> str:
    """The line as it is if it fits, else cut (with `ellipsis`) until it does."""
    if width(line) <= max_px:
        return line
    body = line.removesuffix("…")
    while body and width(body + ellipsis) > max_px:
        body = body[:-1]
    return body.rstrip() + ellipsis


def _figure(text: ChartText) -> tuple[Any, Any]:
    """A figure with its title on top, the disclosure note at the bottom, and axes between,
    all sized from the measured text."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    layout = ConstrainedLayoutEngine(h_pad=0.08, w_pad=0.12)
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)
    usable = WIDTH_IN * DPI * 0.94
    figure.suptitle(
        _wrap(figure, text.title, 12, usable, 3), fontsize=12, family=FAMILIES, wrap=False
    )
    figure.supxlabel(
        _wrap(figure, text.note, 8, usable, 3), fontsize=8, family=FAMILIES, color="#444444"
    )
    return figure, figure.subplots()


def _finish(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def draw_distribution(text: ChartText, bars: list[ChartBar]) -> Any:
    """Horizontal bars, one per answer, labels beside them (long labels wrap); hidden bars
    are hatched across the axis and say why, so a hidden count never reads as zero."""
    from matplotlib.ticker import MaxNLocator

    _setup()
    figure, axes = _figure(text)
    label_px = WIDTH_IN * DPI * 0.3
    labels = [_wrap(figure, bar.label, 9, label_px, 2) for bar in bars]
    shown = [bar.value for bar in bars if bar.value is not None]
    top = max(shown, default=0.0) or 1.0
    right = top * 1.18
    positions = list(range(len(bars)))
    for position, bar in zip(positions, bars, strict=True):
        if bar.value is None:
            axes.barh(
                position,
                right,
                color="#f2f2f2",
                edgecolor=HIDDEN_COLOR,
                hatch="///",
                linewidth=0.6,
            )
            axes.text(
                right / 2,
                position,
                bar.shown or text.hidden,
                ha="center",
                va="center",
                fontsize=8,
                color="#333333",
                family=FAMILIES,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
            )
        else:
            axes.barh(position, bar.value, color=BAR_COLOR)
            axes.text(
                bar.value + top * 0.01,
                position,
                bar.shown,
                va="center",
                fontsize=8,
                family=FAMILIES,
            )
    axes.set_yticks(positions, labels, fontsize=9, family=FAMILIES)
    axes.invert_yaxis()  # first answer on top, as in the poll's buttons
    axes.set_xlim(0, right)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(text.value_axis, fontsize=9, family=FAMILIES)
    for label in axes.get_xticklabels():
        label.set_fontfamily(FAMILIES)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def draw_trend(text: ChartText, waves: list[ChartBar]) -> Any:
    """Score per wave on 0-100; a wave without enough answers is a hatched gap, not a zero."""
    _setup()
    figure, axes = _figure(text)
    # NaN breaks the line: a hidden wave is a gap, never bridged as if it had a value.
    values = [float("nan") if w.value is None else w.value for w in waves]
    axes.plot(range(len(waves)), values, marker="o", color=BAR_COLOR)
    for index, wave in enumerate(waves):
        if wave.value is not None:
            axes.annotate(
                wave.shown,
                (index, wave.value),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
                family=FAMILIES,
            )
    for index, wave in enumerate(waves):
        if wave.value is None:
            axes.axvspan(
                index - 0.3, index + 0.3, facecolor="#f2f2f2", edgecolor=HIDDEN_COLOR, hatch="///"
            )
            axes.text(
                index,
                50,
                _wrap(figure, text.hidden, 8, WIDTH_IN * DPI / max(len(waves), 1) * 0.5, 4),
                ha="center",
                va="center",
                fontsize=8,
                family=FAMILIES,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
            )
    axes.set_xticks(range(len(waves)), [w.label for w in waves], fontsize=9, family=FAMILIES)
    axes.set_xlim(-0.5, len(waves) - 0.5)
    axes.set_ylim(0, 100)
    axes.set_ylabel(_wrap(figure, text.value_axis, 9, HEIGHT_IN * DPI * 0.6, 2), fontsize=9)
    axes.yaxis.label.set_fontfamily(FAMILIES)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def distribution_png(text: ChartText, bars: list[ChartBar]) -> bytes:
    with _DRAWING:
        return _finish(draw_distribution(text, bars))


def trend_png(text: ChartText, waves: list[ChartBar]) -> bytes:
    with _DRAWING:
        return _finish(draw_trend(text, waves))
