"""Which of the shipped languages a message is written in.

General detectors were tried and rejected for this job: on short phone messages the
bundled fastText 'lite' model read Somali as English and "la policia me paro" as
Esperanto, and langid.py has no Somali. A naive Bayes model over character 1-3-grams,
trained at start on this deployment's own content in exactly its own languages, is
small (a few hundred kB), fast, and right on the vocabulary residents actually use.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from bot.knowledge.text import language_features

# Additive smoothing for n-grams a language's content never used.
SMOOTHING = 0.1
# How much more likely (in log-probability per feature) the winner must be to count as clear.
CLEAR_MARGIN_PER_FEATURE = 0.08
# Below this many letters a message is too short to judge ("ok", "hi").
MIN_LETTERS = 12
# Scripts that only one shipped language uses: two such letters settle the question.
SCRIPT_LANGUAGES = (
    ("zh_Hans", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
)


@dataclass(frozen=True, slots=True)
class Guess:
    lang: str
    margin: float  # mean log-likelihood gap to the runner-up, per feature
    clear: bool


class LanguageIdentifier:
    def __init__(self, corpora: dict[str, list[str]]) -> None:
        self._log_prob: dict[str, dict[str, float]] = {}
        self._unseen: dict[str, float] = {}
        vocabulary: set[str] = set()
        counts: dict[str, Counter[str]] = {}
        for lang, texts in corpora.items():
            counter: Counter[str] = Counter()
            for text in texts:
                counter.update(language_features(text))  # counted in C, not a generator
            counts[lang] = counter
            vocabulary.update(counts[lang])
        size = len(vocabulary) or 1
        for lang, counter in counts.items():
            total = sum(counter.values()) + SMOOTHING * size
            self._log_prob[lang] = {
                f: math.log((c + SMOOTHING) / total) for f, c in counter.items()
            }
            self._unseen[lang] = math.log(SMOOTHING / total)

    def guess(self, text: str) -> Guess | None:
        """The most likely language, and whether the evidence is clear enough to act on."""
        for lang, script in SCRIPT_LANGUAGES:
            if lang in self._log_prob and len(script.findall(text)) >= 2:
                latin = sum(ch.isascii() and ch.isalpha() for ch in text)
                if len(script.findall(text)) * 2 >= latin or lang == "zh_Hans":
                    return Guess(lang, math.inf, True)
        features = language_features(text)
        if not features or not self._log_prob:
            return None
        scores = {
            lang: sum(table.get(f, self._unseen[lang]) for f in features)
            for lang, table in self._log_prob.items()
        }
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        best, best_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else best_score - 1e9
        margin = (best_score - runner_up) / len(features)
        letters = sum(ch.isalpha() for ch in text)
        return Guess(best, margin, letters >= MIN_LETTERS and margin >= CLEAR_MARGIN_PER_FEATURE)
