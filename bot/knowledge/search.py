"""Free-text search: the best topic for a message, with an honest confidence.

Ranking is BM25 (the `bm25s` library) over one small document per example phrasing,
title and keyword of each topic, in the question's language, with words and character
n-grams as terms; a topic scores as its best-matching document. Off-topic examples are
indexed as a class of their own, so "my landlord won't fix the heat" lands there instead
of on the nearest police topic. Confidence is the BM25 score divided by the score the
question would get against itself, so it reads as "how much of what was asked matched",
between 0 and 1. See docs/SEARCH.md for the reasons and the measured figures.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized
from scipy.sparse import csr_matrix

from bot.knowledge.content import SearchHints, Topic
from bot.knowledge.language_id import LanguageIdentifier
from bot.knowledge.text import normalize, runs, tokens

OFFTOPIC = "__offtopic__"
K1 = 1.5
B = 0.9
# Calibration brings each language's typical correct-match confidence to this value.
REFERENCE_CONFIDENCE = 0.26
# At or above: answer with the topic. Between the two: offer the top three. Below: off-topic.
ANSWER_CONFIDENCE = 0.30
CHOICES_CONFIDENCE = 0.13
# Off-topic wins once its examples score this share of the best topic's score (calibrated
# by cross-validation on the content's own examples, see docs/SEARCH.md).
OFFTOPIC_RATIO = 0.6
# The winner must beat the runner-up by this share of its score to be answered directly.
ANSWER_MARGIN = 0.10
# Weight of the whole-topic view against the best single phrasing (see docs/SEARCH.md).
WHOLE_WEIGHT = 0.8


@dataclass(frozen=True, slots=True)
class Match:
    topic_id: str
    confidence: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What the search concluded; `best` is None when the message is off-topic."""

    lang: str
    detected_lang: str | None
    ranked: tuple[Match, ...]
    offtopic: bool
    danger: bool

    @property
    def best(self) -> Match | None:
        return None if self.offtopic or not self.ranked else self.ranked[0]

    @property
    def confident(self) -> bool:
        """Clear enough to answer directly rather than offer choices."""
        if self.best is None or self.best.confidence < ANSWER_CONFIDENCE:
            return False
        if len(self.ranked) < 2:
            return True
        return self.ranked[0].confidence - self.ranked[1].confidence >= ANSWER_MARGIN * max(
            self.ranked[0].confidence, 1e-9
        )


