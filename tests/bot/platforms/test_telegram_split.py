"""The neutral text splitter used by the Telegram (4096) and Discord (2000) adapters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.platforms.telegram import utf16_length
from bot.platforms.text_split import split_text


def test_short_text_is_one_piece() -> None:
    """Text within the limit is returned unchanged, even when empty."""
    assert split_text("hello\n\nworld", 20) == ["hello\n\nworld"]
    assert split_text("", 20) == [""]


def test_paragraphs_are_kept_whole_and_packed() -> None:
    """Whole paragraphs go together while they fit; the cut drops the blank line."""
    text = "aaaa\n\nbbbb\n\ncccc"
    assert split_text(text, 10) == ["aaaa\n\nbbbb", "cccc"]


def test_a_long_paragraph_goes_by_lines() -> None:
    """A paragraph over the limit is split at line ends."""
    text = "intro\n\n" + "line one\nline two\nline three"
    assert split_text(text, 18) == ["intro", "line one\nline two", "line three"]


def test_a_long_line_is_cut_hard() -> None:
    """A line with no break is cut at the limit."""
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_custom_measure_never_splits_a_character() -> None:
    """Counting UTF-16 units (emoji count twice), pieces fit and no emoji is broken."""
    text = "😀" * 7
    pieces = split_text(text, 4, utf16_length)
    assert pieces == ["😀😀", "😀😀", "😀😀", "😀"]


def test_limit_must_be_positive() -> None:
    """A zero limit is a programming error, not an endless loop."""
    with pytest.raises(ValueError):
        split_text("abc", 0)


@given(
    st.text(alphabet=st.sampled_from("ab \n😀"), max_size=400),
    st.integers(min_value=2, max_value=50),
)
def test_pieces_fit_and_lose_nothing_but_separators(text: str, limit: int) -> None:
    """Every piece fits; joined again, only newlines at the cuts are missing."""
    pieces = split_text(text, limit, utf16_length)
    assert all(utf16_length(piece) <= limit for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    if utf16_length(text) > limit:
        assert all(pieces)
