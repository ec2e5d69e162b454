"""Agent queue operations on DynamoDB: list, overview, claim with a lease, release, snooze, resolve, re-route,
and the scheduled sweep (snoozes that are due reopen; open messages past their queue's window auto-resolve).

A claim is one conditional transaction per message (open, an expired lease, or a due snooze) with its
queue-count shard, so two agents can never hold the same message and the cost does not grow with queue depth.
Permissions and states are the domain's (domain.workflow); this module persists them and raises its errors.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Iterator

from botocore.exceptions import ClientError

from ..domain import second_opinion, workflow
from ..domain.errors import ConcurrentChange, InvalidRequest
from ..domain.workflow import CLAIMED, OPEN, RESOLVED, SNOOZED, Actor
from . import counters, dynamo
from .entities import (
    ANSWER_BYTES,
    HISTORY_LIMIT,
    RESOLUTION_ATTRIBUTES,
    Correction,
    MessageKeys,
    StoredMessage,
    day_of,
    iso,
    key,
    parse_iso,
    shard_of,
)
from .messages import (
    apply_guarded,
    bounded_corrections,
    bounded_history,
    history_entry,
    run_guarded,
    transition,
)
from .table import GSI1, GSI2

MAX_CLAIM_ROUNDS = 6
SWEEP_BATCH = 100  # per queue and kind, per scheduled run


# listing ---------------------------------------------------------------------------------------

def encode_cursor(last_key: dict[str, Any]) -> str:
    plain = {k: v["S"] for k, v in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


# DynamoDB refuses a start key with an empty key value or a sort key over 1024 bytes (ValidationException)
MAX_CURSOR_KEY_BYTES = 1024


def decode_cursor(cursor: str, partition: str, partition_key: str = "gsi1pk",
                  keys: frozenset[str] = frozenset({"pk", "sk", "gsi1pk", "gsi1sk"}),
                  sort_prefix: tuple[str, str | tuple[str, ...]] | None = None) -> dict[str, Any]:
    """The key a cursor of this listing names; a cursor of another partition (or index) is refused. A table
    listing's cursor has keys {pk, sk} and is bound by its `pk`. `sort_prefix` (a key and its prefix, or its
    prefixes): the listing's key condition is begins_with on it, and DynamoDB refuses a start key outside it."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = isinstance(plain, dict) and set(plain) == keys and all(
            isinstance(v, str) and 0 < len(v.encode()) <= MAX_CURSOR_KEY_BYTES for v in plain.values())
        if valid and sort_prefix is not None:
            valid = plain[sort_prefix[0]].startswith(sort_prefix[1])
    except (ValueError, binascii.Error, UnicodeError, RecursionError):  # a forged cursor nested deep
        valid = False
    if not valid or plain[partition_key] != partition:
        raise InvalidRequest("cursor is not one this listing returned", code="invalid_cursor")
    return {k: {"S": v} for k, v in plain.items()}


@dataclass(frozen=True)
class ListFilter:
    """Facts of a conversation (its head) a listing may be narrowed to (None: any)."""

    platform: str | None = None
    language: str | None = None
    needs_review: bool | None = None
    answered: bool | None = None  # the brand has answered it (first_reply_at is set)
    author: str | None = None  # the platform's id of the customer who opened it
    words: str | None = None  # in the first or the latest customer message (see text_variants)
    tag: str | None = None  # one of its tags (domain.tags), in the spelling kept
    max_rating: int | None = None  # its satisfaction survey's score is at most this (domain.surveys)

    def expression(self) -> tuple[list[str], dict[str, str], dict[str, Any]]:
        """FilterExpression terms (joined by AND), with their names and values."""
        terms, names, named = [], {}, {}
        for attribute in ("platform", "language", "needs_review"):
            value = getattr(self, attribute)
            if value is not None:
                terms.append(f"#{attribute} = :{attribute}")
                names[f"#{attribute}"], named[attribute] = attribute, value
        if self.author is not None:
            terms.append("#author.#author_id = :author")
            names |= {"#author": "author", "#author_id": "id"}
            named["author"] = self.author
        if self.words:
            variants = text_variants(self.words)
            names |= {"#text": "text", "#latest": "last_inbound_text"}
            terms.append("(" + " OR ".join(f"contains(#text, :w{i}) OR contains(#latest, :w{i})"
                                           for i in range(len(variants))) + ")")
            named |= {f"w{i}": variant for i, variant in enumerate(variants)}
        if self.tag is not None:
            terms.append("contains(#tags, :tag)")
            names["#tags"], named["tag"] = "tags", self.tag
        if self.answered is not None:
            terms.append(f"{'attribute_exists' if self.answered else 'attribute_not_exists'}(first_reply_at)")
        if self.max_rating is not None:  # a conversation not rated has no score: it is left out
            terms.append("#satisfaction.#score <= :max_rating")
            names |= {"#satisfaction": "satisfaction", "#score": "score"}
            named["max_rating"] = self.max_rating
        return terms, names, dynamo.values(**named) if named else {}


