"""`liaison ask`: answer questions from the command line with the chat's own code path."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any, TextIO

from bot.app import build_app
from bot.config import Config, StorageSection
from bot.core.events import EventKind, Incoming, Outgoing
from bot.i18n import negotiate
from bot.knowledge.base import KnowledgeBase


def answer_json(kb: KnowledgeBase, text: str, lang: str) -> dict[str, Any]:
    """The verdict the chat renders, as one JSON-ready object: `reply` (answer, choices,
    offtopic), the `choices` offered in order, `emergency_first`, `topic` (null when
    off-topic), `lang`, `confidence` and `urgent`."""
    return kb.decide(text, lang).as_json()


def ask_jsonl(config: Config, stdin: TextIO, stdout: TextIO) -> int:
    """One JSON object per input line; a malformed line gets an error object, not a crash."""
    kb = KnowledgeBase(config)
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            question = str(request["q"])
            lang = negotiate(request.get("lang")) or config.bot.default_locale
        except (ValueError, KeyError, TypeError, AttributeError):
            stdout.write(json.dumps({"error": 'expected {"q": "...", "lang": "xx"}'}) + "\n")
            continue
        stdout.write(json.dumps(answer_json(kb, question, lang), ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


async def ask_chat(config: Config, text: str, lang: str | None, as_json: bool) -> int:
    """Ask once. Text mode runs the real dispatcher on a throwaway in-memory database."""
    if as_json:
        kb = KnowledgeBase(config)
        chosen = negotiate(lang) or config.bot.default_locale
        print(json.dumps(answer_json(kb, text, chosen), ensure_ascii=False))
        return 0
    memory = replace(config, storage=StorageSection(path=":memory:"))
    app = await build_app(memory)
    replies: list[Outgoing] = []

    async def collect(message: Outgoing) -> None:
        replies.append(message)

    try:
        event = Incoming("cli", "cli", "cli", EventKind.TEXT, language_hint=lang, text=text)
        await app.dispatcher.feed(event, collect)
    finally:
        await app.close()
    for reply in replies:
        sys.stdout.write(reply.text + "\n")
        for row in reply.buttons:
            sys.stdout.write("  " + " | ".join(button.label for button in row) + "\n")
        sys.stdout.write("\n")
    return 0