class LanguageIndex:
    """BM25 over one language's topic documents plus its off-topic examples.

    bm25s computes the BM25 weight of every (term, document); scoring a question is then a
    sparse row sum, done here with scipy in one call (bm25s's own numpy path loops in
    Python per query term, which cost more than everything else in answering a message).
    Both views share one vocabulary, so ten languages hold one copy of their n-grams.
    """

    def __init__(self, topics: dict[str, Topic], hints: SearchHints, scale: float = 1.0) -> None:
        self._scale = scale
        labels: list[str] = []
        texts: list[str] = []
        for topic in topics.values():
            for text in (topic.title, *topic.examples, *topic.keywords):
                labels.append(topic.id)
                texts.append(text)
        for text in hints.offtopic:
            labels.append(OFFTOPIC)
            texts.append(text)
        self._vocab: dict[str, int] = {}
        corpus = [[self._vocab.setdefault(t, len(self._vocab)) for t in tokens(x)] for x in texts]
        # Documents of one topic are contiguous: each topic is a slice starting here.
        self.topic_ids = list(dict.fromkeys(labels))
        self._starts = np.array([labels.index(tid) for tid in self.topic_ids])
        self._phrases = _weights(corpus, self._vocab)
        # A second view: one document per topic, so evidence spread over several
        # phrasings ("ICE" in one, "door" in another) adds up.
        topic_docs: dict[str, list[int]] = {tid: [] for tid in self.topic_ids}
        for label, doc in zip(labels, corpus, strict=True):
            topic_docs[label].extend(doc)
        self._topics = _weights([topic_docs[tid] for tid in self.topic_ids], self._vocab)
        frequency = np.zeros(len(self._vocab), dtype=np.int32)
        for doc in corpus:
            frequency[list(set(doc))] += 1
        documents = len(corpus)
        self._idf = np.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
        self._unknown_idf = math.log(1 + (documents + 0.5) / 0.5)
        self._avg_len = sum(len(doc) for doc in corpus) / max(documents, 1)
        self._danger = tuple(normalize(term) for term in hints.danger)

    def _self_score(self, query: list[str]) -> float:
        """BM25 of the question against itself: the most any document could score."""
        counts = Counter(query)
        length_norm = 1 - B + B * len(query) / self._avg_len
        total = 0.0
        for term, tf in counts.items():
            known = self._vocab.get(term)
            idf = self._unknown_idf if known is None else float(self._idf[known])
            total += idf * tf * (K1 + 1) / (tf + K1 * length_norm)
        return total

    def rank(self, text: str) -> list[Match]:
        query = tokens(text)
        known = [self._vocab[t] for t in query if t in self._vocab]
        if not known:
            return []
        phrase_scores = np.asarray(self._phrases[known].sum(axis=0)).ravel()
        topic_scores = np.asarray(self._topics[known].sum(axis=0)).ravel()
        best_phrase = np.maximum.reduceat(phrase_scores, self._starts)
        whole = topic_scores / (float(topic_scores.max()) or 1.0)
        ceiling = self._self_score(query) or 1.0
        confidence = np.minimum(
            1.0, self._scale * best_phrase / ceiling * (1 - WHOLE_WEIGHT + WHOLE_WEIGHT * whole)
        )
        order = np.argsort(-confidence, kind="stable")
        return [Match(self.topic_ids[i], float(confidence[i])) for i in order]

    def mentions_danger(self, text: str) -> bool:
        """Danger happening now: a listed phrase appears as whole words (or Han characters)."""
        padded = " " + " ".join(runs(text)) + " "
        return any(
            (f" {term} " in padded) if term.isascii() or " " in term else (term in padded)
            for term in self._danger
        )


def _weights(corpus: list[list[int]], vocab: dict[str, int]) -> csr_matrix:
    """The BM25 weight of every (term, document), as bm25s computes it: rows are terms."""
    retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
    retriever.index(Tokenized(ids=corpus, vocab=vocab), show_progress=False)
    scores = retriever.scores
    shape = (len(scores["indptr"]) - 1, scores["num_docs"])
    return csr_matrix((scores["data"], scores["indices"], scores["indptr"]), shape=shape)


class KnowledgeSearch:
    """Searches in the question's language, falling back to the person's."""

    def __init__(
        self,
        topics: dict[str, dict[str, Topic]],
        hints: dict[str, SearchHints],
        scales: dict[str, float] | None = None,
    ) -> None:
        scales = scales or {}
        self._indexes = {
            lang: LanguageIndex(by_id, hints[lang], scales.get(lang, 1.0))
            for lang, by_id in topics.items()
            if by_id
        }
        corpora = {
            lang: [
                text
                for topic in by_id.values()
                for text in (topic.title, topic.answer, *topic.examples, *topic.keywords)
            ]
            + list(hints[lang].offtopic)
            for lang, by_id in topics.items()
            if lang in self._indexes
        }
        self._languages = LanguageIdentifier(corpora)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._indexes)

    def search(self, text: str, person_lang: str) -> SearchResult:
        """Rank topics for `text`; a clearly different language wins over `person_lang`."""
        guess = self._languages.guess(text)
        lang = person_lang if person_lang in self._indexes else next(iter(self._indexes))
        detected = guess.lang if guess is not None and guess.clear else None
        if detected is not None and detected != lang:
            lang = detected
        index = self._indexes[lang]
        ranked = index.rank(text)
        danger = index.mentions_danger(text)
        topics_only = tuple(m for m in ranked if m.topic_id != OFFTOPIC)
        offtopic_score = next((m.confidence for m in ranked if m.topic_id == OFFTOPIC), 0.0)
        offtopic = (
            not topics_only
            or topics_only[0].confidence < CHOICES_CONFIDENCE
            or offtopic_score >= OFFTOPIC_RATIO * topics_only[0].confidence
        )
        return SearchResult(lang, detected, topics_only[:3], offtopic and not danger, danger)
