"""Routing rules: managers read and replace them (`GET`/`PUT /routing-rules`); the webhook path applies them
(chalicelib/ingest.py, through the store's per-container copy). The rules themselves: domain.routing_rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .domain import routing_rules as rules
from .domain.workflow import Actor
from .store import routing_rules as store
from .store.entities import iso


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
        priority_boost=r.priority_boost) for r in submitted]
    rules.check(changed)
    return store.save(rules.RoutingRules(rules=tuple(changed), updated_by=actor.id, updated_at=iso(now), rev=rev + 1),
                      rev)
