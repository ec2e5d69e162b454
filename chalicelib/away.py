"""The away message: managers set it (`GET`/`PUT /away-message`); the `send_automatic_replies` function sends it
(chalicelib/automatic_replies.py).

The function is fed the bus's `message.triaged` events of new direct messages (infra/template.py: a rule, a queue,
Lambda polling it), so the webhook never waits on a platform. Each event's message is read again and the rules of
domain.away decide; the reply goes out through the conversation's platform as any reply does, under a key naming
the closed period, so a redelivered event, a second message that night or two events racing send it once.
"""

from __future__ import annotations

from datetime import datetime

from . import automatic_replies
from .domain import away as rules
from .domain.automatic_messages import customer_name
from .domain.workflow import Actor
from .store import away as store
from .store import business_hours as hours_store
from .store.entities import iso, parse_iso

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
    reasons, or automatic_replies' SENT / ALREADY_SENT / NOT_SENDABLE); raises when the platform may take it later."""
    away = away if away is not None else store.get(consistent=False)
    if not away.enabled:
        return "off"
    read = automatic_replies.message_and_head(message_id)
    if read is None:
        return "unknown_message"
    message, head = read
    decision = rules.decide(
        away, hours_store.schedule(), platform=message.platform, channel=message.channel,
        direction=message.direction, message_status=message.status, received_at=parse_iso(message.received_at),
        erased=bool(message.erased), head_status=head.status, lease_expiry=head.lease_expiry,
        last_reply_at=parse_iso(head.last_reply_at) if head.last_reply_at else None, now=now,
        is_rating=(head.satisfaction or {}).get("message_id") == message.id)
    if not decision.send:
        return decision.reason
    text = away.text_for(message.language, customer_name(message.author))
    return automatic_replies.send_once(head, message, text, rules.idempotency_key(decision.period_start),
                                       rules.ACTOR, now, "away message")
