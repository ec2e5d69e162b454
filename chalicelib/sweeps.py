"""The scheduled sweep (app.sweep_queues, every 5 minutes): per queue, reopen snoozes that are due and
auto-resolve open messages older than the queue's window (settings AUTO_RESOLVE_<QUEUE>, in seconds).

Each run is bounded (store.queue.SWEEP_BATCH changes per queue and kind) and idempotent: every change is
guarded by the message's revision, so a rerun, or two runs at once, change each message at most once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import observability
from .config import get_settings
from .models import QUEUES
from .store import queue


def run(now: datetime) -> dict[str, dict[str, int]]:
    settings = get_settings()
    done = {q: queue.sweep(q, now, timedelta(seconds=getattr(settings, f"auto_resolve_{q}"))) for q in QUEUES}
    observability.get_logger().info("sweep", extra={"sweep": done})
    return done
