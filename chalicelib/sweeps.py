"""The scheduled sweep (app.sweep_queues, every 5 minutes): per queue, reopen snoozes that are due and
auto-resolve open messages older than the queue's window (settings AUTO_RESOLVE_<QUEUE>, in seconds), mark the
conversations that crossed the queue's SLA since the last sweep (domain.sla: `message.sla_breached`), then fold
the volume counter shards of closed hours (store.counters.fold_closed_hours), so that stats read less; and mark
`unknown` the replies whose sending was cut off (store.replies.sweep_cut_off); and, when the brand set RETENTION_DAYS
(domain.privacy), erase the conversations closed longer ago than that (store.erasure.erase_closed).

Each run is bounded (store.queue.SWEEP_BATCH changes per queue and kind; pages of store.erasure.RETENTION_BATCH
conversations per queue in turn, until RETENTION_UNTIL_SECONDS into the run) and idempotent: every change is guarded by the message's revision, so a rerun,
or two runs at once, change each message at most once.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from . import observability
from .config import get_settings
from .domain import business_hours, privacy
from .errors import StorageUnavailable
from .models import QUEUES
from .store import business_hours as hours_store
from .store import counters, erasure, queue, replies, sla
from .store.entities import iso

# the retention work stops this many seconds into a run (the function has 20 s): what it has not reached, the
# next run does
RETENTION_UNTIL_SECONDS = 14.0


def run(now: datetime) -> dict[str, dict[str, int]]:
    started = time.monotonic()
    settings = get_settings()
    done = {q: queue.sweep(q, now, timedelta(seconds=getattr(settings, f"auto_resolve_{q}"))) for q in QUEUES}
    _sla_breaches(now, done)
    for q in QUEUES:
        try:
            done[q]["folded"] = counters.fold_closed_hours(q, now)
        except StorageUnavailable:  # only reads get slower: the next sweep folds them
            observability.warning("counter fold failed", queue=q)
    try:
        done["replies"] = {"cut_off": replies.sweep_cut_off(now)}
    except StorageUnavailable:  # the next sweep finds them
        observability.warning("cut-off replies sweep failed")
    _retention(now, settings.retention_days, started + RETENTION_UNTIL_SECONDS, done)
    observability.get_logger().info("sweep", extra={"sweep": done})
    return done


def _sla_breaches(now: datetime, done: dict[str, dict[str, int]]) -> None:
    """Mark (and so announce) the conversations that crossed their queue's SLA since the last sweep (domain.sla)."""
    settings = get_settings()
    schedule = hours_store.schedule()
    for q in QUEUES:
        sla_seconds = settings.sla_seconds(q)
        cutoff = business_hours.past_sla_before(schedule, now, timedelta(seconds=sla_seconds))
        try:
            done[q]["sla_breached"] = sla.watch(q, cutoff, sla_seconds, schedule is not None, now)
        except StorageUnavailable:  # the next sweep starts where this one could not
            observability.warning("SLA breach sweep failed", queue=q)


def _retention(now: datetime, days: int, deadline: float, done: dict[str, dict[str, int]]) -> None:
    """Erase the conversations closed before the retention cutoff (`erased`: how many per queue), a page per queue
    in turn, so that one queue's backlog does not starve the others, until `deadline` (time.monotonic()) or
    RETENTION_ROUNDS pages; none when it is unset."""
    cutoff = privacy.retention_cutoff(now, days)
    for q in QUEUES:
        done[q]["erased"] = 0
    pending = list(QUEUES) if cutoff is not None else []
    for _ in range(erasure.RETENTION_ROUNDS):
        for q in list(pending):
            try:
                erased, more = erasure.erase_closed(q, iso(cutoff), now, queue.SYSTEM, deadline)
            except StorageUnavailable:  # what is left is still in CLOSED#: the next sweep erases it
                observability.warning("retention sweep failed", queue=q)
                erased, more = 0, False
            done[q]["erased"] += erased
            if not more:
                pending.remove(q)
        if not pending or time.monotonic() >= deadline:
            return
