"""What residents would see for phrasings the search has never seen: 4-fold
cross-validation over the content's own example phrasings.

Each fold's examples are held out of every language's index and asked in their own
language through the whole search (language guess, danger, off-topic) and the verdict
the chat renders. The figures are the calibration's ground truth: the development
questions are for measuring only, and tuning on them would not carry over to new
questions. Used by `benchmarks/kb_accuracy.py --crossval`.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from bot.knowledge.content import Calibration, SearchHints, Topic
from bot.knowledge.search import KnowledgeSearch
from bot.knowledge.verdict import REACH_A_PERSON_TOPIC, decide

FOLDS = 4
SEED = 1


def urgency(by_id: dict[str, Topic]) -> Callable[[str], bool]:
    """Whether a topic id of one language's content is urgent."""
    return lambda topic_id: by_id[topic_id].urgent


def offers(reply: str, choices: tuple[str, ...], wanted: str) -> bool:
    """The reply leads to `wanted` in one tap: it is among the choices or the
    alternatives under an answer, or choices were offered and it is reaching a person,
    which the "Talk to a person" button under every choice starts."""
    return wanted in choices or (reply == "choices" and wanted == REACH_A_PERSON_TOPIC)


def held_out_figures(
    topics: dict[str, dict[str, Topic]],
    hints: dict[str, SearchHints],
    calibration: Calibration,
    report: Callable[[str, str, str, str, tuple[str, ...]], None] | None = None,
    seed: int = SEED,
) -> dict[str, float]:
    """Shares of held-out phrasings: `top1`, `direct_correct`, `wrong_direct`,
    `choices_contain` (right topic answered or offered), `urgent_emergency_first` and
    `other_emergency_first` (phrasings of urgent / other topics shown the emergency lines first);
    `offtopic_declined`, the share of held-out off-topic examples (search.toml) given
    the off-topic menu. `report(lang, question, wanted, got, choices)` is called for
    every miss (`wanted` is "" for an off-topic example). `seed` chooses the folds: one
    added phrasing reshuffles them all, so a change of half a point is judged over
    several seeds (`averaged_figures`)."""
    items = [
        (lang, tid, example)
        for lang, by_id in topics.items()
        for tid, topic in by_id.items()
        for example in topic.examples
    ]
    random.Random(seed).shuffle(items)
    offtopic = [(lang, text) for lang in topics for text in hints[lang].offtopic]
    random.Random(seed).shuffle(offtopic)
    declined: list[bool] = []
    counts = dict.fromkeys(("top1", "direct_correct", "wrong_direct", "choices_contain"), 0)
    urgent_first: list[bool] = []
    other_first: list[bool] = []
    for fold in range(FOLDS):
        held = set(items[fold::FOLDS])
        reduced = {
            lang: {
                tid: dataclasses.replace(
                    topic,
                    examples=tuple(e for e in topic.examples if (lang, tid, e) not in held),
                )
                for tid, topic in by_id.items()
            }
            for lang, by_id in topics.items()
        }
        held_offtopic = set(offtopic[fold::FOLDS])
        kept_hints = {
            lang: dataclasses.replace(
                found, offtopic=tuple(t for t in found.offtopic if (lang, t) not in held_offtopic)
            )
            for lang, found in hints.items()
        }
        search = KnowledgeSearch(reduced, kept_hints, calibration)
        for lang, text in offtopic[fold::FOLDS]:
            verdict = decide(search.search(text, lang), urgency(topics[lang]))
            declined.append(verdict.reply == "offtopic")
            if report is not None and not declined[-1]:
                report(lang, text, "", str(verdict.topic), verdict.choices)
        for lang, wanted, question in items[fold::FOLDS]:
            result = search.search(question, lang)
            verdict = decide(result, urgency(topics[result.lang]))
            answered = verdict.reply == "answer"
            right = verdict.topic == wanted
            counts["top1"] += right
            counts["direct_correct"] += answered and right
            counts["wrong_direct"] += answered and not right
            counts["choices_contain"] += (answered and right) or offers(
                verdict.reply, verdict.choices, wanted
            )
            if topics[lang][wanted].urgent:
                urgent_first.append(verdict.emergency_first)
            else:
                other_first.append(verdict.emergency_first)
            if report is not None and not (answered and right):
                report(lang, question, wanted, str(verdict.topic), verdict.choices)
    figures = {key: round(value / len(items), 4) for key, value in counts.items()}
    figures["urgent_emergency_first"] = round(sum(urgent_first) / max(len(urgent_first), 1), 4)
    figures["other_emergency_first"] = round(sum(other_first) / max(len(other_first), 1), 4)
    figures["offtopic_declined"] = round(sum(declined) / max(len(declined), 1), 4)
    figures["phrasings"] = len(items)
    return figures


def averaged_figures(
    topics: dict[str, dict[str, Topic]],
    hints: dict[str, SearchHints],
    calibration: Calibration,
    seeds: int,
) -> dict[str, float]:
    """`held_out_figures` averaged over the folds of `seeds` seeds (SEED, SEED + 1 …)."""
    runs = [
        held_out_figures(topics, hints, calibration, seed=SEED + offset) for offset in range(seeds)
    ]
    averaged = {key: round(sum(run[key] for run in runs) / seeds, 4) for key in runs[0]}
    averaged["phrasings"] = runs[0]["phrasings"]  # a count, the same under every seed
    return averaged
