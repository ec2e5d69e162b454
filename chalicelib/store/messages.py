"""Storing triaged messages exactly once, with their counters, reading them back, and changing them.

A new message is one transaction: the message item (conditional on not existing) and its counter shards
(volume, model accuracy, queue counts), its author's activity window and its customer's pointer to it. A redelivery fails the condition
and changes nothing, so every counter stays exact. Every later change is guarded by the message's revision
(optimistic lock) and travels with the counters it moves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any, Callable

from botocore.exceptions import ClientError

from ..classifier import Triage
from ..domain.routing_rules import Routing
from ..domain import blocks, customers, second_opinion
from ..domain import moderation as moderation_rules
from ..domain.conversations import IN_CONVERSATION
from ..domain.errors import ConcurrentChange, UnknownMessage
from ..domain.workflow import ACTIVE, OPEN, REMOVED
from ..models import OUTBOUND, without_none
from ..models import Message as Inbound
from ..priority import Priority, requeued
from . import counters, dynamo
from .entities import (
    CORRECTIONS_LIMIT,
    HISTORY_LIMIT,
    CustomerConversationKeys,
    STATE_ATTRIBUTES,
    MessageKeys,
    StoredMessage,
    day_of,
    hour_of,
    iso,
    key,
    parse_iso,
    shard_of,
)

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

    message: Inbound
    triage: Triage
    priority: Priority
    edit_version: str | None = None  # an edit stored as new (its message unknown): later edits are ordered by it
    held_back: dict[str, Any] | None = None  # its author is blocked: this moderation record (domain.blocks)
    routing: Routing | None = None  # what the managers' routing rules decided (domain.routing_rules)

    @property
    def queue(self) -> str:
        """Its category as stored and counted: a routing rule's queue, else the model's verdict."""
        return self.routing.queue if self.routing is not None and self.routing.queue else self.triage.category

    @property
    def needs_review(self) -> bool:
        """Whether someone should check its queue: the model was unsure, and no routing rule chose the queue."""
        return self.triage.needs_review and not (self.routing is not None and self.routing.queue)


def triage_document(triage: Triage, routing: Routing | None = None) -> dict[str, Any]:
    """The stored triage: the model's verdict (its `category`, where the model's accuracy is counted), and the rule
    that routed the message to another queue, when one did (the message's queue says where)."""
    document = {
        "category": triage.category,
        "confidence": triage.confidence,
        "scores": triage.scores,
        "top_terms": [{"term": t.term, "weight": t.weight} for t in triage.top_terms],
        "model_version": triage.model_version,
        "needs_review": triage.needs_review,
    }
    if routing is not None and routing.rule is not None:
        document[second_opinion.RULE] = {"id": routing.rule.id, "name": routing.rule.name,
                                        "model_category": triage.category}
    return document


def history_entry(event: str, at: datetime, actor: str, **details: Any) -> dict[str, Any]:
    return {"event": event, "at": iso(at), "actor": actor, **({"details": details} if details else {})}


def new_message(item: Triaged, conversation_key: str | None = None) -> StoredMessage:
    """A customer message as the head of a new conversation (conversations.py turns it into a member)."""
    m, triage, routing = item.message, item.triage, item.routing
    queue = item.queue
    routed = [history_entry("routed_by_rule", m.received_at, f"rule:{routing.rule.id}", rule=routing.rule.name,
                            queue=queue)] if routing is not None and routing.rule is not None else []
    stored = StoredMessage(
        account=m.account, conversation=m.id, conversation_key=conversation_key, message_count=1,
        last_inbound_at=iso(m.received_at),
        id=m.id, platform=m.platform, channel=m.channel.value, author=without_none(m.author), text=m.text,
        text_truncated=m.text_truncated or None, language=m.language, created_at=iso(m.created_at), received_at=iso(m.received_at),
        received_hour=hour_of(m.received_at), parent_id=m.parent_id, thread_id=m.thread_id,
        conversation_id=m.conversation_id, triage=triage_document(triage, routing), queue=queue, status=OPEN,
        needs_review=item.needs_review, priority=item.priority.score, priority_reasons=item.priority.reasons,
        edit_version=item.edit_version, rev=1, replies_by_time=True, history=[
            history_entry("received", m.received_at, f"platform:{m.platform}"),
            history_entry("classified", m.received_at, "model", queue=triage.category,
                          model_version=triage.model_version, confidence=round(triage.confidence, 4)),
            *routed,
        ], tags=(routing.tags or None) if routing is not None else None)
    if item.held_back is None:
        return stored
    # born removed: in no queue, in the Removed listing, and counted nowhere but the volumes (domain.blocks)
    held = item.held_back
    entry = history_entry(blocks.BLOCKED, m.received_at, held["by"], **({"reason": held["reason"]}
                                                                        if held.get("reason") else {}))
    return replace(stored, status=REMOVED, removed_at=iso(m.received_at), moderation=held,
                   history=[*stored.history, entry])


def message_item(item: Triaged, conversation_key: str | None = None) -> dict[str, Any]:
    return new_message(item, conversation_key).to_item()


def state_counts(status: str, needs_review: bool, delta: int) -> dict[str, int]:
    """What a message in `status` adds to (delta 1) or takes from (-1) its queue's state counts."""
    if status not in ACTIVE:
        return {}
    return {status: delta, **({"needs_review": delta} if needs_review else {})}


def message_counters(item: Triaged, shard: int) -> list[dict[str, Any]]:
    """What every customer message moves once, whatever its conversation: its volume (in its own category, a
    routing rule's queue where one routed it) and model-accuracy shards (in the model's) and its author's activity
    window."""
    m, triage = item.message, item.triage
    return [
        counters.volume_update(item.queue, hour_of(m.received_at), shard,
                               counters.volume_increments(m.platform, 1, item.needs_review)),
        counters.accuracy_update(triage.category, day_of(m.received_at), triage.model_version, shard,
                                 {"classified": 1, "needs_review": int(triage.needs_review)}),
        counters.author_update(m.platform, m.author.id, m.received_at, shard),
    ]


def rating_counters(item: Triaged, queue: str, shard: int) -> list[dict[str, Any]]:
    """What a customer's rating of a conversation (domain.surveys) moves: its volume in the conversation's queue, and
    its author's activity window. The model's verdict on a bare "5" means nothing: it is in no category's volume,
    no review count and no accuracy shard."""
    m = item.message
    return [counters.volume_update(queue, hour_of(m.received_at), shard, counters.volume_increments(m.platform, 1, False)),
            counters.author_update(m.platform, m.author.id, m.received_at, shard)]


def customer_pointer(m: Inbound) -> dict[str, Any] | None:
    """The customer's pointer to the conversation `m` opens (None for an author without an id: many people).

    Unconditional: it travels with the head's conditional put, so a redelivery cancels both."""
    if m.direction == OUTBOUND or not customers.has_history(m.author.id):
        return None
    item = CustomerConversationKeys.item(m.platform, m.author.id, iso(m.received_at), m.id)
    return {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(item)}}


