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

import numpy as np

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
    """Log-probabilities of each feature in each language, one matrix row per feature
    (the last row holds each language's unseen-feature value), so a guess is one lookup
    per feature and one numpy sum rather than a Python loop per language."""

    def __init__(self, corpora: dict[str, list[str]]) -> None:
        self._langs = list(corpora)
        counts: dict[str, Counter[str]] = {}
        for lang, texts in corpora.items():
            counter: Counter[str] = Counter()
            for text in texts:
                counter.update(language_features(text))  # counted in C, not a generator
            counts[lang] = counter
        features = sorted(set().union(*counts.values())) if counts else []
        self._rows = {feature: row for row, feature in enumerate(features)}
        size = len(features) or 1
        table = np.empty((len(features) + 1, len(self._langs)), dtype=np.float64)
        for column, lang in enumerate(self._langs):
            counter = counts[lang]
            total = sum(counter.values()) + SMOOTHING * size
            table[: len(features), column] = [
                math.log((counter.get(f, 0) + SMOOTHING) / total) for f in features
            ]
            table[len(features), column] = math.log(SMOOTHING / total)
        self._table = table
        self._unseen_row = len(features)

    def guess(self, text: str) -> Guess | None:
        """The most likely language, and whether the evidence is clear enough to act on."""
        for lang, script in SCRIPT_LANGUAGES:
            if lang in self._langs and len(script.findall(text)) >= 2:
                latin = sum(ch.isascii() and ch.isalpha() for ch in text)
                if len(script.findall(text)) * 2 >= latin or lang == "zh_Hans":
                    return Guess(lang, math.inf, True)
        features = language_features(text)
        if not features or not self._langs:
            return None
        rows = [self._rows.get(f, self._unseen_row) for f in features]
        scores = self._table[rows].sum(axis=0)
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        runner_up = float(scores[order[1]]) if len(order) > 1 else best - 1e9
        margin = (best - runner_up) / len(features)
        letters = sum(ch.isalpha() for ch in text)
        clear = letters >= MIN_LETTERS and margin >= CLEAR_MARGIN_PER_FEATURE
        return Guess(self._langs[int(order[0])], margin, clear)
