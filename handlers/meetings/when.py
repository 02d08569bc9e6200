"""Reading a meeting time as the organizer types it, in their language's conventions.

A small rule-based reader owns the forms organizers actually type — numeric dates in the
locale's day/month order ("25/12", "12/25", "25.12.2026", "2026-12-25", "12月25日"),
clock times in every local style ("18:30", "18h30", "6:30pm", "à 18 h", "в 19:00",
"晚上7点", "7 giờ tối", "6è diswa"), weekday and month names, "today"/"tomorrow" — from
word lists built on CLDR (`time_words`). `dateparser` is the fallback for anything else.
The rules come first because a general parser guesses: it filled in the current minute
when no time was given, read "18h" as a year and rejected Haitian Creole outright.

"Now" is the deployment's local time; the result is an aware datetime in that zone, and
a time that falls into a daylight-saving gap moves forward as the clock does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from bot.config import SUPPORTED_LOCALES
from handlers.meetings.time_words import (
    DATE_ORDER,
    NEAREST,
    Kind,
    fold,
    fold_digits,
    vocabulary,
)

# A meeting more than this far ahead is almost always a typo in the year.
HORIZON = timedelta(days=365)
# Longer input is not a date: it is a message sent to the wrong step.
MAX_LENGTH = 80
# dateparser's names for our language codes (it has no Haitian Creole).
DATEPARSER_LANGUAGES = {"zh_Hans": "zh-Hans", "ht": "fr"}
_MARK_SECOND = 37
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4}
_CHINESE_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_SEPARATORS = ":/.-,"
_NUM, _SEP, _OTHER = "num", "sep", "other"
# A word this short is too often an ordinary word elsewhere (Creole "me" is May, English
# "me" is not) to be read as another language's day or month name.
FOREIGN_DAY_WORD_MIN = 4
# Words that name a day: one of these in another language changes which day is meant.
_DAY_WORDS = frozenset({Kind.WEEKDAY, Kind.NEXT_WEEKDAY, Kind.MONTH, Kind.RELATIVE, Kind.TONIGHT})
# Suffixes that make a lone number a day of the month ("the 8th", "le 8e").
DAY_ORDINALS = frozenset({"st", "nd", "rd", "th", "er", "eme"})
ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th", "er", "e", "eme", "o", "a", "de"})


class Reason:
    """Why a reading has no start, as printed by `liaison meetings parse-time`."""

    OK = "ok"
    NO_TIME = "no_time"  # a day, but no time of day: ask for the time
    UNREADABLE = "unreadable"
    INVALID_DATE = "invalid_date"  # "31/02"
    WEEKDAY_MISMATCH = "weekday_mismatch"  # "Tuesday 9 December" when the 9th is a Wednesday
    PAST = "past"
    TOO_FAR = "too_far"


@dataclass(frozen=True, slots=True)
class Reading:
    """What was understood: a start, or the reason there is none."""

    start: datetime | None
    reason: str
    day: date | None = None  # a day read without a time of day, kept for the next answer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    value: object
    text: str = ""


@dataclass(slots=True)
class _Found:
    """The parts of a date and time found in the tokens."""

    clock: tuple[int, int] | None = None
    period: str | None = None
    days: list[tuple[int | None, int, int]] = field(default_factory=list)  # (year, month, day)
    weekday: int | None = None
    next_week: bool = False
    relative: int | None = None
    day_of_month: int | None = None


def date_order(locale: str) -> str:
    """'DMY', 'MDY' or 'YMD' from the locale's short date pattern."""
    if locale in DATE_ORDER:
        return DATE_ORDER[locale]
    pattern = Locale.parse(locale).date_formats["short"].pattern.lower()
    positions = sorted((pattern.find(letter), letter) for letter in "dmy" if letter in pattern)
    return "".join(letter for _, letter in positions).upper() or "MDY"


