"""Held-out hand-written rows (training/heldout/*.jsonl): corpus rows in form, never in training, never near a
training row (a near-copy in the corpus would let the held-out score flatter the model)."""

from __future__ import annotations

import json

from training.corpus import CORPUS_DIR, HELDOUT_DIR, LABELS, load_corpus, read_jsonl
from training.tools.near_duplicates import THRESHOLD, near_duplicate_pairs


def heldout_rows() -> list[tuple[str, dict]]:
    rows = []
    for path in sorted(HELDOUT_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append((f"{path.name}:{number}", json.loads(line)))
    return rows


def test_heldout_rows_have_the_corpus_schema():
    # GIVEN every held-out row
    rows = heldout_rows()
    # THEN there are some, each a corpus row in form
    assert rows, f"no held-out rows in {HELDOUT_DIR}"
    bad = [where for where, row in rows
           if set(row) != {"text", "label", "lang"} or row["label"] not in LABELS
           or row["lang"] not in ("en", "ja", "es", "hi") or not str(row["text"]).strip()]
    assert not bad, f"{len(bad)} malformed held-out rows: {bad[:20]}"


def test_heldout_files_are_not_loaded_for_training():
    # GIVEN the held-out files and the training loader
    heldout = {row["text"] for _, row in heldout_rows()}
    # WHEN the corpus is loaded as training loads it
    training_texts = {e.text for e in load_corpus()}
    # THEN no held-out text is among the training rows, and no held-out file sits in the corpus folder
    assert not heldout & training_texts
    assert not {p.name for p in HELDOUT_DIR.glob("*.jsonl")} & {p.name for p in CORPUS_DIR.glob("*.jsonl")}


def test_no_heldout_row_near_duplicates_a_training_row():
    # GIVEN the training rows followed by the held-out rows
    training = [e.text for e in load_corpus()]
    heldout = [(where, row["text"]) for where, row in heldout_rows()]
    # WHEN near-duplicate pairs are found over both
    pairs = near_duplicate_pairs(training + [text for _, text in heldout], THRESHOLD)
    # THEN none joins a held-out row to a training row
    crossing = [(p.i, p.j - len(training), p.jaccard) for p in pairs if p.i < len(training) <= p.j]
    assert not crossing, "held-out rows near-duplicate training rows:\n" + "\n".join(
        f"  {jaccard:.2f} {heldout[j][0]} ~ training row {i}" for i, j, jaccard in crossing[:20])


def test_heldout_files_read_as_evaluation_data():
    # GIVEN each held-out file WHEN read as training.evaluate reads --data THEN every row comes through labelled
    for path in sorted(HELDOUT_DIR.glob("*.jsonl")):
        examples = read_jsonl(path)
        assert examples and {e.label for e in examples} == set(LABELS), path.name
