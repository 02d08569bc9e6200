"""The search index's building blocks agree with the reference implementations."""

from __future__ import annotations

import random

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized

from bot.knowledge.content import SearchHints
from bot.knowledge.search import K1, B, LanguageIndex, _weights, contrasting_negations
from bot.knowledge.terms import TermTable
from bot.knowledge.text import Negation
from tests.support.knowledge import make_topic


def _random_corpus(seed: int) -> tuple[list[list[int]], int]:
    rng = random.Random(seed)
    terms = 60
    corpus = [[rng.randrange(terms) for _ in range(rng.randrange(1, 12))] for _ in range(40)]
    corpus.append([])  # a document with no terms (a message of emoji only) still counts
    return corpus, terms


def test_bm25_weights_equal_bm25s_lucene_weights() -> None:
    for seed in range(5):
        corpus, terms = _random_corpus(seed)
        vocab = {f"t{i}": i for i in range(terms)}
        reference = bm25s.BM25(k1=K1, b=B, method="lucene")
        reference.index(Tokenized(ids=corpus, vocab=vocab), show_progress=False)
        scores = reference.scores
        expected = np.zeros((terms, scores["num_docs"]), dtype=np.float32)
        for term in range(terms):
            start, end = scores["indptr"][term], scores["indptr"][term + 1]
            expected[term, scores["indices"][start:end]] = scores["data"][start:end]

        term_ids = np.array([t for doc in corpus for t in doc], dtype=np.int64)
        doc_ids = np.repeat(np.arange(len(corpus)), [len(doc) for doc in corpus])
        weights, _, _ = _weights(term_ids, doc_ids, terms, len(corpus))

        assert weights.shape == expected.shape
        np.testing.assert_allclose(weights.toarray(), expected, rtol=1e-5, atol=1e-6)


def test_term_table_finds_every_term_and_only_those() -> None:
    vocab = {f"w:{word}": row for row, word in enumerate(["police", "queja", "警察", "ICE"])}
    table = TermTable(vocab)
    found = table.lookup(["queja", "w:queja", "w:ICE", "w:警察", "w:police", "w:polic"])
    assert found.tolist() == [-1, 1, 3, 2, 0, -1]
    assert TermTable({}).lookup(["w:x"]).tolist() == [-1]


def test_a_negated_ngram_is_read_negated_only_where_the_content_contrasts_it() -> None:
    """Negated uses of "emergency" all in one topic, plain ones in another: its negated
    n-grams keep their mark. Negated "papers" in the topic of plain "papers": read plain."""
    tokenized = [
        ["!eme", "!pap"],
        ["!eme", "!pap"],
        ["!eme", "!pap"],
        ["eme", "pap"],
        ["eme"],
        ["pap"],
    ]
    topic_of_doc = np.array([0, 0, 0, 1, 1, 0])
    negated_docs = [True, True, True, False, False, False]
    assert contrasting_negations(tokenized, topic_of_doc, negated_docs) == frozenset({"!eme"})


def test_a_fused_negation_cue_is_read_before_a_word_of_the_content() -> None:
    """ "неэкстренная" is "экстренная" negated when the content has "экстренная"; a word
    that only starts like the cue ("неделя") or whose rest the content lacks stays."""
    negation = Negation(frozenset({"не"}), 2, prefixes=frozenset({"не"}))
    known = frozenset({"экстренная", "ситуация"})
    words = ["неэкстренная", "ситуация", "неделя", "несколько"]
    assert negation.unfused(words, known) == ["!экстренная", "ситуация", "неделя", "несколько"]
    assert Negation(frozenset({"не"}), 2).unfused(words, known) == words


def test_a_topic_answers_first_paragraph_is_evidence_of_the_whole_topic() -> None:
    """A word only the answer's first paragraph says finds its topic; one only later
    paragraphs say does not."""
    topics = {
        tid: make_topic(tid, (example,), title=title, answer=answer)
        for tid, title, example, answer in (
            ("a", "bikes", "my bike was taken", "Report a stolen bicycle.\n\nA scooter too."),
            ("b", "cars", "my car was towed", "Call the tow yard.\n\nOr the {{CITY}} office."),
        )
    }
    index = LanguageIndex(topics, SearchHints((), (), ()))
    assert index.rank("stolen bicycle")[0].topic_id == "a"
    assert index.rank("scooter") == []
