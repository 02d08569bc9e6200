"""`liaison kb check`: the shipped pack passes; each kind of broken content fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SUPPORTED_LOCALES
from bot.knowledge.catalog import CATALOG
from bot.knowledge.check import _hint_problems, check_content

SHIPPED = Path(__file__).resolve().parent.parent / "locales"


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
