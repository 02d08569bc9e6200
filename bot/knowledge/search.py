"""Free-text search: the best topic for a message, with an honest confidence.

Ranking is BM25 over one small document per example phrasing,
title and keyword of each topic, in the question's language, with words and character
n-grams as terms; a topic scores as its best-matching document. Off-topic examples are
indexed as a class of their own, so "my landlord won't fix the heat" lands there instead
of on the nearest police topic. Each view's score is divided by the score the question
would get against itself, so it reads as "how much of what was asked matched", between
0 and 1; confidence weighs the views (`FEATURES`) by weights fitted offline on held-out
phrasings. See docs/SEARCH.md for the reasons and the measured figures.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.sparse import csr_matrix, hstack

from bot.knowledge.content import PLACEHOLDER, Calibration, SearchHints, Topic
from bot.knowledge.language_id import LanguageIdentifier
from bot.knowledge.terms import TermTable
from bot.knowledge.text import NEGATED, Negation, is_han, normalize, runs, word_tokens

OFFTOPIC = "__offtopic__"
SmallTalk = Literal["greeting", "thanks", "help"]
K1 = 1.5
B = 1.0
# Calibration brings each language's typical correct-match confidence to this value.
REFERENCE_CONFIDENCE = 0.26
# At or above: answer with the topic. Between the two: offer the top three. Below: off-topic.
ANSWER_CONFIDENCE = 0.16
CHOICES_CONFIDENCE = 0.12
# The off-topic gate: a logistic model over OFFTOPIC_EVIDENCE, fitted by `liaison kb
# calibrate` on held-out phrasings of the topics against held-out off-topic examples
# (`locales/calibration.toml`, [offtopic]: the intercept, then a weight per piece of
# evidence). A message is off-topic at OFFTOPIC_PROBABILITY or more, chosen by
# cross-validation (see docs/SEARCH.md, "the off-topic gate"). The evidence: the best
# topic's confidence (log); the off-topic examples' confidence over it (log); the best
# phrasing's word coverage; the share of the question's weight in terms the topics use;
# the runner-up's confidence over the best (log); the question's terms' lean towards the
# off-topic examples, weighted as in the ranking (`_term_sources`).
OFFTOPIC_EVIDENCE = (
    "best",
    "offtopic_ratio",
    "coverage",
    "topic_terms",
    "runner_up",
    "offtopic_lean",
)
# The fitted weights used when a calibration file names none.
DEFAULT_OFFTOPIC = (2.0977, -2.4457, 2.0381, 1.7203, -7.3768, -0.6216, 2.3424)
OFFTOPIC_PROBABILITY = 0.7
# Smoothing of a term's off-topic lean (`_term_sources`): counts as if each term had been
# seen this many times more on both sides.
LEAN_PRIOR = 0.5
# The gate's bar when the best topic is urgent (arrested, immigration, danger …): below
# it the message gets that topic among choices with the emergency lines. Much lower, and
# "how do I prepare for the citizenship exam" is greeted with the emergency numbers.
OFFTOPIC_PROBABILITY_URGENT = 0.9
# An urgent best topic is weighed by the gate from this confidence up, below
# CHOICES_CONFIDENCE too: "how do I pay bail for my brother" shares few words with the
# arrest topic's phrasings, and the gate tells such a weak match from an everyday
# question better than the confidence floor does (see docs/SEARCH.md).
URGENT_CHOICES_CONFIDENCE = 0.08
# The winner must beat the runner-up by this share of its score to be answered directly.
ANSWER_MARGIN = 0.17
# Topics a result keeps, best first: three to offer, one spare for a chat that leaves one
# of them out, and one more within reach of the urgent rule (verdict.URGENT_REACH).
RANKED = 5
# Weight of the whole-topic view against the best single phrasing (see docs/SEARCH.md).
WHOLE_WEIGHT = 0.8
# Share of a topic's phrase score taken from its best weight per question term (each
# term credited with the phrasing of the topic that weighs it most) rather than from its
# best single phrasing: "ICE wants into my apartment" matches "ICE" in one immigration
# phrasing and "my apartment" in another (see docs/SEARCH.md, "best weight per term").
TERM_BEST_WEIGHT = 0.5
# A whole word shared with a phrasing counts this many times its BM25 weight; word pairs
# and character n-grams count once. The n-grams catch typos and endings, but a word of
# the question found whole in a phrasing ("car", "16", "ICE") is what tells neighbouring
# topics apart, and its dozen n-grams otherwise outweigh it (see docs/SEARCH.md).
WORD_WEIGHT = 2.0
# Long messages: the first words say what it is about, so ranking reads this many words,
# the language guess this many characters, and danger is looked for in this many
# characters (a long story tells the danger early). The cost of a search stays bounded:
# p99 of 4,000-character messages is in docs/SEARCH.md.
RANKED_WORDS = 50
# A Chinese word is one to three characters: a Han run counts one word per this many.
HAN_CHARS_PER_WORD = 2
# A danger-phrase word this long also matches its longer forms (inflections, plurals).
STEM_LETTERS = 4
# Characters either side of a danger phrase read for negation cues (more than any scope).
NEGATION_WINDOW = 80
# Words a message may hold between two words of a danger phrase (`Phrases`).
PHRASE_GAP = 1
# Stands for every negation cue of a language in a danger phrase (`Phrases`).
ANY_CUE = "¬"
GUESSED_CHARS = 400
SCANNED_CHARS = 1200
# Small talk is a short message: "hi", "thanks a lot", "hello, are you there?".
SMALL_TALK_WORDS = 12
# A clear language guess is evidence of its own: the person's language must match better
# by a factor that grows with the guess's margin (up to 1 + 0.5 x 0.5 = 1.25) to answer
# instead. Near ties otherwise went to the person's language, and a clearly Spanish
# question from someone whose app is in English was answered in English; a weak guess
# on two words ("police problem" read as Portuguese) must not win a tie that way.
DETECTED_LEAD_PER_MARGIN = 0.5
DETECTED_LEAD_MAX_MARGIN = 0.5
# A negated character n-gram is read negated (its own term, not the plain n-gram's)
# when the content uses it negated at least NEGATION_MIN times, mostly in one topic
# whose share of its plain uses is lower by NEGATION_CONTRAST or more (see
# `contrasting_negations` and docs/SEARCH.md).
NEGATION_MIN = 3
NEGATION_CONTRAST = 0.8
# A best topic one of whose phrasings says nearly what was asked (word coverage, the
# harmonic mean of the share of the question's words the phrasing holds and the share
# of its words the question holds) is answered with a smaller margin: "how do I file a
# complaint" against "who can file a complaint" shares most of its words with both, but
# one phrasing of how_to_file holds all of them. At least COVERAGE_ANSWER, no other
# ranked topic covering more, and a lead of COVERAGE_MARGIN of the best's confidence.
COVERAGE_ANSWER = 0.7
COVERAGE_MARGIN = 0.08
# A topic's ranking features, each its BM25 score over the question's score against
# itself: the best phrasing of any kind, the best weight per term, the whole topic as
# one document, and the best keyword, title and example phrasing on their own. The
# whole-topic view is not divided by the best topic's (as the linear mix does): that
# share is 1 for every best topic and would flatten confidences between questions and
# between languages. Confidence is the features' weighted geometric mean, the
# weights fitted offline by `liaison kb calibrate` on held-out phrasings
# (`locales/calibration.toml`; see docs/SEARCH.md, "the re-ranker").
FEATURES = ("phrase", "term_best", "whole", "keyword", "title", "example")
# The fitted weights used when a calibration file names none.
DEFAULT_RANKING = (0.1648, 0.2905, 0.58, 0.0347, 0.0449, -0.1149)
# A keyword match counts times the share of the keyword's words the question holds, to
# this power: one short word in common ("without my mom" against "without my name")
# must not carry a topic the way the whole keyword does.
KEYWORD_SHARE_POWER = 2.0
# Added to every feature before its logarithm: a topic without a keyword match is not
# ruled out by that alone.
FEATURE_FLOOR = 1e-3
# Whole-word tokens as `word_tokens` writes them, plain and negated.
_WORD_PREFIXES = ("w:", NEGATED + "w:")
# Which part of a topic a phrase document is (the off-topic examples count as examples).
_TITLE, _EXAMPLE, _KEYWORD = range(3)
# Marks the language-guess class of a language's romanized form ("ru+latin").
ROMANIZED = "+latin"


@dataclass(frozen=True, slots=True)
class Match:
    topic_id: str
    confidence: float
    # How nearly one phrasing of the topic (its title, an example, a keyword) says what
    # was asked, in whole words both ways (see `LanguageIndex.features`).
    coverage: float = 0.0


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What the search concluded; `best` is None when the message is off-topic."""

    lang: str
    detected_lang: str | None
    ranked: tuple[Match, ...]
    offtopic: bool
    danger: bool
    # Off-topic by the numbers, yet kept in scope because the police are named: offer
    # choices, never a direct answer. (Danger keeps its answer: contacts come first.)
    doubtful: bool = False
    # "greeting", "thanks" or "help" when the whole message is only that.
    small_talk: SmallTalk | None = None

    @property
    def best(self) -> Match | None:
        return None if self.offtopic or not self.ranked else self.ranked[0]

    @property
    def confident(self) -> bool:
        """Clear enough to answer directly rather than offer choices."""
        if self.best is None or self.doubtful or self.best.confidence < ANSWER_CONFIDENCE:
            return False
        if len(self.ranked) < 2:
            return True
        best, runner_up = self.ranked[0], self.ranked[1]
        lead = best.confidence - runner_up.confidence
        if lead >= ANSWER_MARGIN * max(best.confidence, 1e-9):
            return True
        return (
            best.coverage >= COVERAGE_ANSWER
            and best.coverage >= max(match.coverage for match in self.ranked[1:])
            and lead >= COVERAGE_MARGIN * best.confidence
        )


