"""The routing rules in DynamoDB: one settings item (at most 50 small rules), replaced only at the revision its
editor read.

The webhook path reads them through `for_ingest`: one GetItem per container every CACHE_SECONDS, so a change reaches
every container within that time and a busy one pays nothing per message."""

from __future__ import annotations

from typing import Any

from ..domain.routing_rules import RoutingRule, RoutingRules
from . import settings
from .entities import RoutingRulesKeys

CACHE_SECONDS = 30.0


def _rule(item: dict[str, Any]) -> RoutingRule:
    return RoutingRule(id=item["id"], name=item["name"], enabled=bool(item.get("enabled", True)),
                       words=tuple(item.get("words") or ()), platforms=tuple(item.get("platforms") or ()),
                       channels=tuple(item.get("channels") or ()), languages=tuple(item.get("languages") or ()),
                       queue=item.get("queue"), tags=tuple(item.get("tags") or ()),
                       priority_boost=int(item.get("priority_boost", 0)), reply=item.get("reply"))


def get(consistent: bool = True) -> RoutingRules:
    """As saved; never saved: none, at rev 0."""
    item = settings.read(RoutingRulesKeys.SK, consistent)
    if item is None:
        return RoutingRules()
    return RoutingRules(rules=tuple(_rule(r) for r in item.get("rules") or ()), updated_by=item.get("updated_by"),
                        updated_at=item.get("updated_at"), rev=int(item.get("rev", 0)))


def save(changed: RoutingRules, read_rev: int) -> RoutingRules:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    attributes = {"rules": [{k: v for k, v in r.public().items() if v not in (None, [], ())} for r in changed.rules],
                  "updated_by": changed.updated_by, "updated_at": changed.updated_at, "rev": changed.rev}
    settings.replace_at(RoutingRulesKeys.SK, RoutingRulesKeys.TYPE, attributes, read_rev, lambda: get() == changed,
                        "routing rules")
    forget()
    return changed


_copy = settings.ContainerCopy(lambda: get(consistent=False), CACHE_SECONDS)
for_ingest = _copy.get  # the rules as this container last read them, read again once older than CACHE_SECONDS
forget = _copy.forget  # after a save here (or a SnapStart restore): the next message reads them again
