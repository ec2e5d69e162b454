"""Log-spaced histogram bins for response times: exact counts, percentiles within about 10%.

Bin 0 holds everything under 10 s; bin i >= 1 holds [10*1.2^(i-1), 10*1.2^i) seconds; the last
bin (70, past five weeks) is open-ended. Counters per bin are ADDed in DynamoDB, so merging buckets
and time ranges is a sum.
"""

from __future__ import annotations

import math

BASE_SECONDS = 10.0
GROWTH = 1.2
BINS = 71


def bin_of(seconds: float) -> int:
    if seconds < BASE_SECONDS:
        return 0
    return min(BINS - 1, 1 + int(math.log(seconds / BASE_SECONDS) / math.log(GROWTH)))


def bin_value(index: int) -> float:
    """A representative value: the geometric middle of the bin."""
    if index == 0:
        return BASE_SECONDS / 2
    low = BASE_SECONDS * GROWTH ** (index - 1)
    return low * math.sqrt(GROWTH)


def percentile(counts: dict[int, int], q: float) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    rank = q * total
    running = 0
    for index in sorted(counts):
        running += counts[index]
        if running >= rank:
            return bin_value(index)
    return bin_value(max(counts))
