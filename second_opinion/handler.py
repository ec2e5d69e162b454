"""The second-opinion function: the bus's `message.triaged` events of new and edited messages reach it through its
own SQS queue (infra/template.py: the rule puts them there, Lambda polls it in batches with a capped concurrency,
so a crisis waits in the queue instead of taking the API's Lambda concurrency). Each message is scored again and
its verdict replaced once (chalicelib/domain/second_opinion.py says what it may move). Delivery is at least once:
a message already re-scored is left as it is.

A record that failed (the message kept changing while it was scored, DynamoDB throttled) is reported back and the
queue delivers it again; after a few receives it moves to the events dead-letter queue, whose redrive puts the
event back on the bus. A record that can never succeed (not an event of ours) is logged and dropped.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import observability
from chalicelib.domain import second_opinion as rules
from chalicelib.domain.errors import ConcurrentChange
from chalicelib.domain.workflow import REMOVED
from chalicelib.store import messages as store
from chalicelib.store.messages import Outcome

from .model import get_model

ATTEMPTS = 3  # an agent's claim or a new message of the conversation may change it while it is scored
SKIPPED = "skipped"  # a record that is not one of our events: retrying would not help

processor = BatchProcessor(event_type=EventType.SQS)


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
            outcome = store.apply_second_opinion(stored, verdict, now)
        except ConcurrentChange:
            continue
        if outcome is Outcome.UPDATED and verdict.category != stored.triage["category"]:
            observability.count("SecondOpinionChanged", from_category=stored.triage["category"],
                                to_category=verdict.category)
        return outcome
    raise ConcurrentChange(f"message {message_id} kept changing while it was scored")  # the queue delivers it again


def message_id_of(bridge_event: Any) -> str | None:
    """The message an EventBridge event (the queue message's body) is about, or None when it is none of ours."""
    detail = bridge_event.get("detail") if isinstance(bridge_event, dict) else None
    message_id = detail.get("message_id") if isinstance(detail, dict) else None
    return message_id if isinstance(message_id, str) and message_id else None


def rescore_record(record: SQSRecord) -> str:
    """One queue message: re-score the message its event names; raising makes the queue deliver it again."""
    try:
        message_id = message_id_of(json.loads(record.body))
    except ValueError:
        message_id = None
    if message_id is None:
        observability.warning("second opinion: a queue message that is not a message event",
                              queue_message_id=record.message_id)
        outcome = SKIPPED
    else:
        try:
            outcome = rescore(message_id, datetime.now(timezone.utc)).value
        except Exception as exc:
            observability.warning("second opinion: failed, the queue delivers it again", message_id=message_id,
                                  error=type(exc).__name__, receive_count=record.attributes.approximate_receive_count)
            observability.count("SecondOpinion", outcome="retried")
            raise
    observability.count("SecondOpinion", outcome=outcome)
    return outcome


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """A batch from the queue; answers the records to deliver again (`batchItemFailures`)."""
    if not isinstance(event, dict) or not isinstance(event.get("Records"), list):
        observability.warning("second opinion: not a batch from its queue", keys=sorted(event)[:10]
                              if isinstance(event, dict) else None)
        return {"batchItemFailures": []}
    try:
        return process_partial_response(event=event, record_handler=rescore_record, processor=processor,
                                        context=context)
    finally:
        observability.flush_metrics()
