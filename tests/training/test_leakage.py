"""No corpus or held-out row near-copies a real evaluation text (../shared/data/*.jsonl) or a shared webhook fixture.

A paraphrase of an evaluation text is a copy: the rule (training/tools/leakage.py, as ../shared/hooks/leakage.py)
is character 5-gram Jaccard >= 0.5 after NFKC, lower case, links and handles folded, against evaluation texts of
25 characters or more. Runs when ../shared is present. Failures name the corpus row and the evaluation row's id,
never the evaluation text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.corpus import CORPUS_DIR, HELDOUT_DIR
from training.tools.leakage import MIN_EVAL_CHARS, THRESHOLD, fixture_texts, fold, grams, leakage_pairs

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EVALUATION_FILES = sorted((SHARED / "data").glob("*.jsonl"))
FIXTURES = SHARED / "fixtures" / "webhooks"


def corpus_rows() -> list[tuple[str, str]]:
    rows = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")) + sorted(HELDOUT_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append((f"{path.parent.name}/{path.name}:{number}", json.loads(line)["text"]))
    return rows


def report(rows, names, leaks) -> str:
    return "\n".join(f"  {leak.jaccard:.2f} {rows[leak.row][0]} {rows[leak.row][1][:80]!r} ~ {names[leak.evaluation]}"
                     for leak in leaks[:40])


@pytest.mark.skipif(not EVALUATION_FILES, reason="../shared/data is not here")
def test_no_corpus_row_near_copies_an_evaluation_text():
    rows = corpus_rows()
    names, texts = [], []
    for path in EVALUATION_FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                row = json.loads(line)
                names.append(f"{path.name} id={row.get('id', number)}")
                texts.append(row["text"])
    leaks = leakage_pairs([t for _, t in rows], texts)
    assert not leaks, (f"{len(leaks)} corpus rows near-copy an evaluation text (char 5-gram Jaccard >= {THRESHOLD}); "
                       f"delete them:\n{report(rows, names, leaks)}")


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is not here")
def test_no_corpus_row_near_copies_a_shared_fixture():
    rows = corpus_rows()
    texts = fixture_texts(FIXTURES)
    assert texts, "the fixtures hold message texts"
    leaks = leakage_pairs([t for _, t in rows], texts)
    assert not leaks, f"{len(leaks)} corpus rows near-copy a webhook fixture:\n" + report(
        rows, [f"fixture text {k}" for k in range(len(texts))], leaks)


# --- the rule itself (no shared data needed) ---

def test_folding_ignores_case_width_links_and_handles():
    assert fold("@JetBlue  ＷＨＥＲＥ is my bag https://t.co/x1") == fold("@other_brand where is my bag")
    assert grams("Where is my bag") == grams("WHERE  is my BAG")


def test_flags_a_paraphrase_and_leaves_other_texts_and_short_stock_phrases():
    evaluation = ["The courier left the parcel in the rain again, the box was soaked through.",
                  "same here."]  # short stock phrase: under MIN_EVAL_CHARS, never counted
    corpus = ["@ParcelCo the courier left my parcel in the rain again, box soaked through",  # paraphrase
              "Anyone going to the Saturday meetup by the lake?",
              "same here."]
    assert len(evaluation[1]) < MIN_EVAL_CHARS
    leaks = leakage_pairs(corpus, evaluation)
    assert [(leak.row, leak.evaluation) for leak in leaks] == [(0, 0)]
    assert leaks[0].jaccard >= THRESHOLD


def test_matches_the_shared_hook_on_a_hand_computed_pair():
    # "abcdefgh" has 4 five-grams, "abcdefgx" 4; they share 3 -> 3 / 5 = 0.6
    leaks = leakage_pairs(["abcdefgh"], ["abcdefgx"], threshold=0.6, min_eval_chars=1)
    assert [leak.jaccard for leak in leaks] == [0.6]
    assert leakage_pairs(["abcdefgh"], ["abcdefgx"], threshold=0.61, min_eval_chars=1) == []


def test_fixture_texts_reads_message_strings(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.json").write_text(json.dumps(
        {"entry": [{"messaging": [{"message": {"text": "hello there"}}]}], "caption": "a photo", "id": "1"}))
    assert sorted(fixture_texts(tmp_path)) == ["a photo", "hello there"]
