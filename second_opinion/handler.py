"""The second-opinion function: EventBridge delivers `message.triaged` events of new and edited messages
(infra/template.py's rule); each message is scored again and its verdict replaced once (chalicelib/domain/
second_opinion.py says what it may move). Delivery is at least once: a message already re-scored is left as it is.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalicelib import observability
from chalicelib.domain import second_opinion as rules
from chalicelib.domain.errors import ConcurrentChange
from chalicelib.domain.workflow import REMOVED
from chalicelib.store import messages as store
from chalicelib.store.messages import Outcome

from .model import get_model

ATTEMPTS = 3  # an agent's claim or a new message of the conversation may change it while it is scored


def rescore(message_id: str, now: datetime) -> Outcome:
    """Score a stored message with the second-opinion model and apply the verdict (once)."""
    for _ in range(ATTEMPTS):
        stored = store.get_message(message_id)
        if stored is None:
            return Outcome.UNKNOWN
        if not stored.triage or rules.already_given(stored.triage) or stored.status == REMOVED:
            return Outcome.UNCHANGED
        verdict = get_model().classify(stored.text)
        try:
            return store.apply_second_opinion(stored, verdict, now)
        except ConcurrentChange:
            continue
    raise ConcurrentChange(f"message {message_id} kept changing while it was scored")  # EventBridge retries


def handler(event: dict[str, Any], context: Any = None) -> dict[str, str]:
    detail = event.get("detail") if isinstance(event, dict) else None
    message_id = detail.get("message_id") if isinstance(detail, dict) else None
    if not isinstance(message_id, str) or not message_id:
        observability.warning("second opinion: an event without a message id", detail_type=event.get("detail-type")
                              if isinstance(event, dict) else None)
        return {"outcome": "skipped"}
    outcome = rescore(message_id, datetime.now(timezone.utc))
    observability.count("SecondOpinion", outcome=outcome.value)
    observability.flush_metrics()
    return {"message_id": message_id, "outcome": outcome.value}
