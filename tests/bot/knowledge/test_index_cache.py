"""The search index kept on disk: loaded by a later process, it answers exactly as one
built there would; changed content is never answered from an old index; a cache that
is broken or cannot be written only costs the rebuild."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.content import SECTIONS
from bot.knowledge.index_cache import KEPT_INDEXES

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


def questions(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """Every title and example of six languages' content, and the messages above."""
    asked = [(lang, text) for lang in LANGUAGES for text in MESSAGES]
    for lang in LANGUAGES:
        for topic in kb.section(SECTIONS, lang):
            asked += [(lang, text) for text in (topic.title, *topic.examples)]
    return asked


def test_an_index_loaded_by_another_process_answers_as_the_one_built(tmp_path: Path) -> None:
    """String hashes differ between processes; the loaded index must not depend on them."""
    built = knowledge(tmp_path)
    asked = questions(built)
    expected = [[lang, text, repr(built.decide(text, lang))] for lang, text in asked]
    assert len(list(tmp_path.glob("search-*.pickle"))) == 1
    for seed in ("1", "987654"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        loaded = subprocess.run(
            [sys.executable, "-c", LOADER, str(tmp_path)],
            input=json.dumps(asked),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert json.loads(loaded.stdout) == expected


def test_changed_content_is_indexed_anew(tmp_path: Path) -> None:
    """A city's added topic gives another index, found by search at once; the shipped
    content's index stays for the processes that still use it."""
    cache = tmp_path / "cache"
    shipped = knowledge(cache)
    extra = extra_topic(tmp_path / "extra", "local.parking", "Towed car impound lot hours")
    adapted = knowledge(cache, LIAISON_KNOWLEDGE_EXTRA_PATH=str(extra))
    assert len(list(cache.glob("search-*.pickle"))) == 2
    question = "towed car impound lot hours"
    assert adapted.search(question, "en").ranked[0].topic_id == "local.parking"
    assert all(m.topic_id != "local.parking" for m in shipped.search(question, "en").ranked)


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


def test_only_the_most_recently_used_indexes_are_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    knowledge(cache)
    (unused,) = cache.glob("search-*.pickle")
    os.utime(unused, (1, 1))
    for n in range(KEPT_INDEXES):
        folder = extra_topic(tmp_path / f"extra{n}", f"local.t{n}", f"Local topic {n}")
        knowledge(cache, LIAISON_KNOWLEDGE_EXTRA_PATH=str(folder))
    assert not unused.exists()
    assert len(list(cache.glob("search-*.pickle"))) == KEPT_INDEXES


def test_a_damaged_index_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    expected = knowledge(tmp_path).decide("they are following me right now", "en")
    (stored,) = tmp_path.glob("search-*.pickle")
    stored.write_bytes(stored.read_bytes()[:1000])
    with caplog.at_level(logging.WARNING):
        rebuilt = knowledge(tmp_path)
    assert rebuilt.decide("they are following me right now", "en") == expected
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
