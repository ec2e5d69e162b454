"""Agent queue operations on DynamoDB: list, claim with a lease, release, resolve, re-route.

A claim is one conditional UpdateItem per message (open, or claimed with an expired lease), so two
agents can never hold the same message and the cost does not grow with queue depth. Resolve and
re-route are transactions with the counters they move (response-time histograms, volumes, accuracy).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta
from typing import Any, Iterator

from botocore.exceptions import ClientError

from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..models import QUEUES
from . import dynamo
from .entities import MessageKeys, ModelCounterKeys, VolumeCounterKeys, day_of, iso, parse_iso
from .messages import (
    CLAIMED,
    OPEN,
    RESOLVED,
    counter_update,
    get_message,
    history_entry,
    index_attributes,
    message_update,
    response_time_increments,
    run_transaction,
    volume_update,
)
from .table import GSI1, GSI2

CORRECTIONS_PK = "CORRECTION"
MAX_CLAIM_ROUNDS = 6


# listing ---------------------------------------------------------------------------------------

def encode_cursor(last_key: dict[str, Any]) -> str:
    plain = {k: v["S"] for k, v in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, partition: str) -> dict[str, Any]:
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = isinstance(plain, dict) and set(plain) == {"pk", "sk", "gsi1pk", "gsi1sk"} and all(
            isinstance(v, str) for v in plain.values())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        valid = False
    if not valid or plain["gsi1pk"] != partition:
        raise BadRequest("cursor is not one this listing returned", code="invalid_cursor")
    return {k: {"S": v} for k, v in plain.items()}


def list_messages(queue: str, status: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a queue in priority order (highest first, then oldest) and the next page's cursor."""
    partition = MessageKeys.queue_partition(queue, status)
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table_name(), "IndexName": GSI1, "Limit": limit,
        "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": dynamo.values(p=partition),
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = decode_cursor(cursor, partition)
    try:
        page = dynamo.client().query(**kwargs)
    except dynamo.STORAGE_ERRORS as exc:
        raise dynamo.unavailable(exc) from exc
    items = [dynamo.from_item(i) for i in page.get("Items", [])]
    next_key = page.get("LastEvaluatedKey")
    return items, encode_cursor(next_key) if next_key else None


