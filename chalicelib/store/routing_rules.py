"""The routing rules in DynamoDB: one item (at most 50 small rules), replaced only at the revision its editor read.

The webhook path reads them through `for_ingest`: one GetItem per container every CACHE_SECONDS, so a change reaches
every container within that time and a busy one pays nothing per message."""

from __future__ import annotations

import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import ConcurrentChange
from ..domain.routing_rules import RoutingRule, RoutingRules
from . import dynamo
from .entities import RoutingRulesKeys, key

CACHE_SECONDS = 30.0
_KEY = key(RoutingRulesKeys.PK, RoutingRulesKeys.SK)
_cache: dict[str, Any] = {}
_lock = threading.Lock()


def _rule(item: dict[str, Any]) -> RoutingRule:
    return RoutingRule(id=item["id"], name=item["name"], enabled=bool(item.get("enabled", True)),
                       words=tuple(item.get("words") or ()), platforms=tuple(item.get("platforms") or ()),
                       channels=tuple(item.get("channels") or ()), languages=tuple(item.get("languages") or ()),
                       queue=item.get("queue"), tags=tuple(item.get("tags") or ()),
                       priority_boost=int(item.get("priority_boost", 0)))


def get(consistent: bool = True) -> RoutingRules:
    """As saved; never saved: none, at rev 0."""
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), Key=_KEY, ConsistentRead=consistent)
    if "Item" not in response:
        return RoutingRules()
    item = dynamo.from_item(response["Item"])
    return RoutingRules(rules=tuple(_rule(r) for r in item.get("rules") or ()), updated_by=item.get("updated_by"),
                        updated_at=item.get("updated_at"), rev=int(item.get("rev", 0)))


def save(changed: RoutingRules, read_rev: int) -> RoutingRules:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    item = {"pk": RoutingRulesKeys.PK, "sk": RoutingRulesKeys.SK, "type": RoutingRulesKeys.TYPE,
            "rules": [{k: v for k, v in r.public().items() if v not in (None, [], ())} for r in changed.rules],
            "updated_by": changed.updated_by, "updated_at": changed.updated_at, "rev": changed.rev}
    condition = ({"ConditionExpression": "attribute_not_exists(pk)"} if read_rev == 0 else
                 {"ConditionExpression": "rev = :rev", "ExpressionAttributeValues": dynamo.values(rev=read_rev)})
    with dynamo.storage_errors():
        try:
            dynamo.write(dynamo.client().put_item, TableName=dynamo.table_name(), Item=dynamo.to_item(item),
                         **condition)
        except ClientError as exc:
            if dynamo.error_code(exc) == "ConditionalCheckFailedException":
                if get() == changed:  # botocore's repeat of this very write, whose answer was lost
                    return changed
                raise ConcurrentChange("the routing rules changed meanwhile: read them again") from exc
            raise
    forget()
    return changed


def forget() -> None:
    """Drop this container's copy (after a save here: the next message reads the rules again)."""
    with _lock:
        _cache.clear()


def for_ingest() -> RoutingRules:
    """The rules as this container last read them, read again once older than CACHE_SECONDS (or on another table)."""
    where = (dynamo.table_name(), id(dynamo.client()))
    now = time.monotonic()
    with _lock:
        if _cache.get("where") == where and 0 <= now - _cache["at"] < CACHE_SECONDS:
            return _cache["rules"]
    rules = get(consistent=False)
    with _lock:
        _cache.update(where=where, at=now, rules=rules)
    return rules
