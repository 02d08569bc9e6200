"""`liaison kb calibrate`: the search's ranking weights and per-language confidence scales,
fitted on the content itself.

A 4-fold cross-validation per language gives, for every held-out example phrasing, the
ranking features of every topic (`search.FEATURES`). The folds hold out keywords with
the example phrasings (each fold's keywords left out of its index too): with keywords
always in the index, a held-out phrasing's words are often in its own topic's keywords,
and the fit learned to trust keyword matches in a way residents' questions do not bear
out (docs/SEARCH.md, "the re-ranker"). Two things are fitted on the features:
- **Ranking weights**: how much each feature counts (the best keyword against the best
  example phrasing, the whole topic against its best phrasing …). A conditional logit,
  the right topic's share of a softmax over the topics, pooled over the languages: six
  numbers for ~7,000 phrasings, so it learns how the content's parts tell topics apart
  rather than any one phrasing. Fitted here, offline, and shipped with the content:
  start-up only reads them.
- **Confidence scales**: Chinese character tokens score lower than words of Spanish for an
  equally good match, so one absolute threshold would reject good Chinese answers. The
  median confidence of correct held-out matches is brought to the same reference in
  every language.
- **The off-topic gate**: a logistic model over `search.OFFTOPIC_EVIDENCE`, on folds of
  the example phrasings and the off-topic examples (a quarter of each held out), with
  the ranking and scales just fitted. The two classes weigh the same in the fit (there
  are seven times more phrasings than off-topic examples); messages that name the police
  are left out, since the search never declines them.

Run after content changes; the result ships as `locales/calibration.toml`.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
from pathlib import Path

import numpy as np

from bot.knowledge.content import (
    Calibration,
    SearchHints,
    Topic,
    load_search_hints,
    load_topics,
)
from bot.knowledge.search import (
    FEATURE_FLOOR,
    FEATURES,
    OFFTOPIC,
    OFFTOPIC_EVIDENCE,
    REFERENCE_CONFIDENCE,
    LanguageIndex,
)
from bot.knowledge.text import runs

FOLDS = 4
SEED = 1
# Gradient ascent on the mean log-likelihood of the right topic: the problem is convex
# and small (six weights), so a fixed step and count converge (the weights move by under
# 0.001 over the last hundred steps).
STEPS = 300
STEP_SIZE = 1.0
# A little shrinkage keeps the weights finite if one feature separates the folds alone.
SHRINKAGE = 1e-4
# Newton steps for the off-topic gate's logistic fit (it converges in under ten) and its
# ridge, which keeps the steps defined when two pieces of evidence move together.
GATE_STEPS = 25
GATE_RIDGE = 1e-3
_EXAMPLE, _KEYWORD = "example", "keyword"


@dataclasses.dataclass(frozen=True, slots=True)
class HeldOut:
    """One language's held-out phrasings: `features[n, topic, feature]` (log of the
    search's features, off-topic class left out) and the right topic's column `wanted[n]`."""

    lang: str
    features: np.ndarray
    wanted: np.ndarray


def held_out(lang: str, topics: dict[str, Topic], hints: SearchHints) -> HeldOut:
    """The ranking features of each held-out example phrasing of one language, on folds
    that hold a quarter of the examples and a quarter of the keywords out."""
    items = [(_EXAMPLE, t.id, text) for t in topics.values() for text in t.examples]
    items += [(_KEYWORD, t.id, text) for t in topics.values() for text in t.keywords]
    random.Random(SEED).shuffle(items)
    rows: list[np.ndarray] = []
    wanted: list[int] = []
    for fold in range(FOLDS):
        held = set(items[fold::FOLDS])
        reduced = {
            tid: dataclasses.replace(
                topic,
                examples=tuple(e for e in topic.examples if (_EXAMPLE, tid, e) not in held),
                keywords=tuple(k for k in topic.keywords if (_KEYWORD, tid, k) not in held),
            )
            for tid, topic in topics.items()
        }
        index = LanguageIndex(reduced, hints)
        kept = [i for i, tid in enumerate(index.topic_ids) if tid != OFFTOPIC]
        columns = [index.topic_ids[i] for i in kept]
        for kind, topic_id, question in items[fold::FOLDS]:
            found = index.features(runs(question)) if kind == _EXAMPLE else None
            if found is None:
                continue
            rows.append(np.log(found[0][kept] + FEATURE_FLOOR))
            wanted.append(columns.index(topic_id))
    empty = np.zeros((0, 0, len(FEATURES)))
    return HeldOut(lang, np.stack(rows) if rows else empty, np.array(wanted, dtype=np.int64))


def fit_ranking(samples: list[HeldOut]) -> tuple[float, ...]:
    """Feature weights that make the right topic most likely under a softmax over each
    phrasing's topics, normalised to sum to 1 (confidence is then a weighted geometric
    mean of the features, in the same 0..1 range as each of them)."""
    weights = np.ones(len(FEATURES))
    count = sum(len(sample.wanted) for sample in samples)
    for _ in range(STEPS):
        gradient = np.zeros(len(FEATURES))
        for sample in samples:
            if not len(sample.wanted):
                continue
            scores = sample.features @ weights
            scores -= scores.max(axis=1, keepdims=True)
            chance = np.exp(scores)
            chance /= chance.sum(axis=1, keepdims=True)
            right = sample.features[np.arange(len(sample.wanted)), sample.wanted]
            gradient += right.sum(axis=0) - np.einsum("nt,ntf->f", chance, sample.features)
        weights += STEP_SIZE * gradient / max(count, 1) - SHRINKAGE * weights
    return tuple(round(float(weight), 4) for weight in weights / weights.sum())


def scale_for(sample: HeldOut, ranking: tuple[float, ...]) -> float:
    """The factor that brings the median confidence of correct held-out matches to the
    reference confidence."""
    if not len(sample.wanted):
        return 1.0
    confidence = np.exp(sample.features @ np.array(ranking))
    right = np.argmax(confidence, axis=1) == sample.wanted
    correct = confidence.max(axis=1)[right]
    median = statistics.median(correct.tolist()) if right.any() else REFERENCE_CONFIDENCE
    return round(REFERENCE_CONFIDENCE / median, 3)


@dataclasses.dataclass(frozen=True, slots=True)
class GateSamples:
    """Off-topic evidence of held-out messages (`evidence[n]`, `search.OFFTOPIC_EVIDENCE`)
    and whether each is an off-topic example (`offtopic[n]`)."""

    evidence: np.ndarray
    offtopic: np.ndarray


def gate_samples(
    topics: dict[str, Topic],
    hints: SearchHints,
    scale: float,
    ranking: tuple[float, ...],
) -> GateSamples:
    """One language's held-out example phrasings and off-topic examples, each asked of
    an index that lacks its quarter of both (the ranking and scale already fitted)."""
    items = [(False, text) for topic in topics.values() for text in topic.examples]
    items += [(True, text) for text in hints.offtopic]
    random.Random(SEED).shuffle(items)
    rows: list[np.ndarray] = []
    labels: list[bool] = []
    for fold in range(FOLDS):
        held = items[fold::FOLDS]
        held_texts = {text for _, text in held}
        reduced = {
            tid: dataclasses.replace(
                topic, examples=tuple(e for e in topic.examples if e not in held_texts)
            )
            for tid, topic in topics.items()
        }
        kept = dataclasses.replace(
            hints, offtopic=tuple(t for t in hints.offtopic if t not in held_texts)
        )
        index = LanguageIndex(reduced, kept, scale, ranking)
        for offtopic, text in held:
            words = runs(text)
            evidence = None if index.names_police(words) else index.assess(words).evidence
            if evidence is not None:
                rows.append(evidence)
                labels.append(offtopic)
    empty = np.zeros((0, len(OFFTOPIC_EVIDENCE)))
    return GateSamples(np.stack(rows) if rows else empty, np.array(labels, dtype=bool))


def fit_offtopic(samples: list[GateSamples]) -> tuple[float, ...]:
    """The off-topic gate's intercept and weights: a logistic regression pooled over the
    languages, each class weighing as much as the other, by Newton's method."""
    evidence = np.concatenate([sample.evidence for sample in samples])
    labels = np.concatenate([sample.offtopic for sample in samples]).astype(np.float64)
    design = np.column_stack([np.ones(len(evidence)), evidence])
    positives = max(float(labels.sum()), 1.0)
    balance = np.where(labels == 1.0, (len(labels) - positives) / positives, 1.0)
    weights = np.zeros(design.shape[1])
    for _ in range(GATE_STEPS):
        chance = 1.0 / (1.0 + np.exp(-np.clip(design @ weights, -50.0, 50.0)))
        gradient = design.T @ (balance * (labels - chance))
        hessian = (design * (balance * chance * (1 - chance))[:, None]).T @ design
        weights += np.linalg.solve(hessian + GATE_RIDGE * np.eye(len(weights)), gradient)
    return tuple(round(float(weight), 4) for weight in weights)


