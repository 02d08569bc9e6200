"""Catalogs: all compile, all complete, placeholders intact, and the template is current."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

from bot.config import SUPPORTED_LOCALES
from bot.i18n import Languages, negotiate, read_catalog, read_template
from bot.i18n_check import check_all, check_catalog
from tests.support.processes import BOT_PROCESS

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def test_every_catalog_compiles_and_is_complete() -> None:
    """All ten catalogs load; the checker finds nothing missing, fuzzy or mismatched."""
    languages = Languages()
    assert [t.locale for t in languages.all()] == list(SUPPORTED_LOCALES)
    assert check_all() == []


def test_removing_one_translation_fails_the_check() -> None:
    """A single emptied entry in any catalog is reported."""
    template = read_template()
    catalog = copy.deepcopy(read_catalog("vi"))
    victim = next(m for m in catalog if m.id and isinstance(m.id, str))
    victim.string = ""
    assert any("empty translation" in p for p in check_catalog("vi", template, catalog))


def test_placeholder_mismatch_fails_the_check() -> None:
    """A translator renaming {number} is caught."""
    template = read_template()
    catalog = copy.deepcopy(read_catalog("fr"))
    victim = next(m for m in catalog if isinstance(m.id, str) and "{number}" in m.id)
    victim.string = str(victim.string).replace("{number}", "{numero}")
    assert any("placeholders differ" in p for p in check_catalog("fr", template, catalog))


def test_template_lists_every_string_in_the_source() -> None:
    """No user-visible string in bot/ or handlers/ is missing from messages.pot."""
    template_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_template() if m.id}
    found = set()
    for folder in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    missing = sorted(found - template_ids)
    assert missing == [], "run locales/update.sh"


GREETING = (
    "Hello! I am the assistant of {service}. I can tell you your rights with the police, "
    "help you make a complaint, tell you about community meetings, and put you in touch "
    "with a person. What do you need?"
)


def test_translations_are_not_english_copies() -> None:
    """Non-English catalogs translate the greeting (a spot check of 'real translations')."""
    languages = Languages()
    for code in SUPPORTED_LOCALES:
        if code != "en":
            assert languages.translator(code)._(GREETING) != GREETING, code


def test_platform_language_codes_are_negotiated() -> None:
    """Codes as platforms send them map to shipped languages; unknown ones to None."""
    cases = {
        "zh": "zh_Hans",
        "zh-hans": "zh_Hans",
        "zh-CN": "zh_Hans",
        "zh-TW": "zh_Hans",
        "pt-BR": "pt",
        "es-419": "es",
        "en-US": "en",
        "ar": "ar",
        "de": None,
        "": None,
        "x" * 50: None,
    }
    for hint, expected in cases.items():
        assert negotiate(hint) == expected, hint


def test_arabic_is_marked_right_to_left_and_dates_are_localized() -> None:
    """Arabic replies carry the RTL flag; dates use each locale's month names."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    languages = Languages()
    arabic = languages.translator("ar")
    moment = datetime(2026, 12, 25, 23, 30, tzinfo=UTC)
    assert arabic.is_rtl and "ديسمبر" in arabic.datetime(moment, ZoneInfo("America/New_York"))
    assert "12月" in languages.translator("zh_Hans").datetime(moment, ZoneInfo("Asia/Shanghai"))


@BOT_PROCESS
def test_i18n_check_command_fails_when_a_catalog_on_disk_loses_a_string(tmp_path: Path) -> None:
    """`liaison i18n check` passes on the shipped catalogs and fails on a damaged copy."""
    import os
    import shutil

    def run(pythonpath: str | None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        return subprocess.run(
            [sys.executable, "-m", "bot", "i18n", "check"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            env=env,
        )

    assert run(None).returncode == 0
    damaged = tmp_path / "damaged"
    shutil.copytree(ROOT / "locales", damaged / "locales")
    po = damaged / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    text = po.read_text("utf-8")
    marker = 'msgid "Choose your language:"\nmsgstr "'
    start = text.index(marker) + len(marker)
    po.write_text(text[:start] + text[text.index('"', start) :], "utf-8")
    result = run(str(damaged))
    assert result.returncode == 1 and "so:" in result.stdout
