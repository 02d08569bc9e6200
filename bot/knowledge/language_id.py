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
        # One text per language: n-grams spanning two joined texts are rare noise, and
        # one numpy count per language is far faster than a Counter update per text.
        found = [
            np.unique(language_features(" ".join(texts)), return_counts=True)
            for texts in corpora.values()
        ]
        every = [codes for codes, _ in found] or [np.empty(0, dtype=np.uint64)]
        self._features = np.unique(np.concatenate(every))
        counts = np.zeros((len(self._features) + 1, len(self._langs)), dtype=np.float64)
        for column, (codes, seen) in enumerate(found):
            counts[np.searchsorted(self._features, codes), column] = seen
        # Additive smoothing; the last row is each language's value for an unseen feature.
        totals = counts.sum(axis=0) + SMOOTHING * max(len(self._features), 1)
        self._table = np.log((counts + SMOOTHING) / totals).astype(np.float32)
        self._unseen_row = len(self._features)

    def guess(self, text: str) -> Guess | None:
        """The most likely language, and whether the evidence is clear enough to act on."""
        for lang, script in SCRIPT_LANGUAGES:
            if lang in self._langs and len(script.findall(text)) >= 2:
                latin = sum(ch.isascii() and ch.isalpha() for ch in text)
                if len(script.findall(text)) * 2 >= latin or lang == "zh_Hans":
                    return Guess(lang, math.inf, True)
        features = language_features(text)
        if not len(features) or not self._langs:
            return None
        rows = np.minimum(np.searchsorted(self._features, features), self._unseen_row)
        known = rows < self._unseen_row
        known[known] = self._features[rows[known]] == features[known]
        scores = self._table[np.where(known, rows, self._unseen_row)].sum(axis=0)
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        runner_up = float(scores[order[1]]) if len(order) > 1 else best - 1e9
        margin = (best - runner_up) / len(features)
        letters = sum(ch.isalpha() for ch in text)
        clear = letters >= MIN_LETTERS and margin >= CLEAR_MARGIN_PER_FEATURE
        return Guess(self._langs[int(order[0])], margin, clear)
