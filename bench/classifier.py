"""Benchmark the pure-Python runtime scorer against scikit-learn, one message at a time.

    python bench/classifier.py [--repeat 3] [--loads 7] [--model models/triage-model.bin] [--strict]

Fits the training pipeline on the corpus (training.train.fit), exports it to a temporary artifact and, for every
corpus text, times pipeline.predict_proba([text]) against the runtime's like-for-like call
TriageModel.probabilities(text) (best of --repeat runs of that message); the ratio of their medians per message is
the speedup. TriageModel.classify(text), which adds the label, top terms and review flag, is timed and reported too. Then times --loads cold loads of
the committed artifact with TriageModel.load (median) and reports its size.
Targets: >= 4x faster than scikit-learn, load < 150 ms, artifact < 5 MB. The last line is `speedup_vs_sklearn=<ratio>`.
With --strict the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib.classifier.artifact import Container  # noqa: E402
from chalicelib.classifier.scorer import DEFAULT_MODEL_PATH, TriageModel  # noqa: E402
from training import train  # noqa: E402
from training.corpus import LABELS, load_corpus  # noqa: E402

TARGET_SPEEDUP = 4.0
TARGET_LOAD_MS = 150.0
TARGET_SIZE_MB = 5.0


def per_message_us(fn, texts: list[str], repeat: int) -> list[float]:
    """Microseconds per message: for each message, the best of `repeat` timed calls."""
    clock = time.perf_counter_ns
    times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for text in texts:
            best = None
            for _ in range(repeat):
                start = clock()
                fn(text)
                elapsed = clock() - start
                best = elapsed if best is None or elapsed < best else best
            times.append(best / 1_000)
    finally:
        if gc_was_enabled:
            gc.enable()
    return times


def load_ms(path: Path, loads: int) -> list[float]:
    times = []
    for _ in range(loads):
        gc.collect()
        start = time.perf_counter()
        model = TriageModel.load(path)
        times.append((time.perf_counter() - start) * 1_000)
        del model
    return times


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per message (best is kept)")
    parser.add_argument("--loads", type=int, default=7, help="cold artifact loads to take the median of")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="artifact whose load time and size count")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    examples = load_corpus()
    texts = [e.text for e in examples]
    print(f"corpus: {len(texts)} messages; fitting the scikit-learn pipeline as training does ...", flush=True)
    start = time.perf_counter()
    pipeline = train.fit(examples)
    fit_s = time.perf_counter() - start

    committed = args.model.read_bytes() if args.model.exists() else None
    threshold = Container(committed).header["review_threshold"] if committed else 0.5
    artifact = train.export(pipeline, threshold)
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / "triage-model.bin"
        train.write_artifact(artifact, fresh_path)
        runtime = TriageModel.load(fresh_path)
        fresh_bytes = fresh_path.read_bytes()
    current = committed == fresh_bytes
    print(f"fit: {fit_s:.1f} s, {artifact['terms'].count(chr(10)) + 1} terms, version {artifact['version']} "
          f"(committed artifact {'is current' if current else 'is STALE: run python -m training.train'})")

    # sanity: the two sides compute the same thing
    classes = list(pipeline.named_steps["clf"].classes_)
    sample = texts[:: max(1, len(texts) // 200)]
    for text, row in zip(sample, pipeline.predict_proba(sample)):
        got = runtime.probabilities(text)
        want = [row[classes.index(label)] for label in LABELS]
        assert max(abs(g - w) for g, w in zip(got, want)) < 1e-9, text[:60]

    # warm up both paths (first-call costs: imports, caches, validation code paths)
    for text in texts[:50]:
        runtime.classify(text)
        pipeline.predict_proba([text])

    print(f"timing {len(texts)} messages one at a time, best of {args.repeat} per message ...", flush=True)
    runtime_us = per_message_us(runtime.probabilities, texts, args.repeat)
    classify_us = per_message_us(runtime.classify, texts, args.repeat)
    sklearn_us = per_message_us(lambda t: pipeline.predict_proba([t]), texts, args.repeat)
    sklearn_median = statistics.median(sklearn_us)
    ratio = sklearn_median / statistics.median(runtime_us)
    classify_ratio = sklearn_median / statistics.median(classify_us)

    size = args.model.stat().st_size
    loads = load_ms(args.model, args.loads)
    load_median = statistics.median(loads)

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[q - 1]

    print()
    print("| | median us/message | p90 | p99 | max |")
    print("|---|---|---|---|---|")
    for name, values in (
        ("scikit-learn pipeline.predict_proba([text])", sklearn_us),
        ("runtime TriageModel.probabilities(text)", runtime_us),
        ("runtime TriageModel.classify(text) (+ top terms)", classify_us),
    ):
        print(f"| {name} | {statistics.median(values):.1f} | {pct(values, 90):.1f} | {pct(values, 99):.1f} "
              f"| {max(values):.1f} |")
    print()
    speed_ok = ratio >= TARGET_SPEEDUP
    load_ok = load_median < TARGET_LOAD_MS
    size_ok = size / 1e6 < TARGET_SIZE_MB
    print(f"speedup (probabilities vs predict_proba, median per message): {ratio:.2f}x "
          f"(target >= {TARGET_SPEEDUP:g}x: {verdict(speed_ok)}); classify() incl. top terms: {classify_ratio:.2f}x")
    print(f"artifact load ({args.model.name}, median of {args.loads} cold loads): {load_median:.1f} ms "
          f"[min {min(loads):.1f}, max {max(loads):.1f}] (target < {TARGET_LOAD_MS:g} ms: {verdict(load_ok)})")
    print(f"artifact size: {size} bytes = {size / 1e6:.2f} MB (target < {TARGET_SIZE_MB:g} MB: {verdict(size_ok)})")
    print(f"speedup_vs_sklearn={ratio:.2f}")
    return 1 if args.strict and not (speed_ok and load_ok and size_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
