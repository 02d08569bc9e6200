"""Meeting times as organizers type them, in all ten languages, with a fixed "now".

Each row: language, typed text, expected start (wall-clock ISO with offset) or the reason
there is none. "Now" is Monday 7 December 2026, 09:00 in New York unless a row says
otherwise; the daylight-saving rows move "now" next to a clock change.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from handlers.meetings.when import Reason, read_meeting_time

NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=NEW_YORK)  # a Monday

TABLE: list[tuple[str, str, str]] = [
    # English: month first, but an impossible month is read day first.
    ("en", "25/12 18h", "2026-12-25T18:00:00-05:00"),
    ("en", "12/25 6:30pm", "2026-12-25T18:30:00-05:00"),
    ("en", "Tuesday 6:30pm", "2026-12-08T18:30:00-05:00"),
    ("en", "next Tuesday at 6:30 pm", "2026-12-08T18:30:00-05:00"),
    ("en", "tomorrow at noon", "2026-12-08T12:00:00-05:00"),
    ("en", "December 15th, 2026 at 7pm", "2026-12-15T19:00:00-05:00"),
    ("en", "12/07 10:15", "2026-12-07T10:15:00-05:00"),
    ("en", "6:30pm", "2026-12-07T18:30:00-05:00"),
    ("en", "12/07 08:15", Reason.PAST),
    ("en", "Tuesday", Reason.NO_TIME),
    ("en", "31 Dec 9999 18:00", Reason.TOO_FAR),
    ("en", "2/30 10am", Reason.INVALID_DATE),
    ("en", "Wednesday 8 December 6pm", Reason.WEEKDAY_MISMATCH),
    ("en", "hello there", Reason.UNREADABLE),
    ("en", "Tuesday the 8th at 6:30pm", "2026-12-08T18:30:00-05:00"),
    ("en", "the 5th at 6pm", "2027-01-05T18:00:00-05:00"),
    ("en", "Tuesday next week 6pm", "2026-12-15T18:00:00-05:00"),
    # Spanish
    ("es", "martes 18:30", "2026-12-08T18:30:00-05:00"),
    ("es", "25/12 18h", "2026-12-25T18:00:00-05:00"),
    ("es", "el 15 de diciembre a las 7 de la tarde", "2026-12-15T19:00:00-05:00"),
    ("es", "mañana a las 10 de la mañana", "2026-12-08T10:00:00-05:00"),
    ("es", "07/12 10:15", "2026-12-07T10:15:00-05:00"),
    ("es", "sábado 10h", "2026-12-12T10:00:00-05:00"),
    ("es", "25/12/26 18:00", "2026-12-25T18:00:00-05:00"),
    ("es", "25/12", Reason.NO_TIME),
    # French
    ("fr", "mardi à 18 h", "2026-12-08T18:00:00-05:00"),
    ("fr", "15 déc. 18h", "2026-12-15T18:00:00-05:00"),
    ("fr", "demain 18h30", "2026-12-08T18:30:00-05:00"),
    ("fr", "le 24 décembre à 20h", "2026-12-24T20:00:00-05:00"),
    ("fr", "vendredi 7h du soir", "2026-12-11T19:00:00-05:00"),
    ("fr", "07/12 06:15", Reason.PAST),
    ("fr", "mercredi", Reason.NO_TIME),
    # Portuguese
    ("pt", "terça-feira às 19h", "2026-12-08T19:00:00-05:00"),
    ("pt", "sábado às 10h30", "2026-12-12T10:30:00-05:00"),
    ("pt", "25/12 às 18h", "2026-12-25T18:00:00-05:00"),
    ("pt", "amanhã às 7 da noite", "2026-12-08T19:00:00-05:00"),
    ("pt", "20 de dezembro 15h", "2026-12-20T15:00:00-05:00"),
    # Russian
    ("ru", "в 19:00", "2026-12-07T19:00:00-05:00"),
    ("ru", "во вторник в 19:00", "2026-12-08T19:00:00-05:00"),
    ("ru", "25.12 в 19.00", "2026-12-25T19:00:00-05:00"),
    ("ru", "25 декабря 18:30", "2026-12-25T18:30:00-05:00"),
    ("ru", "завтра в 7 вечера", "2026-12-08T19:00:00-05:00"),
    ("ru", "пятница 18:00", "2026-12-11T18:00:00-05:00"),
    ("ru", "25.12.2026 19:00", "2026-12-25T19:00:00-05:00"),
    ("ru", "в среду в 19-00", "2026-12-09T19:00:00-05:00"),
    # Arabic, with Arabic-Indic digits and Levantine month names
    ("ar", "الثلاثاء الساعة ٦:٣٠ مساءً", "2026-12-08T18:30:00-05:00"),
    ("ar", "٢٥/١٢ ١٨:٣٠", "2026-12-25T18:30:00-05:00"),
    ("ar", "غداً الساعة 7 مساء", "2026-12-08T19:00:00-05:00"),
    ("ar", "15 ديسمبر 18:00", "2026-12-15T18:00:00-05:00"),
    ("ar", "الجمعة 10 صباحا", "2026-12-11T10:00:00-05:00"),
    ("ar", "25 كانون الأول 18:00", "2026-12-25T18:00:00-05:00"),
    ("ar", "الخميس", Reason.NO_TIME),
    # Chinese: year first in the locale, but "25/12/26" can only be this Christmas
    ("zh_Hans", "晚上7点", "2026-12-07T19:00:00-05:00"),
    ("zh_Hans", "周二下午3点半", "2026-12-08T15:30:00-05:00"),
    ("zh_Hans", "12月25日 18:00", "2026-12-25T18:00:00-05:00"),
    ("zh_Hans", "25/12/26 18:00", "2026-12-25T18:00:00-05:00"),
    ("zh_Hans", "明天上午10点", "2026-12-08T10:00:00-05:00"),
    ("zh_Hans", "下周二晚上7点", "2026-12-15T19:00:00-05:00"),
    ("zh_Hans", "2026年12月20日 19:30", "2026-12-20T19:30:00-05:00"),
    ("zh_Hans", "星期五 19:00", "2026-12-11T19:00:00-05:00"),
    ("zh_Hans", "下週二晚7点", "2026-12-15T19:00:00-05:00"),
    # Vietnamese
    ("vi", "19h thứ Ba", "2026-12-08T19:00:00-05:00"),
    ("vi", "7 giờ tối ngày 25 tháng 12", "2026-12-25T19:00:00-05:00"),
    ("vi", "25/12 18h30", "2026-12-25T18:30:00-05:00"),
    ("vi", "ngày mai lúc 18:00", "2026-12-08T18:00:00-05:00"),
    ("vi", "thứ 6 lúc 9 giờ sáng", "2026-12-11T09:00:00-05:00"),
    ("vi", "thứ 3 tuần sau lúc 19h", "2026-12-15T19:00:00-05:00"),
    # Haitian Creole: its own day and month names, French conventions
    ("ht", "madi 6è diswa", "2026-12-08T18:00:00-05:00"),
    ("ht", "25/12 18h", "2026-12-25T18:00:00-05:00"),
    ("ht", "demen a 7è nan aswè", "2026-12-08T19:00:00-05:00"),
    ("ht", "15 desanm 18:30", "2026-12-15T18:30:00-05:00"),
    ("ht", "samdi 10:00", "2026-12-12T10:00:00-05:00"),
    ("ht", "vandredi", Reason.NO_TIME),
    # Somali
    ("so", "Talaado 6:30 GD", "2026-12-08T18:30:00-05:00"),
    ("so", "berri saacadda 18:00", "2026-12-08T18:00:00-05:00"),
    ("so", "25/12 18:00", "2026-12-25T18:00:00-05:00"),
    ("so", "Jimce 7 fiidnimo", "2026-12-11T19:00:00-05:00"),
    ("so", "15 Diseembar 18:30", "2026-12-15T18:30:00-05:00"),
    ("so", "Khamiis", Reason.NO_TIME),
    ("so", "Talaadada saacadda 7da fiidnimo", "2026-12-08T19:00:00-05:00"),
    ("zh_Hans", "25号晚上7点", "2026-12-25T19:00:00-05:00"),
]


def _outcome(lang: str, text: str, now: datetime = NOW, zone: ZoneInfo = NEW_YORK) -> str:
    reading = read_meeting_time(text, lang, zone, now)
    return reading.start.isoformat() if reading.start else reading.reason


@pytest.mark.parametrize(("lang", "text", "expected"), TABLE)
def test_typed_time(lang: str, text: str, expected: str) -> None:
    """Each typed form is read as the organizer means it."""
    assert _outcome(lang, text) == expected


@pytest.mark.parametrize(
    ("lang", "text", "now", "zone", "expected"),
    [
        # The spring change: 02:30 does not exist in New York on 14 March 2027.
        (
            "en",
            "Sunday 2:30am",
            datetime(2027, 3, 10, 12, tzinfo=NEW_YORK),
            NEW_YORK,
            "2027-03-14T03:30:00-04:00",
        ),
        (
            "en",
            "3/15 6pm",
            datetime(2027, 3, 10, 12, tzinfo=NEW_YORK),
            NEW_YORK,
            "2027-03-15T18:00:00-04:00",
        ),
        (
            "fr",
            "28/03 02h30",
            datetime(2027, 3, 20, 12, tzinfo=PARIS),
            PARIS,
            "2027-03-28T03:30:00+02:00",
        ),
        (
            "fr",
            "lundi 18h",
            datetime(2027, 3, 27, 12, tzinfo=PARIS),
            PARIS,
            "2027-03-29T18:00:00+02:00",
        ),
        # The autumn change: 01:30 happens twice; the first (summer) one is meant.
        (
            "en",
            "11/1 1:30am",
            datetime(2026, 10, 28, 12, tzinfo=NEW_YORK),
            NEW_YORK,
            "2026-11-01T01:30:00-04:00",
        ),
        (
            "es",
            "lunes 18:00",
            datetime(2026, 10, 28, 12, tzinfo=NEW_YORK),
            NEW_YORK,
            "2026-11-02T18:00:00-05:00",
        ),
        # "Now" in UTC is already 8 December; in New York it is still the evening of the 7th.
        (
            "fr",
            "07/12 23:00",
            datetime(2026, 12, 8, 3, 0, tzinfo=UTC),
            NEW_YORK,
            "2026-12-07T23:00:00-05:00",
        ),
        (
            "ar",
            "٧/١٢ ٢٣:٠٠",
            datetime(2026, 12, 8, 3, 0, tzinfo=UTC),
            NEW_YORK,
            "2026-12-07T23:00:00-05:00",
        ),
    ],
)
def test_daylight_saving_and_local_now(
    lang: str, text: str, now: datetime, zone: ZoneInfo, expected: str
) -> None:
    """Offsets follow the date meant, not "now"; "today" is today in the deployment's zone."""
    assert _outcome(lang, text, now, zone) == expected


