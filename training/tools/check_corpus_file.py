"""Check one hand-written corpus file: schema, labels, and near-duplicates (char 5-gram Jaccard >= 0.8).

    python3 training/tools/check_corpus_file.py FILE.jsonl [FILE.jsonl ...]

The near-duplicate rule itself lives in near_duplicates.py (shared with tests/training/test_corpus.py).
"""
import json
import sys

if __package__:
    from .near_duplicates import THRESHOLD, near_duplicate_pairs, shingles  # noqa: F401  (shingles re-exported)
else:  # run as a script: this file's directory is on sys.path
    from near_duplicates import THRESHOLD, near_duplicate_pairs, shingles  # noqa: F401

LABELS = {"customer_service", "stance", "community"}


def main(paths: list[str]) -> int:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                assert set(row) == {"text", "label", "lang"}, f"{path}:{n} keys {sorted(row)}"
                assert row["label"] in LABELS, f"{path}:{n} label {row['label']}"
                assert row["lang"] in {"en", "ja", "es", "hi"}, f"{path}:{n} lang {row['lang']}"
                assert row["text"].strip(), f"{path}:{n} empty text"
                rows.append((f"{path}:{n}", row["text"]))
    dups = set()
    for i, j, jac in near_duplicate_pairs([text for _, text in rows], THRESHOLD):
        dups.add(i)
        dups.add(j)
        print(f"NEAR-DUP {jac:.2f}: {rows[i][0]} {rows[i][1][:60]!r} ~ {rows[j][0]} {rows[j][1][:60]!r}")
    print(f"rows={len(rows)} near_duplicate_rows={len(dups)} share={len(dups) / max(1, len(rows)):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
