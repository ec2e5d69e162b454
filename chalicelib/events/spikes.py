"""Spike detection on a schedule: the hours just past, per category, with the test `/stats/spikes` uses.

Each run looks at the previous UTC hour (now complete) and the current one (so far: a count that is already
a spike stays one as the hour fills). A spike found is written as a marker item, conditionally, so each
(category, hour) is announced once however often the schedule runs; the table's stream turns the marker
into a `spike.detected` event through the same publisher as every other event.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .. import stats
from ..models import QUEUES
from ..store import alerts

LOOKBACK = timedelta(hours=1)


def detect(now: datetime, baseline_hours: int = stats.MAX_BASELINE_HOURS) -> list[dict[str, Any]]:
    """Record the spikes of the previous and the current UTC hour; the ones recorded by this run."""
    start = (now - LOOKBACK).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    query = stats.StatsQuery(start=start, end=now, granularity="hour", tz=ZoneInfo("UTC"), platform=None,
                             queues=QUEUES)
    recorded = []
    for spike in stats.spikes(query, baseline_hours):
        hour_start = datetime.fromisoformat(spike["start"]).astimezone(timezone.utc)
        if alerts.record_spike(spike, hour_start, baseline_hours, stats.SPIKE_METHOD, now):
            recorded.append(spike)
    return recorded
