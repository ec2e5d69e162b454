"""Timestamps as platforms send them, to aware UTC datetimes."""

from __future__ import annotations

from datetime import datetime, timezone


def from_unix(value: int | float | str) -> datetime:
    """Unix seconds or milliseconds (Meta mixes both), as UTC."""
    number = float(value)
    if number > 1e11:  # milliseconds
        number /= 1000.0
    return datetime.fromtimestamp(number, tz=timezone.utc)
