"""SLA breaches in DynamoDB (domain.sla): the sweep reads, per queue, the open index (GSI2 `OPEN#queue`, by waiting
time) between where it stopped last time and the SLA's cutoff, so each sweep reads only the conversations that
crossed the SLA since the one before, never the whole backlog; each one still waiting is marked by a guarded update
(its stream record is the `message.sla_breached` event)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain import sla as rules
from . import counters, dynamo
from .entities import MessageKeys, SlaWatchKeys, hour_of, iso, key, parse_iso
from .messages import get_message, history_entry, message_update, run_guarded
from .table import GSI2

ACTOR = "system:sweep"
BATCH = 100  # conversations marked per queue and sweep: a crisis backlog is announced over the next sweeps
MARK_ATTEMPTS = 2  # a claim or a new message meanwhile: read again once, then it is the next wait's business


def watch(queue: str, cutoff: datetime, sla_seconds: int, business_hours: bool, now: datetime) -> int:
    """Mark the conversations of `queue` whose customer has waited since before `cutoff` and that the sweep has not
    looked at yet; how many were marked. The first sweep only notes where to start: a backlog from before is not
    announced all at once."""
    watched = key(SlaWatchKeys.PK, queue)
    until = iso(cutoff)
    with dynamo.storage_errors():
        marker = dynamo.client().get_item(TableName=dynamo.table_name(), Key=watched, ConsistentRead=True).get("Item")
    if marker is None:
        _advance(watched, None, until)
        return 0
    start = dynamo.from_item(marker)["swept_to"]
    if start >= until:
        return 0  # the cutoff moved back (longer business hours, a longer SLA): nothing new has crossed it
    with dynamo.storage_errors():
        page = dynamo.client().query(
            TableName=dynamo.table_name(), IndexName=GSI2, Limit=BATCH,
            KeyConditionExpression="gsi2pk = :p AND gsi2sk BETWEEN :start AND :until",
            ExpressionAttributeValues=dynamo.values(p=MessageKeys.open_partition(queue), start=start, until=until))
    items = [dynamo.from_item(i) for i in page.get("Items", [])]
    marked = sum(_mark(item["id"], cutoff, rules.record("", sla_seconds, business_hours, now)) for item in items)
    # a full page: the next sweep goes on from its last one (read again, and passed over: marked already)
    _advance(watched, start, items[-1]["gsi2sk"] if "LastEvaluatedKey" in page and items else until)
    return marked


def _mark(message_id: str, cutoff: datetime, breach: dict[str, Any]) -> int:
    """1 when the conversation breached and is marked now; 0 when it was claimed, answered by a new message,
    marked already or changed twice meanwhile."""
    for _ in range(MARK_ATTEMPTS):
        current = get_message(message_id)
        if current is None or current.is_member:
            return 0
        since = rules.waiting_since(current.last_inbound_at, current.received_at)
        if not rules.breached(current.status, since, cutoff, current.sla_breach):
            return 0
        found = parse_iso(breach["at"])
        entry = history_entry("sla_breached", found, ACTOR, sla_seconds=breach["sla_seconds"])
        # counted by the hour it was found, in the stats' SLA rows (`sla_breaches`)
        counted = counters.volume_update(current.queue, hour_of(found), current.shard,
                                         counters.per_platform({"sla_breaches": 1}, current.platform))
        if run_guarded([message_update(current, {"sla_breach": {**breach, "waiting_since": since}}, entry), counted],
                       dynamo.request_token("sla", current.id, since, str(current.rev))):
            return 1
    return 0


def _advance(watched: dict[str, Any], read: str | None, to: str) -> None:
    """Note how far the sweep looked, unless another sweep got further meanwhile."""
    condition = "attribute_not_exists(pk)" if read is None else "swept_to < :to"
    dynamo.update_if(TableName=dynamo.table_name(), Key=watched, UpdateExpression="SET swept_to = :to, #t = :type",
                     ConditionExpression=condition, ExpressionAttributeNames={"#t": "type"},
                     ExpressionAttributeValues=dynamo.values(to=to, type=SlaWatchKeys.TYPE))
