"""Benchmark the pure-Python runtime scorer against scikit-learn, one message at a time.

    python bench/classifier.py [--repeat 3] [--loads 7] [--cold 7] [--package] [--model models/triage-model.bin] [--strict]

Fits the training pipeline on the corpus (training.train.fit), exports it to a temporary artifact and, for every
corpus text, times pipeline.predict_proba([text]) against the runtime's like-for-like call
TriageModel.probabilities(text) (best of --repeat runs of that message); the ratio of their medians per message is
the speedup. TriageModel.classify(text), which adds the label, top terms and review flag, is timed and reported too. Then times --loads cold loads of
the committed artifact with TriageModel.load (median) and reports its size; times --cold fresh processes that
import chalicelib.classifier and classify one message (the first classify of a cold container, interpreter start-up
excluded); with --package, runs `chalice package` (prod) and reports the deployment zip's size.
Targets: classify() median < 1 ms and not slower than scikit-learn one message at a time, load < 150 ms, artifact
< 12 MB, first classify in a cold process < 30 ms, deployment zip < 15 MB. The last line is
`speedup_vs_sklearn=<ratio>`.
With --strict the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib.classifier.artifact import Container, read_artifact  # noqa: E402
from chalicelib.classifier.scorer import DEFAULT_MODEL_PATH, TriageModel  # noqa: E402
from training import train  # noqa: E402
from training.corpus import LABELS, load_corpus  # noqa: E402

TARGET_SPEEDUP = 1.0  # not slower than scikit-learn on one message
TARGET_CLASSIFY_US = 1_000.0
TARGET_LOAD_MS = 150.0
TARGET_SIZE_MB = 12.0
TARGET_COLD_MS = 30.0
TARGET_ZIP_MB = 15.0
COLD_SCRIPT = """
import time
start = time.perf_counter()
import chalicelib.classifier as classifier
classifier.classify("@SkylarkAirHelp my bag never arrived, can you check? ref 55120")
print((time.perf_counter() - start) * 1000)
"""


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


def cold_first_classify_ms(runs: int) -> list[float]:
    """Fresh interpreters (no bytecode written) importing the classifier and classifying once, as a cold container."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRIAGE_MODEL_PATH", "TRIAGE_REVIEW_THRESHOLD")}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    times = []
    for _ in range(runs):
        result = subprocess.run([sys.executable, "-c", COLD_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120, check=True)
        times.append(float(result.stdout.strip().splitlines()[-1]))
    return times


def package_zip_bytes() -> int | None:
    """`chalice package` for prod (needs PyPI on the first run), the zip's size; None when packaging fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        command = [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
                   "--project-dir", str(ROOT), "package", "--stage", "prod",
                   "--merge-template", str(ROOT / "infra" / "resources.json"), str(out)]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            print(f"chalice package failed:\n{(result.stdout + result.stderr)[-2000:]}")
            return None
        return (out / "deployment.zip").stat().st_size


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per message (best is kept)")
    parser.add_argument("--loads", type=int, default=7, help="cold artifact loads to take the median of")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="artifact whose load time and size count")
    parser.add_argument("--cold", type=int, default=7, help="fresh processes timing their first classify")
    parser.add_argument("--package", action="store_true", help="also run `chalice package` and size the zip")
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
    current = committed is not None and not train.artifact_differences(read_artifact(committed), artifact)
    same_bytes = committed == fresh_bytes
    print(f"fit: {fit_s:.1f} s, {artifact['terms'].count(chr(10)) + 1} terms, version {artifact['version']} "
          f"(committed artifact {'is current' if current else 'is STALE: run python -m training.train'}"
          f"{', byte for byte' if same_bytes else ''})")

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
    cold = cold_first_classify_ms(args.cold) if args.cold > 0 else []
    zip_bytes = package_zip_bytes() if args.package else None

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
    classify_median = statistics.median(classify_us)
    checks = {
        "classify": classify_median < TARGET_CLASSIFY_US,
        "speed": classify_ratio >= TARGET_SPEEDUP,
        "load": load_median < TARGET_LOAD_MS,
        "size": size / 1e6 < TARGET_SIZE_MB,
        "cold": not cold or statistics.median(cold) < TARGET_COLD_MS,
        "zip": zip_bytes is None or zip_bytes / 1e6 < TARGET_ZIP_MB,
    }
    print(f"classify() median per message: {classify_median:.1f} us (target < {TARGET_CLASSIFY_US:g} us: "
          f"{verdict(checks['classify'])})")
    print(f"speedup (median per message) vs predict_proba: probabilities {ratio:.2f}x, classify() incl. top terms "
          f"{classify_ratio:.2f}x (target >= {TARGET_SPEEDUP:g}x, not slower: {verdict(checks['speed'])})")
    print(f"artifact load ({args.model.name}, median of {args.loads} cold loads): {load_median:.1f} ms "
          f"[min {min(loads):.1f}, max {max(loads):.1f}] (target < {TARGET_LOAD_MS:g} ms: {verdict(checks['load'])})")
    print(f"artifact size: {size} bytes = {size / 1e6:.2f} MB (target < {TARGET_SIZE_MB:g} MB: {verdict(checks['size'])})")
    if cold:
        print(f"first classify in a cold process (import + load + classify, median of {len(cold)}): "
              f"{statistics.median(cold):.1f} ms [min {min(cold):.1f}, max {max(cold):.1f}] "
              f"(target < {TARGET_COLD_MS:g} ms: {verdict(checks['cold'])})")
    if zip_bytes is not None:
        print(f"deployment zip (chalice package, prod): {zip_bytes / 1e6:.2f} MB (target < {TARGET_ZIP_MB:g} MB: "
              f"{verdict(checks['zip'])})")
    elif args.package:
        print("deployment zip: not measured (chalice package failed)")
    else:
        print("deployment zip: not measured (add --package; tests/deploy checks it too)")
    print(f"speedup_vs_sklearn={ratio:.2f}")
    return 1 if args.strict and not all(checks.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
