"""Counter shards: the writes a message's transitions add to their transactions, and the reads that sum them.

Every counter a message moves is one shard item chosen by the message id (entities.shard_of), so a spike
of messages into one queue and hour spreads over COUNTER_SHARDS items instead of meeting on one, and a
redelivery (which fails the message's own condition) or a re-route moves the very shard it counted on.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import ClientError

from .. import histogram
from . import dynamo
from .entities import (
    AUTHOR_WINDOW,
    AuthorActivityKeys,
    MessageKeys,
    ModelCounterKeys,
    PersonActivityKeys,
    QueueCountKeys,
    VolumeCounterKeys,
    day_of,
    hour_of,
    iso,
    key,
)
from .table import GSI2


def counter_update(pk: str, sk: str, add: dict[str, int], set_: dict[str, Any] | None = None) -> dict[str, Any]:
    """One `Update` of a transaction that ADDs to counters (and SETs plain attributes)."""
    add = {name: delta for name, delta in add.items() if delta}
    names = {f"#a{i}": name for i, name in enumerate(add)}
    expression = "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(add)))
    vals = {f":a{i}": {"N": str(v)} for i, v in enumerate(add.values())}
    if set_:
        names |= {f"#s{i}": name for i, name in enumerate(set_)}
        expression += " SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(set_)))
        vals |= {f":s{i}": dynamo.to_value(v) for i, v in enumerate(set_.values())}
    return {"Update": {"TableName": dynamo.table_name(), "Key": key(pk, sk), "UpdateExpression": expression,
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": vals}}


# writes -------------------------------------------------------------------------------------------------

def volume_increments(platform: str, delta: int, needs_review: bool) -> dict[str, int]:
    """What one message adds to its queue-hour counter: totals and per-platform counts."""
    add = {"messages": delta, f"messages:{platform}": delta}
    if needs_review:
        add |= {"needs_review": delta, f"needs_review:{platform}": delta}
    return add


def per_platform(add: dict[str, int], platform: str) -> dict[str, int]:
    """The counts again under `<name>:<platform>` in the same item, so stats filtered by a platform read its own
    response times (no extra write: the same update sets both)."""
    return add | {f"{name}:{platform}": value for name, value in add.items()}


def response_time_increments(received: datetime, first_claim: datetime, resolved: datetime) -> dict[str, int]:
    """What resolving a message adds to its queue-hour counter: log-spaced response-time bins."""
    return {
        "resolved": 1,
        f"ttc_{histogram.bin_of((first_claim - received).total_seconds())}": 1,
        f"ttr_{histogram.bin_of((resolved - received).total_seconds())}": 1,
    }


def first_reply_increments(waited: timedelta, late: bool) -> dict[str, int]:
    """What a conversation's first reply adds to its queue-hour counter (the hour it opened): a log-spaced
    time-to-first-reply bin (clock time), and `first_reply_late` when it came after the queue's SLA (`late`: in the
    time the SLA counts, domain.business_hours)."""
    add = {"first_replied": 1, f"ttfr_{histogram.bin_of(max(0.0, waited.total_seconds()))}": 1}
    if late:
        add["first_reply_late"] = 1
    return add


def volume_update(queue: str, hour: str, shard: int, add: dict[str, int]) -> dict[str, Any]:
    # the queue and hour are in the key (stats read them from it): only counts are written, and how many writes
    # the shard has had, which the fold compares (fold_hour)
    return counter_update(VolumeCounterKeys.pk(queue), VolumeCounterKeys.sk(hour, shard),
                          {**add, VolumeCounterKeys.WRITES: 1})


def accuracy_update(queue: str, day: str, version: str, shard: int, add: dict[str, int]) -> dict[str, Any]:
    return counter_update(ModelCounterKeys.pk(queue), ModelCounterKeys.sk(day, version, shard), add,
                          {"queue": queue, "day": day, "model_version": version})


_KEY_OF_ACTOR = re.compile(r"\(([0-9a-f]{16})\)$")  # auth.Principal.actor: "<role>:<name> (<key id>)"


def person_update(actor: str, at: datetime, shard: int, add: dict[str, int]) -> list[dict[str, Any]]:
    """What a person did at `at`, added to their hour and to their day (two items of one transaction, so they
    always agree); nothing for actors that are not a person's key (the sweep, a platform)."""
    found = _KEY_OF_ACTOR.search(actor)
    if found is None:
        return []
    pk = PersonActivityKeys.pk(found.group(1))
    return [counter_update(pk, PersonActivityKeys.sk(hour_of(at), shard), add),
            counter_update(pk, PersonActivityKeys.day_sk(day_of(at), shard), add)]