def new_message_transaction(item: Triaged, attempt: int = 0, conversation_key: str | None = None) -> list[dict[str, Any]]:
    """A message that opens its conversation: the item, its counters, its queue's open count and its customer's
    pointer to it."""
    m = item.message
    shard = shard_of(m.id, attempt)
    status = OPEN if item.held_back is None else REMOVED
    volume, accuracy, author = message_counters(item, shard)
    operations = [
        {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(message_item(item, conversation_key)),
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        volume, accuracy,
        counters.queue_count_update(item.queue, shard, state_counts(status, item.needs_review, 1)),
        author,
        customer_pointer(m) if status == OPEN else None,  # a held-back message is no conversation of theirs
    ]
    return [op for op in operations if op is not None]


def save_new(item: Triaged) -> Outcome:
    """Store a new message once; a redelivery is a DUPLICATE and writes nothing."""
    # the token makes botocore's retries of this exact call idempotent; a redelivery (new received_at)
    # gets its own token and meets the condition instead
    token = dynamo.request_token("new", item.message.id, iso(item.message.received_at))
    with dynamo.storage_errors():
        try:
            dynamo.transact_rebuilt(lambda attempt: new_message_transaction(item, attempt), token)
        except ClientError as exc:
            codes = dynamo.cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return Outcome.DUPLICATE
            raise
    return Outcome.STORED


MAX_PARTITION_KEY_BYTES = 2048  # DynamoDB's limit: a longer id names no message (it could never be stored)


def get_message(message_id: str, consistent: bool = True) -> StoredMessage | None:
    if len(MessageKeys.pk(message_id).encode("utf-8", "surrogatepass")) > MAX_PARTITION_KEY_BYTES:
        return None
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), ConsistentRead=consistent,
                                            Key=key(MessageKeys.pk(message_id), MessageKeys.SK))
    return StoredMessage.from_item(dynamo.from_item(response["Item"])) if "Item" in response else None


