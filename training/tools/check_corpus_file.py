"""Check one hand-written corpus file: schema, labels, and near-duplicates (char 5-gram Jaccard >= 0.8)."""
import json
import sys
import unicodedata

LABELS = {"customer_service", "stance", "community"}


def shingles(text: str) -> set[str]:
    t = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    t = f" {t} "
    return {t[i:i + 5] for i in range(max(1, len(t) - 4))}


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
                assert row["lang"] in {"en", "ja"}, f"{path}:{n} lang {row['lang']}"
                assert row["text"].strip(), f"{path}:{n} empty text"
                rows.append((f"{path}:{n}", row["text"], shingles(row["text"])))
    # inverted index on shingles keeps this fast enough for a few thousand rows
    index: dict[str, list[int]] = {}
    for i, (_, _, sh) in enumerate(rows):
        for s in sh:
            index.setdefault(s, []).append(i)
    dups = set()
    for i, (where, text, sh) in enumerate(rows):
        counts: dict[int, int] = {}
        for s in sh:
            for j in index[s]:
                if j > i:
                    counts[j] = counts.get(j, 0) + 1
        for j, inter in counts.items():
            jac = inter / len(sh | rows[j][2])
            if jac >= 0.8:
                dups.add(i)
                dups.add(j)
                print(f"NEAR-DUP {jac:.2f}: {where} {text[:60]!r} ~ {rows[j][0]} {rows[j][1][:60]!r}")
    print(f"rows={len(rows)} near_duplicate_rows={len(dups)} share={len(dups) / max(1, len(rows)):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
