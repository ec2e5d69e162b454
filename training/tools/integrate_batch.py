"""Bring an audited batch of corpus rows into training/data/, mechanically (row text is never rewritten).

    python -m training.tools.integrate_batch SOURCE.jsonl DEST_NAME.jsonl

Reads SOURCE (rows {"text", "label", "lang"}), then, in order: refuses rows with another schema, label or
language; maps invented "...ish" handles to the shared brands' handles (remap_handles); deletes short English
stance rows that name no issue (prune_unnamed_stance); deletes rows that near-duplicate (char 5-gram Jaccard >= 0.8)
a row already in the corpus or an earlier row of the batch; deletes rows that near-copy an evaluation text or a
shared fixture (leakage, when ../shared is present). Writes training/data/DEST_NAME and prints what it dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from training.corpus import CORPUS_DIR, LABELS
from training.tools.leakage import fixture_texts, leakage_pairs
from training.tools.near_duplicates import THRESHOLD, near_duplicate_pairs
from training.tools.prune_unnamed_stance import should_drop
from training.tools.remap_handles import remap

LANGS = ("en", "ja", "es", "hi")
SHARED = CORPUS_DIR.parents[1].parent / "shared"


def integrate(source: Path, dest: Path) -> dict[str, int]:
    rows = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if set(row) != {"text", "label", "lang"} or row["label"] not in LABELS or row["lang"] not in LANGS \
                or not str(row["text"]).strip():
            raise SystemExit(f"{source}:{number}: not a corpus row: {line[:120]}")
        rows.append({"text": remap(row["text"], row["lang"]), "label": row["label"], "lang": row["lang"]})
    counts = {"read": len(rows)}
    kept = [r for r in rows if not should_drop(r)]
    counts["unnamed short stance"] = len(rows) - len(kept)

    existing = [json.loads(line)["text"] for path in sorted(CORPUS_DIR.glob("*.jsonl")) if path != dest
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = existing + [r["text"] for r in kept]
    duplicate = {p.j - len(existing) for p in near_duplicate_pairs(texts, THRESHOLD) if p.j >= len(existing)}
    counts["near-duplicates"] = len(duplicate)
    kept = [r for k, r in enumerate(kept) if k not in duplicate]

    evaluation = [json.loads(line)["text"] for path in sorted((SHARED / "data").glob("*.jsonl"))
                  for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if (SHARED / "fixtures" / "webhooks").is_dir():
        evaluation += fixture_texts(SHARED / "fixtures" / "webhooks")
    leaking = {leak.row for leak in leakage_pairs([r["text"] for r in kept], evaluation)}
    counts["leakage"] = len(leaking)
    kept = [r for k, r in enumerate(kept) if k not in leaking]

    dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    counts["written"] = len(kept)
    return counts


def main(argv: list[str]) -> int:
    source, name = Path(argv[0]), argv[1]
    counts = integrate(source, CORPUS_DIR / name)
    print(f"{source} -> training/data/{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