@dataclass(frozen=True, slots=True)
class Query:
    """A message's ranking terms, looked up in one language's index."""

    distinct: Counter[str]
    # Row of each distinct term, -1 where the content never uses it.
    term_ids: np.ndarray
    tf: np.ndarray
    # Each term's BM25 against the question itself (their sum is the score ceiling).
    own: np.ndarray


@dataclass(frozen=True, slots=True)
class Assessment:
    """Every topic and the off-topic class by confidence, best first, and the off-topic
    gate's probability that the message is not about what the service does."""

    ranked: list[Match]
    offtopic_probability: float
    # What the probability was computed from (`OFFTOPIC_EVIDENCE`), for `liaison kb
    # calibrate`; None when no term of the message is in the content.
    evidence: np.ndarray | None = None


class LanguageIndex:
    """BM25 over one language's topic documents plus its off-topic examples.

    The BM25 weight of every (term, document) is computed once at start; scoring a
    question is then a sum of the weight rows of its terms (`_row_sum`), a few numpy
    calls. Both views share one vocabulary, so each language holds one copy of its n-grams.
    """

    def __init__(
        self,
        topics: dict[str, Topic],
        hints: SearchHints,
        scale: float = 1.0,
        ranking: tuple[float, ...] = DEFAULT_RANKING,
        offtopic: tuple[float, ...] = DEFAULT_OFFTOPIC,
    ) -> None:
        self._scale = scale
        self._ranking = np.array(ranking, dtype=np.float64)
        self._offtopic_weights = np.array(offtopic, dtype=np.float64)
        self._urgent = frozenset(topic.id for topic in topics.values() if topic.urgent)
        self._negation = hints.negation
        self._stopwords = hints.stopwords
        labels: list[str] = []
        texts: list[str] = []
        fields: list[int] = []
        for topic in topics.values():
            for field, field_texts in (
                (_TITLE, (topic.title,)),
                (_EXAMPLE, topic.examples),
                (_KEYWORD, topic.keywords),
            ):
                labels.extend(topic.id for _ in field_texts)
                texts.extend(field_texts)
                fields.extend(field for _ in field_texts)
        for text in hints.offtopic:
            labels.append(OFFTOPIC)
            texts.append(text)
            fields.append(_EXAMPLE)
        self._fields = np.array(fields, dtype=np.int8)
        # Documents of one topic are contiguous: each topic is a slice starting here.
        self.topic_ids = list(dict.fromkeys(labels))
        split = [runs(text) for text in texts]
        # The content's own words: what a fused negation cue is read in front of, and
        # the Latin words a romanized message keeps as typed (`Romanization.spell_back`).
        self.known_words = frozenset(word for words in split for word in words)
        marked = [self._marked(words) for words in split]
        tokenized = [word_tokens(words) for words in marked]
        negated_docs = [any(word.startswith(NEGATED) for word in words) for words in marked]
        topic_of_doc = np.repeat(
            np.arange(len(self.topic_ids)),
            np.diff([*(labels.index(tid) for tid in self.topic_ids), len(texts)]),
        )
        self._negated_kept = contrasting_negations(tokenized, topic_of_doc, negated_docs)
        vocab: dict[str, int] = {}
        lengths: list[int] = []
        ids = array("q")  # every document's term ids, one after the other
        for found, negated in zip(tokenized, negated_docs, strict=True):
            found = self._resolve(found) if negated else found
            lengths.append(len(found))
            ids.extend(vocab.setdefault(term, len(vocab)) for term in found)
        term_ids = np.frombuffer(ids, dtype=np.int64)
        # Terms of the phrasings come first; those only the answers' leads use follow.
        self._phrasing_terms = len(vocab)
        leads = [
            (at, _answer_lead(topics[tid]))
            for at, tid in enumerate(self.topic_ids)
            if tid in topics
        ]
        lead_tokens = [self._tokens(runs(lead)) for _, lead in leads]
        lead_topics = np.array([at for at, _ in leads], dtype=np.int64)
        lead_lengths = [len(found) for found in lead_tokens]
        lead_ids = np.fromiter(
            (vocab.setdefault(term, len(vocab)) for found in lead_tokens for term in found),
            dtype=np.int64,
            count=sum(lead_lengths),
        )
        self._terms = TermTable(vocab)
        doc_ids = np.repeat(np.arange(len(texts)), lengths)
        phrases, idf, self._avg_len = _weights(term_ids, doc_ids, len(vocab), len(texts))
        boost = _term_boost(vocab)
        phrases = _scale_rows(phrases, boost)
        # Boosted like the weights, so a question's score against itself stays the ceiling.
        self._idf = idf * boost
        # Index of the off-topic class among topic_ids (an empty slice without one).
        self._offtopic_class = [i for i, tid in enumerate(self.topic_ids) if tid == OFFTOPIC]
        self._starts = np.array([labels.index(tid) for tid in self.topic_ids])
        self._topic_terms, self._offtopic_lean = _term_sources(
            phrases, int(self._starts[self._offtopic_class[0]]) if self._offtopic_class else None
        )
        # A second view: one document per topic, so evidence spread over several
        # phrasings ("ICE" in one, "door" in another) adds up. It also holds the
        # first paragraph of the topic's answer (`_answer_lead`).
        whole_topics, _, _ = _weights(
            np.concatenate([term_ids, lead_ids]),
            np.concatenate([topic_of_doc[doc_ids], np.repeat(lead_topics, lead_lengths)]),
            len(vocab),
            len(self.topic_ids),
        )
        whole_topics = _scale_rows(whole_topics, boost)
        # The three side by side: one row sum scores a question against all of them.
        self._weights = hstack(
            [phrases, whole_topics, _best_per_topic(phrases, topic_of_doc, len(self.topic_ids))],
            format="csr",
        )
        self._phrase_count = len(texts)
        self._word_incidence = _word_incidence(vocab, term_ids, doc_ids, len(texts))
        # Distinct whole words of each phrasing (the incidence matrix's column sums).
        self._phrasing_words = np.asarray(self._word_incidence.sum(axis=0)).ravel()
        self._unknown_idf = math.log(1 + (len(texts) + 0.5) / 0.5)
        # Terms are split into words as messages are ("can't" -> "can t"), or a phrase
        # with an apostrophe or hyphen could never match.
        self._danger = Phrases.of(hints.danger, hints.negation.cues)
        self._romanized_danger = Phrases.of(hints.danger_romanized, hints.negation.cues)
        self._police = tuple(" ".join(runs(term)) for term in hints.police)
        self._police_words = hints.police_words
        # Order matters: thanks wins over a greeting said with it ("hi, thanks!").
        self._small_talk: dict[SmallTalk, tuple[str, ...]] = {
            "thanks": _phrases(hints.thanks),
            "greeting": _phrases(hints.greeting),
            "help": _phrases(hints.help),
        }
        # Every small-talk phrase, longest first, as `_cover` tries them (sorted once
        # here: every message is checked against every language's).
        self._small_talk_phrases = tuple(
            sorted({p for ps in self._small_talk.values() for p in ps}, key=len, reverse=True)
        )

    def _marked(self, words: list[str]) -> list[str]:
        """Words split by `runs` with stopwords out first, so a negation cue's scope
        reaches the words that matter ("khong em co" -> "khong co"), then negation marked
        (a fused cue too: "неэкстренный" -> "!экстренный")."""
        kept = [word for word in words if word not in self._stopwords] if self._stopwords else words
        return self._negation.mark(self._negation.unfused(kept, self.known_words))

    def _resolve(self, found: list[str]) -> list[str]:
        """Tokens with a negated character n-gram read as the plain one unless the
        content uses it negated for other topics than plain (`contrasting_negations`)."""
        kept = self._negated_kept
        return [term[len(NEGATED) :] if _read_plain(term, kept) else term for term in found]

    def _tokens(self, words: list[str]) -> list[str]:
        """Ranking terms of words split by `runs` (see `_marked` and `_resolve`)."""
        marked = self._marked(words)
        found = word_tokens(marked)
        return self._resolve(found) if any(w.startswith(NEGATED) for w in marked) else found

    def _query(self, words: list[str]) -> Query:
        """The ranking terms of a message split by `runs`, looked up in the index."""
        tokens = self._tokens(_leading(words, RANKED_WORDS))
        distinct = Counter(tokens)
        term_ids = self._terms.lookup(distinct)
        tf = np.fromiter(distinct.values(), dtype=np.float64, count=len(distinct))
        # BM25 of each term against the question itself: summed, the most any document
        # could score. Terms the content never uses count at the rarest term's idf.
        length_norm = 1 - B + B * len(tokens) / self._avg_len
        boost = _term_boost(distinct)
        idf = np.where(term_ids >= 0, self._idf[np.maximum(term_ids, 0)], self._unknown_idf * boost)
        own = idf * tf * (K1 + 1) / (tf + K1 * length_norm)
        return Query(distinct, term_ids, tf, own)

    def rank(self, text: str) -> list[Match]:
        """Every topic (and the off-topic class) by confidence, best first."""
        return self.rank_words(runs(text))

    def rank_words(self, words: list[str]) -> list[Match]:
        """`rank` of a message already split by `runs`."""
        return self.assess(words).ranked

    def assess(self, words: list[str]) -> Assessment:
        """The ranking of a message split by `runs` and the off-topic gate's probability."""
        query = self._query(words)
        found = self._features_of(query)
        if found is None:
            return Assessment([], 1.0)
        ranked = self._ranked(*found)
        evidence = self._offtopic_evidence(query, ranked)
        weights = self._offtopic_weights
        odds = float(weights[0] + evidence @ weights[1:])
        probability = 1.0 / (1.0 + math.exp(-min(max(odds, -50.0), 50.0)))
        return Assessment(ranked, probability, evidence)

    def _offtopic_evidence(self, query: Query, ranked: list[Match]) -> np.ndarray:
        topics = [match for match in ranked if match.topic_id != OFFTOPIC]
        offtopic = next((m.confidence for m in ranked if m.topic_id == OFFTOPIC), 0.0)
        best = topics[0] if topics else Match(OFFTOPIC, 0.0)
        runner_up = topics[1].confidence if len(topics) > 1 else 0.0
        known = query.term_ids >= 0
        rows = np.maximum(query.term_ids, 0)
        in_topics = known & self._topic_terms[rows]
        own = query.own
        total = float(own.sum()) or 1.0
        return np.array(
            [
                math.log(best.confidence + FEATURE_FLOOR),
                math.log((offtopic + FEATURE_FLOOR) / (best.confidence + FEATURE_FLOOR)),
                best.coverage,
                float(own[in_topics].sum()) / total,
                math.log((runner_up + FEATURE_FLOOR) / (best.confidence + FEATURE_FLOOR)),
                float(own[known] @ self._offtopic_lean[rows[known]]) / total,
            ]
        )

    def _ranked(self, values: np.ndarray, coverage: np.ndarray) -> list[Match]:
        """Every topic (and the off-topic class) by confidence, from their features."""
        off = self._offtopic_class
        confidence = np.exp(np.log(values + FEATURE_FLOOR) @ self._ranking)
        # The off-topic class is weighed by the linear mix of the views (best phrasing
        # and best weight per term, times the whole-topic view): its share of the best
        # topic's, brought to the best topic's re-ranked confidence. (Its examples share
        # no subject, so the weights fitted to tell topics apart say nothing about it.)
        phrase, term_best, whole = (values[:, FEATURES.index(name)] for name in FEATURES[:3])
        whole = whole / (float(whole.max()) or 1.0)
        linear = ((1 - TERM_BEST_WEIGHT) * phrase + TERM_BEST_WEIGHT * term_best) * (
            1 - WHOLE_WEIGHT + WHOLE_WEIGHT * whole
        )
        best_linear = float(np.delete(linear, off).max(initial=0.0))
        best = float(np.delete(confidence, off).max(initial=0.0))
        confidence[off] = linear[off] / best_linear * best if best_linear else 1.0
        confidence = np.minimum(1.0, self._scale * confidence)
        order = np.argsort(-confidence, kind="stable")
        return [Match(self.topic_ids[i], float(confidence[i]), float(coverage[i])) for i in order]

    def features(self, words: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """Per entry of `topic_ids` (rows), the ranking features `FEATURES` (columns) of a
        message split by `runs`, each the share of the question's score against itself
        it reaches, and the word coverage of each topic's best phrasing. None when no
        term of the message occurs in the content's phrasings."""
        return self._features_of(self._query(words))

    def _features_of(self, query: Query) -> tuple[np.ndarray, np.ndarray] | None:
        distinct, term_ids, tf = query.distinct, query.term_ids, query.tf
        found = term_ids >= 0
        if not (found & (term_ids < self._phrasing_terms)).any():
            return None
        known = np.repeat(term_ids[found], tf[found].astype(np.int64))
        ceiling = float(query.own.sum()) or 1.0
        scores = _row_sum(self._weights, known)
        phrase_scores = scores[: self._phrase_count] / ceiling
        topic_count = len(self.topic_ids)
        topic_scores = scores[self._phrase_count : self._phrase_count + topic_count]
        term_best = scores[self._phrase_count + topic_count :] / ceiling
        single = np.maximum.reduceat(phrase_scores, self._starts)
        whole = topic_scores / ceiling
        held, question_words = self._words_held(distinct, term_ids)
        # A keyword counts by the share of its words the question holds: "without my
        # name" must not carry "without my mom" to the anonymous-complaint topic.
        keyword_share = held / np.maximum(self._phrasing_words, 1)
        keyword = np.where(
            self._fields == _KEYWORD, phrase_scores * keyword_share**KEYWORD_SHARE_POWER, 0.0
        )
        title = np.where(self._fields == _TITLE, phrase_scores, 0.0)
        example = np.where(self._fields == _EXAMPLE, phrase_scores, 0.0)
        values = np.column_stack(
            [
                single,
                term_best,
                whole,
                np.maximum.reduceat(keyword, self._starts),
                np.maximum.reduceat(title, self._starts),
                np.maximum.reduceat(example, self._starts),
            ]
        )
        # The off-topic examples share no subject: credited word by word across a
        # hundred of them, the class would claim any everyday word a question holds, so
        # each of its phrasing features is its best single example.
        for column, name in enumerate(FEATURES):
            if name != "whole":
                values[self._offtopic_class, column] = single[self._offtopic_class]
        per_phrasing = 2 * held / np.maximum(question_words + self._phrasing_words, 1)
        return values, np.maximum.reduceat(per_phrasing, self._starts)

    def _words_held(self, distinct: Counter[str], term_ids: np.ndarray) -> tuple[np.ndarray, int]:
        """How many of the question's distinct known whole words each phrasing holds, and
        how many whole words the question has (known or not)."""
        is_word = np.fromiter(
            (term.startswith(_WORD_PREFIXES) for term in distinct), dtype=bool, count=len(distinct)
        )
        words = term_ids[is_word]
        known = np.unique(words[words >= 0])
        if not len(known):
            return np.zeros(self._phrase_count), len(words)
        return _row_sum(self._word_incidence, known), len(words)

    def mentions_danger(self, words: list[str]) -> bool:
        """Danger happening now: a listed phrase appears in the message (split by `runs`)
        and no negation cue governs it ("he is not following me any more")."""
        return self._danger.found_in(words, self._negation)

    def mentions_romanized_danger(self, words: list[str]) -> bool:
        """A danger phrase of this language typed in Latin letters (translit, Arabizi)."""
        return self._romanized_danger.found_in(words, self._negation)

    def is_urgent(self, topic_id: str) -> bool:
        return topic_id in self._urgent

    def names_police(self, words: list[str]) -> bool:
        """The message (split by `runs`) names the police (an officer, ICE, a patrol car …)."""
        return _mentions(self._police, words) or not self._police_words.isdisjoint(words)

    def small_talk(self, words: list[str]) -> SmallTalk | None:
        """ "thanks", "greeting" or "help" when the message is made only of this
        language's phrases of one of those kinds (thanks wins: "hi, thanks!")."""
        if not words or len(words) > SMALL_TALK_WORDS:
            return None
        text = " ".join(words)
        if not text.startswith(self._small_talk_phrases):
            return None  # most messages: no phrase of this language even starts them
        found = _cover(text, self._small_talk_phrases)
        if found is None:
            return None
        for kind, phrases in self._small_talk.items():
            if any(phrase in found for phrase in phrases):
                return kind
        return None


def _term_sources(phrases: csr_matrix, offtopic_start: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Per term (rows of `phrases`): whether a topic's phrasing uses it, and how far it
    leans towards the off-topic examples (the documents from `offtopic_start` on): the
    log-odds of finding it in an off-topic example rather than in a topic's phrasing,
    smoothed by LEAN_PRIOR, 0 for a term neither uses. "Store" or "landlord" in a few
    off-topic examples and hardly any phrasing is evidence that a message is about
    neither the police nor this service, even when the message also says "complaint"; a
    yes/no "only off-topic examples use it" lost that."""
    terms, documents = phrases.shape
    row_of_entry = np.repeat(np.arange(terms), np.diff(phrases.indptr))
    limit = documents if offtopic_start is None else offtopic_start
    topic_entries = phrases.indices < limit
    in_topics_count = np.bincount(row_of_entry[topic_entries], minlength=terms)
    in_offtopic_count = np.bincount(row_of_entry[~topic_entries], minlength=terms)
    in_topics = in_topics_count > 0
    in_offtopic = in_offtopic_count > 0
    lean = np.log((in_offtopic_count + LEAN_PRIOR) / (documents - limit + 2 * LEAN_PRIOR)) - np.log(
        (in_topics_count + LEAN_PRIOR) / (limit + 2 * LEAN_PRIOR)
    )
    lean[~(in_topics | in_offtopic)] = 0.0
    return in_topics, lean


def _answer_lead(topic: Topic) -> str:
    """The first paragraph of a topic's answer, placeholders left out: it says in the
    topic's own words what the topic is about ("If no one is in danger and it is not
    happening now, call the non-emergency number"), words its phrasings may lack. The rest
    (details, steps, exceptions) names other topics' subjects too often to count."""
    return PLACEHOLDER.sub(" ", topic.answer.partition("\n\n")[0])


def _word_incidence(
    vocab: dict[str, int], term_ids: np.ndarray, doc_ids: np.ndarray, documents: int
) -> csr_matrix:
    """Rows are terms, columns documents: 1 where the document holds the term and the
    term is a whole word (plain or negated), for `LanguageIndex.features`."""
    is_word = np.zeros(len(vocab), dtype=bool)
    for term, row in vocab.items():
        is_word[row] = term.startswith(_WORD_PREFIXES)
    entries = is_word[term_ids]
    incidence = csr_matrix(
        (np.ones(int(entries.sum())), (term_ids[entries], doc_ids[entries])),
        shape=(len(vocab), documents),
    )
    incidence.data[:] = 1.0  # a word said twice in a phrasing is one word of it
    return incidence


def _negation_subject(term: str) -> bool:
    """A negated token the content decides how to read: a character n-gram. Whole
    words, Han tokens and word pairs stay as marked."""
    rest = term[len(NEGATED) :]
    return bool(rest) and not rest.startswith("w:") and not is_han(rest[0])


def _read_plain(term: str, kept: frozenset[str]) -> bool:
    """A negated n-gram the content does not use negated for a topic of its own."""
    return term.startswith(NEGATED) and _negation_subject(term) and term not in kept


def contrasting_negations(
    tokenized: list[list[str]], topic_of_doc: np.ndarray, negated_docs: list[bool]
) -> frozenset[str]:
    """The negated tokens whose negated uses in the content belong to other topics than
    their plain uses: most of them in one topic (at least NEGATION_MIN), where the plain
    token is rarer by NEGATION_CONTRAST of its uses or more. "Not an emergency" is the
    non-emergency topic and "emergency" the danger topic, so the n-grams of a negated
    "emergency" must not match the danger topic's; "I don't have my papers" is about
    papers all the same, so a negated "papers" matches plain ones. `negated_docs` says
    which documents hold a negated word at all (most hold none)."""
    negated: dict[str, Counter[int]] = {}
    for at in np.flatnonzero(negated_docs):
        for term in tokenized[at]:
            if term.startswith(NEGATED) and _negation_subject(term):
                negated.setdefault(term, Counter())[int(topic_of_doc[at])] += 1
    # Where its own negated uses alone are too few or too spread, no plain use can help.
    leading = {
        term: counts.most_common(1)[0]
        for term, counts in negated.items()
        if counts.total() >= NEGATION_MIN
        and counts.most_common(1)[0][1] >= NEGATION_CONTRAST * counts.total()
    }
    plain: dict[str, Counter[int]] = {term[len(NEGATED) :]: Counter() for term in leading}
    wanted = set(plain)
    for doc, found in enumerate(tokenized):
        for term in wanted.intersection(found):
            plain[term][int(topic_of_doc[doc])] += found.count(term)
    kept: set[str] = set()
    for term, (topic, uses) in leading.items():
        plain_uses = plain[term[len(NEGATED) :]]
        plain_total = plain_uses.total()
        plain_share = plain_uses[topic] / plain_total if plain_total else 0.0
        if uses / negated[term].total() - plain_share >= NEGATION_CONTRAST:
            kept.add(term)
    return frozenset(kept)


def _leading(words: list[str], budget: int) -> list[str]:
    """The first `budget` words of a message split by `runs`. A Han run is a whole
    clause without spaces, so it counts one word per HAN_CHARS_PER_WORD characters and
    is cut at the budget: a long Chinese message would otherwise bring every character
    of its first 50 clauses into the ranking (four times the terms of other languages)."""
    kept: list[str] = []
    for word in words:
        if budget <= 0:
            break
        if is_han(word):
            word = word[: budget * HAN_CHARS_PER_WORD]
            budget -= -(-len(word) // HAN_CHARS_PER_WORD)
        else:
            budget -= 1
        kept.append(word)
    return kept


def _phrases(texts: tuple[str, ...]) -> tuple[str, ...]:
    """Listed phrases split into words the way messages are."""
    return tuple(" ".join(runs(text)) for text in texts)


def _cover(text: str, ordered: tuple[str, ...]) -> set[str] | None:
    """The listed phrases (`ordered` longest first, the order they are tried in at each
    point) that together make up all of `text`, spaces between them optional for Han;
    None when something else is said."""
    used: set[str] = set()
    at = 0
    while at < len(text):
        if text[at] == " ":
            at += 1
            continue
        for phrase in ordered:
            end = at + len(phrase)
            if not text.startswith(phrase, at):
                continue
            if end == len(text) or text[end] == " " or is_han(text[end - 1]):
                used.add(phrase)
                at = end
                break
        else:
            return None
    return used


def _mentions(terms: tuple[str, ...], words: list[str]) -> bool:
    """A listed term appears: Latin-script words and phrases as whole words, a single
    word of another script anywhere (Chinese has no spaces; Arabic and Russian lists
    hold stems, so "الشرطة" and "полицейский" are found by "شرطه" and "полиц")."""
    padded = " " + " ".join(words) + " "
    return any(
        (f" {term} " in padded) if term.isascii() or " " in term else (term in padded)
        for term in terms
    )


@dataclass(frozen=True, slots=True)
class Phrases:
    """Danger phrases, found in a message word by word (one pass, however long the list).

    A single word of a script without spaces or listed as a stem (Chinese, Arabic,
    Cyrillic) matches anywhere; otherwise whole words, where a word of STEM_LETTERS or
    more also matches its longer forms ("kick in my door" finds "kicking in my door",
    "armado" "armados", "me esta siguiendo" "me estan siguiendo"): people type
    inflections the list cannot all hold. For the same reason a phrase's words may have
    PHRASE_GAP words between them in the message ("не хочу больше жить" is "не хочу
    жить"), and a negation cue in a phrase stands for any of the language's cues ("not
    breathing" is "isnt breathing")."""

    anywhere: tuple[str, ...]
    # First word (or its stem) -> the phrases starting with it, as word tuples.
    by_first: dict[str, tuple[tuple[str, ...], ...]]
    stem_lengths: tuple[int, ...]
    cues: frozenset[str] = frozenset()

    @classmethod
    def of(cls, phrases: tuple[str, ...], cues: frozenset[str] = frozenset()) -> Phrases:
        anywhere: list[str] = []
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            words = tuple(_any_cue(runs(phrase), cues))
            if len(words) == 1 and not words[0].isascii():
                anywhere.append(words[0])
            elif words:
                by_first.setdefault(words[0], []).append(words)
        lengths = {len(first) for first in by_first if len(first) >= STEM_LETTERS}
        return cls(
            tuple(anywhere),
            {first: tuple(found) for first, found in by_first.items()},
            tuple(sorted(lengths)),
            cues,
        )

    def found_in(self, words: list[str], negation: Negation) -> bool:
        """A phrase appears in `words` (split by `runs`) and no negation cue governs it."""
        if not self.anywhere and not self.by_first:
            return False
        text = " ".join(words)
        for stem in self.anywhere:
            at = text.find(stem)
            while at >= 0:
                if not _negated(text, at, at + len(stem), negation):
                    return True
                at = text.find(stem, at + 1)
        # The phrases that could start at each distinct word, decided once per word: a
        # phrase whose later words the message never holds cannot match anywhere, and a
        # long message repeats its common words ("me", "con") at many positions.
        said = _any_cue(words, self.cues)
        present = _word_forms(said)
        starting: dict[str, list[tuple[str, ...]]] = {}
        for position, word in enumerate(said):
            phrases = starting.get(word)
            if phrases is None:
                stems = (word[:length] for length in self.stem_lengths if len(word) > length)
                phrases = starting[word] = [
                    phrase
                    for key in (word, *stems)
                    for phrase in self.by_first.get(key, ())
                    if all(later in present for later in phrase[1:])
                ]
            for phrase in phrases:
                end = _match_end(phrase, said, position)
                if end is not None and not negation.governs(
                    words[max(0, position - negation.scope) : position],
                    words[end : end + negation.scope],
                ):
                    return True
        return False


def _any_cue(words: list[str], cues: frozenset[str]) -> list[str]:
    """`words` with every negation cue written as ANY_CUE."""
    return [ANY_CUE if word in cues else word for word in words] if cues else words


def _word_forms(words: list[str]) -> set[str]:
    """The message's words and their prefixes of STEM_LETTERS or more letters: a
    listed word can match only a word in this set (itself, or a stem of a longer one)."""
    forms = set(words)
    forms.update(
        word[:length] for word in forms.copy() for length in range(STEM_LETTERS, len(word))
    )
    return forms


def _match_end(phrase: tuple[str, ...], words: list[str], position: int) -> int | None:
    """Where `phrase` ends in `words` when it starts at `words[position]`, with up to
    PHRASE_GAP words between two of its words, never a negation cue ("its not an
    emergency" is not "its an emergency"); None: it does not start there. Each word is
    taken at its first fit, which leaves the most room for the next."""
    at = position
    for index, wanted in enumerate(phrase):
        limit = min(len(words), at + (1 if index == 0 else PHRASE_GAP + 1))
        while at < limit and not _says(words[at], wanted):
            if words[at] == ANY_CUE:
                return None
            at += 1
        if at >= limit:
            return None
        at += 1
    return at


def _says(said: str, wanted: str) -> bool:
    """A message word is a phrase's word: the same, or a longer form of a long word."""
    return said == wanted or (len(wanted) >= STEM_LETTERS and said.startswith(wanted))


def _negated(text: str, start: int, end: int, negation: Negation) -> bool:
    """A negation cue governs the text found at `text[start:end]`."""
    if negation.governs_han(text, start):
        return True
    # Only the words next to the phrase can govern it: a bounded window either side.
    before = text[max(0, start - NEGATION_WINDOW) : start].split()
    # A stem found inside a word ("полиц" in "неполиция") counts from that word.
    if start and text[start - 1] != " " and before:
        before.pop()
    after = text[end : end + NEGATION_WINDOW].split()
    # Likewise the rest of a word a stem was found in is not a word after it.
    if end < len(text) and text[end] != " " and after:
        after.pop(0)
    return negation.governs(before, after)


def _term_boost(terms: Iterable[str]) -> np.ndarray:
    """Each term's weight factor: WORD_WEIGHT for a whole word (negated or not), else 1."""
    return np.fromiter(
        (WORD_WEIGHT if term.startswith(_WORD_PREFIXES) else 1.0 for term in terms),
        dtype=np.float64,
    )


def _scale_rows(matrix: csr_matrix, factors: np.ndarray) -> csr_matrix:
    """`matrix` (rows are terms) with each row multiplied by its factor, in place."""
    matrix.data *= np.repeat(factors, np.diff(matrix.indptr)).astype(matrix.data.dtype)
    return matrix


def _row_sum(matrix: csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Sum of the given rows (repeats count again), straight from the CSR arrays.

    scipy's `matrix[rows].sum(axis=0)` does the same but validates and builds an
    intermediate matrix on every call: ~150 µs of Python per question, a quarter of
    answering one. Here: the rows' stretches of `indices`/`data`, then one bincount."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    first_of_row = np.cumsum(lengths) - lengths
    positions = np.arange(int(lengths.sum())) + np.repeat(starts - first_of_row, lengths)
    return np.bincount(
        matrix.indices[positions], weights=matrix.data[positions], minlength=matrix.shape[1]
    )


def _best_per_topic(phrases: csr_matrix, topic_of_doc: np.ndarray, topics: int) -> csr_matrix:
    """Rows are terms, columns topics: each term's largest phrase weight among the topic's
    phrasings. A question scored against it credits every term it shares with any of
    the topic's phrasings at that phrasing's weight, so evidence spread over phrasings
    adds up without the length normalisation of one long whole-topic document (which
    dilutes a word the topic uses in many phrasings, "ICE", to the weight of a word it
    uses once)."""
    entries = phrases.tocoo()
    keys = entries.row.astype(np.int64) * topics + topic_of_doc[entries.col]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    firsts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    best = np.maximum.reduceat(entries.data[order], firsts)
    kept = keys[firsts]
    return csr_matrix((best, (kept // topics, kept % topics)), shape=(phrases.shape[0], topics))


def _weights(
    term_ids: np.ndarray, doc_ids: np.ndarray, terms: int, documents: int
) -> tuple[csr_matrix, np.ndarray, float]:
    """BM25 weight of every (term, document), rows are terms; each term's idf; the mean
    document length.

    The formula is bm25s's "lucene" variant (tests check the weights against bm25s).
    It is computed here in a few vectorised steps because bm25s's indexer loops over
    documents and their terms in Python: 0.5 s of a 2.3 s start for ten languages.
    """
    ones = np.ones(len(term_ids), dtype=np.float32)
    weights = csr_matrix((ones, (term_ids, doc_ids)), shape=(terms, documents))
    weights.sum_duplicates()
    doc_length = np.bincount(doc_ids, minlength=documents)
    avg_length = float(doc_length.mean()) if documents else 1.0
    frequency = np.diff(weights.indptr)
    idf = np.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
    term_of_entry = np.repeat(np.arange(terms), frequency)
    norm = K1 * (1 - B + B * doc_length[weights.indices] / avg_length)
    tf = weights.data
    weights.data = (idf[term_of_entry] * tf / (tf + norm)).astype(np.float32)
    return weights, idf, avg_length


class KnowledgeSearch:
    """Searches in the question's language, falling back to the person's."""

    def __init__(
        self,
        topics: dict[str, dict[str, Topic]],
        hints: dict[str, SearchHints],
        calibration: Calibration | None = None,
    ) -> None:
        calibration = calibration or Calibration({})
        ranking = calibration.ranking or DEFAULT_RANKING
        offtopic = calibration.offtopic or DEFAULT_OFFTOPIC
        self._indexes = {
            lang: LanguageIndex(
                by_id, hints[lang], calibration.scales.get(lang, 1.0), ranking, offtopic
            )
            for lang, by_id in topics.items()
            if by_id
        }
        self._romanization = {lang: hints[lang].romanization for lang in self._indexes}
        corpora: dict[str, list[str]] = {}
        for lang in self._indexes:
            texts = [
                text
                for topic in topics[lang].values()
                for text in (topic.title, topic.answer, *topic.examples, *topic.keywords)
            ] + list(hints[lang].offtopic)
            corpora[lang] = texts
            romanized = self._romanization[lang]
            if romanized.pairs:
                # The content as people type it in Latin letters, as a language of its
                # own for the guess (mixed with the native script its n-grams would be
                # drowned out), so a romanized message is recognised as this language.
                corpora[lang + ROMANIZED] = [
                    romanized.latin(normalize(text)) for text in (*texts, *hints[lang].danger)
                ]
        self._languages = LanguageIdentifier(corpora)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._indexes)

    def search(self, text: str, person_lang: str) -> SearchResult:
        """Rank topics for `text` in the language it is clearly written in, else the
        person's. When the two differ, both are searched and the better match wins: a
        guess on a short message can be wrong (unaccented Vietnamese with an English
        word in it reads as English), and a wrong guess must not cost the answer."""
        text = text[:SCANNED_CHARS]
        guess = self._languages.guess(text[:GUESSED_CHARS])
        lang = person_lang if person_lang in self._indexes else next(iter(self._indexes))
        detected = guess.lang.removesuffix(ROMANIZED) if guess is not None and guess.clear else None
        words = runs(text)
        # Romanized danger ("u nego nozh", Arabizi) counts whatever language it reads as.
        romanized_danger = any(
            index.mentions_romanized_danger(words) for index in self._indexes.values()
        )
        if detected is None or detected == lang:
            found = self._search_in(lang, words, detected, romanized_danger)
        else:
            assert guess is not None  # a detected language comes from a guess
            lead = 1 + DETECTED_LEAD_PER_MARGIN * min(guess.margin, DETECTED_LEAD_MAX_MARGIN)
            found = max(
                (self._search_in(detected, words, detected, romanized_danger), lead),
                (self._search_in(lang, words, detected, romanized_danger), 1.0),
                key=lambda searched: _strength(*searched),
            )[0]
        if found.danger:
            return found
        return self._small_talk(words, found, lang, detected) or found

    def _small_talk(
        self, words: list[str], found: SearchResult, lang: str, detected: str | None
    ) -> SearchResult | None:
        """ "hi", "thanks", "help" in the person's language, the detected one or, for
        messages too short to guess ("hola", "merci"), any language that has it."""
        order = dict.fromkeys([lang, *([detected] if detected else []), *self._indexes])
        for candidate in order:
            kind = self._indexes[candidate].small_talk(words)
            if kind is not None:
                return SearchResult(
                    candidate, detected, (), offtopic=True, danger=False, small_talk=kind
                )
        return None

    def _search_in(
        self, lang: str, words: list[str], detected: str | None, romanized_danger: bool
    ) -> SearchResult:
        index = self._indexes[lang]
        words = self._romanization[lang].spell_back(words, index.known_words)
        assessment = index.assess(words)
        danger = romanized_danger or index.mentions_danger(words)
        topics_only = tuple(m for m in assessment.ranked if m.topic_id != OFFTOPIC)
        looks_offtopic = (
            not topics_only
            or topics_only[0].confidence < CHOICES_CONFIDENCE
            or assessment.offtopic_probability >= OFFTOPIC_PROBABILITY
        )
        # "The police took my passport": the passport and the landlord of everyday life
        # can outweigh the police topics, but a message naming the police is what this
        # service is for. It gets the nearest topics to choose from and a person, never
        # "I can only help with questions about the police".
        # An urgent best topic is turned away only when the gate is surer
        # (OFFTOPIC_PROBABILITY_URGENT); short of that it gets the choices, with the
        # emergency lines: turning away someone who may be in custody costs more than a
        # choice of topics costs someone who is not.
        urgent_doubted = (
            bool(topics_only)
            and topics_only[0].confidence >= URGENT_CHOICES_CONFIDENCE
            and index.is_urgent(topics_only[0].topic_id)
            and assessment.offtopic_probability < OFFTOPIC_PROBABILITY_URGENT
        )
        in_scope = danger or (bool(topics_only) and (index.names_police(words) or urgent_doubted))
        return SearchResult(
            lang,
            detected,
            topics_only[:RANKED],
            offtopic=looks_offtopic and not in_scope,
            danger=danger,
            doubtful=looks_offtopic and not danger,
        )


def _strength(result: SearchResult, weight: float = 1.0) -> tuple[bool, bool, float]:
    """How well a language's search matched: in scope first, then a clear match, then the
    best topic's confidence (comparable across languages once calibrated), times `weight`.
    `max` keeps the first of equals, which is the detected language."""
    best = result.best
    return (best is not None, not result.doubtful, best.confidence * weight if best else 0.0)