def read_meeting_time(
    text: str, locale: str, zone: ZoneInfo, now: datetime, day: date | None = None
) -> Reading:
    """The instant meant by `text`, read in `locale` with `now` in `zone`.

    `day` is a date the organizer already gave without a time; a bare time completes it.
    """
    folded = fold(text).strip()
    if not folded or len(folded) > MAX_LENGTH:
        return Reading(None, Reason.UNREADABLE)
    local_now = now.astimezone(zone)
    tokens = _tokens(folded, locale)
    if any(token.kind == Kind.AMBIGUOUS for token in tokens):
        return Reading(None, Reason.UNREADABLE)
    unknown = [
        str(token.value)
        for token in tokens
        if token.kind == _OTHER and len(str(token.value)) >= FOREIGN_DAY_WORD_MIN
    ]
    if unknown and (other := _language_of_date_words(unknown, locale)) is not None:
        return read_meeting_time(text, other, zone, now, day)
    found = _find(tokens, locale)
    if found is None:
        return _fallback(text, locale, zone, local_now)
    return _resolve(found, date_order(locale), zone, local_now, day)


def _language_of_date_words(words: list[str], locale: str) -> str | None:
    """The other language in which some of `words` name a day or month.

    Organizers write in the language they think in, whatever the bot's language for them
    ("martes 18h30" from a Spanish speaker whose app is in English). Dropping the word
    would read a different day; reading it in the language that knows it reads what was
    meant, and the organizer still confirms the echoed date. Languages that share the
    word with the same meaning (French and Haitian Creole "mardi") agree, and the first
    of them is used; languages that disagree leave the reader in its own language.
    """
    meanings: dict[str, frozenset[tuple[str, object]]] = {}
    for other in SUPPORTED_LOCALES:
        if other == locale:
            continue
        known = vocabulary(other)
        found = frozenset(
            (info.kind, info.value)
            for word in words
            if (info := known.get(word)) is not None and info.kind in _DAY_WORDS
        )
        if found:
            meanings[other] = found
    if len(set(meanings.values())) != 1:
        return None
    return next(iter(meanings))


