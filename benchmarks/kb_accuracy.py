"""Knowledge search quality and speed on a question set.

Runs every question of a JSONL set ({"q", "lang", "topic" | null}) through the verdict
the chat renders, and prints, overall and per language (on-topic questions): top-1
accuracy; `direct_correct` (answered directly with the right topic); `wrong_direct`
(answered directly with a wrong topic); `choices_contain` (the right topic answered, or
among the choices or the alternatives offered under an answer, reaching a person
counting as offered with choices: every choice message ends with its button); the share
of urgent-topic questions (`urgent_emergency_first`) and of danger-now questions
(`danger_emergency_first`, topic safety.emergency) whose first message starts with the
emergency lines; the share of emergency-number questions
(benchmarks/kb_emergency_questions.jsonl) routed to safety.emergency with the emergency
lines first; off-topic questions not answered; and search latency (p50/p99, one core,
plus p99 on 4,000-character messages; each timing is the search's CPU time, the best of
three back-to-back runs, so other processes on a shared machine do not decide the
figure).
The last line is one JSON object with the figures.

With --crossval the same verdict figures are also measured on the content's own example
phrasings, each held out of the index it is asked against (bot/knowledge/crossval.py):
the unseen-like measure the calibration is chosen on.

    python benchmarks/kb_accuracy.py [--questions PATH] [--misses] [--crossval [--seeds N]]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from bot.config import load_config
from bot.i18n import negotiate
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.content import load_calibration, load_search_hints, load_topics
from bot.knowledge.crossval import averaged_figures, offers

HERE = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = HERE.parents[1] / "shared" / "kb" / "dev_questions.jsonl"
EMERGENCY_QUESTIONS = HERE / "kb_emergency_questions.jsonl"
EMERGENCY_TOPIC = "safety.emergency"
# Repeat the set so the latency percentiles rest on enough samples.
LATENCY_ROUNDS = 5
# Each timing is the search's own CPU time (the thread's clock, so waiting for a core
# another process holds does not count: the machine is shared), the best of this many
# back-to-back runs of the same question.
TIMING_REPEATS = 3
# Long messages: each question padded to this length with a story of everyday words.
LONG_CHARS = 4000
LONG_ROUNDS = 2


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def best_time(kb: KnowledgeBase, text: str, lang: str) -> float:
    """CPU milliseconds of one verdict, the best of TIMING_REPEATS runs."""
    timings = []
    for _ in range(TIMING_REPEATS):
        started = time.thread_time()
        kb.decide(text, lang)
        timings.append((time.thread_time() - started) * 1000)
    return min(timings)


def share(values: list[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 1.0


def by_lang(values: dict[str, list[bool]]) -> dict[str, float]:
    return {lang: share(found) for lang, found in sorted(values.items())}


def read(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--misses", action="store_true", help="print every wrong answer")
    parser.add_argument(
        "--crossval",
        action="store_true",
        help="also the same verdict figures on held-out content phrasings (4-fold, ~20 s)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="with --crossval: average over the folds of this many seeds (~15 s each)",
    )
    args = parser.parse_args()
    rows = read(args.questions)
    config = load_config(None, env={})
    kb = KnowledgeBase(config)
    top1: dict[str, list[bool]] = defaultdict(list)
    direct: dict[str, list[bool]] = defaultdict(list)
    wrong: dict[str, list[bool]] = defaultdict(list)
    offered: dict[str, list[bool]] = defaultdict(list)
    urgent: dict[str, list[bool]] = defaultdict(list)
    danger: list[bool] = []
    offtopic_rejected: list[bool] = []
    latencies: list[float] = []
    for round_number in range(LATENCY_ROUNDS):
        for row in rows:
            lang = negotiate(row.get("lang")) or config.bot.default_locale
            verdict = kb.decide(row["q"], lang)
            latencies.append(best_time(kb, row["q"], lang))
            if round_number:
                continue
            want = row["topic"]
            if want is None:
                offtopic_rejected.append(verdict.reply == "offtopic")
            else:
                answered = verdict.reply == "answer"
                top1[lang].append(verdict.topic == want)
                direct[lang].append(answered and verdict.topic == want)
                wrong[lang].append(answered and verdict.topic != want)
                offered[lang].append(
                    (answered and verdict.topic == want)
                    or offers(verdict.reply, verdict.choices, want)
                )
                found = kb.topic(want, lang)
                if found is not None and found.topic.urgent:
                    urgent[lang].append(verdict.emergency_first)
                if want == EMERGENCY_TOPIC:
                    danger.append(verdict.emergency_first)
            if args.misses and (verdict.topic != want or verdict.reply == "choices"):
                print(
                    f"{verdict.reply.upper()} [{lang}->{verdict.lang}] {row['q']!r}: want {want}, "
                    f"got {verdict.topic} {list(verdict.choices)}",
                    file=sys.stderr,
                )
    emergency_numbers: dict[str, list[bool]] = defaultdict(list)
    for row in read(EMERGENCY_QUESTIONS):
        verdict = kb.decide(row["q"], row["lang"])
        routed = verdict.topic == EMERGENCY_TOPIC and verdict.emergency_first
        emergency_numbers[row["lang"]].append(routed)
    long_latencies: list[float] = []
    for _ in range(LONG_ROUNDS):
        for row in rows:
            text = (row["q"] + " ") * (LONG_CHARS // (len(row["q"]) + 1) + 1)
            lang = negotiate(row.get("lang")) or config.bot.default_locale
            long_latencies.append(best_time(kb, text[:LONG_CHARS], lang))

    def overall(values: dict[str, list[bool]]) -> float:
        return share([v for found in values.values() for v in found])

    per_lang = by_lang(top1)
    figures = {
        "top1": overall(top1),
        "top1_min_lang": min(per_lang.values()),
        "direct_correct": overall(direct),
        "wrong_direct": overall(wrong),
        "choices_contain": overall(offered),
        "urgent_emergency_first": overall(urgent),
        "danger_emergency_first": share(danger),
        "emergency_number_questions": overall(emergency_numbers),
        "offtopic_rejected": share(offtopic_rejected),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "p99_ms_4000_chars": round(percentile(long_latencies, 0.99), 3),
        "by_lang": {
            "top1": per_lang,
            "direct_correct": by_lang(direct),
            "wrong_direct": by_lang(wrong),
            "choices_contain": by_lang(offered),
            "urgent_emergency_first": by_lang(urgent),
            "emergency_number_questions": by_lang(emergency_numbers),
        },
    }
    if args.crossval:
        langs = config.bot.languages
        held_out = averaged_figures(
            load_topics(langs),
            {lang: load_search_hints(lang) for lang in langs},
            load_calibration(),
            max(args.seeds, 1),
        )
        figures["crossval"] = held_out
        print(
            f"held-out content phrasings ({held_out['phrasings']}): top-1 {held_out['top1']:.1%},"
            f" direct and right {held_out['direct_correct']:.1%}, direct and wrong"
            f" {held_out['wrong_direct']:.1%}, right topic offered"
            f" {held_out['choices_contain']:.1%},"
            f" urgent with emergency lines first {held_out['urgent_emergency_first']:.1%}"
        )
    for lang, found in per_lang.items():
        right, wrong_share = share(direct[lang]), share(wrong[lang])
        print(
            f"{lang:8} top-1 {found:.1%}  direct+right {right:.1%}  direct+wrong"
            f" {wrong_share:.1%}  ({len(top1[lang])} questions)"
        )
    print(
        f"top-1 {figures['top1']:.1%}; answered directly and right {figures['direct_correct']:.1%},"
        f" directly and wrong {figures['wrong_direct']:.1%}; right topic offered"
        f" {figures['choices_contain']:.1%}"
    )
    print(
        f"emergency lines first: urgent topics {figures['urgent_emergency_first']:.1%}, danger"
        f" now {figures['danger_emergency_first']:.1%}; emergency-number questions routed"
        f" {figures['emergency_number_questions']:.1%}; off-topic not answered"
        f" {figures['offtopic_rejected']:.1%} of {len(offtopic_rejected)}"
    )
    print(
        f"latency p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms,"
        f" p99 of {LONG_CHARS}-character messages {figures['p99_ms_4000_chars']} ms"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
