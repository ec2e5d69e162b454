"""Score a labelled JSONL file with the runtime scorer and report per-class metrics.

    python -m training.evaluate --data FILE.jsonl [--model models/triage-model.bin]

Each row needs `text` and `label` (customer_service | stance | community); rows labelled "exclude" are skipped.
Every row is scored by chalicelib.classifier.scorer.TriageModel, exactly as the Lambda scores it, and the
metrics are computed in pure Python: this runs with the runtime dependencies only (no scikit-learn, no numpy).
Prints per-class precision / recall / F1 / support and the confusion matrix; the last line is `macro_f1=0.XXX`.
A file that cannot be read or parsed is reported on stderr (naming the line) with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from chalicelib.classifier.scorer import DEFAULT_MODEL_PATH, TriageModel
from training.corpus import LABELS, CorpusError, read_jsonl

EXIT_BAD_INPUT = 2


def confusion(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS) -> list[list[int]]:
    """matrix[i][j]: rows whose true label is labels[i] and predicted label is labels[j]."""
    position = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, predicted, strict=True):
        matrix[position[t]][position[p]] += 1
    return matrix


def per_class(matrix: list[list[int]]) -> list[tuple[float, float, float, int]]:
    """(precision, recall, F1, support) per label; 0 where undefined (as scikit-learn's zero_division=0)."""
    n = len(matrix)
    out = []
    for k in range(n):
        tp = matrix[k][k]
        support = sum(matrix[k])
        predicted = sum(matrix[i][k] for i in range(n))
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append((precision, recall, f1, support))
    return out


def macro_f1(metrics: list[tuple[float, float, float, int]]) -> float:
    return sum(m[2] for m in metrics) / len(metrics)


def report_table(metrics: list[tuple[float, float, float, int]], labels: Sequence[str] = LABELS) -> str:
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, (p, r, f, s) in zip(labels, metrics):
        lines.append(f"| {label} | {p:.3f} | {r:.3f} | {f:.3f} | {s} |")
    return "\n".join(lines)


def matrix_table(matrix: list[list[int]], labels: Sequence[str] = LABELS) -> str:
    lines = ["| true \\ predicted | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for label, row in zip(labels, matrix):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="labelled JSONL (text, label)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="exported model artifact")
    args = parser.parse_args(argv)

    try:
        rows = read_jsonl(args.data)
    except CorpusError as exc:
        return _fail(str(exc))
    if not rows:
        return _fail(f"{args.data}: no labelled rows to score")
    try:
        model = TriageModel.load(args.model)
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:  # container, gzip and JSON errors are ValueError/EOFError
        return _fail(f"{args.model}: cannot load the model: {exc!r}")
    if list(model.labels) != list(LABELS):
        return _fail(f"{args.model}: model labels {model.labels} differ from {list(LABELS)}")

    results = [model.classify(row.text) for row in rows]
    truth = [row.label for row in rows]
    predicted = [r.category for r in results]
    matrix = confusion(truth, predicted)
    metrics = per_class(matrix)
    correct = sum(t == p for t, p in zip(truth, predicted))
    flagged = [r.needs_review for r in results]
    kept = [t == p for t, p, f in zip(truth, predicted, flagged) if not f]

    print(f"model {model.version} ({args.model}) on {args.data}: {len(rows)} rows")
    print()
    print(report_table(metrics))
    print()
    print(matrix_table(matrix))
    print()
    print(f"accuracy={correct / len(rows):.3f}")
    print(
        f"needs_review: {sum(flagged)} of {len(rows)} flagged ({sum(flagged) / len(rows):.1%}) at threshold "
        f"{model.review_threshold:.2f}; accuracy of the rest "
        + (f"{sum(kept) / len(kept):.3f}" if kept else "n/a")
    )
    print(f"macro_f1={macro_f1(metrics):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