def _full_width(text: str) -> str:
    """ASCII as Japanese text often types it: "4471" as "４４７１"."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def text_variants(words: str) -> list[str]:
    """What a text search looks for: DynamoDB's contains() is exact, so the words as typed, in lower case,
    capitalised and in upper case, in half width (NFKC) and, for digits and Latin letters, in full width."""
    variants = [words, words.lower(), words[:1].upper() + words[1:].lower(), words.upper()]
    half = unicodedata.normalize("NFKC", words)
    variants += [half, half.lower(), _full_width(half), _full_width(half.lower())]
    return list(dict.fromkeys(variants))


EVERYTHING = ListFilter()
FILTERED_PAGE = 200  # items a filtered listing reads per Query
FILTERED_READS = 5  # Queries one filtered page may spend: a rare match answers a short page, with a cursor
HELD_READS = 10  # Query pages per queue for the caller's claims (a queue's live claims: one or two pages)
MAX_HELD_LISTED = 100
_CURSOR_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def _filtered(kwargs: dict[str, Any], terms: list[str], names: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    if not terms:
        return kwargs
    kwargs = {**kwargs, "FilterExpression": " AND ".join(terms),
              "ExpressionAttributeValues": {**kwargs.get("ExpressionAttributeValues", {}), **values}}
    if names:
        kwargs["ExpressionAttributeNames"] = {**kwargs.get("ExpressionAttributeNames", {}), **names}
    return kwargs


def list_messages(queue: str, status: str, limit: int, cursor: str | None,
                  only: ListFilter = EVERYTHING) -> tuple[list[StoredMessage], str | None]:
    """One page of a queue in priority order (highest first, then oldest) and the next page's cursor.

    A page ends at `limit` messages or once they reach ANSWER_BYTES as JSON, whichever comes first. Filtered,
    it reads at most FILTERED_READS x FILTERED_PAGE items of the queue, so its cost stays bounded when few match:
    it may then hold fewer than `limit` (even none) and still give a cursor to read on."""
    partition = MessageKeys.queue_partition(queue, status)
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table_name(), "IndexName": GSI1, "Limit": limit,
        "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": dynamo.values(p=partition),
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = decode_cursor(cursor, partition)
    terms, names, values = only.expression()
    if terms:
        kwargs = _filtered({**kwargs, "Limit": FILTERED_PAGE}, terms, names, values)
    found: list[tuple[StoredMessage, dict[str, Any]]] = []
    answer_bytes, next_key = 0, None
    with dynamo.storage_errors():
        for _ in range(FILTERED_READS if terms else 1):
            page = dynamo.client().query(**kwargs)
            items, next_key = page.get("Items", []), page.get("LastEvaluatedKey")
            for position, item in enumerate(items, 1):
                if found and answer_bytes >= ANSWER_BYTES:  # the answer is full: the rest on the next page
                    next_key = {k: found[-1][1][k] for k in _CURSOR_KEYS}
                    break
                message = StoredMessage.from_item(dynamo.from_item(item))
                found.append((message, item))
                answer_bytes += message.answer_bytes
                if len(found) == limit:
                    more = position < len(items) or next_key is not None
                    next_key = {k: item[k] for k in _CURSOR_KEYS} if more else None
                    break
            if len(found) == limit or next_key is None or answer_bytes >= ANSWER_BYTES:
                break
            kwargs["ExclusiveStartKey"] = next_key
    return [message for message, _ in found], encode_cursor(next_key) if next_key else None


def held_by(actor: str, queues: list[str], only: ListFilter = EVERYTHING) -> tuple[list[StoredMessage], int]:
    """The conversations `actor` holds (claimed, the lease live or lapsed and not yet taken by another) in these
    queues, in priority order: each queue's lease index, which lists only its claimed conversations. At most
    MAX_HELD_LISTED, within ANSWER_BYTES; returns them and how many more are held."""
    terms, names, values = only.expression()
    held: list[dict[str, Any]] = []
    with dynamo.storage_errors():
        for queue in queues:
            kwargs = _filtered({
                "TableName": dynamo.table_name(), "IndexName": GSI2, "KeyConditionExpression": "gsi2pk = :p",
                "ExpressionAttributeValues": dynamo.values(p=MessageKeys.lease_partition(queue), actor=actor),
            }, ["claimed_by = :actor", *terms], names, values)
            for _ in range(HELD_READS):
                page = dynamo.client().query(**kwargs)
                held.extend(page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    held.sort(key=lambda item: item["gsi1sk"]["S"])
    listed, answer_bytes = [], 0
    for item in held[:MAX_HELD_LISTED]:
        if listed and answer_bytes >= ANSWER_BYTES:
            break
        listed.append(StoredMessage.from_item(dynamo.from_item(item)))
        answer_bytes += listed[-1].answer_bytes
    return listed, len(held) - len(listed)


def queue_overview(queue: str, now: datetime) -> dict[str, Any]:
    """Open, claimed, snoozed and needs_review counts (maintained shards) and the age of the oldest open
    message (the first item of a sparse index): a fixed number of small reads whatever the backlog."""
    counts = counters.queue_counts(queue)
    received = counters.oldest_open(queue)
    age = round((now - parse_iso(received)).total_seconds(), 3) if received else None
    return {"queue": queue, **counts, "oldest_open_age_seconds": age}


# claiming --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Candidate:
    message: StoredMessage  # as the index showed it (eventually consistent)
    gsi1sk: str
    status: str  # where it was found: open, an expired lease (claimed) or a due snooze (snoozed)
    chosen: bool = False  # a person took this one (queue.take): a snooze need not be due

    @property
    def id(self) -> str:
        return self.message.id


def _candidates(queue: str, now: datetime, batch: int) -> Iterator[_Candidate]:
    """Claimable messages in queue order: open ones, expired leases and due snoozes merged by queue key."""
    db, table = dynamo.client(), dynamo.table_name()
    due = {"KeyConditionExpression": "gsi2pk = :p AND gsi2sk < :now", "IndexName": GSI2}
    sources = {
        OPEN: {"IndexName": GSI1, "KeyConditionExpression": "gsi1pk = :p",
               "ExpressionAttributeValues": dynamo.values(p=MessageKeys.queue_partition(queue, OPEN))},
        CLAIMED: {**due, "ExpressionAttributeValues": dynamo.values(p=MessageKeys.lease_partition(queue), now=iso(now))},
        SNOOZED: {**due, "ExpressionAttributeValues": dynamo.values(p=MessageKeys.snooze_partition(queue), now=iso(now))},
    }
    for kwargs in sources.values():
        kwargs |= {"TableName": table, "Limit": batch}
    for _ in range(MAX_CLAIM_ROUNDS):
        pages = {status: db.query(**kwargs) for status, kwargs in sources.items()}
        found = sorted((_Candidate(StoredMessage.from_item(item), item["gsi1sk"], status)
                        for status, page in pages.items()
                        for item in map(dynamo.from_item, page.get("Items", []))), key=lambda c: c.gsi1sk)
        yield from found
        more = False
        for status, page in pages.items():
            if "LastEvaluatedKey" in page:
                sources[status]["ExclusiveStartKey"], more = page["LastEvaluatedKey"], True
        if not more:
            return


def claim(queue: str, actor: Actor, count: int, lease_seconds: int, now: datetime) -> list[StoredMessage]:
    """Claim up to `count` messages for `actor`, one atomic conditional transaction each; fewer when they
    reach ANSWER_BYTES as JSON, so that the answer can hand over every message claimed.

    A candidate that cannot be updated (taken meanwhile, held by a transaction, refused by DynamoDB) is
    skipped, not a failed request. When storage fails after some messages were claimed, those are returned
    (not stranded under a lease nobody knows about); only a failure before the first claim is an error.
    """
    lease_expires = iso(now + timedelta(seconds=lease_seconds))
    claimed: list[StoredMessage] = []
    answer_bytes = 0
    try:
        for candidate in _candidates(queue, now, batch=max(count * 2, 10)):
            item = _claim_one(queue, candidate, actor.id, lease_expires, now)
            if item is not None:
                claimed.append(item)
                answer_bytes += item.answer_bytes
                if len(claimed) == count or answer_bytes >= ANSWER_BYTES:  # the answer must hand them all over
                    break
    except dynamo.STORAGE_ERRORS as exc:
        if not claimed:
            raise dynamo.unavailable(exc) from exc
    return claimed


def take(stored: StoredMessage, actor: Actor, lease_seconds: int, now: datetime) -> StoredMessage:
    """Claim the conversation a person chose (rules: workflow.check_can_take), by the same conditional
    transaction as a claim of the next one. `stored` is as just read; one taken or changed meanwhile is a
    ConcurrentChange (read it again)."""
    if not workflow.check_can_take(stored.id, stored.status, stored.claimed_by, stored.lease_expiry, actor, now):
        return stored  # the actor's own live claim: taking it again changes nothing
    lease_expires = iso(now + timedelta(seconds=lease_seconds))
    candidate = _Candidate(stored, gsi1sk="", status=stored.status, chosen=True)
    with dynamo.storage_errors():
        claimed = _claim_one(stored.queue, candidate, actor.id, lease_expires, now)
    if claimed is None:
        raise ConcurrentChange("someone took or changed this conversation meanwhile; reload it and try again")
    return claimed


def assign(stored: StoredMessage, assignee: Any, by: Actor, lease_expires: datetime, now: datetime) -> StoredMessage:
    """Claim a conversation for `assignee` (their key: `.actor`, `.can_work`), by a manager: rules in
    workflow.check_can_assign. Guarded by its revision: one changed meanwhile is a ConcurrentChange."""
    workflow.check_can_assign(stored.id, stored.status, assignee, stored.queue, by)
    entry = history_entry("assigned", now, by.id, to=assignee.actor, lease_expires_at=iso(lease_expires))
    attributes = {"claimed_by": assignee.actor, "lease_expires_at": iso(lease_expires),
                  "first_claimed_at": stored.first_claimed_at or iso(now)}
    return apply_guarded(stored, transition(stored, CLAIMED, entry, attributes=attributes), entry)


def _claim_operations(queue: str, candidate: _Candidate, actor: str, lease_expires: str, now: datetime,
                      full: StoredMessage | None = None) -> list[dict[str, Any]]:
    """The claim's transaction. `full` is the message as it was when its history is full: the claim is then
    guarded by its revision and writes the bounded history instead of appending."""
    entry = history_entry("claimed", now, actor, lease_expires_at=lease_expires)
    indexes = candidate.message.indexes(queue=queue, status=CLAIMED, lease_expires_at=lease_expires)
    names = {"#status": "status", "#queue": "queue", "#rev": "rev", "#history": "history",
             **{f"#{name}": name for name in indexes}}
    values = dynamo.values(claimed=CLAIMED, source=candidate.status, actor=actor, lease=lease_expires, now=iso(now),
                           queue=queue, one=1, **{f"i_{name}": value for name, value in indexes.items()})
    sets = ["#status = :claimed", "claimed_by = :actor", "lease_expires_at = :lease",
            "first_claimed_at = if_not_exists(first_claimed_at, :now)", "#rev = #rev + :one",
            *(f"#{name} = :i_{name}" for name in indexes)]
    condition = "#queue = :queue AND #status = :source"
    if candidate.status == CLAIMED:
        condition += " AND lease_expires_at < :now"
    elif candidate.status == SNOOZED and not candidate.chosen:
        condition += " AND snoozed_until <= :now"
    if full is None:
        sets.append("#history = list_append(#history, :entry)")
        condition += " AND size(#history) < :limit"
        values |= dynamo.values(entry=[entry], limit=HISTORY_LIMIT)
    else:
        history, dropped = bounded_history(full.history, entry)
        sets += ["#history = :history", "history_dropped = :dropped"]
        condition += " AND #rev = :rev"
        values |= dynamo.values(history=history, dropped=full.history_dropped + dropped, rev=full.rev)
    update = {"TableName": dynamo.table_name(), "Key": key(MessageKeys.pk(candidate.id), MessageKeys.SK),
              "UpdateExpression": "SET " + ", ".join(sets) + (" REMOVE snoozed_until" if candidate.status == SNOOZED else ""),
              "ConditionExpression": condition, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
              "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    operations = [{"Update": update}]
    if candidate.status != CLAIMED:  # an expired lease stays claimed: the counts do not move
        operations.append(counters.queue_count_update(queue, shard_of(candidate.id), {candidate.status: -1, CLAIMED: 1}))
    return operations


def _claim_one(queue: str, candidate: _Candidate, actor: str, lease_expires: str, now: datetime,
               full: StoredMessage | None = None) -> StoredMessage | None:
    operations = _claim_operations(queue, candidate, actor, lease_expires, now, full)
    try:
        dynamo.transact(operations, dynamo.request_token("claim", candidate.id, actor, lease_expires, str(full is None)))
    except ClientError as exc:
        if dynamo.is_conflict(exc) or _refused(exc):
            return None  # held by a transaction all along, or DynamoDB will not take the write: the next one
        codes = dynamo.cancellation_codes(exc)
        if not codes or codes[0] != "ConditionalCheckFailed":
            raise
        old = exc.response["CancellationReasons"][0].get("Item")
        current = StoredMessage.from_item(dynamo.from_item(old)) if old else None
        if current is None:
            return None
        if current.claimed_by == actor and current.lease_expires_at == lease_expires:
            # botocore retried a claim whose answer was lost: the claim is ours, made by this very call
            return current
        if full is None and len(current.history) >= HISTORY_LIMIT and _claimable(current, candidate, now):
            return _claim_one(queue, candidate, actor, lease_expires, now, full=current)
        return None  # another agent got there first
    return _as_claimed(full or candidate.message, actor, lease_expires, now)


def _as_claimed(message: StoredMessage, actor: str, lease_expires: str, now: datetime) -> StoredMessage:
    """The message as the claim left it, from the copy the claim was made on (no read after the write: a
    failing read would strand a message the agent holds but was never handed)."""
    history, dropped = bounded_history(message.history, history_entry("claimed", now, actor,
                                                                      lease_expires_at=lease_expires))
    return replace(message, status=CLAIMED, claimed_by=actor, lease_expires_at=lease_expires, snoozed_until=None,
                   first_claimed_at=message.first_claimed_at or iso(now), rev=message.rev + 1, history=history,
                   history_dropped=message.history_dropped + dropped)


def _claimable(message: StoredMessage, candidate: _Candidate, now: datetime) -> bool:
    if message.status != candidate.status:
        return False
    if message.status == CLAIMED:
        return message.lease_expiry is not None and message.lease_expiry < now
    if message.status == SNOOZED:
        return candidate.chosen or (message.snoozed_until is not None and message.snoozed_until <= iso(now))
    return message.status == OPEN


def _refused(exc: ClientError) -> bool:
    """DynamoDB refuses the write itself (an item grown past 400 KB): retrying cannot help."""
    return dynamo.error_code(exc) == "ValidationException" or "ValidationError" in dynamo.cancellation_codes(exc)


# working a claimed message ---------------------------------------------------------------------

def _check(stored: StoredMessage, actor: Actor, now: datetime, allowed: tuple[str, ...] = (CLAIMED,)) -> None:
    workflow.check_can_act(stored.id, stored.status, stored.claimed_by, stored.lease_expiry, actor, now, allowed)


def release(stored: StoredMessage, actor: Actor, now: datetime) -> StoredMessage:
    """Put a claimed message back to open. `stored` is the message as just read (its `rev` guards the update)."""
    _check(stored, actor, now)
    entry = history_entry("released", now, actor.id)
    return apply_guarded(stored, transition(stored, OPEN, entry), entry)


def snooze(stored: StoredMessage, actor: Actor, until: datetime, now: datetime) -> StoredMessage:
    """Set a claimed message aside until `until`: then it is claimable again, in priority order, and the
    sweep reopens it."""
    _check(stored, actor, now, workflow.resolvable_from(actor))
    workflow.check_snooze(until, now)
    entry = history_entry("snoozed", now, actor.id, until=iso(until))
    snoozed = counters.volume_update(stored.queue, stored.received_hour, stored.shard,
                                     counters.per_platform({"snoozed": 1}, stored.platform))
    operations = transition(stored, SNOOZED, entry, attributes={"snoozed_until": iso(until)}, extra=[snoozed])
    return apply_guarded(stored, operations, entry)


def _resolve_operations(stored: StoredMessage, entry: dict[str, Any], actor: str, now: datetime,
                        note: str | None = None, reason: str | None = None) -> list[dict[str, Any]]:
    attributes = {"resolved_at": iso(now), "resolved_by": actor}
    if note:
        attributes["resolution_note"] = note
    if reason:
        attributes["resolution_reason"] = reason
        counted = {"auto_resolved": 1}  # nobody answered it: no response times
    else:
        received = parse_iso(stored.received_at)
        first_claim = parse_iso(stored.first_claimed_at) if stored.first_claimed_at else now
        counted = counters.response_time_increments(received, first_claim, now)
    volume = counters.volume_update(stored.queue, stored.received_hour, stored.shard,
                                    counters.per_platform(counted, stored.platform))
    # the person's own counts: the resolve and its time to resolve, as the queue's (not its time to first claim)
    person = [] if reason else counters.person_update(actor, now, stored.shard,
                                                      {k: v for k, v in counted.items() if not k.startswith("ttc_")})
    return transition(stored, RESOLVED, entry, attributes=attributes, extra=[volume, *person])


def resolve(stored: StoredMessage, actor: Actor, note: str | None, now: datetime) -> StoredMessage:
    """Resolve a claimed message (or, for a manager, an open one); records its response times."""
    _check(stored, actor, now, workflow.resolvable_from(actor))
    entry = history_entry("resolved", now, actor.id, **({"note": note} if note else {}))
    return apply_guarded(stored, _resolve_operations(stored, entry, actor.id, now, note=note), entry)


def reopen(stored: StoredMessage, actor: Actor, reason: str | None, now: datetime) -> StoredMessage:
    """Open a resolved conversation again by hand (Chatwoot's "Reopen conversation"): unclaimed in its queue, its
    resolution off the head (the history keeps it), guarded by its revision with the open (and needs_review)
    count it adds, in one transaction. The volume stats keep counting the resolve: it happened."""
    workflow.check_can_reopen(stored.id, stored.status)
    entry = history_entry("reopened", now, actor.id, **({"reason": reason} if reason else {}))
    operations = transition(stored, OPEN, entry, attributes={"reopened_at": iso(now)}, drop=RESOLUTION_ATTRIBUTES)
    return apply_guarded(stored, operations, entry)


def reroute(stored: StoredMessage, actor: Actor, to_queue: str, reason: str, now: datetime) -> StoredMessage:
    """Move a message to another queue, open there; the correction is recorded for stats and retraining."""
    workflow.check_reroute(stored.queue, to_queue)
    _check(stored, actor, now, workflow.resolvable_from(actor))
    from_queue, triage = stored.queue, stored.triage
    correction = Correction(message_id=stored.id, text=stored.text, language=stored.language, from_queue=from_queue,
                            to_queue=to_queue, by=actor.id, at=iso(now), reason=reason,
                            model_version=triage["model_version"])
    entry = history_entry("rerouted", now, actor.id, **{"from": from_queue, "to": to_queue, "reason": reason})
    hour, platform, shard = stored.received_hour, stored.platform, stored.shard
    accuracy = {f"reroute_{from_queue}__{to_queue}": 1}
    if not stored.corrections:
        accuracy["rerouted"] = 1  # messages the agents moved at least once
    # a queue a manager's routing rule chose was not the model's: moving it corrects the rule, not the model's accuracy
    by_the_model = second_opinion.RULE not in triage
    extra = [
        counters.volume_update(from_queue, hour, shard, counters.volume_increments(platform, -1, stored.needs_review)),
        counters.volume_update(to_queue, hour, shard, counters.volume_increments(platform, 1, False)),
        counters.accuracy_update(triage["category"], day_of(parse_iso(stored.received_at)), triage["model_version"],
                                 shard, accuracy) if by_the_model else None,
        {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(correction.to_item())}},
    ]
    extra = [operation for operation in extra if operation is not None]
    operations = transition(stored, OPEN, entry, queue=to_queue, needs_review=False, extra=extra,
                            attributes={"corrections": bounded_corrections(stored.corrections, correction.in_message())})
    return apply_guarded(stored, operations, entry)


def corrections() -> Iterator[dict[str, Any]]:
    """Every recorded re-route, oldest first."""
    with dynamo.storage_errors():
        yield from dynamo.query_pages(KeyConditionExpression="pk = :pk",
                                      ExpressionAttributeValues=dynamo.values(pk=Correction.PK))


# the scheduled sweep ---------------------------------------------------------------------------

SYSTEM = "system:sweep"


def _due(partition: str, before: datetime, limit: int) -> list[StoredMessage]:
    """Up to `limit` messages of a sparse GSI2 partition whose time is before `before`, earliest first."""
    with dynamo.storage_errors():
        page = dynamo.client().query(
            TableName=dynamo.table_name(), IndexName=GSI2, Limit=limit,
            KeyConditionExpression="gsi2pk = :p AND gsi2sk < :before",
            ExpressionAttributeValues=dynamo.values(p=partition, before=iso(before)))
    return [StoredMessage.from_item(dynamo.from_item(i)) for i in page.get("Items", [])]


def sweep(queue: str, now: datetime, window: timedelta, limit: int = SWEEP_BATCH) -> dict[str, int]:
    """One bounded, idempotent pass over a queue: reopen due snoozes, auto-resolve open messages received
    more than `window` ago. Each change is guarded by the revision the index showed, so a message that a
    person claimed, snoozed or changed meanwhile is left alone (and a second run changes nothing)."""
    done = {"reopened": 0, "auto_resolved": 0}
    for message in _due(MessageKeys.snooze_partition(queue), now, limit):
        if message.status == SNOOZED:
            entry = history_entry("reopened", now, SYSTEM, snoozed_until=message.snoozed_until)
            done["reopened"] += run_guarded(transition(message, OPEN, entry))
    for message in _due(MessageKeys.open_partition(queue), now - window, limit):
        # the customer's latest message or a later reopen decides (a contended join may not have moved the
        # index's time; a reopen does not move it: the customer has waited since their message)
        waited = workflow.idle_since(message.last_inbound_at or message.received_at, message.reopened_at)
        if message.status == OPEN and waited < iso(now - window):
            entry = history_entry("resolved", now, SYSTEM, reason=workflow.AUTO_RESOLVE_REASON)
            done["auto_resolved"] += run_guarded(
                _resolve_operations(message, entry, SYSTEM, now, reason=workflow.AUTO_RESOLVE_REASON))
    return done
