"""Training rows that near-copy an evaluation text: character 5-gram Jaccard after folding the surface.

    python -m training.tools.leakage [--threshold 0.5] EVAL.jsonl [EVAL.jsonl ...]

The rule of ../shared/hooks/leakage.py, shared by the test suite (tests/training/test_leakage.py) and this command:
both sides NFKC-normalized, lower-cased, links removed, handles folded to "@", whitespace collapsed; a pair counts
when the Jaccard of their 5-gram sets reaches the threshold (0.5) and the evaluation text has at least 25
characters (short stock phrases such as "same here." are not counted). The command prints corpus file:line, the
Jaccard and the evaluation row's id, never the evaluation text: whoever writes corpus rows must not read it.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Iterable, NamedTuple

THRESHOLD = 0.5
MIN_EVAL_CHARS = 25
GRAM = 5
_LINK = re.compile(r"https?://\S+")
_HANDLE = re.compile(r"@\w+")


class Leak(NamedTuple):
    jaccard: float
    row: int  # index into the corpus texts
    evaluation: int  # index into the evaluation texts


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = _HANDLE.sub("@", _LINK.sub(" ", text))
    return " ".join(text.split())


def grams(text: str, n: int = GRAM) -> set[str]:
    t = fold(text)
    return {t[i:i + n] for i in range(max(1, len(t) - n + 1))}


def leakage_pairs(corpus: Iterable[str], evaluation: Iterable[str], threshold: float = THRESHOLD,
                  min_eval_chars: int = MIN_EVAL_CHARS) -> list[Leak]:
    """Every (corpus row, evaluation text) pair at or above the threshold, worst first."""
    evaluation = list(evaluation)
    eval_grams = [grams(t) if len(t) >= min_eval_chars else set() for t in evaluation]
    index: dict[str, list[int]] = defaultdict(list)
    for k, g in enumerate(eval_grams):
        for x in g:
            index[x].append(k)
    leaks = []
    for i, text in enumerate(corpus):
        g = grams(text)
        shared: dict[int, int] = defaultdict(int)
        for x in g:
            for k in index.get(x, ()):
                shared[k] += 1
        for k, s in shared.items():
            j = s / (len(g) + len(eval_grams[k]) - s)
            if j >= threshold:
                leaks.append(Leak(round(j, 4), i, k))
    leaks.sort(key=lambda leak: (-leak.jaccard, leak.row, leak.evaluation))
    return leaks


def fixture_texts(folder: Path) -> list[str]:
    """The message texts inside webhook payload fixtures (any `text`, `message`, `caption` or `body` string)."""
    texts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and key in ("text", "message", "caption", "body"):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(folder.rglob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("evaluation", nargs="+", type=Path, help="labelled JSONL whose texts must not leak")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--corpus", default=str(Path(__file__).resolve().parents[1] / "data"),
                        help="folder of corpus *.jsonl files")
    args = parser.parse_args(argv)
    rows = []
    for path in sorted(Path(args.corpus).glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append((f"{path.name}:{number}", json.loads(line)["text"]))
    ids, texts = [], []
    for path in args.evaluation:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                row = json.loads(line)
                ids.append(f"{path.name} id={row.get('id', number)}")
                texts.append(row["text"])
    leaks = leakage_pairs([t for _, t in rows], texts, args.threshold)
    for leak in leaks:
        print(f"LEAK {leak.jaccard:.2f} {rows[leak.row][0]} ~ {ids[leak.evaluation]}")
    print(f"corpus={len(rows)} evaluation={len(texts)} leaks={len(leaks)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
