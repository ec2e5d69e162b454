"""The satisfaction survey: managers set it (`GET`/`PUT /satisfaction-survey`); the `send_automatic_replies`
function (chalicelib/automatic_replies.py) sends it for the bus's `message.resolved` events of direct-message
conversations, once per conversation (domain.surveys decides who is asked), and the follow-up question for its
`message.rated` events of a low rating. The customer's rating is read where
their messages are stored (store.conversations.save_inbound)."""

from __future__ import annotations

from datetime import datetime

from . import automatic_replies
from .domain import surveys as rules
from .domain.automatic_messages import customer_name
from .domain.workflow import Actor
from .store import surveys as store
from .store.entities import iso, parse_iso
from .store.messages import get_message


def current() -> rules.Survey:
    return store.get()


def change(actor: Actor, enabled: bool, text: str, translations: dict[str, str], rev: int, now: datetime,
           follow_up: str = "", follow_up_translations: dict[str, str] | None = None) -> rules.Survey:
    """Save the satisfaction survey (and its follow-up question) at the revision read."""
    follow_up_translations = follow_up_translations or {}
    rules.check_change(enabled, text, translations, follow_up, follow_up_translations)
    changed = rules.Survey(enabled=enabled, text=text, translations=dict(sorted(translations.items())),
                           follow_up=follow_up, follow_up_translations=dict(sorted(follow_up_translations.items())),
                           updated_by=actor.id, updated_at=iso(now), rev=rev + 1)
    return store.save(changed, rev)


def offer(message_id: str, now: datetime, survey: rules.Survey | None = None) -> str:
    """Send the survey for a resolved conversation (`message_id`: its first message) when it is due. Returns what
    happened (domain.surveys' reasons, or automatic_replies' outcomes); raises when the platform may take it later."""
    survey = survey if survey is not None else store.get(consistent=False)
    if not survey.enabled:
        return "off"
    head = get_message(message_id)
    if head is None or head.is_member:
        return "unknown_message"
    decision = rules.decide(
        survey, platform=head.platform, channel=head.channel, status=head.status,
        resolved_at=parse_iso(head.resolved_at) if head.resolved_at else None, resolved_by=head.resolved_by,
        resolution_reason=head.resolution_reason, first_reply_at=head.first_reply_at, erased=bool(head.erased),
        satisfaction=head.satisfaction, now=now)
    if not decision.send:
        return decision.reason
    # sent to the conversation's customer, about the whole conversation: it quotes none of their messages, and offers
    # the scores to tap where the platform can
    text = survey.text_for(head.language, customer_name(head.author))
    return automatic_replies.send_once(head, head, text, rules.IDEMPOTENCY_KEY, rules.ACTOR, now,
                                       "satisfaction survey", quote=False, choices=rules.CHOICES)


def follow_up(message_id: str, now: datetime, survey: rules.Survey | None = None) -> str:
    """Ask a customer who just rated the conversation low what went wrong (`message_id`: its first message), when
    due. Returns what happened, as offer does; raises when the platform may take it later."""
    survey = survey if survey is not None else store.get(consistent=False)
    head = get_message(message_id)
    if head is None or head.is_member:
        return "unknown_message"
    decision = rules.decide_follow_up(survey, status=head.status, erased=bool(head.erased),
                                      satisfaction=head.satisfaction, now=now)
    if not decision.send:
        return decision.reason
    text = survey.follow_up_for(head.language, customer_name(head.author))
    return automatic_replies.send_once(head, head, text, rules.FOLLOW_UP_KEY, rules.FOLLOW_UP_ACTOR, now,
                                       "survey follow-up", quote=False)
