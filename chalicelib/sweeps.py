"""The scheduled sweep (app.sweep_queues, every 5 minutes): per queue, reopen snoozes that are due and
auto-resolve open messages older than the queue's window (settings AUTO_RESOLVE_<QUEUE>, in seconds), then fold
the volume counter shards of closed hours (store.counters.fold_closed_hours), so that stats read less; and mark
`unknown` the replies whose sending was cut off (store.replies.sweep_cut_off).

Each run is bounded (store.queue.SWEEP_BATCH changes per queue and kind) and idempotent: every change is
guarded by the message's revision, so a rerun, or two runs at once, change each message at most once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import observability
from .config import get_settings
from .errors import StorageUnavailable
from .models import QUEUES
from .store import counters, queue, replies


def run(now: datetime) -> dict[str, dict[str, int]]:
    settings = get_settings()
    done = {q: queue.sweep(q, now, timedelta(seconds=getattr(settings, f"auto_resolve_{q}"))) for q in QUEUES}
    for q in QUEUES:
        try:
            done[q]["folded"] = counters.fold_closed_hours(q, now)
        except StorageUnavailable:  # only reads get slower: the next sweep folds them
            observability.warning("counter fold failed", queue=q)
    try:
        done["replies"] = {"cut_off": replies.sweep_cut_off(now)}
    except StorageUnavailable:  # the next sweep finds them
        observability.warning("cut-off replies sweep failed")
    observability.get_logger().info("sweep", extra={"sweep": done})
    return done
