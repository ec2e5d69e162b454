"""What the managers' routing rules cost on the webhook path, against the classifier they run beside.

    python bench/routing_rules.py [--repeat 5] [--messages 400]

For the same messages (the corpus's first --messages texts, English and Japanese), the time per message of
`domain.routing_rules.route` over the most rules a brand may keep at their longest (50 rules of 20 words of 50
characters, every condition set: the worst case; and 10 realistic ones: a few short words each, no match for most
messages) against `classify()`, the model every message already goes through. Each is the median over messages of the
best of --repeat calls. The rules are read once per container (a GetItem every 30 s), so this is all they add per
message. The last line is `routing_vs_classify_ratio=<worst case / classify>`.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import harness  # noqa: F401  (the import path)
from chalicelib.classifier import classify
from chalicelib.domain import routing_rules
from chalicelib.domain.routing_rules import RoutingRule, RoutingRules
from training.corpus import load_corpus

PLATFORMS = ("facebook", "instagram", "messenger", "whatsapp", "x", "telegram", "generic")
CHANNELS = ("comment", "reply", "mention", "direct_message", "post")


def longest_rules() -> RoutingRules:
    """The most rules at their longest, built so that no word is found (every rule is tried, every word searched)."""
    rules = []
    for n in range(routing_rules.MAX_RULES):
        filler = "x" * (routing_rules.MAX_WORD_CHARS - 6)
        words = tuple(f"zq{n:02d}{w:02d}{filler}" for w in range(routing_rules.MAX_WORDS))
        rules.append(RoutingRule(id=f"{n:016x}", name=f"rule {n}", words=words, platforms=PLATFORMS,
                                 channels=CHANNELS, languages=("en", "ja", "other"), queue="stance"))
    return RoutingRules(rules=tuple(rules), rev=1)


def realistic_rules() -> RoutingRules:
    samples = [("Recall", ("recall", "回収", "#kettlerecall")), ("Boycott", ("#boycottacme", "不買")),
               ("Outage", ("outage", "down again", "障害")), ("Legal", ("lawyer", "弁護士")),
               ("Press", ("journalist", "reporter", "取材")), ("Pride", ("pride collection",)),
               ("Giveaway", ("giveaway", "プレゼント企画")), ("VIP", ("@acmeceo",)), ("Refund", ("chargeback",)),
               ("Safety", ("fire", "発火"))]
    return RoutingRules(rules=tuple(RoutingRule(id=f"{n:016x}", name=name, words=words, queue="customer_service")
                                    for n, (name, words) in enumerate(samples)), rev=1)


def per_message_us(fn, texts: list[str], repeat: int) -> float:
    clock = time.perf_counter_ns
    best = []
    gc.disable()
    try:
        for text in texts:
            times = []
            for _ in range(repeat):
                start = clock()
                fn(text)
                times.append(clock() - start)
            best.append(min(times) / 1000)
    finally:
        gc.enable()
    return statistics.median(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    rows = load_corpus()
    texts = ([r.text for r in rows if r.lang == "en"][: args.messages // 2]
             + [r.text for r in rows if r.lang == "ja"][: args.messages // 2])
    worst, usual = longest_rules(), realistic_rules()
    for rules in (worst, usual):  # compile each rule's words once, as the container's copy does
        routing_rules.route(rules, "warm up", "facebook", "comment", "en")
    classify(texts[0])
    model = per_message_us(classify, texts, args.repeat)
    longest = per_message_us(lambda t: routing_rules.route(worst, t, "facebook", "comment", "en"), texts, args.repeat)
    realistic = per_message_us(lambda t: routing_rules.route(usual, t, "facebook", "comment", "en"), texts, args.repeat)
    print(f"messages: {len(texts)} (English and Japanese corpus texts), best of {args.repeat} each, median")
    print(f"classify():                                  {model:8.1f} us/message")
    print(f"route(), 50 rules x 20 words x 50 chars:     {longest:8.1f} us/message ({longest / model:.2f} x classify)")
    print(f"route(), 10 realistic rules:                 {realistic:8.1f} us/message "
          f"({realistic / model:.2f} x classify)")
    print(f"routing_vs_classify_ratio={longest / model:.3f}")


if __name__ == "__main__":
    main()
