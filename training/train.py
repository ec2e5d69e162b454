"""Train the triage model and export it for the dependency-free runtime scorer.

    python -m training.train [--extra corrections.jsonl] [--dev ../shared/data/dev_real.jsonl]

Fits TF-IDF over the shared analyzer (word and character n-grams) plus a multinomial logistic
regression, reports stratified 5-fold cross-validation, then fits on everything and writes
models/triage-model.bin and models/MODEL_CARD.md. On one machine the same corpus gives the same bytes; another
CPU's BLAS kernels may move the weights in the last digits, so the tests compare a retrained model with
`artifact_differences` (same vocabulary and labels, weights within a relative tolerance, same predictions).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from chalicelib.classifier.artifact import pack_artifact, to_bytes
from chalicelib.classifier import features
from chalicelib.classifier.features import analyze
from training.corpus import LABELS, Example, load_corpus, read_jsonl

ROOT = Path(__file__).resolve().parents[1]
MODEL_PATH = ROOT / "models" / "triage-model.bin"
CARD_PATH = ROOT / "models" / "MODEL_CARD.md"
DEFAULT_DEV = ROOT.parent / "shared" / "data" / "dev_real.jsonl"

C = 10.0
MIN_DF = 2
SEED = 0
# needs_review: flag the least confident predictions, up to this share, until those kept reach the target accuracy
REVIEW_TARGET_ACCURACY = 0.95
REVIEW_MAX_SHARE = 0.20
THRESHOLD_GRID = [round(0.40 + 0.05 * i, 2) for i in range(11)]


def build_pipeline() -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=MIN_DF)),
        ("clf", LogisticRegression(C=C, max_iter=5000, class_weight="balanced", random_state=SEED)),
    ])


def fit(examples: list[Example]) -> Pipeline:
    pipeline = build_pipeline()
    pipeline.fit([e.text for e in examples], [e.label for e in examples])
    return pipeline


def export(pipeline: Pipeline, review_threshold: float) -> dict:
    """The plain artifact: per term its idf and one weight per label, in the labels' order."""
    vectorizer, clf = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
    order = [list(clf.classes_).index(label) for label in LABELS]
    coef = clf.coef_[order]
    terms = {term: [float(vectorizer.idf_[j])] + [float(w) for w in coef[:, j]]
             for term, j in vectorizer.vocabulary_.items()}
    return pack_artifact(terms, list(LABELS), [float(b) for b in clf.intercept_[order]], review_threshold)


