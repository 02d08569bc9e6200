"""What a resident reads in an answer: local facts in their language, the operator's own
values wherever set, the full disclaimer, and dates that read right in every language."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.config import SUPPORTED_LOCALES
from bot.local_defaults import WORDED_SETTINGS, language_defaults, shipped_default
from handlers.knowledge import PREPARE_COMPLAINT, SHOW_TOPIC, TopicRef
from tests.support.app import AppFactory, languages, make_config
from tests.support.harness import Conversation

ENGLISH_DEFAULTS = [str(shipped_default(setting)) for setting in WORDED_SETTINGS]


async def _answer(app: App, lang: str, topic_id: str) -> str:
    person = Conversation(app, user=f"resident-{lang}", language_hint=lang)
    replies = await person.press_payload(SHOW_TOPIC.button("", TopicRef(topic_id)).payload())
    return "\n".join(reply.text for reply in replies)


@pytest.mark.parametrize("lang", ["so", "ar", "es", "ht"])
async def test_shipped_local_defaults_read_in_the_residents_language(app: App, lang: str) -> None:
    """A Somali, Arabic, Spanish or Creole answer shows the local facts in that language,
    in the answer and in the emergency lines above an urgent one; no English default."""
    wording = language_defaults(lang)
    complaint = await _answer(app, lang, "complaint.how_to_file")
    assert wording["oversight_agency"] in complaint
    assert wording["liaison_contact"] in complaint
    arrested = await _answer(app, lang, "rights.arrested")
    emergency_block = arrested.split("\n\n", 1)[0]
    assert emergency_block.startswith("🚨") and wording["liaison_contact"] in emergency_block
    assert wording["legal_aid"] in arrested
    for text in (complaint, arrested):
        for english in ENGLISH_DEFAULTS:
            assert english not in text, (lang, english)


async def test_english_answers_keep_the_shipped_english_defaults(app: App) -> None:
    text = await _answer(app, "en", "complaint.how_to_file")
    assert str(shipped_default("oversight_agency")) in text


async def test_the_operators_own_values_win_in_every_language(
    tmp_path: Path, make_app: AppFactory
) -> None:
    """A value the city set is shown as written, whatever the reader's language."""
    config = make_config(
        tmp_path,
        LIAISON_LOCAL_LIAISON_CONTACT="Amina Yusuf, 555-0100",
        LIAISON_LOCAL_OVERSIGHT_AGENCY="Office of Police Conduct Review",
        LIAISON_LOCAL_IMMIGRATION_LEGAL_AID="Immigrant Law Center, 555-0199",
    )
    app = await make_app(config)
    for lang in ("so", "ar", "ru"):
        complaint = await _answer(app, lang, "complaint.how_to_file")
        assert "Office of Police Conduct Review" in complaint
        assert "Amina Yusuf, 555-0100" in complaint
        immigration = await _answer(app, lang, "rights.immigration_status")
        assert "Immigrant Law Center, 555-0199" in immigration
        assert language_defaults(lang)["liaison_contact"] not in immigration


async def test_immigration_help_without_a_city_value(
    app: App, tmp_path: Path, make_app: AppFactory
) -> None:
    """Nothing set: a generic immigration legal service in the reader's language (not the
    public defender, who rarely takes these cases). The city's legal aid contacts, once
    set, stand in for unset immigration help."""
    text = await _answer(app, "pt", "rights.immigration_status")
    assert language_defaults("pt")["immigration_legal_aid"] in text
    assert "{{" not in text
    city = await make_app(make_config(tmp_path, LIAISON_LOCAL_LEGAL_AID="Legal Aid NYC 555-0111"))
    for lang in ("pt", "en"):
        text = await _answer(city, lang, "rights.immigration_status")
        assert "Legal Aid NYC 555-0111" in text


@pytest.mark.parametrize("lang", ["en", "ar", "ru", "zh_Hans"])
async def test_every_answer_ends_with_the_full_disclaimer(app: App, lang: str) -> None:
    """Both sentences, in the reader's language, under the answer."""
    expected = (
        languages()
        .translator(lang)
        ._("General information, not legal advice. Laws differ by state, city and country.")
    )
    assert expected.count(".") + expected.count("。") >= 2 or lang == "en"
    text = await _answer(app, lang, "rights.search_of_home")
    assert text.rstrip().endswith(expected)


MOMENT = dt.datetime(2026, 11, 21, 18, 30, tzinfo=dt.UTC)
ZONE = ZoneInfo("America/New_York")
STYLES = ("full", "long", "medium", "short")


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_dates_read_as_words_and_never_end_in_a_period(lang: str) -> None:
    """No CLDR placeholder month ("M11") or English weekday in another language, and no
    date ending in a period, so "Last reviewed: {date}." never doubles it."""
    t = languages().translator(lang)
    for style in STYLES:
        outputs = [
            t.day(MOMENT.date(), style),
            t.date(MOMENT, ZONE, style),
            t.datetime(MOMENT, ZONE, style),
        ]
        for text in outputs:
            assert not re.search(r"\bM\d\d\b", text), (lang, style, text)
            assert not text.rstrip().endswith("."), (lang, style, text)
            if lang != "en":
                assert "Sat" not in text, (lang, style, text)
        sentence = t._("Last reviewed: {date}.").format(date=t.day(MOMENT.date(), style))
        assert ".." not in sentence, (lang, sentence)


def test_haitian_creole_and_russian_dates() -> None:
    ht = languages().translator("ht")
    assert ht.day(MOMENT.date(), "full") == "samdi 21 novanm 2026"
    assert ht.day(MOMENT.date(), "long") == "21 novanm 2026"
    assert ht.datetime(MOMENT, ZONE, "short") == "21/11/2026, 13:30"
    ru = languages().translator("ru")
    assert ru.day(MOMENT.date(), "long") == "21 ноября 2026"
    assert ru.datetime(MOMENT, ZONE, "medium") == "21 нояб. 2026, 13:30:00"


async def test_answer_dates_in_creole_and_russian_read_right(app: App) -> None:
    """The 'last reviewed' line under a real answer, as the resident sees it."""
    for lang, months in (("ht", ("novanm", "desanm")), ("ru", ("ноября", "декабря"))):
        text = await _answer(app, lang, "rights.traffic_stop")
        reviewed = [line for line in text.splitlines() if any(m in line for m in months)]
        assert reviewed and ".." not in reviewed[0], (lang, reviewed)
        assert not re.search(r"\bM\d\d\b", reviewed[0]), (lang, reviewed)


async def test_complaint_summary_names_where_to_file_in_the_residents_language(
    app: App,
) -> None:
    """The prepared complaint's 'where to file' and deadline are in Somali, not English."""
    amina = Conversation(app, user="amina", language_hint="so")
    await amina.press_payload(PREPARE_COMPLAINT.button("").payload())
    replies: list[str] = []
    for answer in ("Sarkaal ayaa i riixay", "Shalay", "Suuqa", "Baaj 4521", "Maya", "Maya"):
        replies = [reply.text for reply in await amina.send(answer)]
    summary = "\n".join(reply.text for reply in await amina.send("Muuqaal"))
    wording = language_defaults("so")
    assert wording["oversight_agency"] in summary, (replies, summary)
    assert wording["complaint_deadline"] in summary
    for english in ENGLISH_DEFAULTS:
        assert english not in summary