def conversation_head(conversation_id: str, can_work: Callable[[str], bool]) -> StoredMessage:
    """The conversation named by its first message's id, when its queue is one the caller works and it was not
    removed on the platform; otherwise UnknownMessage (nothing about other queues' conversations leaks, not even
    that they exist)."""
    stored = get_message(conversation_id)
    if stored is None or stored.is_member or stored.status == REMOVED or not can_work(stored.queue):
        raise UnknownMessage(f"no conversation {conversation_id!r}", code="unknown_conversation")
    return stored


CHANGE_ROUNDS = 4  # a head that changes between a read and a write this often is said to be busy (409)


def on_conversation(conversation_id: str, can_work: Callable[[str], bool],
                    act: Callable[[StoredMessage], StoredMessage], read: StoredMessage | None = None) -> StoredMessage:
    """`act(head)` on the conversation as it is now (`read`: its head, just read and scope-checked; otherwise read
    here, with conversation_head's check). A guarded change that meets another one (a message joining a busy
    thread, the second opinion's verdict, a colleague's tag) is worked out again on the head read again, with the
    scope and every rule checked again: nobody is sent back to reload for a change they never saw."""
    for round_ in range(CHANGE_ROUNDS):
        head = read if round_ == 0 and read is not None else conversation_head(conversation_id, can_work)
        try:
            return act(head)
        except ConcurrentChange:
            if round_ == CHANGE_ROUNDS - 1:
                raise
    raise AssertionError("unreachable")


# changes guarded by the revision ----------------------------------------------------------------------------

# Entries that give way first when a history is full: anyone who may read a conversation may tag it, as often as
# they like, and that must not push its workflow (who claimed, who resolved) out.
YIELDING_EVENTS = frozenset({"tagged"})


