"""Leave-one-writer-out evaluation: each writer's rows are scored by a model that never saw that writer.

    python -m training.cross_writer [--webhook-only] [--write] [--predictions FILE.jsonl]

The corpus was written by several writers in rounds (training/data/README.md). Stratified and grouped-by-brand
folds put rows of every writer on both sides of each split, so part of what they score is a writer's style the
model has already learnt. Here each writer group (`writer_group`) is held out in turn; the webhook model
(training/train.py's `fit`) and the second opinion (training/second_opinion.py's `fit` and `features`, over its
cached e5 embeddings) are fit on every other row and score the held-out rows. Prints markdown tables (per
held-out group, per language, confusion matrices per language summed over groups); `--write` also writes them to
models/CROSS_WRITER.md. `--webhook-only` skips the second opinion (no embeddings). `--predictions` writes each
row's held-out predictions as JSONL, for error analysis. The last two lines are
`cross_writer_second_opinion_macro_f1=0.XXX` (unless `--webhook-only`) and `cross_writer_macro_f1=0.XXX` (the
webhook model, pooled over every held-out row, the three labels).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from training import corpus, train
from training.corpus import LABELS, Example, corpus_fingerprint, read_jsonl

ROOT = Path(__file__).resolve().parents[1]
REPORT_PATH = ROOT / "models" / "CROSS_WRITER.md"

_ROUND = re.compile(r"_v(\d+)_")
# training/data/README.md: version 3 is one writer who wrote both its English and its Japanese file; every other
# later-round file is its own writer's.
ONE_WRITER_ROUNDS = frozenset({3})

WEBHOOK = "webhook model"
SECOND_OPINION = "second opinion"

# fit_predict(fit_rows, held_out_rows) -> the labels predicted for held_out_rows, by a model fit on fit_rows only
FitPredict = Callable[[list[int], list[int]], Sequence[str]]


def writer_round(file_name: str) -> int:
    """The corpus version a file was written in: its `_vN_` marker, 1 without one."""
    found = _ROUND.search(file_name)
    return int(found.group(1)) if found else 1


def writer_group(file_name: str) -> str:
    """The writer group of a corpus file: the rows one writer wrote in one round (training/data/README.md).

    - version 1 (no `_vN_` in the name): the README does not say who wrote which file, so it is split by language,
      the file's prefix: `v1_en`, `v1_ja`;
    - version 3: one writer wrote both files: `v3`;
    - every other round (2, 4, ...): one writer per file: the file's name without `.jsonl`.
    """
    version = writer_round(file_name)
    if version == 1:
        return f"v1_{file_name.split('_', 1)[0]}"
    if version in ONE_WRITER_ROUNDS:
        return f"v{version}"
    return Path(file_name).stem


@dataclass(frozen=True)
class WriterCorpus:
    examples: list[Example]
    files: list[str]  # each row's file name
    groups: list[str]  # each row's writer group

    def group_order(self) -> list[str]:
        """The groups by round, then by name: how the README lists them."""
        first_file = {g: f for f, g in reversed(list(zip(self.files, self.groups)))}
        return sorted(first_file, key=lambda g: (writer_round(first_file[g]), g))


def load_by_writer(corpus_dir: Path | None = None) -> WriterCorpus:
    """The corpus in load_corpus's order (the rows the models are trained on), each row with its file and group."""
    examples, files = [], []
    for path in sorted((corpus_dir or corpus.CORPUS_DIR).glob("*.jsonl")):
        rows = read_jsonl(path)
        examples.extend(rows)
        files.extend([path.name] * len(rows))
    return WriterCorpus(examples, files, [writer_group(f) for f in files])