def queue_count_update(queue: str, shard: int, add: dict[str, int]) -> dict[str, Any] | None:
    """Moves of a queue's state counts (open, claimed, snoozed, needs_review); None when nothing moves."""
    add = {name: delta for name, delta in add.items() if delta}
    return counter_update(QueueCountKeys.pk(queue), QueueCountKeys.sk(shard), add) if add else None


def author_update(platform: str, author_id: str, received: datetime, shard: int) -> dict[str, Any]:
    window_end = received + AUTHOR_WINDOW
    return counter_update(AuthorActivityKeys.pk(platform, author_id), AuthorActivityKeys.sk(received, shard),
                          {"messages": 1}, {"expires_at": int((window_end + timedelta(hours=1)).timestamp())})


# reads --------------------------------------------------------------------------------------------------

def _hours(start: datetime, end: datetime) -> tuple[str, str]:
    """The first and last hour overlapping [start, end)."""
    first = start.replace(minute=0, second=0, microsecond=0)
    last = (end - timedelta(microseconds=1)).replace(minute=0, second=0, microsecond=0)
    return first.strftime("%Y-%m-%dT%H"), last.strftime("%Y-%m-%dT%H")


def _hourly(keys, pk: str, start: datetime, end: datetime) -> list[tuple[str, dict[str, int]]]:
    """(hour, counts) of every shard of an hourly counter (`keys`: its entity) that overlaps [start, end)."""
    if start >= end:  # an empty range (from >= to) reads nothing
        return []
    lo, hi = keys.between(*_hours(start, end))
    with dynamo.storage_errors():
        return list(dynamo.query_pages(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues=dynamo.values(pk=pk, lo=lo, hi=hi),
            decode=lambda item: (keys.hour(item["sk"]["S"]), _counts(item)),
        ))


def _counts(item: dict[str, Any]) -> dict[str, int]:
    counts = dynamo.numbers(item)
    counts.pop(VolumeCounterKeys.WRITES, None)
    return counts


def volume_counters(queue: str, start: datetime, end: datetime) -> list[tuple[str, dict[str, int]]]:
    """(hour, counts) of every shard of the queue's hourly counters that overlap [start, end)."""
    return _hourly(VolumeCounterKeys, VolumeCounterKeys.pk(queue), start, end)


# a month or less reads hours only, as it always did: one Query, and exact for days before the daily items
PERSON_HOURLY_RANGE = timedelta(days=31)