def bounded_history(history: list[dict[str, Any]], entry: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The history with `entry` appended, at most HISTORY_LIMIT entries: the first two (received, classified)
    and the latest, the oldest tag changes dropped before any other entry; returns it with the number of entries
    it drops (a message cannot outgrow its item)."""
    history = history + [entry]
    if len(history) <= HISTORY_LIMIT:
        return history, 0
    excess = len(history) - HISTORY_LIMIT
    yielding = [i for i, old in enumerate(history[2:-1], 2) if old.get("event") in YIELDING_EVENTS]
    given_up = set(yielding[:excess])
    kept = [old for i, old in enumerate(history) if i not in given_up]
    if len(kept) > HISTORY_LIMIT:
        kept = kept[:2] + kept[-(HISTORY_LIMIT - 2):]
    return kept, len(history) - len(kept)


def message_update(stored: StoredMessage, attributes: dict[str, Any], entry: dict[str, Any],
                   remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """An `Update` of a message item, guarded by its revision (optimistic lock), adding to its bounded history."""
    remove = tuple(r for r in remove if r not in attributes)
    rewritten = "history" in attributes  # the caller rewrote the history (an erasure): the entry goes after it
    history, dropped = bounded_history(attributes.get("history", stored.history), entry)
    if dropped or rewritten:
        attributes = {**attributes, "history": history, "history_dropped": stored.history_dropped + dropped}
    names = {f"#n{i}": name for i, name in enumerate(attributes)}
    sets = [f"#n{i} = :v{i}" for i in range(len(attributes))]
    vals = {f":v{i}": dynamo.to_value(v) for i, v in enumerate(attributes.values())}
    sets.append("#rev = #rev + :one")
    names["#rev"] = "rev"
    vals |= {":one": {"N": "1"}, ":rev": {"N": str(stored.rev)}}
    if not (dropped or rewritten):
        sets.append("#history = list_append(#history, :entry)")
        names["#history"] = "history"
        vals[":entry"] = dynamo.to_value([entry])
    expression = "SET " + ", ".join(sets)
    if remove:
        names |= {f"#r{i}": name for i, name in enumerate(remove)}
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    return {"Update": {"TableName": dynamo.table_name(), "Key": stored.key, "UpdateExpression": expression,
                       "ConditionExpression": "#rev = :rev", "ExpressionAttributeNames": names,
                       "ExpressionAttributeValues": vals}}


def transition(stored: StoredMessage, status: str, entry: dict[str, Any], *, queue: str | None = None,
               attributes: dict[str, Any] | None = None, needs_review: bool | None = None,
               extra: list[dict[str, Any] | None] = (), drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The operations that move a message to `status` (and `queue`): its guarded update with the index keys
    of the new state (`drop`: attributes it no longer has), the queue-count shards it moves, and `extra`
    counter operations."""
    queue = queue or stored.queue
    needs_review = stored.needs_review if needs_review is None else needs_review
    state = {k: v for k, v in (attributes or {}).items()
             if k in ("lease_expires_at", "snoozed_until", "resolved_at", "removed_at")}
    indexes = stored.indexes(queue=queue, status=status, **state)
    changed = {"status": status, **(attributes or {}), **indexes}
    if queue != stored.queue:
        changed["queue"] = queue
    if needs_review != stored.needs_review:
        changed["needs_review"] = needs_review
    # leaving a state drops what belonged to it; an edit (same state) keeps the claim or snooze as it is
    remove = () if status == stored.status else tuple(a for a in STATE_ATTRIBUTES if a not in changed)
    remove = tuple(dict.fromkeys((*remove, *drop)))  # DynamoDB refuses a path named twice
    shard = stored.shard
    before = state_counts(stored.status, stored.needs_review, -1)
    after = state_counts(status, needs_review, 1)
    if queue == stored.queue:
        moved = {name: before.get(name, 0) + after.get(name, 0) for name in {*before, *after}}
        counts = [counters.queue_count_update(queue, shard, moved)]
    else:
        counts = [counters.queue_count_update(stored.queue, shard, before), counters.queue_count_update(queue, shard, after)]
    operations = [message_update(stored, changed, entry, remove), *counts, *extra]
    return [op for op in operations if op is not None]


def run_guarded(operations: list[dict[str, Any]], token: str | None = None) -> bool:
    """Run a change whose first operation is guarded; False when that guard no longer holds."""
    with dynamo.storage_errors():
        try:
            if len(operations) == 1:
                dynamo.write(dynamo.client().update_item, **operations[0]["Update"])
            else:
                dynamo.transact(operations, token)
        except ClientError as exc:
            codes = dynamo.cancellation_codes(exc)
            if dynamo.error_code(exc) == "ConditionalCheckFailedException" or (codes and codes[0] == "ConditionalCheckFailed"):
                return False
            raise
    return True


def apply_guarded(stored: StoredMessage, operations: list[dict[str, Any]], entry: dict[str, Any]) -> StoredMessage:
    """Run a change guarded by the revision; a lost answer retried by botocore (it met its own guard) is not a
    conflict. Returns the message as it now is."""
    token = dynamo.request_token("change", stored.id, str(stored.rev), entry["event"], entry["at"])
    applied = run_guarded(operations, token)
    current = get_message(stored.id)
    if not applied:
        applied = current is not None and current.rev == stored.rev + 1 and current.history[-1] == entry
        if not applied:
            raise ConcurrentChange("the message changed meanwhile; reload it and try again")
    assert current is not None
    return current


# changes from the platforms ----------------------------------------------------------------------------

def apply_edit(item: Triaged, stored: StoredMessage, now: datetime, version: str | None = None) -> Outcome:
    """New text for a stored message: triage again; an open message follows its new category.

    `version` orders edits (see InboundEvent): one older than the edit applied is ignored.
    """
    m, triage = item.message, item.triage
    if stored.text == m.text or stored.erased:
        return Outcome.UNCHANGED  # a redelivered edit; an erased message never gets a text back (domain.privacy)
    if version is not None and version < (stored.edit_version or ""):
        return Outcome.UNCHANGED  # a replayed older edit (the rev guard below keeps this check atomic)
    status = stored.status
    new_queue = item.queue if status == OPEN else stored.queue
    entry = history_entry("edited", now, f"platform:{m.platform}", queue=new_queue,
                          model_version=triage.model_version, confidence=round(triage.confidence, 4))
    attributes = {"text": m.text, "text_truncated": m.text_truncated, "language": m.language,
                  "triage": triage_document(triage, item.routing), "priority": item.priority.score,
                  "priority_reasons": item.priority.reasons,
                  **({"edit_version": version} if version is not None else {})}
    if stored.lease_expires_at:
        attributes["lease_expires_at"] = stored.lease_expires_at
    if stored.snoozed_until:
        attributes["snoozed_until"] = stored.snoozed_until
    edited = replace(stored, priority=item.priority.score)  # the queue order follows the new priority
    extra: list[dict[str, Any] | None] = []
    if new_queue != stored.queue:
        hour, platform, shard = stored.received_hour, stored.platform, stored.shard
        extra += [counters.volume_update(stored.queue, hour, shard,
                                         counters.volume_increments(platform, -1, stored.needs_review)),
                  counters.volume_update(new_queue, hour, shard,
                                         counters.volume_increments(platform, 1, item.needs_review))]
    operations = transition(edited, status, entry, queue=new_queue, attributes=attributes,
                            needs_review=item.needs_review and status in ACTIVE, extra=extra)
    return Outcome.UPDATED if run_guarded(operations) else Outcome.UNCHANGED


def apply_second_opinion(stored: StoredMessage, triage: Triage, now: datetime) -> Outcome:
    """Replace the message's verdict with the second opinion (domain/second_opinion.py says when it moves the
    queue); volume and accuracy counts move to the new category and model, as if it had triaged the message."""
    first = stored.triage
    if second_opinion.already_given(first) or stored.erased:  # an erased text was scored as ""
        return Outcome.UNCHANGED
    old_category, new_category = first["category"], triage.category
    old_review, new_review = bool(first.get("needs_review")), triage.needs_review
    moves = second_opinion.moves_queue(status=stored.status, corrected=bool(stored.corrections),
                                       is_head=stored.conversation in (None, stored.id), queue=stored.queue,
                                       first_category=old_category)
    queue = new_category if moves else stored.queue
    document = {**triage_document(triage), second_opinion.FIRST_OPINION: {
        k: first[k] for k in ("category", "confidence", "model_version", "needs_review") if k in first}}
    entry = history_entry("second_opinion", now, second_opinion.ACTOR, queue=queue, category=new_category,
                          model_version=triage.model_version, confidence=round(triage.confidence, 4))
    attributes: dict[str, Any] = {"triage": document}
    # the priority's queue bonus follows the category where it is the message's own: a member, or a conversation of
    # one (a longer conversation's priority is its most urgent message's, which this one may not be)
    own = stored.status == IN_CONVERSATION or (stored.message_count or 1) <= 1
    if own and new_category != old_category:
        priority = requeued(Priority(stored.priority, list(stored.priority_reasons)), new_category)
        attributes |= {"priority": priority.score, "priority_reasons": priority.reasons}
        stored = replace(stored, priority=priority.score)  # the queue order follows it
    for kept in ("lease_expires_at", "snoozed_until"):  # same state: the claim or snooze stays as it is
        if getattr(stored, kept):
            attributes[kept] = getattr(stored, kept)
    hour, day, platform, shard = stored.received_hour, day_of(parse_iso(stored.received_at)), stored.platform, stored.shard
    volume = [(old_category, counters.volume_increments(platform, -1, old_review)),
              (new_category, counters.volume_increments(platform, 1, new_review))]
    extra = [counters.volume_update(category, hour, shard, add) for category, add in _merged(volume)]
    extra += [counters.accuracy_update(old_category, day, first["model_version"], shard,
                                       {"classified": -1, "needs_review": -int(old_review)}),
              counters.accuracy_update(new_category, day, triage.model_version, shard,
                                       {"classified": 1, "needs_review": int(new_review)})]
    # a member's or a conversation of one's review flag is this verdict's; a longer conversation's may come from
    # another of its messages, so the second opinion may raise it, not clear it
    flagged = new_review if own else stored.needs_review or new_review
    operations = transition(stored, stored.status, entry, queue=queue, attributes=attributes, needs_review=flagged,
                            extra=extra)
    if not run_guarded(operations):
        raise ConcurrentChange("the message changed meanwhile; score it again")
    return Outcome.UPDATED


def _merged(moves: list[tuple[str, dict[str, int]]]) -> list[tuple[str, dict[str, int]]]:
    """Counter moves per key with what cancels out left out (a category that keeps its message moves nothing)."""
    merged: dict[str, dict[str, int]] = {}
    for key, add in moves:
        into = merged.setdefault(key, {})
        for name, delta in add.items():
            into[name] = into.get(name, 0) + delta
    return [(key, kept) for key, add in merged.items() if (kept := {n: d for n, d in add.items() if d})]


def mark_removed(message_id: str, now: datetime, actor: str, hidden: bool = False) -> Outcome:
    """Deleted or hidden (`hidden`) on the platform: out of every queue, kept for the record and the stats. A hidden
    message says so in its `moderation`, so it can be shown again from here; one deleted after it was hidden can no
    longer be."""
    for _ in range(CHANGE_ROUNDS):
        stored = get_message(message_id)
        if stored is None:
            return Outcome.UNKNOWN
        state = (stored.moderation or {}).get("state")
        if stored.status == REMOVED and (hidden or state != "hidden"):
            return Outcome.UNCHANGED
        try:
            if hidden or stored.status == REMOVED:  # hidden, or a hidden one now deleted
                moderate(stored, "hidden" if hidden else "deleted", actor, None, now)
            else:
                entry = history_entry("removed", now, actor, previous_status=stored.status)
                apply_guarded(stored, transition(stored, REMOVED, entry, attributes={"removed_at": iso(now)}), entry)
            return Outcome.REMOVED
        except ConcurrentChange:  # a colleague's claim, a message joining: do it on the message as it now is
            continue
    raise ConcurrentChange(f"{message_id} kept changing while it was removed")


def mark_shown(message_id: str, now: datetime, actor: str) -> Outcome:
    """Shown again on the platform: a hidden message goes back where it was (see moderate); anything else is as
    it was."""
    for _ in range(CHANGE_ROUNDS):
        stored = get_message(message_id)
        if stored is None:
            return Outcome.UNKNOWN
        if stored.status != REMOVED or (stored.moderation or {}).get("state") != "hidden":
            return Outcome.UNCHANGED
        try:
            moderate(stored, "visible", actor, None, now)
            return Outcome.UPDATED
        except ConcurrentChange:
            continue
    raise ConcurrentChange(f"{message_id} kept changing while it was shown again")


def mark_deleting(message_id: str, now: datetime) -> None:
    """A delete from the inbox is asking the platform (domain.privacy.DELETING_WINDOW). Not a change of the
    message: no revision, no history, no event; taken off again if the platform refuses."""
    _set_deleting(message_id, "SET #d = :at", dynamo.values(at=iso(now)))


def clear_deleting(message_id: str) -> None:
    """The platform refused the delete: the message is as it was."""
    _set_deleting(message_id, "REMOVE #d", None)


def _set_deleting(message_id: str, expression: str, values: dict[str, Any] | None) -> None:
    dynamo.update_if(TableName=dynamo.table_name(), Key=key(MessageKeys.pk(message_id), MessageKeys.SK),
                     UpdateExpression=expression, ConditionExpression="attribute_exists(pk)",
                     ExpressionAttributeNames={"#d": "deleting_at"}, **({"ExpressionAttributeValues": values}
                                                                        if values else {}))


def moderate(stored: StoredMessage, state: str, actor: str, reason: str | None, now: datetime) -> StoredMessage:
    """Record a moderation done on the platform (domain.moderation): `hidden` or `deleted` takes the message out of
    the queues as a removal there does; `visible` (shown again) puts it back where it was: a conversation open in
    its queue (resolved, when it was), a later message in its thread. One guarded transaction with the queue counts
    it moves; ConcurrentChange when the message changed since `stored` was read. A message held back by a block
    (domain.blocks) keeps the block's record under a hide or a delete, and shown again it is held back again."""
    details = {"reason": reason} if reason else {}
    held_back = blocks.held_back_record(stored.moderation)
    if state == "visible" and held_back is not None:  # shown again on the platform, still held back by its block
        entry = history_entry("unhidden", now, actor, **details)
        operations = transition(stored, REMOVED, entry, attributes={"moderation": held_back})
    elif state == "visible":
        from .conversations import pointer  # it reads messages through this module

        previous = (stored.moderation or {}).get("previous_status")
        # its thread moved on: a message that came while it was hidden opened another conversation, still there
        current = pointer(stored.conversation_key) if stored.conversation_key and not stored.is_member else None
        successor = get_message(current) if current not in (None, stored.id) else None
        moved_on = successor is not None and successor.status != REMOVED
        back = moderation_rules.shown_again_as(previous, stored.is_member, moved_on)
        entry = history_entry("unhidden", now, actor, **details)
        # back in its queue: the auto-resolve window runs from now, as after a reopen (workflow.idle_since)
        attributes = {"reopened_at": iso(now)} if back == OPEN else None
        operations = transition(stored, back, entry, attributes=attributes, drop=("removed_at", "moderation"))
    else:
        previous = (stored.moderation or {}).get("previous_status") or stored.status
        record = {"state": state, "by": actor, "at": iso(now), "previous_status": previous, **details,
                  **({"held_back": held_back} if held_back else {})}
        entry = history_entry(state, now, actor, previous_status=stored.status, **details)
        operations = transition(stored, REMOVED, entry, attributes={"removed_at": stored.removed_at or iso(now),
                                                                    "moderation": record},
                                drop=("deleting_at",) if stored.deleting_at else ())
    return apply_guarded(stored, operations, entry)


def bounded_corrections(corrections: list[dict[str, Any]], correction: dict[str, Any]) -> list[dict[str, Any]]:
    return (corrections + [correction])[-CORRECTIONS_LIMIT:]