def in_order(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def held_out_predictions(row_groups: Sequence[str], fit_predict: FitPredict, name: str = "") -> list[str]:
    """Every row's label as predicted by a model fit on the rows of all the other groups."""
    predicted: list[str | None] = [None] * len(row_groups)
    for k, group in enumerate(in_order(row_groups), 1):
        started = time.perf_counter()
        held_out = [i for i, g in enumerate(row_groups) if g == group]
        fit_rows = [i for i, g in enumerate(row_groups) if g != group]
        labels = list(fit_predict(fit_rows, held_out))
        assert len(labels) == len(held_out), (group, len(labels), len(held_out))
        for i, label in zip(held_out, labels):
            predicted[i] = label
        print(f"{name} held out {group} ({k}/{len(set(row_groups))}, {len(held_out)} rows): "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return predicted  # type: ignore[return-value]  # every row is in exactly one group


def webhook_fit_predict(examples: Sequence[Example]) -> FitPredict:
    """The webhook model exactly as training/train.py fits it."""
    def fit_predict(fit_rows: list[int], held_out: list[int]) -> Sequence[str]:
        pipeline = train.fit([examples[i] for i in fit_rows])
        return pipeline.predict([examples[i].text for i in held_out])
    return fit_predict


def second_opinion_fit_predict(examples: Sequence[Example], embeddings: np.ndarray) -> FitPredict:
    """The second opinion exactly as training/second_opinion.py fits it (TF-IDF + scaled e5, same LR)."""
    from training import second_opinion  # only here: --webhook-only needs neither it nor the encoder's package

    def fit_predict(fit_rows: list[int], held_out: list[int]) -> Sequence[str]:
        vectorizer, clf = second_opinion.fit([examples[i] for i in fit_rows], embeddings[fit_rows])
        return clf.predict(second_opinion.features(vectorizer, [examples[i].text for i in held_out],
                                                   embeddings[held_out]))
    return fit_predict


def scores(truth: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """(macro-F1 over the labels present in `truth`, accuracy): a held-out file may lack a label entirely."""
    present = [label for label in LABELS if label in set(truth)]
    return float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), \
        float(accuracy_score(truth, predicted))


def pooled_macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return float(f1_score(truth, predicted, labels=list(LABELS), average="macro", zero_division=0))


def languages(examples: Sequence[Example]) -> list[str]:
    """Most rows first, as the model card's language table."""
    counts = Counter(e.lang for e in examples)
    return sorted(counts, key=lambda lang: (-counts[lang], lang))


def confusion_by_language(examples: Sequence[Example], predicted: Sequence[str]) -> dict[str, list[list[int]]]:
    """Per language, true label (rows, LABELS order) x predicted label (columns), summed over the held-out groups."""
    out = {}
    for lang in languages(examples):
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        out[lang] = confusion_matrix([examples[i].label for i in idx], [predicted[i] for i in idx],
                                     labels=list(LABELS)).tolist()
    return out


def _language_mix(examples: Sequence[Example]) -> str:
    return ", ".join(f"{lang} {n}" for lang, n in Counter(e.lang for e in examples).most_common())


def group_table(data: WriterCorpus, predictions: dict[str, list[str]]) -> str:
    """One row per held-out writer group, then every held-out row pooled."""
    header = "| held-out writer group | files | languages | rows | " + " | ".join(
        f"{name} macro-F1 | {name} accuracy" for name in predictions) + " |"
    lines = [header, "|---" * (4 + 2 * len(predictions)) + "|"]
    for group in data.group_order():
        idx = [i for i, g in enumerate(data.groups) if g == group]
        truth = [data.examples[i].label for i in idx]
        cells = [f"{v:.3f}" for predicted in predictions.values() for v in scores(truth, [predicted[i] for i in idx])]
        files = ", ".join(f"`{f}`" for f in in_order([data.files[i] for i in idx]))
        lines.append(f"| {group} | {files} | {_language_mix([data.examples[i] for i in idx])} | {len(idx)} | "
                     + " | ".join(cells) + " |")
    truth = [e.label for e in data.examples]
    cells = [f"{v:.3f}" for predicted in predictions.values() for v in scores(truth, predicted)]
    lines.append(f"| **all held-out rows** | | {_language_mix(data.examples)} | {len(truth)} | "
                 + " | ".join(cells) + " |")
    return "\n".join(lines)


def language_table(examples: Sequence[Example], predictions: dict[str, list[str]]) -> str:
    lines = ["| language | rows | " + " | ".join(f"{name} macro-F1 | {name} accuracy" for name in predictions) + " |",
             "|---" * (2 + 2 * len(predictions)) + "|"]
    for lang in languages(examples):
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        truth = [examples[i].label for i in idx]
        cells = [f"{v:.3f}" for predicted in predictions.values() for v in scores(truth, [predicted[i] for i in idx])]
        lines.append(f"| {lang} | {len(idx)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(data: WriterCorpus, predictions: dict[str, list[str]]) -> str:
    """The generated part of models/CROSS_WRITER.md: the tables, nothing that could go stale around them."""
    truth = [e.label for e in data.examples]
    sections = [
        "## Per held-out writer group\n\nEach row: a model fit on every other group's rows, scored on this group's.\n"
        "Macro-F1 is over the labels present in the rows scored.\n\n" + group_table(data, predictions),
        "## Per language (all groups' held-out rows pooled)\n\n" + language_table(data.examples, predictions),
        "## Pooled macro-F1 (every row held out once, the three labels)\n\n| model | macro-F1 |\n|---|---|\n"
        + "\n".join(f"| {name} | {pooled_macro_f1(truth, predicted):.3f} |" for name, predicted in predictions.items()),
    ]
    for name, predicted in predictions.items():
        for lang, matrix in confusion_by_language(data.examples, predicted).items():
            sections.append(f"### Confusion, {name}, `{lang}` (true x predicted, summed over held-out groups)\n\n"
                            + train.matrix_table(matrix))
    return "\n\n".join(sections) + "\n"


def header(data: WriterCorpus, models: Sequence[str]) -> str:
    second = (";\nthe second opinion as `training/second_opinion.py` fits it (the same TF-IDF plus its cached "
              "multilingual-e5-small\nembeddings)" if SECOND_OPINION in models else "")
    return f"""# Leave-one-writer-out evaluation

Generated by `python -m training.cross_writer --write` (`make cross-writer`): do not edit by hand.

**What it measures.** The corpus was written by several writers in rounds (`training/data/README.md`). Each writer
group (the rows one writer wrote in one round) is held out in turn, and models fit on every other row score it:
the webhook model as `training/train.py` fits it{second}.

**Why.** Stratified and grouped-by-brand/topic folds (`models/MODEL_CARD.md`) put rows by the same writers on both
sides of every split, so part of what they score is a writer's phrasing, templates and ways of marking a label
that the model has already learnt. A writer the model never saw is closer to real messages, whose authors it
never saw either; the gap between these numbers and the grouped folds' is what the folds owed to shared writers.
Holding out a large group also leaves fewer training rows in its language, so a large group's score mixes a
writer effect with a data effect.

**Groups** (`writer_group` in `training/cross_writer.py`): version 1 split by language (the README does not say
who wrote which of its files); version 3 as one group (one writer wrote its English and its Japanese file); every
file of every other version its own group. Corpus fingerprint `{corpus_fingerprint(data.examples)}`.

"""


def write_predictions(path: Path, data: WriterCorpus, predictions: dict[str, list[str]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i, e in enumerate(data.examples):
            row = {"group": data.groups[i], "file": data.files[i], "lang": e.lang, "label": e.label,
                   **{name: predicted[i] for name, predicted in predictions.items()}, "text": e.text}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.cross_writer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhook-only", action="store_true", help="skip the second opinion (no embeddings)")
    parser.add_argument("--write", action="store_true", help=f"also write the tables to {REPORT_PATH.name}")
    parser.add_argument("--out", type=Path, default=REPORT_PATH, help="where --write writes")
    parser.add_argument("--predictions", type=Path, help="write each row's held-out predictions here (JSONL)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    data = load_by_writer()
    predictions = {WEBHOOK: held_out_predictions(data.groups, webhook_fit_predict(data.examples), WEBHOOK)}
    if not args.webhook_only:
        from training import second_opinion

        # second_opinion.embed reads the cache and embeds only rows it lacks (none, when the cache is current)
        embeddings = second_opinion.embed([e.text for e in data.examples])
        predictions[SECOND_OPINION] = held_out_predictions(
            data.groups, second_opinion_fit_predict(data.examples, embeddings), SECOND_OPINION)
    tables = report(data, predictions)
    print(tables)
    if args.write:
        args.out.write_text(header(data, list(predictions)) + tables, encoding="utf-8")
        print(f"wrote {args.out}")
    if args.predictions:
        write_predictions(args.predictions, data, predictions)
        print(f"wrote {args.predictions}")
    print(f"runtime {time.perf_counter() - started:.0f} s", file=sys.stderr)
    truth = [e.label for e in data.examples]
    if SECOND_OPINION in predictions:
        print(f"cross_writer_second_opinion_macro_f1={pooled_macro_f1(truth, predictions[SECOND_OPINION]):.3f}")
    print(f"cross_writer_macro_f1={pooled_macro_f1(truth, predictions[WEBHOOK]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
