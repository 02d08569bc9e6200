"""`liaison kb check`: the shipped pack passes; each kind of broken content fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from bot.config import SUPPORTED_LOCALES
from bot.knowledge.catalog import CATALOG
from bot.knowledge.check import (
    DISCLAIMER_MSGID,
    _default_wording_problems,
    _disclaimer_problems,
    _hint_problems,
    check_content,
)
from bot.local_defaults import WORDED_SETTINGS
from handlers.common import DISCLAIMER

SHIPPED = Path(__file__).resolve().parents[3] / "locales"


def test_shipped_content_is_complete_in_every_language() -> None:
    """30 topics x 10 languages, all metadata present, all references valid."""
    assert check_content(SUPPORTED_LOCALES) == []
    for lang in SUPPORTED_LOCALES:
        names = {p.stem for p in (SHIPPED / lang / "knowledge").glob("*.toml")}
        assert names == set(CATALOG)


def _override(tmp_path: Path, lang: str, topic: str, edit: tuple[str, str]) -> str:
    text = (SHIPPED / lang / "knowledge" / f"{topic}.toml").read_text("utf-8")
    assert edit[0] in text, edit
    folder = tmp_path / lang
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{topic}.toml").write_text(text.replace(*edit, 1), "utf-8")
    return str(tmp_path)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("{{EMERGENCY_NUMBER}}", "{{POLICE_CHIEF_PHONE}}"), "unknown placeholder"),
        (('related = ["', 'related = ["nope.topic", "'), "does not exist"),
        (("examples = [", "examples = [] \nold_examples = ["), "empty example list"),
        (("last_reviewed", "reviewed_on"), "missing last_reviewed"),
        (('id = "safety.emergency"', 'id = "safety.emergencies"'), "does not match"),
    ],
)
def test_each_kind_of_broken_content_is_reported(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    """Unknown placeholder, broken reference, empty examples, missing metadata, bad id."""
    extra = _override(tmp_path, "fr", "safety.emergency", edit)
    problems = check_content(SUPPORTED_LOCALES, extra)
    assert any(expected in problem for problem in problems), problems


def test_topic_missing_in_one_language_is_reported(tmp_path: Path) -> None:
    """A topic a deployment adds in one language only is missing in the others."""
    _override(tmp_path, "es", "safety.emergency", ('id = "safety.emergency"', 'id = "x.new"'))
    (tmp_path / "es" / "safety.emergency.toml").rename(tmp_path / "es" / "x.new.toml")
    problems = check_content(SUPPORTED_LOCALES, str(tmp_path))
    assert "en/x.new: topic missing in this language" in problems


def test_duplicate_id_is_reported(tmp_path: Path) -> None:
    """Two files claiming one id are refused."""
    extra = _override(tmp_path, "pt", "safety.emergency", ("x", "x"))
    text = (tmp_path / "pt" / "safety.emergency.toml").read_text("utf-8")
    (tmp_path / "pt" / "copy.toml").write_text(text, "utf-8")
    problems = check_content(SUPPORTED_LOCALES, extra)
    assert any("duplicate id" in p for p in problems), problems


def test_a_language_without_search_lists_is_reported() -> None:
    """Off-topic examples, danger phrases and police words are required per language."""
    problems = _hint_problems("xx")
    assert [p.split("'")[1] for p in problems] == ["offtopic", "danger", "police"]


def _problems_with(tmp_path: Path, lang: str, topic: str, edit: tuple[str, str]) -> list[str]:
    return check_content(SUPPORTED_LOCALES, _override(tmp_path, lang, topic, edit))


def test_a_local_fact_other_languages_give_is_required_here(tmp_path: Path) -> None:
    """French drops the oversight phone number the nine other languages give."""
    problems = _problems_with(
        tmp_path, "fr", "complaint.how_to_file", (", {{OVERSIGHT_PHONE}}", "")
    )
    assert any(
        p.startswith("fr/complaint.how_to_file: placeholder {{OVERSIGHT_PHONE}} is missing")
        for p in problems
    ), problems


def test_a_source_must_link_the_page_not_the_home_page(tmp_path: Path) -> None:
    edit = ("https://www.aclu-sdic.org/en/node/2073", "https://www.aclu-sdic.org/")
    problems = _problems_with(tmp_path, "fr", "complaint.how_to_file", edit)
    assert any("links a home page (https://www.aclu-sdic.org/)" in p for p in problems)


@pytest.mark.parametrize(
    ("lang", "topic", "edit"),
    [
        # A bullet left untranslated.
        (
            "so",
            "safety.emergency",
            (
                "• Khadka ku jir",
                "• If you can, tell the dispatcher where you are and what is happening.\n"
                "• Khadka ku jir",
            ),
        ),
        # The English default pasted after a colon, as the old [local] defaults were.
        (
            "ar",
            "rights.minors",
            (
                "• الشباب تحت 18 سنة",
                "• للتحدث مع موظف: the community liaison office for your area.\n"
                "• الشباب تحت 18 سنة",
            ),
        ),
    ],
)
def test_an_english_sentence_in_another_language_is_reported(
    tmp_path: Path, lang: str, topic: str, edit: tuple[str, str]
) -> None:
    problems = _problems_with(tmp_path, lang, topic, edit)
    assert any(p.startswith(f"{lang}/{topic}: English text in a {lang} answer") for p in problems)


def test_english_the_reader_must_hear_or_say_is_allowed_when_quoted(tmp_path: Path) -> None:
    """A phrase to say to an English-speaking officer, quoted, is deliberate."""
    edit = ("• Khadka ku jir", '• Dheh: "I need a Somali interpreter, please."\n• Khadka ku jir')
    problems = _problems_with(tmp_path, "so", "safety.emergency", edit)
    assert not any("English text" in p for p in problems), problems


def test_a_repeated_line_is_reported(tmp_path: Path) -> None:
    line = (
        "• Khadka ku jir oo raac tilmaamaha qofka kuu jawaabaya. "
        "Su'aalihiisu dib uma dhigaan caawimaadda la soo dirayo."
    )
    problems = _problems_with(tmp_path, "so", "safety.emergency", ("• Khadka", line + "\n• Khadka"))
    assert any("so/safety.emergency: line repeated 2 times" in p for p in problems), problems


def test_every_language_words_the_local_defaults() -> None:
    """Without locales/<lang>/local.toml the English defaults would show in answers."""
    problems = _default_wording_problems("xx")
    assert len(problems) == len(WORDED_SETTINGS)
    assert _default_wording_problems("so") == []


def test_the_checked_disclaimer_is_the_one_shown() -> None:
    assert DISCLAIMER_MSGID == DISCLAIMER


def test_a_disclaimer_missing_its_second_sentence_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for translation, complete in (
        ("Общая информация, а не юридическая консультация.", False),
        ("Общая информация. Законы различаются.", True),
    ):
        catalog = Catalog(locale="ru")
        catalog.add(DISCLAIMER_MSGID, translation)
        monkeypatch.setattr("bot.knowledge.check.read_catalog", lambda lang, c=catalog: c)
        assert (_disclaimer_problems("ru") == []) is complete


def test_the_immigration_caveat_cannot_be_dropped(tmp_path: Path) -> None:
    """Portuguese loses 'never lie about your status': the check names what is missing."""
    edit = ("Nunca minta sobre sua situação imigratória e nunca", "Nunca")
    problems = _problems_with(tmp_path, "pt", "rights.immigration_status", edit)
    expected = "must say 'Nunca minta sobre sua situação imigratória'"
    assert f"pt/rights.immigration_status: {expected}" in problems