def person_counters(key_id: str, start: datetime, end: datetime) -> list[tuple[str, dict[str, int]]]:
    """(hour or day, counts) of every shard of a person's activity in the UTC hours overlapping [start, end).

    Past PERSON_HOURLY_RANGE, the whole UTC days inside those hours are read from the daily items and the
    pieces at both ends (under a day each) from the hourly ones: the same sum, since every count is an ADD to
    both. Days before the person's daily items could be trusted (see _daily_since) are read by the hour.
    """
    pk = PersonActivityKeys.pk(key_id)
    if end - start <= PERSON_HOURLY_RANGE:
        return _hourly(PersonActivityKeys, pk, start, end)
    first = start.replace(minute=0, second=0, microsecond=0)
    last = (end - timedelta(microseconds=1)).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    days_from = max(_next_midnight(first), _daily_since(pk))
    days_to = last.replace(hour=0)
    if days_from >= days_to:  # no whole day to read by the day
        return _hourly(PersonActivityKeys, pk, first, last)
    lo, hi = PersonActivityKeys.days_between(day_of(days_from), day_of(days_to - timedelta(days=1)))
    with dynamo.storage_errors():
        days = list(dynamo.query_pages(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues=dynamo.values(pk=pk, lo=lo, hi=hi),
            decode=lambda item: (PersonActivityKeys.day(item["sk"]["S"]), dynamo.numbers(item)),
        ))
    return [*_hourly(PersonActivityKeys, pk, first, days_from), *days, *_hourly(PersonActivityKeys, pk, days_to, last)]


def _next_midnight(hour: datetime) -> datetime:
    midnight = hour.replace(hour=0)
    return midnight if midnight == hour else midnight + timedelta(days=1)


def _daily_since(pk: str) -> datetime:
    """From when a person's daily items hold every count: the day after their first one (versions before the
    daily items wrote hours only, so that first day may miss what was done earlier that day). Without any
    daily item: never, so hours only."""
    with dynamo.storage_errors():
        page = dynamo.client().query(
            TableName=dynamo.table_name(), Limit=1, ProjectionExpression="sk",
            KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
            ExpressionAttributeValues=dynamo.values(pk=pk, d=PersonActivityKeys.DAYS))
    items = page.get("Items", [])
    if not items:
        return datetime.max.replace(tzinfo=timezone.utc)
    first = datetime.fromisoformat(PersonActivityKeys.day(items[0]["sk"]["S"])).replace(tzinfo=timezone.utc)
    return first + timedelta(days=1)