def test_a_day_without_time_is_kept_for_the_next_answer() -> None:
    """ "mardi" then "18h30": the second answer completes the first."""
    first = read_meeting_time("mardi", "fr", NEW_YORK, NOW)
    assert first.reason == Reason.NO_TIME and first.day == date(2026, 12, 8)
    second = read_meeting_time("18h30", "fr", NEW_YORK, NOW, first.day)
    assert second.start == datetime(2026, 12, 8, 18, 30, tzinfo=NEW_YORK)


def test_never_midnight_for_a_missing_time() -> None:
    """Whatever the fallback understands, a date without a time asks for the time."""
    for lang, text in [("en", "Christmas day"), ("es", "el 3 de enero"), ("ht", "25 desanm")]:
        reading = read_meeting_time(text, lang, NEW_YORK, NOW)
        assert reading.start is None, (lang, text)


def test_cli_prints_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`liaison meetings parse-time` reads with the given language, "now" and zone."""
    code = main(
        [
            "meetings",
            "parse-time",
            "martes 18h",
            "--lang",
            "es-MX",
            "--now",
            "2026-12-07T09:00",
            "--tz",
            "Europe/Madrid",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "start": "2026-12-08T18:00:00+01:00",
        "reason": "ok",
    }
    assert main(["meetings", "parse-time", "madi", "--lang", "ht", "--tz", "UTC"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == Reason.NO_TIME


def test_a_weekday_typed_on_that_day_means_next_week() -> None:
    """On Monday morning, "Monday 18:00" is the Monday after, in every language's words."""
    for lang, text in [("en", "Monday 6pm"), ("fr", "lundi 18h"), ("ru", "понедельник 18:00")]:
        reading = read_meeting_time(text, lang, NEW_YORK, NOW)
        assert reading.start == datetime(2026, 12, 14, 18, 0, tzinfo=NEW_YORK), (lang, text)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # The organizer's app is in one language, the day is typed in another.
        ("en", "martes 18h30", "2026-12-08T18:30:00-05:00"),
        ("en", "25 décembre 18h", "2026-12-25T18:00:00-05:00"),  # French and Creole agree
        ("ar", "jueves 7pm", "2026-12-10T19:00:00-05:00"),
        ("fr", "вторник 19:00", "2026-12-08T19:00:00-05:00"),
        # Short ordinary words are not read as another language's months (Creole "me").
        ("en", "with me at 6pm", "2026-12-07T18:00:00-05:00"),
    ],
)
def test_a_day_named_in_another_language_is_read_in_it(lang: str, text: str, expected: str) -> None:
    """A day or month word the organizer's language lacks is read in the language that has
    it, instead of being dropped (which read 'martes 18h30' as today)."""
    assert _outcome(lang, text) == expected
