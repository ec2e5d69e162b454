"""Train the triage model and export it for the dependency-free runtime scorer.

    python -m training.train [--extra corrections.jsonl] [--dev ../shared/data/dev_real.jsonl]

Fits TF-IDF over the shared analyzer (word and character n-grams) plus a multinomial logistic
regression, on the rows and their label-free surface variants (training/augment.py), reports 5-fold
cross-validation twice (stratified, and grouped by brand/topic so that no brand is on both sides:
training/groups.py; each fold's variants made from its own rows), chooses the needs_review threshold on the
grouped folds, then fits on everything and writes models/triage-model.bin and models/MODEL_CARD.md. On one machine the same corpus gives the same bytes; another
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
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from chalicelib.classifier.artifact import pack_artifact, to_bytes
from chalicelib.classifier import features
from chalicelib.classifier.features import analyze
from training.augment import SHARE as SURFACE_SHARE, surface_variants, with_surface_variants
from training.corpus import LABELS, Example, load_corpus, read_jsonl
from training.groups import groups

ROOT = Path(__file__).resolve().parents[1]
MODEL_PATH = ROOT / "models" / "triage-model.bin"
CARD_PATH = ROOT / "models" / "MODEL_CARD.md"
DEFAULT_DEV = ROOT.parent / "shared" / "data" / "dev_real.jsonl"

C = 10.0
MIN_DF = 2
SEED = 0
# needs_review: the highest threshold whose share flagged on the grouped folds stays within this budget (the most
# accurate kept predictions the budget buys). Half the 20% a team can review: real messages are less confident
# than even grouped folds (on dev_real a threshold flags about 1.7x the grouped folds' share)
REVIEW_MAX_SHARE = 0.10
THRESHOLD_GRID = [round(0.34 + 0.01 * i, 2) for i in range(57)]  # 0.34 .. 0.90
THRESHOLD_ROWS = (0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90)


# Hand-written from reading this model's dev_real errors (genres and phenomena only, never the texts).
FAILURE_MODES = """\
Read by hand on `dev_real` (English unless said), as kinds of message, largest first:

- **Commenters arguing with each other about an issue** (what DEI means, who it helps, hiring on merit) go to
  `stance`, often with confidence above 0.9. They talk about the issue, not about the brand's position, so they
  are `community`; on Facebook a reply carries no @handle, so nothing in the text says it answers another
  commenter. This is most of the community -> stance errors and the main reason stance precision trails recall.
