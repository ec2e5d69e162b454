"""Timestamps as platforms send them, to aware UTC datetimes."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from ..errors import InvalidPayload

# 1970 to 2100: anything else is not a message sent to a brand, and datetime would overflow on some
_LATEST_SECONDS = 4_102_444_800


def from_unix(value: object) -> datetime:
    """Unix seconds or milliseconds (Meta mixes both), as UTC; a value that is not a time is a 400."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer of hundreds of digits
        raise InvalidPayload(f"timestamp {str(value)[:40]!r} is not a number") from None
    if number > 1e11:  # milliseconds
        number /= 1000.0
    if not math.isfinite(number) or not 0 <= number <= _LATEST_SECONDS:
        raise InvalidPayload(f"timestamp {str(value)[:40]!r} is out of range")
    return datetime.fromtimestamp(number, tz=timezone.utc)
