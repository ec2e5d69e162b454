"""Routing rules: managers read and replace them (`GET`/`PUT /routing-rules`); the webhook path applies them
(chalicelib/ingest.py, through the store's per-container copy), and the `send_automatic_replies` function sends a
matching rule's reply (chalicelib/automatic_replies.py). The rules themselves: domain.routing_rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import automatic_replies
from .domain import routing_rules as rules
from .domain.automatic_messages import customer_name, with_name
from .domain.workflow import Actor
from .store import routing_rules as store
from .store.entities import iso, parse_iso


def current() -> rules.RoutingRules:
    return store.get()


def change(actor: Actor, submitted: list[Any], rev: int, now: datetime) -> rules.RoutingRules:
    """Replace every rule at the revision read; a rule without an id is new and gets one, and so does a copy of a rule
    sent twice (a client that duplicated one to start a similar rule)."""
    seen: set[str] = set()

    def own_id(given: str | None) -> str:
        chosen = given if given and given not in seen else rules.RoutingRule.new_id()
        seen.add(chosen)
        return chosen

    changed = [rules.RoutingRule(
        id=own_id(r.id), name=r.name.strip(), enabled=r.enabled,
        words=tuple(dict.fromkeys(w.strip() for w in r.words)), platforms=tuple(dict.fromkeys(r.platforms)),
        channels=tuple(dict.fromkeys(r.channels)), languages=tuple(dict.fromkeys(r.languages)),
        queue=r.queue, tags=rules.normalized_tags(r.tags),
        priority_boost=r.priority_boost, reply=r.reply.strip() if r.reply else None) for r in submitted]
    rules.check(changed)
    return store.save(rules.RoutingRules(rules=tuple(changed), updated_by=actor.id, updated_at=iso(now), rev=rev + 1),
                      rev)


def answer(message_id: str, now: datetime) -> str:
    """Send the first matching rule's reply to a customer's new direct message when it is due (domain.routing_rules
    decide_reply). Returns what happened; raises when the platform may take it later."""
    saved = store.for_ingest()
    if not any(r.reply for r in saved.rules):
        return "no_rule"
    read = automatic_replies.message_and_head(message_id)
    if read is None:
        return "unknown_message"
    message, head = read
    routing = rules.route(saved, message.text, message.platform, message.channel, message.language)
    rule = routing.replying if routing is not None else None
    decision = rules.decide_reply(
        rule, platform=message.platform, channel=message.channel, direction=message.direction,
        message_status=message.status, received_at=parse_iso(message.received_at), erased=bool(message.erased),
        head_status=head.status, lease_expiry=head.lease_expiry, now=now)
    if not decision.send or rule is None or rule.reply is None:
        return decision.reason
    text = with_name(rule.reply, customer_name(message.author))
    return automatic_replies.send_once(head, message, text, rules.reply_key(rule), rules.REPLY_ACTOR, now,
                                       "rule reply")