def accuracy_counters(queue: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every shard of the queue's daily accuracy counters in [start, end)."""
    if start >= end:
        return []
    lo, hi = ModelCounterKeys.between(start.strftime("%Y-%m-%d"), (end - timedelta(microseconds=1)).strftime("%Y-%m-%d"))
    with dynamo.storage_errors():
        return list(dynamo.query_pages(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues=dynamo.values(pk=ModelCounterKeys.pk(queue), lo=lo, hi=hi),
        ))


def queue_counts(queue: str) -> dict[str, int]:
    """The queue's open, claimed, snoozed and needs_review counts: one Query of its shards."""
    totals = {"open": 0, "claimed": 0, "snoozed": 0, "needs_review": 0}
    with dynamo.storage_errors():
        for counts in dynamo.query_pages(KeyConditionExpression="pk = :pk",
                                         ExpressionAttributeValues=dynamo.values(pk=QueueCountKeys.pk(queue)),
                                         decode=dynamo.numbers):
            for name in totals:
                totals[name] += counts.get(name, 0)
    return totals


def oldest_open(queue: str) -> str | None:
    """Since when the longest-waiting open conversation of the queue has waited (its customer's latest message):
    the first item of the sparse GSI2 partition, whose sort key starts with that time."""
    with dynamo.storage_errors():
        page = dynamo.client().query(
            TableName=dynamo.table_name(), IndexName=GSI2, Limit=1, KeyConditionExpression="gsi2pk = :p",
            ProjectionExpression="gsi2sk", ExpressionAttributeValues=dynamo.values(p=MessageKeys.open_partition(queue)))
    items = page.get("Items", [])
    return dynamo.from_item(items[0])["gsi2sk"].split("#", 1)[0] if items else None


def count_open_since(queue: str, since: datetime) -> int:
    """Open messages received at or after `since`: reads only that window's arrivals, never the backlog."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table_name(), "IndexName": GSI2, "Select": "COUNT",
        "KeyConditionExpression": "gsi2pk = :p AND gsi2sk >= :since",
        "ExpressionAttributeValues": dynamo.values(p=MessageKeys.open_partition(queue), since=iso(since)),
    }
    total = 0
    with dynamo.storage_errors():
        while True:
            page = dynamo.client().query(**kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def open_past(queue: str, cutoff: datetime) -> int:
    """Open messages received before `cutoff` (e.g. past the SLA): the maintained open count minus the
    open messages received since the cutoff. Its cost grows with the arrivals since the cutoff, not the backlog."""
    return max(0, queue_counts(queue)["open"] - count_open_since(queue, cutoff))


# folding closed hours ------------------------------------------------------------------------------------

# A busy queue-hour has up to COUNTER_SHARDS items, and reading is what costs: DynamoDB's 1 MB pages and above
# all botocore decoding every attribute of every item, which for a year of busy hours is far past a request's
# time. Writes to an hour go on after it closes (claims, resolves, re-routes of its messages count there), so
# each sweep folds the hours that are these ages, after the late writes most of them get: a write after the
# last one is simply a new shard beside the folded item (reads sum both) until it is folded too.
FOLD_AGES = (timedelta(hours=2), timedelta(days=1), timedelta(days=3), timedelta(days=8), timedelta(days=15),
             timedelta(days=32))


def fold_hour(queue: str, hour: str) -> int:
    """Move the counts of the hour's shards into its folded item, in one transaction that deletes each shard
    only if its `writes` is still what was read: a write meanwhile cancels the whole fold (tried again by the
    next sweep), so the sum of the hour's items never changes; its ClientRequestToken keeps botocore's repeat of
    a fold that committed from applying it again. Shards without `writes` (written before it
    existed) are left as they are. Returns how many shards were folded."""
    pk = VolumeCounterKeys.pk(queue)
    folded_sk = VolumeCounterKeys.folded_sk(hour)
    lo, hi = VolumeCounterKeys.between(hour, hour)
    with dynamo.storage_errors():
        items = list(dynamo.query_pages(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi", ConsistentRead=True,
            ExpressionAttributeValues=dynamo.values(pk=pk, lo=lo, hi=hi), decode=lambda item: item))
    shards = [i for i in items if i["sk"]["S"] != folded_sk and VolumeCounterKeys.WRITES in i]
    if not shards or (len(shards) == 1 and len(items) == 1):
        return 0  # nothing to gain: the hour is already one item
    sums: dict[str, int] = {}
    for shard in shards:
        for name, value in _counts(shard).items():
            sums[name] = sums.get(name, 0) + value
    operations = [{"Delete": {"TableName": dynamo.table_name(), "Key": key(pk, shard["sk"]["S"]),
                              "ConditionExpression": "#w = :w", "ExpressionAttributeNames": {"#w": VolumeCounterKeys.WRITES},
                              "ExpressionAttributeValues": {":w": shard[VolumeCounterKeys.WRITES]}}}
                  for shard in shards]
    if any(sums.values()):
        operations.append(counter_update(pk, folded_sk, sums))
    # botocore sends a request again when its answer is lost: without a token, a fold that committed would be
    # applied again if its shards were written anew meanwhile with the same `writes` (a new item's is 1), adding
    # its sums twice and deleting those writes. The token is the request's own digest, so DynamoDB answers the
    # repeat without applying it, and any other fold (other shards, `writes` or sums) has a token of its own.
    token = dynamo.request_token("fold", json.dumps(operations, sort_keys=True))
    with dynamo.storage_errors():
        try:
            dynamo.client().transact_write_items(TransactItems=operations, ClientRequestToken=token)
        except ClientError as exc:
            if dynamo.error_code(exc) == "TransactionCanceledException":
                return 0  # a write met it (a condition or a conflict): the next sweep folds the hour as it is then
            raise
    return len(shards)


def fold_closed_hours(queue: str, now: datetime) -> int:
    """One sweep's folds for a queue: the hours that are FOLD_AGES old. Returns the shards folded."""
    return sum(fold_hour(queue, hour_of(now - age)) for age in FOLD_AGES)
