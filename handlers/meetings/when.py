"""Reading a meeting time as the organizer types it, in their language's conventions.

"25/12 18:30" is the 25th of December for a Spanish or French organizer and nonsense for
an American one, who writes "12/25 6:30pm": the day/month order comes from the
organizer's locale (CLDR), the parsing from `dateparser`.
"""

from __future__ import annotations

import re
from datetime import datetime

from babel import Locale

# dateparser's names for our language codes.
DATEPARSER_LANGUAGES = {"zh_Hans": "zh-Hans"}
# A time of day must be written out: "18:30", "6pm", "18h30", "6.30 pm", "18 h".
TIME_OF_DAY = re.compile(r"\d\s*(?::|h|\.)\s*\d|\d\s*(?:am|pm|h\b|点|時)", re.IGNORECASE)


def date_order(locale: str) -> str:
    """'DMY', 'MDY' or 'YMD' from the locale's short date pattern."""
    pattern = Locale.parse(locale).date_formats["short"].pattern.lower()
    positions = sorted((pattern.find(letter), letter) for letter in "dmy" if letter in pattern)
    return "".join(letter for _, letter in positions).upper() or "MDY"


def parse_meeting_time(text: str, locale: str, timezone: str, now: datetime) -> datetime | None:
    """The instant meant by `text` in `timezone`, or None unless it names a day and a time."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 80 or not TIME_OF_DAY.search(cleaned):
        return None
    import dateparser  # ~10 MB with its language data: loaded when an organizer needs it

    languages = [DATEPARSER_LANGUAGES.get(locale, locale.split("_")[0])]
    if "en" not in languages:
        languages.append("en")
    try:
        parsed = dateparser.parse(
            cleaned,
            languages=languages,
            settings={
                "PREFER_DATES_FROM": "future",
                "TIMEZONE": timezone,
                "RETURN_AS_TIMEZONE_AWARE": True,
                "DATE_ORDER": date_order(locale),
                "RELATIVE_BASE": now.replace(tzinfo=None),
                "REQUIRE_PARTS": ["day", "month"],
            },
        )
    except (ValueError, OverflowError):
        return None
    return parsed if isinstance(parsed, datetime) else None
