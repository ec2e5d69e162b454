"""Storing triaged messages exactly once, with their counters, and reading them back.

A new message is one transaction: the message item (conditional on not existing), its volume
counter (queue, hour, platform), its model-accuracy counter and its author's activity window.
A redelivery fails the condition and changes nothing, so every counter stays exact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from .. import histogram
from ..classifier import Triage
from ..models import Message, without_none
from ..priority import Priority
from . import dynamo
from .entities import (
    AUTHOR_WINDOW,
    AuthorActivityKeys,
    MessageKeys,
    ModelCounterKeys,
    VolumeCounterKeys,
    day_of,
    hour_of,
    iso,
)

OPEN, CLAIMED, RESOLVED, REMOVED = "open", "claimed", "resolved", "removed"
STATUSES = (OPEN, CLAIMED, RESOLVED, REMOVED)


class Outcome(str, Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Triaged:
    """A message with its triage and priority, ready to store."""

    message: Message
    triage: Triage
    priority: Priority


def triage_document(triage: Triage) -> dict[str, Any]:
    return {
        "category": triage.category,
        "confidence": triage.confidence,
        "scores": triage.scores,
        "top_terms": [{"term": t.term, "weight": t.weight} for t in triage.top_terms],
        "model_version": triage.model_version,
        "needs_review": triage.needs_review,
    }


def history_entry(event: str, at: datetime, actor: str, **details: Any) -> dict[str, Any]:
    return {"event": event, "at": iso(at), "actor": actor, **({"details": details} if details else {})}


def index_attributes(queue: str, status: str, priority: int, received_at: str, message_id: str,
                     lease_expires_at: str | None = None) -> dict[str, str]:
    """GSI keys for a message in a given state (GSI2 is sparse: open by age, claimed by lease)."""
    attributes = {
        "gsi1pk": MessageKeys.queue_partition(queue, status),
        "gsi1sk": MessageKeys.queue_sort(priority, received_at, message_id),
    }
    if status == OPEN:
        attributes |= {"gsi2pk": MessageKeys.open_partition(queue), "gsi2sk": f"{received_at}#{message_id}"}
    elif status == CLAIMED and lease_expires_at:
        attributes |= {"gsi2pk": MessageKeys.lease_partition(queue), "gsi2sk": f"{lease_expires_at}#{message_id}"}
    return attributes


def message_item(item: Triaged) -> dict[str, Any]:
    m, triage = item.message, item.triage
    received = iso(m.received_at)
    queue = triage.category
    return {
        "pk": MessageKeys.pk(m.id),
        "sk": MessageKeys.SK,
        "type": "message",
        "id": m.id,
        "platform": m.platform,
        "channel": m.channel.value,
        "author": without_none(m.author),
        "text": m.text,
        "text_truncated": m.text_truncated or None,  # only when it was cut
        "language": m.language,
        "created_at": iso(m.created_at),
        "received_at": received,
        "received_hour": hour_of(m.received_at),
        "parent_id": m.parent_id,
        "thread_id": m.thread_id,
        "conversation_id": m.conversation_id,
        "triage": triage_document(triage),
        "queue": queue,
        "status": OPEN,
        "needs_review": triage.needs_review,
        "priority": item.priority.score,
        "priority_reasons": item.priority.reasons,
        "rev": 1,
        "history": [
            history_entry("received", m.received_at, f"platform:{m.platform}"),
            history_entry("classified", m.received_at, "model", queue=queue, model_version=triage.model_version,
                          confidence=round(triage.confidence, 4)),
        ],
        **index_attributes(queue, OPEN, item.priority.score, received, m.id),
    }


def counter_update(pk: str, sk: str, add: dict[str, int], set_: dict[str, Any] | None = None) -> dict[str, Any]:
    """One `Update` of a transaction that ADDs to counters (and SETs plain attributes)."""
    names = {f"#a{i}": name for i, name in enumerate(add)}
    expression = "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(add)))
    vals = {f":a{i}": {"N": str(v)} for i, v in enumerate(add.values())}
    if set_:
        names |= {f"#s{i}": name for i, name in enumerate(set_)}
        expression += " SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(set_)))
        vals |= {f":s{i}": dynamo.to_value(v) for i, v in enumerate(set_.values())}
    return {"Update": {"TableName": dynamo.table_name(), "Key": dynamo.key(pk, sk), "UpdateExpression": expression,
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": vals}}


def volume_increments(platform: str, delta: int, needs_review: bool) -> dict[str, int]:
    """What one message adds to its queue-hour counter: totals and per-platform counts."""
    add = {"messages": delta, f"messages:{platform}": delta}
    if needs_review:
        add |= {"needs_review": delta, f"needs_review:{platform}": delta}
    return add


def response_time_increments(received: datetime, first_claim: datetime, resolved: datetime) -> dict[str, int]:
    """What resolving a message adds to its queue-hour counter: log-spaced response-time bins."""
    return {
        "resolved": 1,
        f"ttc_{histogram.bin_of((first_claim - received).total_seconds())}": 1,
        f"ttr_{histogram.bin_of((resolved - received).total_seconds())}": 1,
    }


def volume_update(queue: str, hour: str, platform: str, delta: int, needs_review: bool) -> dict[str, Any]:
    # the queue and hour are in the key (stats read them from it): only counts are written
    return counter_update(VolumeCounterKeys.pk(queue), VolumeCounterKeys.sk(hour),
                          volume_increments(platform, delta, needs_review))


def new_message_transaction(item: Triaged) -> list[dict[str, Any]]:
    m, triage = item.message, item.triage
    queue, hour = triage.category, hour_of(m.received_at)
    window_end = m.received_at + AUTHOR_WINDOW
    return [
        {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(message_item(item)),
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        volume_update(queue, hour, m.platform, 1, triage.needs_review),
        counter_update(ModelCounterKeys.pk(queue), ModelCounterKeys.sk(day_of(m.received_at), triage.model_version),
                       {"classified": 1, **({"needs_review": 1} if triage.needs_review else {})},
                       {"queue": queue, "day": day_of(m.received_at), "model_version": triage.model_version}),
        counter_update(AuthorActivityKeys.pk(m.platform, m.author.id), AuthorActivityKeys.window(m.received_at),
                       {"messages": 1}, {"expires_at": int((window_end + timedelta(hours=1)).timestamp())}),
    ]


def save_new(item: Triaged) -> Outcome:
    """Store a new message once; a redelivery is a DUPLICATE and writes nothing."""
    # the token makes botocore's retries of this exact call idempotent; a redelivery (new received_at)
    # gets its own token and meets the condition instead
    token = hashlib.sha256(f"new:{item.message.id}:{iso(item.message.received_at)}".encode()).hexdigest()[:36]
    try:
        dynamo.client().transact_write_items(TransactItems=new_message_transaction(item), ClientRequestToken=token)
    except ClientError as exc:
        codes = dynamo.cancellation_codes(exc)
        if codes and codes[0] == "ConditionalCheckFailed":
            return Outcome.DUPLICATE
        raise dynamo.unavailable(exc) from exc
    except dynamo.STORAGE_ERRORS as exc:
        raise dynamo.unavailable(exc) from exc
    return Outcome.STORED


def get_message(message_id: str, consistent: bool = True) -> dict[str, Any] | None:
    try:
        response = dynamo.client().get_item(TableName=dynamo.table_name(), ConsistentRead=consistent,
                                            Key=dynamo.key(MessageKeys.pk(message_id), MessageKeys.SK))
    except dynamo.STORAGE_ERRORS as exc:
        raise dynamo.unavailable(exc) from exc
    return dynamo.from_item(response["Item"]) if "Item" in response else None


def recent_messages_from(platform: str, author_id: str, now: datetime) -> int:
    """Messages from this author in the current activity window, before this one."""
    try:
        response = dynamo.client().get_item(
            TableName=dynamo.table_name(),
            Key=dynamo.key(AuthorActivityKeys.pk(platform, author_id), AuthorActivityKeys.window(now)),
            ProjectionExpression="messages",
        )
    except dynamo.STORAGE_ERRORS as exc:
        raise dynamo.unavailable(exc) from exc
    return int(dynamo.from_item(response.get("Item", {})).get("messages", 0))


def apply_edit(item: Triaged, stored: dict[str, Any], now: datetime, version: str | None = None) -> Outcome:
    """New text for a stored message: triage again; an open message follows its new category.

    `version` orders edits (see InboundEvent): one older than the edit applied is ignored.
    """
    m, triage = item.message, item.triage
    if stored["text"] == m.text:
        return Outcome.UNCHANGED  # a redelivered edit
    if version is not None and version < stored.get("edit_version", ""):
        return Outcome.UNCHANGED  # a replayed older edit (the rev guard below keeps this check atomic)
    old_queue, status = stored["queue"], stored["status"]
    new_queue = triage.category if status == OPEN else old_queue
    attributes = {
        "text": m.text,
        "text_truncated": m.text_truncated,
        "language": m.language,
        "triage": triage_document(triage),
        "needs_review": triage.needs_review and status in (OPEN, CLAIMED),
        "priority": item.priority.score,
        "priority_reasons": item.priority.reasons,
        "queue": new_queue,
        **({"edit_version": version} if version is not None else {}),
        **index_attributes(new_queue, status, item.priority.score, stored["received_at"], m.id,
                           stored.get("lease_expires_at")),
    }
    entry = history_entry("edited", now, f"platform:{m.platform}", queue=new_queue,
                          model_version=triage.model_version, confidence=round(triage.confidence, 4))
    operations = [message_update(stored, attributes, entry)]
    if new_queue != old_queue:
        hour, platform = stored["received_hour"], stored["platform"]
        operations += [volume_update(old_queue, hour, platform, -1, bool(stored.get("needs_review"))),
                       volume_update(new_queue, hour, platform, 1, triage.needs_review)]
    return Outcome.UPDATED if run_transaction(operations) else Outcome.UNCHANGED


def mark_removed(message_id: str, now: datetime, actor: str) -> Outcome:
    """Deleted or hidden on the platform: out of every queue, kept for the record and the stats."""
    stored = get_message(message_id)
    if stored is None:
        return Outcome.UNKNOWN
    if stored["status"] == REMOVED:
        return Outcome.UNCHANGED
    attributes = {
        "status": REMOVED,
        "removed_at": iso(now),
        **index_attributes(stored["queue"], REMOVED, stored["priority"], stored["received_at"], message_id),
    }
    entry = history_entry("removed", now, actor, previous_status=stored["status"])
    ok = run_transaction([message_update(stored, attributes, entry, remove=("gsi2pk", "gsi2sk", "lease_expires_at",
                                                                            "claimed_by"))])
    return Outcome.REMOVED if ok else Outcome.UNCHANGED


def message_update(stored: dict[str, Any], attributes: dict[str, Any], entry: dict[str, Any],
                   remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """An `Update` of a message item, guarded by its revision (optimistic lock), appending to its history."""
    names = {f"#n{i}": name for i, name in enumerate(attributes)}
    sets = [f"#n{i} = :v{i}" for i in range(len(attributes))]
    vals = {f":v{i}": dynamo.to_value(v) for i, v in enumerate(attributes.values())}
    sets += ["#rev = #rev + :one", "#history = list_append(#history, :entry)"]
    names |= {"#rev": "rev", "#history": "history"}
    vals |= {":one": {"N": "1"}, ":entry": dynamo.to_value([entry]), ":rev": {"N": str(stored["rev"])}}
    expression = "SET " + ", ".join(sets)
    if remove:
        names |= {f"#r{i}": name for i, name in enumerate(remove)}
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    return {"Update": {"TableName": dynamo.table_name(), "Key": dynamo.key(stored["pk"], stored["sk"]),
                       "UpdateExpression": expression, "ConditionExpression": "#rev = :rev",
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": vals}}


def run_transaction(operations: list[dict[str, Any]]) -> bool:
    """Run a transaction whose first operation is guarded; False when that guard no longer holds."""
    try:
        if len(operations) == 1:
            dynamo.client().update_item(**operations[0]["Update"])
        else:
            dynamo.client().transact_write_items(TransactItems=operations)
    except ClientError as exc:
        codes = dynamo.cancellation_codes(exc)
        if dynamo.error_code(exc) == "ConditionalCheckFailedException" or (codes and codes[0] == "ConditionalCheckFailed"):
            return False
        raise dynamo.unavailable(exc) from exc
    except dynamo.STORAGE_ERRORS as exc:
        raise dynamo.unavailable(exc) from exc
    return True

