"""The search index kept on disk: loaded by a later process, it answers exactly as one
built there would; changed content is never answered from an old index; a cache that
is broken or cannot be written only costs the rebuild."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.knowledge import index_cache
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.content import SECTIONS

ROOT = Path(__file__).resolve().parents[3]
LANGUAGES = ("en", "es", "ar", "zh", "ru", "so")
# Messages that exercise every part of the index: language guess, romanized danger,
# negation, small talk, off-topic and a long message.
MESSAGES = (
    "they are following me right now",
    "it is not an emergency, how do I complain",
    "u dveri muzhik s nozhom",
    "hola, gracias",
    "what will the weather be tomorrow",
    "la policía me paró y me pide papeles " * 40,
)
# Run in another process with another string-hash seed: loads the index (a build
# would fail) and prints every verdict.
LOADER = """
import json, sys
from unittest import mock
from bot.config import load_config
from bot.knowledge import base

def no_build(*args, **kwargs):
    raise AssertionError("the index was built, not loaded")

questions = json.loads(sys.stdin.read())
with mock.patch.object(base, "KnowledgeSearch", no_build):
    kb = base.KnowledgeBase(load_config(None, env={"LIAISON_KNOWLEDGE_CACHE_PATH": sys.argv[1]}))
print(json.dumps([[lang, text, repr(kb.decide(text, lang))] for lang, text in questions]))
"""


def knowledge(cache: Path, **env: str) -> KnowledgeBase:
    return KnowledgeBase(load_config(None, env={"LIAISON_KNOWLEDGE_CACHE_PATH": str(cache), **env}))


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KnowledgeBase]:
    """The shipped content's index, built in this process and stored in a cache folder."""
    cache = tmp_path_factory.mktemp("cache")
    return cache, knowledge(cache)


def copy_of(cache: Path, into: Path) -> Path:
    """A cache folder holding the same index files as `cache`."""
    into.mkdir()
    for stored in cache.glob("search-*.pickle"):
        shutil.copy2(stored, into / stored.name)
    return into


def questions(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """Titles and a few examples of six languages' content, and the messages above."""
    asked = [(lang, text) for lang in LANGUAGES for text in MESSAGES]
    for lang in LANGUAGES:
        for topic in kb.section(SECTIONS, lang):
            asked += [(lang, text) for text in (topic.title, *topic.examples[:4])]
    return asked


def test_an_index_loaded_by_another_process_answers_as_the_one_built(
    shipped: tuple[Path, KnowledgeBase],
) -> None:
    """String hashes differ between processes; the loaded index must not depend on them."""
    cache, built = shipped
    asked = questions(built)
    expected = [[lang, text, repr(built.decide(text, lang))] for lang, text in asked]
    env = {**os.environ, "PYTHONHASHSEED": "987654", "PYTHONPATH": str(ROOT)}
    loaded = subprocess.run(
        [sys.executable, "-c", LOADER, str(cache)],
        input=json.dumps(asked),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert json.loads(loaded.stdout) == expected


def test_changed_content_is_indexed_anew(
    tmp_path: Path, shipped: tuple[Path, KnowledgeBase]
) -> None:
    """A city's added topic gives another index, found by search at once; the shipped
    content's index stays for the processes that still use it."""
    cache = copy_of(shipped[0], tmp_path / "cache")
    extra = extra_topic(tmp_path / "extra", "local.parking", "Towed car impound lot hours")
    adapted = knowledge(cache, LIAISON_KNOWLEDGE_EXTRA_PATH=str(extra))
    assert len(list(cache.glob("search-*.pickle"))) == 2
    question = "towed car impound lot hours"
    assert adapted.search(question, "en").ranked[0].topic_id == "local.parking"
    assert all(m.topic_id != "local.parking" for m in shipped[1].search(question, "en").ranked)


def extra_topic(folder: Path, topic_id: str, title: str) -> Path:
    """A deployment's content folder adding one English topic."""
    (folder / "en").mkdir(parents=True)
    source = (ROOT / "locales/en/knowledge/safety.non_emergency.toml").read_text("utf-8")
    topic = source.replace('id = "safety.non_emergency"', f'id = "{topic_id}"')
    old_title = next(line for line in topic.splitlines() if line.startswith("title"))
    (folder / "en" / f"{topic_id}.toml").write_text(
        topic.replace(old_title, f'title = "{title}"'), "utf-8"
    )
    return folder


def test_only_the_most_recently_used_indexes_are_kept(
    tmp_path: Path, shipped: tuple[Path, KnowledgeBase], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_cache, "KEPT_INDEXES", 2)
    cache = copy_of(shipped[0], tmp_path / "cache")
    (unused,) = cache.glob("search-*.pickle")
    os.utime(unused, (1, 1))
    (cache / "search-0123.pickle").touch()  # another content's, used since
    folder = extra_topic(tmp_path / "extra", "local.t1", "Local topic")
    knowledge(cache, LIAISON_KNOWLEDGE_EXTRA_PATH=str(folder))
    assert not unused.exists()
    assert len(list(cache.glob("search-*.pickle"))) == 2


def test_a_damaged_index_is_rebuilt(
    tmp_path: Path, shipped: tuple[Path, KnowledgeBase], caplog: pytest.LogCaptureFixture
) -> None:
    cache = copy_of(shipped[0], tmp_path / "cache")
    (stored,) = cache.glob("search-*.pickle")
    stored.write_bytes(stored.read_bytes()[:1000])
    with caplog.at_level(logging.WARNING):
        rebuilt = knowledge(cache)
    question = "they are following me right now"
    assert rebuilt.decide(question, "en") == shipped[1].decide(question, "en")
    assert "rebuilding" in caplog.text
    assert stored.stat().st_size > 1_000_000  # stored whole again


def test_a_cache_that_cannot_be_written_costs_only_the_rebuild(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        kb = knowledge(blocked / "cache")
    assert kb.decide("they are following me right now", "en").emergency_first
    assert "not cached" in caplog.text


def test_a_cache_path_naming_a_file_is_refused(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"knowledge\.cache_path"):
        load_config(None, env={"LIAISON_KNOWLEDGE_CACHE_PATH": str(blocked)})
