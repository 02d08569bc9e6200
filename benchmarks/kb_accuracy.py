"""Knowledge search quality and speed on a question set.

Runs every question of a JSONL set ({"q", "lang", "topic" | null}) through the same
search the chat uses, and prints top-1 accuracy overall and per language (on-topic
questions), the share of off-topic questions correctly not answered, and search latency
(p50/p99, one core). The last line is one JSON object with the figures.

    python benchmarks/kb_accuracy.py [--questions PATH] [--misses]
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

DEFAULT_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "kb" / "dev_questions.jsonl"
# Repeat the set so the latency percentiles rest on enough samples.
LATENCY_ROUNDS = 5


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--misses", action="store_true", help="print every wrong answer")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.questions.read_text("utf-8").splitlines() if line]
    config = load_config(None, env={})
    kb = KnowledgeBase(config)
    hits: dict[str, list[bool]] = defaultdict(list)
    offtopic_rejected: list[bool] = []
    latencies: list[float] = []
    for round_number in range(LATENCY_ROUNDS):
        for row in rows:
            lang = negotiate(row.get("lang")) or config.bot.default_locale
            started = time.perf_counter()
            result = kb.search(row["q"], lang)
            latencies.append((time.perf_counter() - started) * 1000)
            if round_number:
                continue
            predicted = result.best.topic_id if result.best else None
            if row["topic"] is None:
                offtopic_rejected.append(predicted is None)
            else:
                hits[lang].append(predicted == row["topic"])
            if args.misses and predicted != row["topic"]:
                ranked = [(m.topic_id, round(m.confidence, 2)) for m in result.ranked]
                print(
                    f"MISS [{lang}->{result.lang}] {row['q']!r}: want {row['topic']}, "
                    f"got {predicted} {ranked}",
                    file=sys.stderr,
                )
    per_lang = {lang: sum(v) / len(v) for lang, v in sorted(hits.items())}
    overall = [hit for values in hits.values() for hit in values]
    figures = {
        "top1": round(sum(overall) / len(overall), 4),
        "top1_min_lang": round(min(per_lang.values()), 4),
        "offtopic_rejected": round(sum(offtopic_rejected) / max(len(offtopic_rejected), 1), 4),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
    }
    for lang, share in per_lang.items():
        print(f"top-1 {lang:8} {share:.1%} ({len(hits[lang])} questions)")
    print(
        f"top-1 overall {figures['top1']:.1%}; off-topic not answered "
        f"{figures['offtopic_rejected']:.1%} of {len(offtopic_rejected)}"
    )
    print(f"latency p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