def write_artifact(artifact: dict, path: Path = MODEL_PATH) -> None:
    """The binary container the Lambda maps (artifact.py); the same artifact always gives the same bytes.

    Written beside the target and renamed over it: a process that has the old file mapped (`make run`)
    keeps reading the old file instead of faulting on one truncated under it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(to_bytes(artifact))
    os.replace(partial, path)


WEIGHT_RTOL = 1e-9  # relative: another CPU's BLAS kernels move the fitted weights by ~1e-12


def _close(a: float, b: float, rtol: float) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1.0)


def artifact_differences(committed: dict, fresh: dict, texts: list[str] = (), rtol: float = WEIGHT_RTOL) -> list[str]:
    """What separates two exports of "the same" model, beyond floating-point noise: labels, vocabulary,
    review threshold, intercepts, idf and weights (relative tolerance) and the label each scores for `texts`.
    Empty when they are the same model."""
    from chalicelib.classifier.artifact import unpack_artifact
    from chalicelib.classifier.scorer import TriageModel

    problems = []
    for key in ("format", "labels", "sublinear_tf", "review_threshold"):
        if committed.get(key) != fresh.get(key):
            problems.append(f"{key}: {committed.get(key)!r} != {fresh.get(key)!r}")
    if problems:
        return problems
    names_a, idf_a, weights_a = unpack_artifact(committed)
    names_b, idf_b, weights_b = unpack_artifact(fresh)
    if names_a != names_b:
        only_a, only_b = set(names_a) - set(names_b), set(names_b) - set(names_a)
        return [f"vocabulary: {len(names_a)} != {len(names_b)} terms; only in the first {sorted(only_a)[:5]}, "
                f"only in the second {sorted(only_b)[:5]}"]
    for what, a, b in (("intercept", committed["intercept"], fresh["intercept"]), ("idf", idf_a, idf_b),
                       ("weights", weights_a, weights_b)):
        far = [i for i, (x, y) in enumerate(zip(a, b)) if not _close(x, y, rtol)]
        if far:
            i = far[0]
            problems.append(f"{what}: {len(far)} values differ by more than {rtol:g} relative (first: {a[i]!r} != {b[i]!r})")
    if problems:
        return problems
    model_a, model_b = TriageModel(committed), TriageModel(fresh)
    changed = [t for t in texts if model_a.classify(t).category != model_b.classify(t).category]
    if changed:
        problems.append(f"predictions differ on {len(changed)} of {len(texts)} texts, e.g. {changed[0][:60]!r}")
    return problems


def per_class_report(truth: list[str], predicted: list[str]) -> tuple[str, float, list[list[int]]]:
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=list(LABELS), zero_division=0)
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for i, label in enumerate(LABELS):
        lines.append(f"| {label} | {p[i]:.3f} | {r[i]:.3f} | {f[i]:.3f} | {s[i]} |")
    macro = float(np.mean(f))
    matrix = confusion_matrix(truth, predicted, labels=list(LABELS)).tolist()
    return "\n".join(lines), macro, matrix


def matrix_table(matrix: list[list[int]]) -> str:
    lines = ["| true \\ predicted | " + " | ".join(LABELS) + " |", "|---" * (len(LABELS) + 1) + "|"]
    for label, row in zip(LABELS, matrix):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def choose_review_threshold(truth: list[str], predicted: list[str], confidence: list[float]) -> tuple[float, str]:
    """Lowest grid threshold where predictions kept reach the target accuracy, within the review budget."""
    correct = np.array([t == p for t, p in zip(truth, predicted)])
    conf = np.array(confidence)
    rows = ["| threshold | flagged for review | accuracy of the rest |", "|---|---|---|"]
    chosen = None
    for t in THRESHOLD_GRID:
        kept = conf >= t
        share = 1 - kept.mean()
        accuracy = correct[kept].mean() if kept.any() else 1.0
        rows.append(f"| {t:.2f} | {share:.1%} | {accuracy:.3f} |")
        if chosen is None and share <= REVIEW_MAX_SHARE and accuracy >= REVIEW_TARGET_ACCURACY:
            chosen = t
    if chosen is None:  # target out of reach: flag as many as the budget allows
        chosen = max([t for t in THRESHOLD_GRID if 1 - (conf >= t).mean() <= REVIEW_MAX_SHARE], default=THRESHOLD_GRID[0])
    return chosen, "\n".join(rows)


def corpus_table(examples: list[Example]) -> str:
    counts = Counter((e.label, e.lang) for e in examples)
    langs = sorted({e.lang for e in examples})
    lines = ["| label | " + " | ".join(langs) + " | total |", "|---" * (len(langs) + 2) + "|"]
    for label in LABELS:
        row = [counts[(label, lang)] for lang in langs]
        lines.append(f"| {label} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    totals = [sum(counts[(label, lang)] for label in LABELS) for lang in langs]
    lines.append("| total | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
    return "\n".join(lines)


def evaluate_dev(dev_path: Path, artifact: dict) -> str:
    from chalicelib.classifier.scorer import TriageModel

    model = TriageModel(artifact)
    rows = read_jsonl(dev_path)
    predicted = [model.classify(r.text).category for r in rows]
    table, macro, matrix = per_class_report([r.label for r in rows], predicted)
    return (
        f"Scored by the runtime scorer on `{dev_path.name}` ({len(rows)} real public messages, labels agreed by two "
        "annotators; evaluation only, never trained on).\n\n"
        f"{table}\n\nmacro-F1: **{macro:.3f}**\n\n{matrix_table(matrix)}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra", type=Path, action="append", default=[], help="extra labelled JSONL (repeatable)")
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="real messages to report on, if present")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--card", type=Path, default=CARD_PATH)
    args = parser.parse_args(argv)

    examples = load_corpus(args.extra)
    texts, labels = [e.text for e in examples], [e.label for e in examples]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    oof = cross_val_predict(build_pipeline(), texts, labels, cv=folds, method="predict_proba")
    classes = sorted(LABELS)
    predicted = [classes[i] for i in oof.argmax(axis=1)]
    cv_table, cv_macro, cv_matrix = per_class_report(labels, predicted)
    threshold, threshold_table = choose_review_threshold(labels, predicted, oof.max(axis=1).tolist())
    print(cv_table)
    print(f"cv_macro_f1={cv_macro:.3f} review_threshold={threshold}")

    artifact = export(fit(examples), threshold)
    write_artifact(artifact, args.out)
    size = args.out.stat().st_size
    dev_section = evaluate_dev(args.dev, artifact) if args.dev and args.dev.exists() else "Not run (file absent).\n"
    print(dev_section)
    card = f"""# Model card: {artifact['version']}

Routes a message sent to a brand on social media to `customer_service`, `stance` or `community`.
TF-IDF (sublinear tf, min_df={MIN_DF}) over word {features.WORD_NGRAM_RANGE[0]}-{features.WORD_NGRAM_RANGE[1]}-grams and in-token character n-grams
({features.CHAR_NGRAM_RANGE[0]}-{features.CHAR_NGRAM_RANGE[1]} for Latin text, {features.CJK_CHAR_NGRAM_RANGE[0]}-{features.CJK_CHAR_NGRAM_RANGE[1]} for Japanese) of normalized text (NFKC, lower case,
HTML entities unescaped, links and digits folded, handles tagged by kind: `chalicelib/classifier/features.py`),
then multinomial logistic regression (C={C}, balanced class weights). Exported as a binary artifact (format 2 in an uncompressed container the scorer maps: `chalicelib/classifier/artifact.py`,
{artifact['terms'].count(chr(10)) + 1} terms, {size / 1e6:.2f} MB) and scored in pure Python by `chalicelib/classifier/scorer.py`.

## Corpus
Hand-written for this project (`training/data/`), {len(examples)} messages{' including extra corrections' if args.extra else ''}.

{corpus_table(examples)}

## Stratified 5-fold cross-validation

{cv_table}

macro-F1: **{cv_macro:.3f}**

{matrix_table(cv_matrix)}

## Real messages (`dev_real`)

{dev_section}
## needs_review threshold
A message is flagged `needs_review` when its confidence is under **{threshold:.2f}**: the lowest threshold at which
the out-of-fold predictions kept reach {REVIEW_TARGET_ACCURACY:.0%} accuracy while at most
{REVIEW_MAX_SHARE:.0%} are flagged (or, where no threshold does, the highest within that budget).
Override per deployment with `TRIAGE_REVIEW_THRESHOLD`.

{threshold_table}

## Versions
- model version (content hash): `{artifact['version']}`
- python {platform.python_version()}, scikit-learn {sklearn.__version__}, numpy {np.__version__}
"""
    args.card.write_text(card, encoding="utf-8")
    print(f"wrote {args.out} ({size} bytes) and {args.card}; version {artifact['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
