"""The away message: managers set it (`GET`/`PUT /away-message`); the `send_away_replies` function sends it.

The function is fed the bus's `message.triaged` events of new direct messages (infra/template.py: a rule, a queue,
Lambda polling it), so the webhook never waits on a platform. Each event's message is read again and the rules of
domain.away decide; the reply goes out through the conversation's platform as any reply does, under a key naming
the closed period, so a redelivered event, a second message that night or two events racing send it once.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from . import observability, replies
from .domain import away as rules
from .domain.errors import IdempotencyKeyReused, OutsideReplyWindow, ReplyNotSent, TextTooLong
from .domain.workflow import Actor
from .store import away as store
from .store import business_hours as hours_store
from .store import replies as reply_store
from .store.entities import iso, parse_iso
from .store.messages import get_message

# outcomes that sending again would not change (the others raise, and the queue delivers the event again)
SENT, ALREADY_SENT, NOT_SENDABLE = "sent", "already_sent", "not_sendable"
PASSING_FAILURES = frozenset({"platform_rate_limited", "platform_unavailable"})


def current() -> rules.AwayMessage:
    return store.get()


def schedule():
    """The business hours it follows (store.business_hours: saved by a manager, else the operator's)."""
    return hours_store.schedule()


def change(actor: Actor, enabled: bool, text: str, translations: dict[str, str], rev: int,
           now: datetime) -> rules.AwayMessage:
    """Save the away message at the revision read."""
    rules.check_change(enabled, text, translations, hours_store.schedule())
    changed = rules.AwayMessage(enabled=enabled, text=text, translations=dict(sorted(translations.items())),
                                updated_by=actor.id, updated_at=iso(now), rev=rev + 1)
    return store.save(changed, rev)


def answer(message_id: str, now: datetime, away: rules.AwayMessage | None = None) -> str:
    """Send the away message for a customer's new message when it is due. Returns what happened (domain.away's
    reasons, or SENT / ALREADY_SENT / NOT_SENDABLE); raises when the platform may take it later."""
    away = away if away is not None else store.get(consistent=False)
    if not away.enabled:
        return "off"
    message = get_message(message_id)
    if message is None:
        return "unknown_message"
    head = message if not message.is_member else get_message(message.conversation_id_or_own)
    if head is None:
        return "unknown_message"
    decision = rules.decide(
        away, hours_store.schedule(), platform=message.platform, channel=message.channel,
        direction=message.direction, message_status=message.status, received_at=parse_iso(message.received_at),
        erased=bool(message.erased), head_status=head.status, lease_expiry=head.lease_expiry,
        last_reply_at=parse_iso(head.last_reply_at) if head.last_reply_at else None, now=now)
    if not decision.send:
        return decision.reason
    key = rules.idempotency_key(decision.period_start)
    earlier = reply_store.get(head.id, key)
    if earlier is not None and not (earlier.status == reply_store.FAILED
                                    and earlier.error_kind in reply_store.RETRYABLE_FAILURES):
        return ALREADY_SENT  # this closed period's away message went to this conversation (or is going)
    author = message.author or {}
    name = author.get("name") or (f"@{author['handle']}" if author.get("handle") else None)
    text = away.text_for(message.language, name)
    try:
        reply = replies.send_away(head, message, text, key, now)
    except IdempotencyKeyReused:
        return ALREADY_SENT  # a concurrent event of the same conversation sent it to another of its messages
    except (OutsideReplyWindow, TextTooLong) as refused:
        observability.warning("away message: not sendable", message_id=message_id, reason=refused.code)
        return NOT_SENDABLE
    except ReplyNotSent as failed:
        if failed.code in PASSING_FAILURES:
            raise  # the queue delivers the event again
        observability.warning("away message: the platform refused it", message_id=message_id, reason=failed.code)
        return NOT_SENDABLE
    return SENT if reply.status == reply_store.SENT else ALREADY_SENT


# the function: a batch of the queue's events -------------------------------------------------------------------

def _message_id(body: str) -> str | None:
    """The message a queue message (an EventBridge event) is about; None when it is none of ours."""
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return None
    message_id = detail.get("message_id") if isinstance(detail, dict) else None
    return message_id if isinstance(message_id, str) and message_id else None


def handle_batch(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda's SQS batch: each record's message answered (or not); the records to deliver again are reported
    (`batchItemFailures`). The away message is read once per batch."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    if not isinstance(event, dict) or not isinstance(event.get("Records"), list):
        observability.warning("away message: not a batch from its queue")
        return {"batchItemFailures": []}
    settings_now = store.get(consistent=False)

    def one(record) -> str:
        message_id = _message_id(record.body)
        if message_id is None:
            observability.warning("away message: a queue message that is not a message event",
                                  queue_message_id=record.message_id)
            outcome = "skipped"
        else:
            try:
                outcome = answer(message_id, datetime.now(timezone.utc), settings_now)
            except Exception as exc:
                observability.warning("away message: failed, the queue delivers it again", message_id=message_id,
                                      error=type(exc).__name__)
                observability.count("AwayMessage", outcome="retried")
                raise
        observability.count("AwayMessage", outcome=outcome)
        return outcome

    try:
        return process_partial_response(event=event, record_handler=one,
                                        processor=BatchProcessor(event_type=EventType.SQS), context=context)
    finally:
        observability.flush_metrics()
