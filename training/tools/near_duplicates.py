"""Near-duplicate detection for the hand-written corpus: character 5-gram Jaccard >= 0.8.

Standard library only, so the corpus writers' checker (`check_corpus_file.py`, run with any python3) and the
test suite (`tests/training/test_corpus.py`) share one definition.

Exact, and fast on tens of thousands of rows: candidate pairs come from prefix filtering (a pair with Jaccard >= t
must share one of the rarest `|A| - ceil(t * |A|) + 1` shingles of each set) and a size filter
(`t * |A| <= |B| <= |A| / t`); each candidate's Jaccard is then computed exactly.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from typing import Iterable, NamedTuple

SHINGLE_SIZE = 5
THRESHOLD = 0.8
# keeps float rounding in ceil(t * n) on the safe side: longer prefixes, wider size window, never a missed pair
_EPS = 1e-9


class NearDuplicate(NamedTuple):
    i: int  # index of the first text (i < j)
    j: int
    jaccard: float


def shingles(text: str, size: int = SHINGLE_SIZE) -> frozenset[str]:
    """Character n-grams of the NFKC-normalized, lower-cased, whitespace-collapsed text, padded by one space."""
    t = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    t = f" {t} "
    return frozenset(t[i:i + size] for i in range(max(1, len(t) - size + 1)))


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def near_duplicate_pairs(texts: Iterable[str], threshold: float = THRESHOLD) -> list[NearDuplicate]:
    """Every pair of texts whose shingle sets have Jaccard >= threshold, sorted by (i, j)."""
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    sets = [shingles(t) for t in texts]
    frequency = Counter(s for sh in sets for s in sh)
    # global order: rarest shingle first (ties broken by the shingle itself, so the result is deterministic)
    ordered = [sorted(sh, key=lambda s: (frequency[s], s)) for sh in sets]
    index: dict[str, list[int]] = {}
    pairs: list[NearDuplicate] = []
    # visit small sets first so every indexed set is no larger than the current one
    for i in sorted(range(len(sets)), key=lambda k: (len(sets[k]), k)):
        size = len(sets[i])
        prefix = ordered[i][: size - math.ceil(threshold * size - _EPS) + 1]
        min_size = threshold * size - _EPS
        candidates: set[int] = set()
        for s in prefix:
            for j in index.get(s, ()):
                if len(sets[j]) >= min_size:
                    candidates.add(j)
        for j in candidates:
            inter = len(sets[i] & sets[j])
            score = inter / (size + len(sets[j]) - inter)
            if score >= threshold:
                pairs.append(NearDuplicate(min(i, j), max(i, j), score))
        for s in prefix:
            index.setdefault(s, []).append(i)
    pairs.sort()
    return pairs


def near_duplicate_rows(texts: Iterable[str], threshold: float = THRESHOLD) -> set[int]:
    """Indexes of the texts that have at least one near-duplicate elsewhere in `texts`."""
    rows: set[int] = set()
    for pair in near_duplicate_pairs(texts, threshold):
        rows.update((pair.i, pair.j))
    return rows