def queue_overview(queue: str, now: datetime) -> dict[str, Any]:
    """Counts of open, claimed and needs_review messages and the age of the oldest open one."""
    def count(partition: str, needs_review: bool = False) -> int:
        kwargs: dict[str, Any] = {"IndexName": GSI1, "Select": "COUNT", "KeyConditionExpression": "gsi1pk = :p",
                                  "ExpressionAttributeValues": dynamo.values(p=partition)}
        if needs_review:
            kwargs["FilterExpression"] = "needs_review = :t"
            kwargs["ExpressionAttributeValues"] |= dynamo.values(t=True)
        total, db = 0, dynamo.client()
        while True:
            page = db.query(TableName=dynamo.table_name(), **kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    try:
        open_p, claimed_p = MessageKeys.queue_partition(queue, OPEN), MessageKeys.queue_partition(queue, CLAIMED)
        oldest = dynamo.client().query(
            TableName=dynamo.table_name(), IndexName=GSI2, Limit=1, KeyConditionExpression="gsi2pk = :p",
            ExpressionAttributeValues=dynamo.values(p=MessageKeys.open_partition(queue)))
        result = {
            "queue": queue,
            "open": count(open_p),
            "claimed": count(claimed_p),
            "needs_review": count(open_p, True) + count(claimed_p, True),
        }
    except dynamo.STORAGE_ERRORS as exc:
        raise dynamo.unavailable(exc) from exc
    items = oldest.get("Items", [])
    received = dynamo.from_item(items[0])["received_at"] if items else None
    result["oldest_open_age_seconds"] = round((now - parse_iso(received)).total_seconds(), 3) if received else None
    return result


# claiming --------------------------------------------------------------------------------------

def _candidates(queue: str, now: datetime, batch: int) -> Iterator[dict[str, Any]]:
    """Claimable messages in queue order: expired leases and open messages merged by priority key."""
    db, table = dynamo.client(), dynamo.table_name()
    open_kwargs: dict[str, Any] = {
        "TableName": table, "IndexName": GSI1, "Limit": batch, "KeyConditionExpression": "gsi1pk = :p",
        "ProjectionExpression": "id, gsi1sk",
        "ExpressionAttributeValues": dynamo.values(p=MessageKeys.queue_partition(queue, OPEN)),
    }
    expired_kwargs: dict[str, Any] = {
        "TableName": table, "IndexName": GSI2, "Limit": batch,
        "KeyConditionExpression": "gsi2pk = :p AND gsi2sk < :now", "ProjectionExpression": "id, gsi1sk",
        "ExpressionAttributeValues": dynamo.values(p=MessageKeys.lease_partition(queue), now=iso(now)),
    }
    for _ in range(MAX_CLAIM_ROUNDS):
        pages = [db.query(**kw) for kw in (open_kwargs, expired_kwargs)]
        found = sorted((dynamo.from_item(i) for p in pages for i in p.get("Items", [])), key=lambda i: i["gsi1sk"])
        yield from found
        more = False
        for kw, page in zip((open_kwargs, expired_kwargs), pages):
            if "LastEvaluatedKey" in page:
                kw["ExclusiveStartKey"], more = page["LastEvaluatedKey"], True
        if not more:
            return


def claim(queue: str, actor: str, count: int, lease_seconds: int, now: datetime) -> list[dict[str, Any]]:
    """Claim up to `count` messages for `actor`, one atomic conditional update each.

    When storage fails after some messages were claimed, those are returned (not stranded under a
    lease nobody knows about); only a failure before the first claim is an error.
    """
    lease_expires = iso(now + timedelta(seconds=lease_seconds))
    claimed: list[dict[str, Any]] = []
    try:
        for candidate in _candidates(queue, now, batch=max(count * 2, 10)):
            item = _claim_one(queue, candidate["id"], actor, lease_expires, now)
            if item is not None:
                claimed.append(item)
                if len(claimed) == count:
                    break
    except dynamo.STORAGE_ERRORS as exc:
        if not claimed:
            raise dynamo.unavailable(exc) from exc
    return claimed


def _claim_one(queue: str, message_id: str, actor: str, lease_expires: str, now: datetime) -> dict[str, Any] | None:
    entry = history_entry("claimed", now, actor, lease_expires_at=lease_expires)
    try:
        response = dynamo.client().update_item(
            TableName=dynamo.table_name(),
            Key=dynamo.key(MessageKeys.pk(message_id), MessageKeys.SK),
            UpdateExpression=(
                "SET #status = :claimed, claimed_by = :actor, lease_expires_at = :lease, "
                "first_claimed_at = if_not_exists(first_claimed_at, :now), gsi1pk = :claimed_p, "
                "gsi2pk = :lease_p, gsi2sk = :lease_sk, #rev = #rev + :one, #history = list_append(#history, :entry)"
            ),
            ConditionExpression=(
                "#queue = :queue AND (#status = :open OR (#status = :claimed AND lease_expires_at < :now))"
            ),
            ExpressionAttributeNames={"#status": "status", "#queue": "queue", "#rev": "rev", "#history": "history"},
            ExpressionAttributeValues=dynamo.values(
                claimed=CLAIMED, open=OPEN, actor=actor, lease=lease_expires, now=iso(now), queue=queue, one=1,
                claimed_p=MessageKeys.queue_partition(queue, CLAIMED), lease_p=MessageKeys.lease_partition(queue),
                lease_sk=f"{lease_expires}#{message_id}", entry=[entry],
            ),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if dynamo.error_code(exc) != "ConditionalCheckFailedException":
            raise
        current = dynamo.from_item(exc.response.get("Item") or {})
        if current.get("claimed_by") == actor and current.get("lease_expires_at") == lease_expires:
            # botocore retried an update whose answer was lost: the claim is ours, made by this very call
            return current
        return None  # another agent got there first
    return dynamo.from_item(response["Attributes"])


# working a claimed message ---------------------------------------------------------------------

def _check_can_act(stored: dict[str, Any], actor: str, may_override: bool, now: datetime,
                   allowed: tuple[str, ...] = (CLAIMED,)) -> None:
    if stored.get("status") == "removed":
        raise NotFound(f"no message {stored['id']!r}", code="unknown_message")
    if stored["status"] not in allowed:
        raise Conflict(f"message is {stored['status']}; this needs it {' or '.join(allowed)}", code="wrong_status")
    holds_claim = stored["status"] == CLAIMED and stored.get("claimed_by") == actor and \
        parse_iso(stored["lease_expires_at"]) > now
    if not (holds_claim or may_override):
        raise Forbidden("only the agent holding the claim (or a manager) can do this", code="not_claim_holder")


def _guarded(stored: dict[str, Any], operations: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    """Run a message change guarded by its revision; a lost answer retried by botocore is not a conflict."""
    if run_transaction(operations):
        return
    current = get_message(stored["id"])
    applied = current is not None and current["rev"] == stored["rev"] + 1 and current["history"][-1] == entry
    if not applied:
        raise Conflict("the message changed meanwhile; reload it and try again", code="concurrent_change")


def release(stored: dict[str, Any], actor: str, may_override: bool, now: datetime) -> dict[str, Any]:
    """Put a claimed message back to open. `stored` is the message as just read (its `rev` guards the update)."""
    _check_can_act(stored, actor, may_override, now)
    message_id = stored["id"]
    attributes = {"status": OPEN, **index_attributes(stored["queue"], OPEN, stored["priority"],
                                                      stored["received_at"], message_id)}
    entry = history_entry("released", now, actor)
    _guarded(stored, [message_update(stored, attributes, entry, remove=("claimed_by", "lease_expires_at"))], entry)
    return get_message(message_id)


def resolve(stored: dict[str, Any], actor: str, may_override: bool, note: str | None, now: datetime) -> dict[str, Any]:
    """Resolve a claimed message (or, for a manager, an open one); records its response times."""
    _check_can_act(stored, actor, may_override, now, allowed=(CLAIMED, OPEN) if may_override else (CLAIMED,))
    message_id = stored["id"]
    received = parse_iso(stored["received_at"])
    first_claim = parse_iso(stored["first_claimed_at"]) if stored.get("first_claimed_at") else now
    attributes = {"status": RESOLVED, "resolved_at": iso(now), "resolved_by": actor, "resolution_note": note,
                  **index_attributes(stored["queue"], RESOLVED, stored["priority"], stored["received_at"], message_id)}
    attributes = {k: v for k, v in attributes.items() if v is not None}
    entry = history_entry("resolved", now, actor, **({"note": note} if note else {}))
    times = response_time_increments(received, first_claim, now)
    _guarded(stored, [
        message_update(stored, attributes, entry, remove=("claimed_by", "lease_expires_at", "gsi2pk", "gsi2sk")),
        counter_update(VolumeCounterKeys.pk(stored["queue"]), VolumeCounterKeys.sk(stored["received_hour"]), times),
    ], entry)
    return get_message(message_id)


def reroute(stored: dict[str, Any], actor: str, may_override: bool, to_queue: str, reason: str,
            now: datetime) -> dict[str, Any]:
    """Move a message to another queue, open there; the correction is recorded for stats and retraining."""
    if to_queue not in QUEUES:
        raise BadRequest(f"queue must be one of {', '.join(QUEUES)}", code="invalid_queue")
    _check_can_act(stored, actor, may_override, now, allowed=(CLAIMED, OPEN) if may_override else (CLAIMED,))
    message_id = stored["id"]
    from_queue = stored["queue"]
    if to_queue == from_queue:
        raise Conflict(f"message is already in {to_queue}", code="same_queue")
    triage = stored["triage"]
    correction = {"from": from_queue, "to": to_queue, "by": actor, "at": iso(now), "reason": reason,
                  "model_version": triage["model_version"]}
    attributes = {"queue": to_queue, "status": OPEN, "needs_review": False,
                  "corrections": stored.get("corrections", []) + [correction],
                  **index_attributes(to_queue, OPEN, stored["priority"], stored["received_at"], message_id)}
    entry = history_entry("rerouted", now, actor, **{"from": from_queue, "to": to_queue, "reason": reason})
    hour, platform = stored["received_hour"], stored["platform"]
    model_queue, day = triage["category"], day_of(parse_iso(stored["received_at"]))
    accuracy = {f"reroute_{from_queue}__{to_queue}": 1}
    if not stored.get("corrections"):
        accuracy["rerouted"] = 1  # messages the agents moved at least once
    _guarded(stored, [
        message_update(stored, attributes, entry, remove=("claimed_by", "lease_expires_at")),
        volume_update(from_queue, hour, platform, -1, bool(stored.get("needs_review"))),
        volume_update(to_queue, hour, platform, 1, False),
        counter_update(ModelCounterKeys.pk(model_queue), ModelCounterKeys.sk(day, triage["model_version"]), accuracy),
        {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item({
            "pk": CORRECTIONS_PK, "sk": f"{iso(now)}#{message_id}", "type": "correction", "message_id": message_id,
            "text": stored["text"], "language": stored.get("language"), **correction})}},
    ], entry)
    return get_message(message_id)


def corrections() -> Iterator[dict[str, Any]]:
    """Every recorded re-route, oldest first."""
    try:
        yield from dynamo.query_pages(KeyConditionExpression="pk = :pk",
                                      ExpressionAttributeValues=dynamo.values(pk=CORRECTIONS_PK))
    except dynamo.STORAGE_ERRORS as exc:
        raise dynamo.unavailable(exc) from exc
