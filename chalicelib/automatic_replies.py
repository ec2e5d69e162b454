"""The automatic messages' function (`send_automatic_replies`): a routing rule's reply (chalicelib/routing_rules.py)
and the away message (chalicelib/away.py) for customers' new direct messages, the satisfaction survey
(chalicelib/surveys.py) for resolved direct-message conversations, and its follow-up question after a low rating.

It is fed the bus's events through its own queue (infra/template.py: a rule per message, one queue, Lambda polling
it), so neither the webhook nor a resolve waits on a platform. Each event's message is read again and the domain
rules decide; the reply goes out through the conversation's platform as any reply does, under an idempotency key,
so a redelivered event, or two events racing, send it once.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

from . import observability, replies
from .domain.errors import IdempotencyKeyReused, OutsideReplyWindow, ReplyNotSent, TextTooLong
from .store import replies as reply_store
from .store.entities import StoredMessage
from .store.messages import get_message

# outcomes that sending again would not change (the others raise, and the queue delivers the event again)
SENT, ALREADY_SENT, NOT_SENDABLE = "sent", "already_sent", "not_sendable"
PASSING_FAILURES = frozenset({"platform_rate_limited", "platform_unavailable"})


def message_and_head(message_id: str) -> tuple[StoredMessage, StoredMessage] | None:
    """A customer's message as stored now, and its conversation's head (itself when it opened it); None when either
    is gone."""
    message = get_message(message_id)
    if message is None:
        return None
    head = message if not message.is_member else get_message(message.conversation_id_or_own)
    return None if head is None else (message, head)


def send_once(head: StoredMessage, target: StoredMessage, text: str, key: str, by: str, now: datetime,
              what: str, quote: bool = True, choices: tuple[str, ...] = ()) -> str:
    """Send an automatic message under `key` unless it went (or is going) already: SENT, ALREADY_SENT or
    NOT_SENDABLE (refused for good: logged); raises when the platform may take it later."""
    earlier = reply_store.get(head.id, key)
    if earlier is not None and not (earlier.status == reply_store.FAILED
                                    and earlier.error_kind in reply_store.RETRYABLE_FAILURES):
        return ALREADY_SENT
    try:
        reply = replies.send_automatic(head, target, text, key, by, now, quote, choices)
    except IdempotencyKeyReused:
        return ALREADY_SENT  # a concurrent event of the same conversation sent it to another of its messages
    except (OutsideReplyWindow, TextTooLong) as refused:
        observability.warning(f"{what}: not sendable", message_id=target.id, reason=refused.code)
        return NOT_SENDABLE
    except ReplyNotSent as failed:
        if failed.code in PASSING_FAILURES:
            raise  # the queue delivers the event again
        observability.warning(f"{what}: the platform refused it", message_id=target.id, reason=failed.code)
        return NOT_SENDABLE
    return SENT if reply.status == reply_store.SENT else ALREADY_SENT


# the function: a batch of the queue's events -------------------------------------------------------------------

def _event(body: str) -> tuple[str | None, str | None]:
    """The type (EventBridge's `detail-type`) and message of a queue message; (None, None) when it is none of ours."""
    try:
        event = json.loads(body)
        detail = event.get("detail")
    except (ValueError, AttributeError):
        return None, None
    if not isinstance(detail, dict):
        return None, None
    message_id, kind = detail.get("message_id"), event.get("detail-type") or detail.get("type")
    if not (isinstance(message_id, str) and message_id and isinstance(kind, str)):
        return None, None
    return kind, message_id


def _handlers() -> dict[str, list[tuple[str, Callable[[str, datetime], str]]]]:
    """Per event type: what answers it, each with the metric it counts under (the settings read once per batch)."""
    from . import away, routing_rules, surveys

    away_now, survey_now = away.store.get(consistent=False), surveys.store.get(consistent=False)
    return {"message.triaged": [("RuleReply", routing_rules.answer),
                                ("AwayMessage", lambda message_id, now: away.answer(message_id, now, away_now))],
            "message.resolved": [("SatisfactionSurvey",
                                  lambda message_id, now: surveys.offer(message_id, now, survey_now))],
            "message.rated": [("SurveyFollowUp",
                               lambda message_id, now: surveys.follow_up(message_id, now, survey_now))]}


def handle_batch(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda's SQS batch: each record's event answered (or not); the records to deliver again are reported
    (`batchItemFailures`)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    if not isinstance(event, dict) or not isinstance(event.get("Records"), list):
        observability.warning("automatic replies: not a batch from its queue")
        return {"batchItemFailures": []}
    handlers = _handlers()

    def one(record) -> str:
        kind, message_id = _event(record.body)
        answering = handlers.get(kind or "", [])
        if not answering or message_id is None:
            observability.warning("automatic replies: a queue message that is not an event they answer",
                                  queue_message_id=record.message_id)
            observability.count("AutomaticReplies", outcome="skipped")
            return "skipped"
        outcomes = []
        # each answer is sent once under its own key: after a failure the event comes again, and what went is not
        # sent again
        for metric, handler in answering:
            try:
                outcome = handler(message_id, datetime.now(timezone.utc))
            except Exception as exc:
                observability.warning(f"{metric}: failed, the queue delivers it again", message_id=message_id,
                                      error=type(exc).__name__)
                observability.count(metric, outcome="retried")
                raise
            observability.count(metric, outcome=outcome)
            outcomes.append(outcome)
        return ",".join(outcomes)

    try:
        return process_partial_response(event=event, record_handler=one,
                                        processor=BatchProcessor(event_type=EventType.SQS), context=context)
    finally:
        observability.flush_metrics()
