"""The hand-written training corpus (training/data/*.jsonl): size, language and label mix, schema, near-duplicates."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from training.corpus import CORPUS_DIR, LABELS, load_corpus
from training.tools.near_duplicates import THRESHOLD, near_duplicate_pairs, near_duplicate_rows, shingles

MIN_ROWS = 3_000
MIN_JA_SHARE = 0.30
MIN_LABEL_SHARE = 0.25
MAX_NEAR_DUPLICATE_SHARE = 0.01
JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")  # kana, kanji, half-width kana


@pytest.fixture(scope="module")
def raw_rows() -> list[tuple[str, int, dict]]:
    """Every non-blank line of every corpus file, parsed, with its file and line number."""
    rows = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append((path.name, number, json.loads(line)))
    return rows


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_corpus_files_exist():
    assert sorted(CORPUS_DIR.glob("*.jsonl")), f"no corpus files in {CORPUS_DIR}"


def test_schema(raw_rows):
    problems = []
    for name, number, row in raw_rows:
        where = f"{name}:{number}"
        if not isinstance(row, dict) or set(row) != {"text", "label", "lang"}:
            problems.append(f"{where}: keys {sorted(row) if isinstance(row, dict) else type(row).__name__}")
            continue
        if row["label"] not in LABELS:
            problems.append(f"{where}: label {row['label']!r}")
        if row["lang"] not in ("en", "ja", "es", "hi"):
            problems.append(f"{where}: lang {row['lang']!r}")
        if not isinstance(row["text"], str) or not row["text"].strip():
            problems.append(f"{where}: empty or non-string text")
    assert not problems, f"{len(problems)} bad rows:\n" + "\n".join(problems[:50])


def test_loader_reads_every_row(raw_rows, corpus):
    # nothing in the corpus is labelled "exclude", so the training loader sees every row
    assert len(corpus) == len(raw_rows)


def test_text_containing_japanese_is_lang_ja(corpus):
    # CORPUS_BRIEF.md: "ja" for any text that contains Japanese, including mixed English/Japanese
    wrong = [e.text[:60] for e in corpus if JAPANESE.search(e.text) and e.lang != "ja"]
    assert not wrong, f"{len(wrong)} rows contain Japanese but are not lang 'ja': {wrong[:20]}"


def test_size(corpus):
    assert len(corpus) >= MIN_ROWS, f"{len(corpus)} rows, want at least {MIN_ROWS}"


def test_japanese_share(corpus):
    share = sum(e.lang == "ja" for e in corpus) / len(corpus)
    assert share >= MIN_JA_SHARE, f"ja share {share:.1%}, want at least {MIN_JA_SHARE:.0%}"


def test_label_shares(corpus):
    counts = Counter(e.label for e in corpus)
    shares = {label: counts[label] / len(corpus) for label in LABELS}
    low = {label: f"{share:.1%}" for label, share in shares.items() if share < MIN_LABEL_SHARE}
    assert not low, f"labels under {MIN_LABEL_SHARE:.0%}: {low} (all: {dict(counts)})"


def test_near_duplicates(raw_rows):
    texts = [row["text"] for _, _, row in raw_rows]
    pairs = near_duplicate_pairs(texts, THRESHOLD)
    flagged = {i for p in pairs for i in (p.i, p.j)}
    share = len(flagged) / len(texts)
    examples = "\n".join(
        f"  {p.jaccard:.2f} {raw_rows[p.i][0]}:{raw_rows[p.i][1]} {texts[p.i][:60]!r}"
        f" ~ {raw_rows[p.j][0]}:{raw_rows[p.j][1]} {texts[p.j][:60]!r}"
        for p in pairs[:30]
    )
    assert share <= MAX_NEAR_DUPLICATE_SHARE, (
        f"{len(flagged)} of {len(texts)} rows ({share:.2%}) have a near-duplicate (char 5-gram Jaccard >= "
        f"{THRESHOLD}), more than {MAX_NEAR_DUPLICATE_SHARE:.0%}:\n{examples}"
    )


# --- the near-duplicate rule itself ---

def test_flags_a_planted_near_copy_and_not_different_sentences():
    texts = [
        "The courier left my parcel in the rain and now the box is soaked through, order 81234.",
        "Does anyone know if the Saturday meetup is still on after the venue change?",
        "Honestly I will never buy from a company that treats its drivers like this.",
        "The courier left my parcel in the rain and now the box is soaked through, order 81235!",  # planted copy
        "配達員さんが荷物を雨の中に置いていったので箱がびしょ濡れです",
    ]
    pairs = near_duplicate_pairs(texts)
    assert [(p.i, p.j) for p in pairs] == [(0, 3)]
    assert pairs[0].jaccard >= THRESHOLD
    assert near_duplicate_rows(texts) == {0, 3}
    assert near_duplicate_rows(texts[1:3] + texts[4:]) == set()


def test_near_copy_detection_is_case_width_and_space_insensitive():
    a = "Where is my refund?? It has been 3 weeks"
    b = "  WHERE is my   refund?? It has been ３ weeks"  # upper case, extra spaces, full-width digit
    assert shingles(a) == shingles(b)
    assert near_duplicate_rows([a, b]) == {0, 1}


def test_threshold_boundary_matches_brute_force():
    texts = [
        "abcdefghij", "abcdefghik", "abcdefghijkl", "abcdefghijklmn", "zzabcdefghij", "abcdefgh",
        "short", "shorts", "?", "??", "", " ", "the same the same", "the same the same the same",
    ]
    sets = [shingles(t) for t in texts]
    for threshold in (0.5, 0.6, 0.7, THRESHOLD, 0.9, 1.0):
        expected = [
            (i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))
            if len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= threshold
        ]
        assert [(p.i, p.j) for p in near_duplicate_pairs(texts, threshold)] == expected, threshold


def test_checker_script_uses_the_shared_rule(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "batch.jsonl"
    rows = [
        {"text": "My order 4471 never arrived, can you check please?", "label": "customer_service", "lang": "en"},
        {"text": "My order 4471 never arrived, can you check it please?", "label": "customer_service", "lang": "en"},
        {"text": "新作のコラボ、みんなはどれ買う？", "label": "community", "lang": "ja"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    script = Path(__file__).resolve().parents[2] / "training" / "tools" / "check_corpus_file.py"
    result = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "rows=3 near_duplicate_rows=2 share=0.6667"
    assert lines[0].startswith("NEAR-DUP 0.8") and f"{path}:1" in lines[0] and f"{path}:2" in lines[0]