- **Politics and news that are not about the brand** (election boycotts, hashtag campaigns about migrants, a
  politician's record) go to `stance`: the words of an issue without the brand's conduct.
- **Fan talk that mentions a product, a price or a trip** (praising an airline, a travel story, a price seen
  elsewhere, a fundraiser link, self-promotion) goes to `customer_service`.
- **Terse follow-ups and jokes inside a support thread** ("yes, today", a sarcastic remark about a foreign object in
  food, a size that is not what was sold) go to `community`: without the thread, the complaint is implicit.
- **Service complaints framed as values** (disability access, a supervisor's rudeness, fees that feel unfair) go to
  `stance`.
- **Bare stance reactions** (two or three words of contempt, a call to fight, a boycott of a media outlet) go to
  `community`: with no issue named, only the brand's post would tell.
- Japanese: 18 of the 19 Japanese messages (all fan chatter) are right (the other, under a dozen characters, goes
  to customer_service, flagged for review; the second opinion gets all 19); `dev_real`
  cannot tell how Japanese service complaints or controversy threads fare (see the grouped cross-validation and
  the held-out probes in `training/heldout/` for the corpus' own estimates).
"""

# Macro-F1 on dev_real after the purge (all 438 messages unless said); the encoder rows are on the sealed sets.
ALTERNATIVES = """\
| model (features -> classifier) | macro-F1 | notes |
|---|---|---|
| **shipped: TF-IDF words 1-2 + char 3-5 (Latin) / 1-3 (Japanese), `l:ja` bias, each run of handles read as the kinds of account it names, LR C=10, balanced, corpus v8, fitted with surface variants of a fifth of the Japanese rows (`training/augment.py`)** | see above | pure Python on the webhook path |
| corpus v7 -> v8 with surface variants (the shipped model against the one before it) | 0.779 -> 0.782 (21.0% -> 20.8% flagged, the rest 0.832 -> 0.844 right) | paired bootstrap +0.003 (95% CI -0.004..+0.012); held-out Japanese probes: implicit stance 0.850 -> 0.864 (+0.014, -0.004..+0.035), service in moral words 0.950 -> 0.949, comments under brand posts 0.956 -> 0.953; held-out English file 0.927 -> 0.923 (-0.004, -0.011..+0.000). Label-free edits of the 858 held-out Japanese messages (`tests/classifier/test_robustness.py`, none among the variants' own) moved 95 -> 29 labels (laughter), 61 -> 29 (a hashtag that names no issue), 61 -> 15 ("!!!!"), 35 -> 9 (a kaomoji), 27 -> 11 (a link), 127 -> 57 (a diary hashtag, `#今日のできごと`), nearly all to community before: the corpus writers had put that noise and talk of their day mostly in community rows |
| same, English rows given variants too (English laughter, hashtags, emoticons, "!!", links; 20%) | 0.785 (+0.004, CI -0.007..+0.015) | held-out English file 0.923 -> 0.916 (-0.006, -0.017..+0.002); edits of dev_real's own messages moved 46 -> 15 labels ("!!!!"), 82 -> 54 (" lmaooo"), 46 -> 37 (a hashtag), 52 -> 61 (`#mondaymood`): within noise on both English sets, and on real English messages links and hashtags do lean away from stance; not adopted (the next lever for English, with the second opinion) |
| corpus v7 -> v8 with surface variants, scored leave-one-writer-out on the corpus (`models/CROSS_WRITER.md`) | pooled 0.899 -> 0.898 | Japanese 0.931 -> 0.930, English 0.856 -> 0.853; the v8 writer, held out, 0.914; the v6 writer of stance that reads like chatter 0.840 -> 0.848 |
| corpus v8 without surface variants | 0.777 | probes 0.852 / 0.954 / 0.953; edits moved 88 (laughter), 57 (hashtag), 56 ("!!!!"), 72 (diary hashtag): the v8 rows alone fix part of the diary words, little of the noise |
| corpus v7 with surface variants of 10% / 20% / 35% of the Japanese rows (no v8 rows) | 0.779 / 0.780 / 0.784 | laughter moved 35 / 38 / 36 labels, the diary hashtag 104 / 88 / 71; implicit-stance probe 0.843 / 0.843 / 0.850 (0.850 without); a hashtag moved 27 / 10 / 31, "!!!!" 16 / 14 / 21: 20% kept, where the noise moves the fewest; the diary hashtag keeps falling with more copies (it is words, not noise) |
| corpus v8 plus a ninth Japanese batch (326 rows in all three queues, told as part of the poster's day or in headline / news-share register; a writer of its own, audited blind: 330 of 330 labels agreed, 4 charity buycotts dropped as close to the disaster-relief borderline) | 0.777 | paired bootstrap -0.005 (95% CI -0.011..+0.000); held-out Japanese probes implicit stance +0.004, service in moral words +0.004, comments under brand posts +0.005, headlines and diaries -0.000, English file +0.002; edits of the 1,107 held-out Japanese messages moved 62 -> 52 (a diary hashtag), 102 -> 89 (`【速報】`), 30 -> 27 (laughter). The shipped model already scored the batch 0.97 macro-F1 (stance recall 0.97): rows written in these registers are no longer what it misses; not adopted |
| same, each handle's name kept beside its kind (the features until corpus v7) | 0.800 (en 0.794; 20.3% flagged, the rest 0.857 right); the same messages as replies in a thread, 1 / 2 / 3 handles before each: 0.630 / 0.583 / 0.520 | the shipped features: 0.779 as given (paired bootstrap -0.022, 95% CI -0.047..+0.002; 21.0% flagged, the rest 0.832 right) and 0.752 as replies at every depth; held-out Japanese probes +0.004 / +0.013 (CI +0.000..+0.031); a reply's handles changed the label of 19-30% of the held-out files' messages, now 2.3% (`tests/classifier/test_robustness.py`). On X and Instagram a reply starts with its thread's handles, so they decided crisis threads (stance read as community): shipped |
| same, names kept -> handles as kinds, scored leave-one-writer-out on the corpus (`models/CROSS_WRITER.md`) | pooled 0.904 -> 0.899 | Japanese 0.926 -> 0.931, English 0.867 -> 0.856; Spanish and Hindi (91 and 89 rows, one writer group, so held out with no row of their language left) 0.866 / 0.908 -> 0.569 / 0.656: with names kept, the endings of the brand handles their service requests start with (Help, Status, HQ) did the routing |
| same, names kept, plus copies of Japanese rows sent as replies (so each label starts with a handle as often) | 0.791; as replies 0.693 / 0.662 / 0.571 | with the shipped features 0.773 as given (-0.028, CI -0.054..-0.003 against names kept) and 0.770 as replies: the features alone do most of it; not adopted |
| Japanese char 2-3 instead of 1-3 (corpus v7, handles as kinds) | 0.782 | single characters carry chatter cues (今 "now" leans to community), but without them the held-out Japanese probes fall: 0.839 / 0.944 / 0.950 against 0.850 / 0.950 / 0.956 |
| same, a mention as its kind but support accounts' names kept (before runs of handles were folded) | 0.787 | against 0.784 for kinds alone at that point: within noise; one rule kept |
| same, corpus v6 (no v7 rows) | 0.798 (en 0.794; 18.7% flagged, the rest 0.854 right) | v7 added three Japanese writers (short casual stance, long indignant service and plain community, games and apps and their 運営): paired bootstrap v7 - v6 +0.002 (95% CI -0.009..+0.015); on the held-out Japanese probes (`training/heldout/`) implicit stance 0.829 -> 0.847 (+0.018, +0.000..+0.037), service in moral words 0.940 -> 0.937 |
| corpus v5 -> v6 on the held-out Japanese probe of implicit stance | 0.820 -> 0.829 | the second opinion there 0.853 -> 0.880 |
| same, corpus v5 (no v6 rows) | 0.804 (en 0.801; 20.1% flagged, the rest 0.854 right) | v6 added three Japanese writers (stance that reads like chatter, fandom and talent controversies, issue words in every queue): paired bootstrap v6 - v5 -0.006 (95% CI -0.015..+0.002); dev_real's 19 Japanese messages cannot show their effect |
| same, corpus v5 + the first v6 Japanese file / + the first two | 0.796 / 0.798 | |
| same, corpus v6 + the v6 file of comments under brand posts (`training/heldout/`) | 0.802 (en 0.798; 20.8% flagged, the rest 0.846 right) | held out: it costs the second opinion 0.015 |
| same, corpus v4 (no v5 rows) | 0.801 (en 0.797; 18.3% flagged, the rest 0.855 right) | v5 added four Japanese writers (long reviews, quote threads, hostile stance beside same-register community, service in moral words); dev_real's 19 Japanese messages cannot show their effect |
| same, corpus v4 + the first two v5 Japanese files (long reviews, quote threads) | 0.805 (en 0.802; 19.2% flagged, the rest 0.853 right) | |
| same, corpus v5 + the v5 English file (`training/heldout/`) | 0.787 (en 0.783) | real surface in every label and implicit service: -0.017, so that file is held out, not trained on |
| same, corpus v3 (no v4 rows) | 0.804 (en 0.796; 17.8% flagged, the rest 0.847 right) | v4 added casual and hostile-register Japanese for all three labels; dev_real cannot show its effect (19 Japanese messages, all fan chatter) |
| same, corpus v1 after purge and handle mapping (no v2 rows) | 0.815 (en 0.807) | |
| same, corpus v2 (no v3 rows) | 0.798 (en 0.791; 18.3% flagged, the rest 0.852 right) | v3 added thread arguments (community), controversy-adjacent service, stance naming the issue; casual Japanese stance and hostile service |
| same, corpus v2 without the `l:ja` bias feature | en 0.798 | the Japanese rows' label mix moved English decisions through the shared intercept |
| same, corpus v2 with separate English and Japanese feature spaces | en 0.804 | |
| C = 3 / 30 (corpus v2) | 0.801 / 0.804 (en 0.792 / 0.796) | within noise of C = 10 on 438 messages |
| corpus v2 without mix_w4's 240 English rows | 0.803 (en 0.797) | within noise; not dropped |
| C = 1 / 3 / 30 (corpus v1) | 0.796 / 0.811 / 0.810 | C = 10 kept |
| no class weights (corpus v1) | 0.806 | |
| min_df = 1 / 3 (corpus v1) | 0.819 / 0.804 | min_df = 1 about doubles the artifact for +0.004 (noise on 438 messages) |
| Latin char 2-5 instead of 3-5 (corpus v1) | 0.803 | |
| Japanese char 1-4 instead of 1-3 (corpus v7) | 0.795 (19.9% flagged, the rest 0.858 right) | paired bootstrap -0.006 (95% CI -0.019..+0.007); held-out Japanese probes 0.835 / 0.945 against 0.847 / 0.937; the second opinion -0.000 on dev_real, -0.003 / -0.004 on the probes; artifact 12.0 MB, over the 12 MB budget |
| all brand handles mapped to the shared brands (corpus v1) | 0.785 | real messages are addressed to real handles; only invented `...ish` handles are mapped |
| multilingual-e5-small embeddings alone (issue 13, corpus v1) | 0.763 EN / 0.587 JA (sealed sets) | today's TF-IDF there: 0.779 / 0.590 |
| TF-IDF + 0.5 x e5 (issue 13) | 0.824 EN / 0.616 JA (sealed sets) | ~40 ms a message, a 69 MB model and a native engine |
| TF-IDF + all-MiniLM-L6-v2 / + static int8 token table (issue 13) | 0.796 / 0.783-0.795 EN | |

The webhook path stays pure Python (under 1 ms): no encoder loads there. TF-IDF + 0.5 x e5 ships as a second
opinion outside it, in its own function, and its verdict replaces this model's seconds later
(`models/SECOND_OPINION_CARD.md`). This model's verdict is the first one a message gets.
"""


def build_pipeline() -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=MIN_DF)),
        ("clf", LogisticRegression(C=C, max_iter=5000, class_weight="balanced", random_state=SEED)),
    ])


def fit(examples: list[Example]) -> Pipeline:
    """Fitted on the rows and their label-free surface variants (training/augment.py)."""
    rows = with_surface_variants(examples)
    pipeline = build_pipeline()
    pipeline.fit([e.text for e in rows], [e.label for e in rows])
    return pipeline


def export(pipeline: Pipeline, review_threshold: float) -> dict:
    """The plain artifact: per term its idf and one weight per label, in the labels' order."""
    vectorizer, clf = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
    return export_linear(vectorizer, list(clf.classes_), clf.coef_, clf.intercept_, review_threshold)


def export_linear(vectorizer: TfidfVectorizer, classes: list[str], coef: np.ndarray, intercept: np.ndarray,
                  review_threshold: float) -> dict:
    """The artifact of a linear model over the vectorizer's terms (coef's first columns; others are ignored)."""
    order = [classes.index(label) for label in LABELS]
    coef = coef[order]
    terms = {term: [float(vectorizer.idf_[j])] + [float(w) for w in coef[:, j]]
             for term, j in vectorizer.vocabulary_.items()}
    return pack_artifact(terms, list(LABELS), [float(b) for b in intercept[order]], review_threshold)


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


def choose_review_threshold(truth: list[str], predicted: list[str], confidence: list[float],
                            max_share: float = REVIEW_MAX_SHARE) -> tuple[float, str]:
    """The highest grid threshold whose share flagged stays within max_share, and the table around it."""
    correct = np.array([t == p for t, p in zip(truth, predicted)])
    conf = np.array(confidence)

    def at(t: float) -> tuple[float, float]:
        kept = conf >= t
        return (~kept).mean(), (correct[kept].mean() if kept.any() else 1.0)  # a count over n: exact at the cap

    chosen = max([t for t in THRESHOLD_GRID if at(t)[0] <= max_share], default=THRESHOLD_GRID[0])
    rows = ["| threshold | flagged for review | accuracy of the rest |", "|---|---|---|"]
    for t in sorted({*THRESHOLD_ROWS, chosen}):
        share, accuracy = at(t)
        mark = " (chosen)" if t == chosen else ""
        rows.append(f"| {t:.2f}{mark} | {share:.1%} | {accuracy:.3f} |")
    return chosen, "\n".join(rows)


def cross_validate(examples: list[Example], grouped: bool) -> np.ndarray:
    """Out-of-fold probabilities (columns in sorted label order), 5 folds, stratified or grouped by brand/topic."""
    texts, labels = [e.text for e in examples], [e.label for e in examples]
    if grouped:
        folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=SEED)
        splits = list(folds.split(texts, labels, groups(examples)))
    else:
        splits = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED).split(texts, labels))
    oof = np.zeros((len(examples), len(LABELS)))
    for fit_idx, test_idx in splits:  # each fold fitted as the shipped model is, variants of its own rows only
        pipeline = fit([examples[i] for i in fit_idx])
        oof[test_idx] = pipeline.predict_proba([texts[i] for i in test_idx])
    return oof


def language_cv_table(examples: list[Example], results: dict[str, list[str]]) -> str:
    """Macro-F1 per language (over the labels present) for each cross-validation."""
    from sklearn.metrics import f1_score

    langs = sorted({e.lang for e in examples}, key=lambda lang: (-sum(e.lang == lang for e in examples), lang))
    lines = ["| language | rows | " + " | ".join(f"{name} macro-F1" for name in results) + " |",
             "|---" * (len(results) + 2) + "|"]
    for lang in langs:
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        truth = [examples[i].label for i in idx]
        present = [label for label in LABELS if label in truth]
        cells = [f"{f1_score(truth, [pred[i] for i in idx], labels=present, average='macro'):.3f}"
                 for pred in results.values()]
        lines.append(f"| {lang} | {len(idx)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
    from training.evaluate import report

    model = TriageModel(artifact)
    rows = read_jsonl(dev_path)
    text, macro = report(model, rows, model.review_threshold)
    return (
        f"Scored as deployed (the runtime scorer, the shipped threshold; `python -m training.evaluate`) on "
        f"`{dev_path.name}` ({len(rows)} real public messages, labels agreed by two annotators; evaluation only, never "
        f"trained on, no corpus row near-copies one: `tests/training/test_leakage.py`).\n\n"
        f"macro-F1: **{macro:.3f}**\n\n{text}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra", type=Path, action="append", default=[], help="extra labelled JSONL (repeatable)")
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="real messages to report on, if present")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--card", type=Path, default=CARD_PATH)
    args = parser.parse_args(argv)

    examples = load_corpus(args.extra)
    labels = [e.label for e in examples]
    classes = sorted(LABELS)
    cv = {}
    for name, grouped in (("stratified", False), ("grouped by brand/topic", True)):
        oof = cross_validate(examples, grouped)
        predicted = [classes[i] for i in oof.argmax(axis=1)]
        table, macro, matrix = per_class_report(labels, predicted)
        cv[name] = (oof, predicted, table, macro, matrix)
        print(f"{name} cross-validation:\n{table}\nmacro_f1={macro:.3f}", flush=True)
    grouped_oof, grouped_predicted = cv["grouped by brand/topic"][:2]
    threshold, threshold_table = choose_review_threshold(labels, grouped_predicted, grouped_oof.max(axis=1).tolist())
    print(f"review_threshold={threshold}")
    cv_sections = "\n\n".join(
        f"### {name.capitalize()}\n\n{table}\n\nmacro-F1: **{macro:.3f}**\n\n{matrix_table(matrix)}"
        for name, (_, _, table, macro, matrix) in cv.items())
    languages = language_cv_table(examples, {name: v[1] for name, v in cv.items()})

    artifact = export(fit(examples), threshold)
    write_artifact(artifact, args.out)
    size = args.out.stat().st_size
    dev_section = evaluate_dev(args.dev, artifact) if args.dev and args.dev.exists() else "Not run (file absent).\n"
    print(dev_section)
    card = f"""# Model card: {artifact['version']}

Routes a message sent to a brand on social media to `customer_service`, `stance` or `community`.
TF-IDF (sublinear tf, min_df={MIN_DF}) over word {features.WORD_NGRAM_RANGE[0]}-{features.WORD_NGRAM_RANGE[1]}-grams and in-token character n-grams
({features.CHAR_NGRAM_RANGE[0]}-{features.CHAR_NGRAM_RANGE[1]} for Latin text, {features.CJK_CHAR_NGRAM_RANGE[0]}-{features.CJK_CHAR_NGRAM_RANGE[1]} for Japanese) of normalized text (NFKC, lower case,
HTML entities unescaped, links and digits folded, each run of handles replaced by the kinds of account it names, once each: `@user`, `@support`...), plus `{features.JAPANESE_FEATURE}` on Japanese text (its own
bias, so the Japanese rows' label mix does not move English decisions): `chalicelib/classifier/features.py`,
then multinomial logistic regression (C={C}, balanced class weights). Exported as a binary artifact (format 2 in an uncompressed container the scorer maps: `chalicelib/classifier/artifact.py`,
{artifact['terms'].count(chr(10)) + 1} terms, {size / 1e6:.2f} MB) and scored in pure Python by `chalicelib/classifier/scorer.py`.

## Corpus
Hand-written for this project (`training/data/`), {len(examples)} messages{' including extra corrections' if args.extra else ''}.
Fitted on them and on {len(surface_variants(examples))} label-free surface variants of its Japanese rows (a copy of about
{SURFACE_SHARE:.0%} of each label's rows with a hashtag that names no issue, laughter, an emoji or kaomoji, a link or
"!!": `training/augment.py`), so that noise belongs to no label.

{corpus_table(examples)}

## Cross-validation (5 folds)

Stratified folds scatter each brand's rows over training and test; grouped folds keep every row that names one
brand (or, naming none, one issue) on one side (`training/groups.py`), which is closer to messages about brands
the corpus never saw. Both still share writers between training and test rows: `models/CROSS_WRITER.md`
(`make cross-writer`) holds each writer out in turn.

{languages}

{cv_sections}

## Real messages (`dev_real`)

{dev_section}
## Failure modes

{FAILURE_MODES}
## Alternatives measured

{ALTERNATIVES}
## needs_review threshold
A message is flagged `needs_review` when its confidence is under **{threshold:.2f}**: the highest threshold at which
at most {REVIEW_MAX_SHARE:.0%} of the grouped cross-validation's out-of-fold predictions are flagged, which buys the most
accurate kept predictions that budget allows. The budget is half the 20% a team can review because real messages
are less confident than even grouped folds: on dev_real a threshold flags about 1.7 times the share it flags on
the grouped folds. Override per deployment with `TRIAGE_REVIEW_THRESHOLD`.

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
