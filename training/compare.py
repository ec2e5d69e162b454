"""Compare two trainings of the models on one labelled file, paired: the gain in macro-F1 and its bootstrap CI.

    python -m training.compare --baseline DIR --data FILE.jsonl [--candidate models] [--webhook-only]

DIR (and the candidate, models/ by default) holds `triage-model.bin`, `second-opinion.bin` and
`second-opinion.json`, as `python -m training.train && python -m training.second_opinion` write them (copy
models/ aside before retraining to keep a baseline). Both are scored as deployed (the second opinion's verdict;
`--webhook-only`: the webhook model's), on the same rows, and the difference is resampled by row (a paired
bootstrap, fixed seed), which is how the model cards report "paired bootstrap +0.026 (95% CI +0.006..+0.050)".
Prints each side's macro-F1, the share flagged and the accuracy of the rest, the confusions that changed, and last
`macro_f1_gain=<value>`. Rows labelled "exclude" are skipped; exit status 2 for a file or model it cannot read.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Sequence

from chalicelib.classifier.scorer import TriageModel
from training.corpus import LABELS, CorpusError, read_jsonl
from training.evaluate import EXIT_BAD_INPUT, confusion, macro_f1, per_class, review_summary

RESAMPLES = 2000
SEED = 13


def paired_bootstrap(truth: Sequence[str], baseline: Sequence[str], candidate: Sequence[str],
                     resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float, float]:
    """(candidate - baseline macro-F1 on the rows, 2.5th and 97.5th percentile of it over row resamples)."""
    def score(predicted, idx):
        return macro_f1(per_class(confusion([truth[i] for i in idx], [predicted[i] for i in idx])))

    everything = range(len(truth))
    gain = score(candidate, everything) - score(baseline, everything)
    rng = random.Random(seed)
    draws = []
    for _ in range(resamples):
        idx = [rng.randrange(len(truth)) for _ in everything]
        draws.append(score(candidate, idx) - score(baseline, idx))
    draws.sort()
    return gain, draws[int(0.025 * resamples)], draws[min(resamples - 1, int(0.975 * resamples))]


def changed_confusions(truth, baseline, candidate) -> list[str]:
    """'true -> predicted: before -> after' for each off-diagonal cell that moved."""
    before, after = confusion(truth, baseline), confusion(truth, candidate)
    return [f"{t} -> {p}: {before[i][j]} -> {after[i][j]}"
            for i, t in enumerate(LABELS) for j, p in enumerate(LABELS)
            if i != j and before[i][j] != after[i][j]]


def load(directory: Path, webhook_only: bool):
    if webhook_only:
        return TriageModel.load(directory / "triage-model.bin")
    from second_opinion.model import SecondOpinionModel

    return SecondOpinionModel.load(directory / "second-opinion.bin", directory / "second-opinion.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="folder of the models to compare against")
    parser.add_argument("--candidate", type=Path, default=Path("models"), help="folder of the new models")
    parser.add_argument("--data", type=Path, required=True, help="labelled JSONL (text, label)")
    parser.add_argument("--webhook-only", action="store_true", help="compare the webhook models (first verdict)")
    args = parser.parse_args(argv)

    try:
        rows = read_jsonl(args.data)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not rows:
        print(f"error: {args.data}: no labelled rows to compare on", file=sys.stderr)
        return EXIT_BAD_INPUT
    sides = {}
    for name, directory in (("baseline", args.baseline), ("candidate", args.candidate)):
        try:
            sides[name] = load(directory, args.webhook_only)
            sides[name].classify("warm up")  # the second opinion loads its encoder here
        except ImportError as exc:
            print(f"error: the second opinion needs its encoder ({exc}): pip install -r requirements-dev.txt, "
                  "or compare the webhook models with --webhook-only", file=sys.stderr)
            return EXIT_BAD_INPUT
        except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
            print(f"error: {directory}: cannot load the models: {exc!r}", file=sys.stderr)
            return EXIT_BAD_INPUT

    truth = [row.label for row in rows]
    predictions = {}
    print(f"{len(rows)} rows of {args.data}, " + ("webhook model" if args.webhook_only else "as deployed (second opinion)"))
    for name, model in sides.items():
        results = [model.classify(row.text) for row in rows]
        predictions[name] = [r.category for r in results]
        flagged, rest = review_summary(truth, predictions[name], [r.needs_review for r in results])
        score = macro_f1(per_class(confusion(truth, predictions[name])))
        print(f"{name}: macro-F1 {score:.3f}, flagged {flagged:.1%}, the rest "
              + (f"{rest:.3f}" if rest is not None else "n/a") + " right")
    gain, low, high = paired_bootstrap(truth, predictions["baseline"], predictions["candidate"])
    print(f"paired bootstrap ({RESAMPLES} row resamples): gain {gain:+.3f}, 95% CI {low:+.3f}..{high:+.3f}")
    moved = changed_confusions(truth, predictions["baseline"], predictions["candidate"])
    print("confusions (true -> predicted: baseline -> candidate): " + ("; ".join(moved) if moved else "unchanged"))
    print(f"macro_f1_gain={gain:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