def calibrate(langs: tuple[str, ...]) -> Calibration:
    pack = load_topics(langs)
    hints = {lang: load_search_hints(lang) for lang in langs}
    samples = [held_out(lang, pack[lang], hints[lang]) for lang in langs]
    ranking = fit_ranking(samples)
    scales = {sample.lang: scale_for(sample, ranking) for sample in samples}
    gate = [gate_samples(pack[lang], hints[lang], scales[lang], ranking) for lang in langs]
    return Calibration(scales, ranking, fit_offtopic(gate))


def write_calibration(calibration: Calibration, path: Path) -> None:
    lines = [
        "# Ranking weights, off-topic gate and per-language confidence scales for the knowledge",
        "# search.",
        "# Generated by `liaison kb calibrate`; rerun it after changing content.",
        "",
        "[ranking]",
        f"# Weights of {', '.join(FEATURES)}.",
        f"weights = [{', '.join(str(weight) for weight in calibration.ranking or ())}]",
        "",
        "[offtopic]",
        f"# Intercept, then weights of {', '.join(OFFTOPIC_EVIDENCE)}.",
        f"weights = [{', '.join(str(weight) for weight in calibration.offtopic or ())}]",
        "",
        "[scale]",
    ]
    lines.extend(f'"{lang}" = {scale}' for lang, scale in sorted(calibration.scales.items()))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