def _tokens(folded: str, locale: str) -> list[_Token]:
    words = vocabulary(locale)
    pattern = _pattern(locale)
    tokens: list[_Token] = []
    i = 0
    while i < len(folded):
        ch = folded[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit():
            j = i
            while j < len(folded) and folded[j].isdigit():
                j += 1
            tokens.append(_Token(_NUM, int(folded[i:j]), folded[i:j]))
            i = j
        elif (match := pattern.match(folded, i)) and _starts_word(folded, i):
            word = words[match.group(0)]
            tokens.append(_Token(word.kind, word.value, match.group(0)))
            i = match.end()
        elif ch in _CHINESE_DIGITS:
            j = i
            while j < len(folded) and folded[j] in _CHINESE_DIGITS:
                j += 1
            value = _chinese_number(folded[i:j])
            tokens.append(_Token(_NUM, value, str(value)))
            i = j
        elif ch in _SEPARATORS:
            tokens.append(_Token(_SEP, ch, ch))
            i += 1
        elif ch.isalpha() and not _CJK.match(ch):
            j = i
            while j < len(folded) and (folded[j].isalpha() or folded[j] in "'’"):
                j += 1
            tokens.append(_Token(_OTHER, folded[i:j], folded[i:j]))
            i = j
        else:
            tokens.append(_Token(_OTHER, ch, ch))
            i += 1
    return tokens


def _starts_word(folded: str, i: int) -> bool:
    """A known word starts here unless it is the tail of a longer word ("at" in "chat")."""
    before = folded[i - 1] if i else " "
    return not before.isalpha() or bool(_CJK.match(before)) or bool(_CJK.match(folded[i]))


def _pattern(locale: str) -> re.Pattern[str]:
    return _PATTERNS.get(locale) or _PATTERNS.setdefault(locale, _compile(locale))


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compile(locale: str) -> re.Pattern[str]:
    branches = []
    for phrase in sorted(vocabulary(locale), key=len, reverse=True):
        escaped = re.escape(phrase)
        if _CJK.search(phrase[-1]):
            branches.append(escaped)
        elif phrase[-1].isdigit():
            branches.append(escaped + r"(?!\d)")
        elif phrase[-1].isalpha():
            branches.append(escaped + r"(?![^\W\d_])")  # a letter must not follow
        else:
            branches.append(escaped)
    return re.compile("|".join(branches))


def _chinese_number(text: str) -> int:
    """二十五 → 25, 十二 → 12, 七 → 7, 两 → 2."""
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CHINESE_DIGITS[ch]
        return value
    tens, _, units = text.partition("十")
    return (_chinese_number(tens) if tens else 1) * 10 + (_chinese_number(units) if units else 0)


class _Cursor:
    """The token list with the tokens already understood marked as used."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.used = [False] * len(tokens)

    def at(self, i: int, kind: str, value: object = None) -> bool:
        if not 0 <= i < len(self.tokens) or self.used[i]:
            return False
        token = self.tokens[i]
        return token.kind == kind and (value is None or token.value == value)

    def num(self, i: int, digits: tuple[int, ...] = (1, 2), high: int = 99) -> int | None:
        if not self.at(i, _NUM):
            return None
        token = self.tokens[i]
        value = int(str(token.value))
        return value if len(token.text) in digits and value <= high else None

    def take(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.used[i] = True

    def free(self, kind: str) -> list[int]:
        return [i for i, t in enumerate(self.tokens) if t.kind == kind and not self.used[i]]


def _find(tokens: list[_Token], locale: str) -> _Found | None:
    """The date and time parts, or None when some number was not understood."""
    cursor = _Cursor(tokens)
    found = _Found()
    _find_clock(cursor, found)
    _find_dates(cursor, found, locale)
    if found.clock is None:
        _find_dotted_clock(cursor, found)
    for i in cursor.free(Kind.WEEKDAY) + cursor.free(Kind.NEXT_WEEKDAY):
        found.weekday = int(str(tokens[i].value))
        found.next_week = tokens[i].kind == Kind.NEXT_WEEKDAY or bool(cursor.free(Kind.NEXT_WEEK))
    for i in cursor.free(Kind.RELATIVE):
        found.relative = int(str(tokens[i].value))
    if cursor.free(Kind.TONIGHT):
        found.relative = 0 if found.relative is None else found.relative
        found.period = found.period or "pm"
    if found.clock is None and cursor.free(Kind.NOON):
        found.clock = (12, 0)
    if found.period is None and (periods := cursor.free(Kind.PERIOD)):
        found.period = str(tokens[periods[0]].value)
    if cursor.free(_NUM):
        return None  # a number we could not place: better to ask than to guess
    has_day = found.days or found.weekday is not None or found.relative is not None
    if found.clock is None and not has_day and found.day_of_month is None:
        return None
    return found


def _find_clock(cursor: _Cursor, found: _Found) -> None:
    """The first time of day, in any of the written forms, with its am/pm word."""
    for i in range(len(cursor.tokens)):
        span = _clock_at(cursor, i)
        if span is None:
            continue
        end, hour, minute = span
        if hour > 24 or minute > 59:
            continue
        cursor.take(i, end)
        if found.clock is None:
            found.clock = (hour, minute)
            found.period = _period_near(cursor, i, end)


def _clock_at(cursor: _Cursor, i: int) -> tuple[int, int, int] | None:
    """(end, hour, minute) of a time written at token i, if one is."""
    after_at = cursor.at(i, Kind.AT)
    start = i + 1 if after_at else i
    hour = cursor.num(start)
    if hour is None:
        return None
    j = start + 1
    if cursor.at(j, _SEP, ":") and (minute := cursor.num(j + 1, (2,))) is not None:
        j += 2
        if cursor.at(j, _SEP, ":") and cursor.num(j + 1, (2,)) is not None:
            j += 2  # seconds, ignored
        return _suffixes(cursor, j), hour, minute
    if cursor.at(j, Kind.HOUR):
        j += 1
        if cursor.at(j, Kind.HALF):
            return j + 1, hour, 30
        minute = cursor.num(j, (1, 2), 59)
        if minute is None:
            return j, hour, 0
        j += 1
        return j + int(cursor.at(j, Kind.MINUTE)), hour, minute
    # "6.30pm"; after "at" also "в 19-00", as Russian organizers often write it.
    separated = cursor.at(j, _SEP, ".") or (after_at and cursor.at(j, _SEP, "-"))
    dotted = separated and cursor.num(j + 1, (2,)) is not None
    minute = int(str(cursor.tokens[j + 1].value)) if dotted else 0
    after = j + 2 if dotted else j
    if cursor.at(after, Kind.PERIOD):
        return after, hour, minute  # "6pm", "6.30 pm", "7 вечера"
    if after_at and (dotted or not cursor.at(j, _SEP)):
        return after, hour, minute  # "à 18", "в 19.00"; not "à 25/12"
    return None


def _suffixes(cursor: _Cursor, j: int) -> int:
    """Skip an "h"/"hs"/"ч" written after "18:30"."""
    return j + 1 if cursor.at(j, Kind.HOUR) else j


def _period_near(cursor: _Cursor, start: int, end: int) -> str | None:
    for i in (end, start - 1, end + 1):
        if cursor.at(i, Kind.PERIOD):
            cursor.take(i, i + 1)
            return str(cursor.tokens[i].value)
    return None


def _find_dotted_clock(cursor: _Cursor, found: _Found) -> None:
    """ "19.00" left over once dates are read: a time, as Russian organizers write it."""
    for i in range(len(cursor.tokens)):
        hour = cursor.num(i, (1, 2), 23)
        if hour is not None and cursor.at(i + 1, _SEP, "."):
            minute = cursor.num(i + 2, (2,), 59)
            if minute is not None:
                cursor.take(i, i + 3)
                found.clock = (hour, minute)
                found.period = _period_near(cursor, i, i + 3)
                return


def _find_dates(cursor: _Cursor, found: _Found, locale: str) -> None:
    tokens = cursor.tokens
    for i in range(len(tokens)):
        if (span := _numeric_date(cursor, i, date_order(locale))) is not None:
            end, candidates = span
            cursor.take(i, end)
            found.days.extend(candidates)
    for i in cursor.free(Kind.MONTH) + cursor.free(Kind.MONTH_MARK):
        _named_month(cursor, found, i)
    for i in range(len(tokens)):
        day = cursor.num(i, (1, 2), 31)
        ordinal = cursor.at(i + 1, _OTHER) and tokens[i + 1].value in DAY_ORDINALS
        if day is not None and (cursor.at(i + 1, Kind.DAY_MARK) or ordinal):
            cursor.take(i, i + 2)  # "25号", "the 8th"
            found.day_of_month = day


def _numeric_date(
    cursor: _Cursor, i: int, order: str
) -> tuple[int, list[tuple[int | None, int, int]]] | None:
    """A numeric date at token i with the orders it could be read in, locale's first."""
    first = cursor.num(i, (1, 2, 4), 9999)
    sep = str(cursor.tokens[i + 1].value) if cursor.at(i + 1, _SEP) else ""
    if first is None or sep not in ("/", ".", "-"):
        return None
    second = cursor.num(i + 2)
    if second is None:
        return None
    parts = [(first, len(cursor.tokens[i].text)), (second, len(cursor.tokens[i + 2].text))]
    end = i + 3
    if cursor.at(end, _SEP, sep) and (third := cursor.num(end + 1, (2, 4), 9999)) is not None:
        parts.append((third, len(cursor.tokens[end + 1].text)))
        end += 2
    if cursor.at(end, _SEP, ":") or cursor.at(end, Kind.HOUR):
        return None  # "18.30h" is a time
    if parts[0][1] == 4 and len(parts) == 3:
        return end, [(parts[0][0], parts[1][0], parts[2][0])]
    if any(digits == 4 for _, digits in parts[:2]):
        return None
    values = [value for value, _ in parts]
    if len(values) == 2:
        orders = ["DM", "MD"] if order.index("D") < order.index("M") else ["MD", "DM"]
        if sep == "." and not any(_valid(None, *_pick(values, o)) for o in orders):
            return None  # "19.00": a time, read later
        # The locale's order wins whenever it gives a real date ("07/12" is 7 December in
        # French even when that time has passed); the other order only rescues "25/12".
        readable = [o for o in orders if _valid(None, *_pick(values, o))]
        return end, [(None, *_pick(values, o)) for o in (readable[:1] or orders)]
    four_digit_year = parts[2][1] == 4
    orders = [order] + [o for o in ("DMY", "MDY", "YMD") if o != order]
    if four_digit_year:
        orders = [o for o in orders if o.endswith("Y")]
    candidates: list[tuple[int | None, int, int]] = []
    for o in orders:
        year = values[o.index("Y")]
        rest = [v for k, v in zip(o, values, strict=True) if k != "Y"]
        month, day = _pick(rest, o.replace("Y", ""))
        candidates.append((year + 2000 if year < 100 else year, month, day))
    return end, candidates


def _pick(values: list[int], order: str) -> tuple[int, int]:
    """(month, day) from two numbers in the order 'DM' or 'MD'."""
    return (values[1], values[0]) if order == "DM" else (values[0], values[1])


def _valid(year: int | None, month: int, day: int) -> bool:
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: 29 February stays possible
    except ValueError:
        return False
    return True


def _named_month(cursor: _Cursor, found: _Found, i: int) -> None:
    """ "15 déc.", "December 25th, 2026", "25 de diciembre", "12月25日", "25 tháng 12"."""
    tokens = cursor.tokens
    if tokens[i].kind == Kind.MONTH_MARK:
        if tokens[i].text != "月" and (month := cursor.num(i + 1, (1, 2), 12)) is not None:
            # Vietnamese "tháng 12", the month number after the word
            cursor.take(i, i + 2)
            day_before = _day_before(cursor, i)
            _add_day(cursor, found, month, day_before, i + 2)
            return
        if (month := cursor.num(i - 1, (1, 2), 12)) is not None:  # Chinese "12月"
            cursor.take(i - 1, i + 1)
            year = _year_before(cursor, i - 1)
            day = cursor.num(i + 1, (1, 2), 31)
            if day is not None:
                cursor.take(i + 1, i + 2 + int(cursor.at(i + 2, Kind.DAY_MARK)))
                found.days.append((year, month, day))
            elif year is not None:
                found.days.append((year, month, 1))
        return
    month = int(str(tokens[i].value))
    end = i + 1 + int(cursor.at(i + 1, _SEP, "."))
    cursor.take(i, end)
    _add_day(cursor, found, month, _day_before(cursor, i), end)


def _day_before(cursor: _Cursor, i: int) -> int | None:
    for j in (i - 1, i - 2):
        if j == i - 2 and not (_is_filler(cursor, i - 1) or cursor.at(i - 1, _SEP, ".")):
            break
        if (day := cursor.num(j, (1, 2), 31)) is not None:
            cursor.take(j, i)
            return day
    return None


def _add_day(cursor: _Cursor, found: _Found, month: int, day: int | None, after: int) -> None:
    """The day after a month name when none came before it, then an optional year."""
    j = after
    if day is None:
        day = cursor.num(j, (1, 2), 31)
        if day is None:
            return
        j += 1
        if cursor.at(j, Kind.DAY_MARK) or (
            cursor.at(j, _OTHER) and cursor.tokens[j].value in ORDINAL_SUFFIXES
        ):
            j += 1
        cursor.take(after, j)
    k = j + int(cursor.at(j, _SEP, ",") or _is_filler(cursor, j))
    year = cursor.num(k, (4,), 9999)
    if year is not None:
        cursor.take(j, k + 1)
    found.days.append((year, month, day))


def _is_filler(cursor: _Cursor, i: int) -> bool:
    """A short joining word ("de", "of", "năm") between a date's parts."""
    return cursor.at(i, _OTHER) and len(str(cursor.tokens[i].value)) <= 3


def _year_before(cursor: _Cursor, i: int) -> int | None:
    if cursor.at(i - 1, Kind.YEAR_MARK) and (year := cursor.num(i - 2, (4,), 9999)) is not None:
        cursor.take(i - 2, i)
        return year
    return None


def _resolve(
    found: _Found, order: str, zone: ZoneInfo, now: datetime, known_day: date | None
) -> Reading:
    today = now.date()
    days = _days(found, today, known_day)
    if isinstance(days, str):
        return Reading(None, days)
    if found.clock is None:
        return Reading(None, Reason.NO_TIME, days[0] if days else None)
    hour, minute = _hour(found.clock, found.period)
    if hour is None:
        return Reading(None, Reason.UNREADABLE)
    starts = []
    for day in days or [today, today + timedelta(days=1)]:
        try:
            starts.append(local_time(day, hour, minute, zone))
        except (ValueError, OverflowError):
            continue
    for start in starts:
        if now < start <= now + HORIZON:
            return Reading(start, Reason.OK)
    if not starts:
        return Reading(None, Reason.INVALID_DATE)
    reason = Reason.PAST if starts[0] <= now else Reason.TOO_FAR
    return Reading(None, reason, days[0] if days else None)


def _days(found: _Found, today: date, known_day: date | None) -> list[date] | str:
    """The days the text can mean, most likely first, or a reason there is none."""
    if found.days:
        days = [d for d in (_day(y, m, d, today) for y, m, d in found.days) if d is not None]
        if not days:
            return Reason.INVALID_DATE
        if found.weekday is not None:
            days = [d for d in days if d.weekday() == found.weekday]
            if not days:
                return Reason.WEEKDAY_MISMATCH
        return days
    if found.day_of_month is not None:
        months = [(today.month + k - 1) % 12 + 1 for k in range(3)]
        candidates = [_day(None, month, found.day_of_month, today) for month in months]
        days = sorted(d for d in candidates if d is not None)
        if found.weekday is not None:
            days = [d for d in days if d.weekday() == found.weekday]
            return days[:1] or Reason.WEEKDAY_MISMATCH
        return days[:1] or Reason.INVALID_DATE
    if found.weekday is not None:
        if found.next_week:
            monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
            return [monday + timedelta(days=found.weekday)]
        # The next such day: "Tuesday" typed on a Tuesday means next week's.
        return [today + timedelta(days=(found.weekday - today.weekday()) % 7 or 7)]
    if found.relative is not None:
        return [today + timedelta(days=found.relative)]
    if known_day is not None:
        return [known_day]
    return []


def _day(year: int | None, month: int, day: int, today: date) -> date | None:
    """The date, in its next occurrence when no year was written."""
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            return None
    for candidate_year in range(today.year, today.year + 5):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _hour(clock: tuple[int, int], period: str | None) -> tuple[int | None, int]:
    hour, minute = clock
    if hour == 24 and minute == 0:
        return None, minute  # midnight at the end of a day: ask rather than guess which day
    if hour > 23:
        return None, minute
    if period in ("pm", "night") and hour < 12:
        if period == "pm" or hour >= 6:
            hour += 12  # "11 ночи" is 23:00, "2 ночи" is 02:00
    elif period == "noon" and hour < 6:
        hour += 12  # "中午1点" is 13:00
    elif period == "am" and hour == 12:
        hour = 0
    return hour, minute


def local_time(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """Wall-clock time in `zone`; a time skipped by the spring change moves forward by it."""
    naive = datetime.combine(day, time(hour, minute))
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _fallback(text: str, locale: str, zone: ZoneInfo, now: datetime) -> Reading:
    """What dateparser makes of text the rules do not know, kept only if it has a time."""
    import dateparser  # ~10 MB with its language data: loaded only when the rules give up

    own = DATEPARSER_LANGUAGES.get(locale, locale)
    nearest = DATEPARSER_LANGUAGES.get(NEAREST.get(locale, "en"), NEAREST.get(locale, "en"))
    try:
        parsed = dateparser.parse(
            fold_digits(text),
            languages=list(dict.fromkeys([own, nearest, "en"])),
            settings={
                "PREFER_DATES_FROM": "future",
                "DATE_ORDER": date_order(locale),
                # An odd second marks "no time given": dateparser copies the base's time.
                "RELATIVE_BASE": now.replace(tzinfo=None, second=_MARK_SECOND, microsecond=0),
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except (ValueError, OverflowError, LookupError):
        parsed = None
    if not isinstance(parsed, datetime):
        return Reading(None, Reason.UNREADABLE)
    if parsed.time() == time(0) or parsed.second == _MARK_SECOND:
        # dateparser fills a missing time with midnight or the base's time: ask for it.
        return Reading(None, Reason.NO_TIME, parsed.date())
    try:
        start = local_time(parsed.date(), parsed.hour, parsed.minute, zone)
    except (ValueError, OverflowError):
        return Reading(None, Reason.INVALID_DATE)
    if start <= now:
        return Reading(None, Reason.PAST, parsed.date())
    if start > now + HORIZON:
        return Reading(None, Reason.TOO_FAR, parsed.date())
    return Reading(start, Reason.OK)


def parse_time_line(text: str, lang: str, now: str | None, timezone: str) -> tuple[str, bool]:
    """One JSON line for `liaison meetings parse-time`, and whether a start was read.

    A naive `now` is wall-clock time in `timezone`; the start is printed with its offset.
    """
    from bot.i18n import negotiate

    locale = negotiate(lang)
    try:
        zone = ZoneInfo(timezone)
        reference = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except (ZoneInfoNotFoundError, ValueError):
        return json.dumps({"start": None, "reason": "bad_arguments"}), False
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=zone)
    if locale is None:
        return json.dumps({"start": None, "reason": "unknown_language"}), False
    reading = read_meeting_time(text, locale, zone, reference)
    start = reading.start.isoformat() if reading.start else None
    return json.dumps({"start": start, "reason": reading.reason}, ensure_ascii=False), bool(start)
