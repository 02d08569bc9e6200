"""Small knowledge topics for tests of the search's method, built in code."""

from __future__ import annotations

import datetime as dt

from bot.knowledge.content import Topic


def make_topic(
    topic_id: str,
    examples: tuple[str, ...] = (),
    keywords: tuple[str, ...] = (),
    title: str | None = None,
    answer: str = "",
) -> Topic:
    """An English topic with only what a ranking test sets; the title is its id unless
    given."""
    return Topic(
        id=topic_id,
        lang="en",
        section="test",
        urgent=False,
        last_reviewed=dt.date(2026, 1, 1),
        title=title if title is not None else topic_id,
        examples=examples,
        keywords=keywords,
        related=(),
        answer=answer,
        sources=(),
    )
