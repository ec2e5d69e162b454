"""Score a labelled JSONL file as the system is deployed and report per-class metrics.

    python -m training.evaluate --data FILE.jsonl [--model models/triage-model.bin] [--webhook-only]

Each row needs `text` and `label` (customer_service | stance | community); rows labelled "exclude" are skipped.
As deployed, a message gets two verdicts: the webhook model's (chalicelib.classifier.scorer.TriageModel, the same
artifact and review threshold as the Lambda, TRIAGE_REVIEW_THRESHOLD honoured), at once, and seconds later the
second opinion's (second_opinion/: the same TF-IDF features plus multilingual-e5-small sentence embeddings), which
replaces it. Both are reported; the last line scores the second opinion, the verdict the message keeps.
`--webhook-only` scores the webhook model alone (no encoder: runtime dependencies only).
Prints, for all rows and per language (`lang`; a row without one gets the runtime's detection, `chalicelib.language`,
and the header says how many did): per-class precision / recall / F1 / support and the confusion
matrix; a calibration table (confidence bands, the accuracy in each, ECE); the share flagged needs_review and the
accuracy of the rest; and the rows again as replies in a thread (two handles before each text): macro-F1 and how many
labels changed. The last line is `macro_f1=0.XXX` (all rows, the three labels).
A file that cannot be read or parsed is reported on stderr (naming the line) with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from chalicelib.classifier.scorer import DEFAULT_MODEL_PATH, TriageModel
from chalicelib.language import detect_language
from second_opinion.model import SPARSE_PATH, SecondOpinionModel
from training.corpus import LABELS, CorpusError, Example, read_jsonl

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


CALIBRATION_BANDS = 10  # equal-width confidence bands over [0, 1] (three labels: the lowest seen is 0.3-0.4)


def calibration(confidence: Sequence[float], correct: Sequence[bool], bands: int = CALIBRATION_BANDS):
    """Per non-empty band: (low, high, rows, mean confidence, accuracy); and the expected calibration error,
    sum over bands of (rows in band / rows) * |accuracy - mean confidence|."""
    groups: dict[int, list[tuple[float, bool]]] = {}
    for c, ok in zip(confidence, correct, strict=True):
        groups.setdefault(min(int(c * bands), bands - 1), []).append((c, ok))
    rows, ece = [], 0.0
    for band in sorted(groups):
        items = groups[band]
        mean = sum(c for c, _ in items) / len(items)
        accuracy = sum(ok for _, ok in items) / len(items)
        ece += len(items) / len(confidence) * abs(accuracy - mean)
        rows.append((band / bands, (band + 1) / bands, len(items), mean, accuracy))
    return rows, ece


def calibration_table(rows) -> str:
    total = sum(r[2] for r in rows)
    lines = ["| confidence | rows | share | mean confidence | accuracy |", "|---|---|---|---|---|"]
    for low, high, n, mean, accuracy in rows:
        lines.append(f"| {low:.1f}-{high:.1f} | {n} | {n / total:.1%} | {mean:.3f} | {accuracy:.3f} |")
    return "\n".join(lines)


def present_macro_f1(matrix: list[list[int]]) -> float:
    """Macro-F1 over the labels that occur in the truth (a language's set may lack a label)."""
    metrics = [m for m in per_class(matrix) if m[3]]
    return sum(m[2] for m in metrics) / len(metrics) if metrics else 0.0


def review_summary(truth, predicted, flagged) -> tuple[float, float | None]:
    """(share flagged, accuracy of the predictions not flagged)."""
    kept = [t == p for t, p, f in zip(truth, predicted, flagged) if not f]
    return sum(flagged) / len(flagged), (sum(kept) / len(kept) if kept else None)


def language_tables(langs, truth, predicted, flagged) -> str:
    order = sorted(set(langs), key=lambda lang: (-langs.count(lang), lang))
    summary = ["| language | rows | accuracy | macro-F1 (labels present) | flagged | accuracy of the rest |",
               "|---|---|---|---|---|---|"]
    metrics_lines = ["| language / label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    matrix_lines = ["| language / true \\ predicted | " + " | ".join(LABELS) + " |", "|---" * (len(LABELS) + 1) + "|"]
    for lang in order:
        idx = [i for i, x in enumerate(langs) if x == lang]
        t, p, f = [truth[i] for i in idx], [predicted[i] for i in idx], [flagged[i] for i in idx]
        matrix = confusion(t, p)
        share, rest = review_summary(t, p, f)
        name = lang or "(none)"
        summary.append(f"| {name} | {len(idx)} | {sum(a == b for a, b in zip(t, p)) / len(idx):.3f} | "
                       f"{present_macro_f1(matrix):.3f} | {share:.1%} | " + (f"{rest:.3f}" if rest is not None else "n/a")
                       + " |")
        for label, (pr, rc, f1, sup), row in zip(LABELS, per_class(matrix), matrix):
            metrics_lines.append(f"| {name} / {label} | {pr:.3f} | {rc:.3f} | {f1:.3f} | {sup} |")
            matrix_lines.append(f"| {name} / {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(summary) + "\n\n" + "\n".join(metrics_lines) + "\n\n" + "\n".join(matrix_lines)


def report(model: TriageModel | SecondOpinionModel, rows: Sequence[Example], threshold: float) -> tuple[str, float]:
    """The whole report (without its header and last line) and the macro-F1 over the three labels."""
    results = [model.classify(row.text, threshold) for row in rows]
    truth = [row.label for row in rows]
    predicted = [r.category for r in results]
    langs = [row.lang for row in rows]
    matrix = confusion(truth, predicted)
    metrics = per_class(matrix)
    correct = [t == p for t, p in zip(truth, predicted)]
    flagged = [r.needs_review for r in results]
    share, rest = review_summary(truth, predicted, flagged)
    bands, ece = calibration([r.confidence for r in results], correct)
    text = "\n".join([
        report_table(metrics), "", matrix_table(matrix), "", f"accuracy={sum(correct) / len(rows):.3f}", "",
        "By language:", "", language_tables(langs, truth, predicted, flagged), "",
        "Calibration (confidence of the predicted label):", "", calibration_table(bands), "",
        f"ECE={ece:.3f} ({CALIBRATION_BANDS} equal-width bands)",
        f"needs_review: {sum(flagged)} of {len(rows)} flagged ({share:.1%}) at threshold {threshold:.2f}; "
        "accuracy of the rest " + (f"{rest:.3f}" if rest is not None else "n/a"),
        as_replies(model, rows, predicted),
    ])
    return text, macro_f1(metrics)


REPLY = "@ana_1 @ben_2 "  # how a reply deep in an X or Instagram thread starts


def as_replies(model: TriageModel | SecondOpinionModel, rows: Sequence[Example], predicted: Sequence[str]) -> str:
    """The same rows sent as replies in a thread: whom a message answers should not change what it is."""
    replied = [model.classify(REPLY + row.text).category for row in rows]
    changed = sum(a != b for a, b in zip(predicted, replied))
    score = macro_f1(per_class(confusion([row.label for row in rows], replied)))
    return (f"as replies (`{REPLY.strip()}` before each text): macro-F1 {score:.3f}; "
            f"{changed} of {len(rows)} labels changed ({changed / len(rows):.1%})")


def with_languages(rows: Sequence[Example]) -> tuple[list[Example], int]:
    """The rows, each with a language: its `lang`, else the one the runtime detects (and how many needed that)."""
    detected = [row if row.lang else Example(row.text, row.label, detect_language(row.text)) for row in rows]
    return detected, sum(1 for row in rows if not row.lang)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="labelled JSONL (text, label)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="the webhook model's artifact")
    parser.add_argument("--second-opinion", type=Path, default=SPARSE_PATH,
                        help="the second-opinion model (its .bin; the .json beside it holds the encoder's head)")
    parser.add_argument("--webhook-only", action="store_true",
                        help="score the webhook model alone (its first verdict; needs no encoder)")
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

    override = os.environ.get("TRIAGE_REVIEW_THRESHOLD")  # as deployed: classify() honours the same override
    threshold = float(override) if override else model.review_threshold
    second = None
    if not args.webhook_only:
        try:
            second = SecondOpinionModel.load(args.second_opinion, args.second_opinion.with_suffix(".json"))
            second.classify("warm up")  # loads the encoder: a missing engine fails here, before any output
        except ImportError as exc:
            return _fail(f"the second opinion needs its encoder ({exc}): pip install -r requirements-dev.txt, "
                         "or score the webhook model alone with --webhook-only")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return _fail(f"{args.second_opinion}: cannot load the second-opinion model: {exc!r}")
    rows, detected = with_languages(rows)
    print(f"{len(rows)} rows of {args.data}" + (f" ({detected} without `lang`: language detected as the runtime does)"
                                                 if detected else ""))
    print()
    print(f"## First verdict: the webhook model {model.version} ({args.model})")
    print()
    text, macro = report(model, rows, threshold)
    print(text)
    if second is not None:
        print(f"(webhook model macro-F1 {macro:.3f})")
        print()
        print(f"## As deployed: the second opinion {second.version} replaces it ({second.encoder})")
        print()
        text, macro = report(second, rows, second.review_threshold)
        print(text)
    print(f"macro_f1={macro:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
