"""Storing messages into conversations, and reading a conversation back (rules: domain.conversations).

A customer message that opens a conversation is stored as before (store.messages.save_new: the message item
with its counters and its customer's pointer), plus the conversation key's pointer to it. A customer message that joins a conversation is
one transaction: the member item (conditional on not existing, so a redelivery changes nothing), its volume,
accuracy and author counters (volume stays per message), and the head's update guarded by the head's revision,
with the queue-count shards it moves. When the head changed meanwhile the whole transaction is rebuilt from a
fresh read. The brand's own messages join their conversation without triage or counters.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from datetime import datetime, timedelta
from typing import Any, Iterator, NamedTuple

from botocore.exceptions import ClientError

from ..config import get_settings
from ..errors import StorageUnavailable
from .. import observability
from ..domain import business_hours, surveys
from ..domain import conversations as rules
from ..domain.conversations import IN_CONVERSATION
from ..domain.workflow import CLAIMED, RESOLVED, SNOOZED
from ..models import OUTBOUND, Channel, Message, without_none
from ..platforms.base import owning_route
from . import business_hours as hours_store
from . import counters, dynamo
from .entities import (ANSWER_BYTES, RESOLUTION_ATTRIBUTES, ConversationKeys, MessageKeys, NoteKeys, ReplyKeys,
                       StoredMessage, hour_of, iso, json_size, key, parse_iso, shard_of)
from .messages import (Outcome, Triaged, get_message, history_entry, message_counters, new_message, rating_counters,
                       new_message_transaction, save_new, transition)
from .table import GSI1

JOIN_ATTEMPTS = 8  # re-reads of a head that changed meanwhile (each a fresh transaction)
# A viral thread sends many messages into one conversation at once: each join guarded by the head's revision
# would keep losing to the others. After this many tries a message is stored with its counters first, then
# counted in the conversation by one atomic update (its priority does not move the conversation's).
CONTENDED_AFTER = 2
COUNT_CONFLICT_ATTEMPTS = 25  # the contended count is one small update: worth waiting for
# the head keeps the start of the customer's latest message, so a queue's list can show it (as helpdesks do)
LAST_TEXT_CHARS = 280
# what a reopened conversation no longer has: its resolution and its wake-up time
REOPEN_REMOVES = (*RESOLUTION_ATTRIBUTES, "snoozed_until")


def reopen_window() -> timedelta:
    return timedelta(seconds=get_settings().conversation_reopen_seconds)


def locate(message: Message) -> tuple[str, str | None, bool]:
    """The message's conversation key, the conversation it points to now, and whether the key's pointer exists.

    A reply joins its stored parent's conversation (one read); a parent stored without a key (before
    conversations existed) is its own conversation's head, and the key's pointer is written when joining it."""
    # only a reply's parent can hold its conversation (a top-level comment's parent is the brand's post, a DM's
    # quoted message is in the DM thread anyway): no read for the others
    is_reply = message.parent_id and message.channel == Channel.REPLY
    parent = get_message(message.parent_id, consistent=False) if is_reply else None
    parent_key = None
    if parent is not None:
        parent_key = parent.conversation_key or f"thread#{parent.conversation or parent.id}"
    # a generic source's thread_id groups like a conversation id (a native platform's thread is a whole post)
    thread = message.thread_id if owning_route(message.platform) == "generic" else None
    conversation_key = rules.conversation_key(
        platform=message.platform, channel=message.channel.value, message_id=message.id, account=message.account,
        author_id=message.author.id, conversation_id=message.conversation_id or thread, parent_id=message.parent_id,
        parent_key=parent_key)
    current = pointer(conversation_key)
    if current is None and parent is not None:
        return conversation_key, parent.conversation or parent.id, False
    return conversation_key, current, current is not None


def pointer(conversation_key: str) -> str | None:
    """The conversation a key points to now (its head's id)."""
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), ConsistentRead=True,
                                            Key=key(ConversationKeys.pk(conversation_key), ConversationKeys.SK))
    item = response.get("Item")
    return dynamo.from_item(item)["conversation"] if item else None


def _head_rules(head: StoredMessage) -> rules.Head:
    return rules.Head(status=head.status, queue=head.queue, priority=head.priority, corrected=bool(head.corrections),
                      resolved_at=parse_iso(head.resolved_at) if head.resolved_at else None)


def _pointer_put(conversation_key: str, conversation: str, previous: str | None) -> dict[str, Any]:
    condition = "attribute_not_exists(pk)" if previous is None else "conversation = :previous"
    put = {"TableName": dynamo.table_name(), "ConditionExpression": condition,
           "Item": dynamo.to_item({"pk": ConversationKeys.pk(conversation_key), "sk": ConversationKeys.SK,
                                   "type": "conversation_key", "conversation": conversation})}
    if previous is not None:
        put["ExpressionAttributeValues"] = dynamo.values(previous=previous)
    return {"Put": put}


def save_inbound(item: Triaged, now: datetime) -> Outcome:
    """Store a customer message once, in its conversation: opening one, joining one, or reopening one. A blocked
    author's message joins nothing and reopens nothing: it is stored alone, held back (domain.blocks)."""
    message = item.message
    if item.held_back is not None:
        return save_new(item)
    for attempt in range(JOIN_ATTEMPTS):
        conversation_key, current, pointed = locate(message)
        head = get_message(current) if current else None
        if head is not None and head.id == message.id:
            return Outcome.DUPLICATE  # a redelivery of the message that opened the conversation
        previous = current if pointed else None
        opens = head is None or rules.starts_new_conversation(_head_rules(head), now, reopen_window())
        score = None if opens else surveys.rating_awaited(head.satisfaction, head.status, head.author.get("id"),
                                                          message.author.id, message.text, now)
        if score is not None:  # the customer's answer to the satisfaction survey: recorded, nothing reopened
            operations = lambda shard_try, head=head, key=conversation_key, pointed=pointed, score=score: [
                *_rating_transaction(item, head, key, score, now, shard_try),
                *([] if pointed else [_pointer_put(key, head.id, None)])]
            outcome = _run(operations, message, attempt, joining=True)
            if outcome is not None:
                return outcome
            continue
        if opens:
            operations = lambda shard_try, previous=previous, key=conversation_key: [  # noqa: E731 - rebuilt per try
                *new_message_transaction(item, shard_try, conversation_key=key),
                _pointer_put(key, message.id, previous)]
        elif attempt < CONTENDED_AFTER:
            # the customer's answer to the follow-up question after a low rating: kept with the rating (it reopens
            # the conversation all the same)
            comments = surveys.comment_awaited(head.satisfaction, head.author.get("id"), message.author.id, now)
            operations = lambda shard_try, head=head, key=conversation_key, pointed=pointed, comments=comments: [
                *_join_transaction(item, head, key, now, shard_try, comments),
                *([] if pointed else [_pointer_put(key, head.id, None)])]
            outcome = _run(operations, message, attempt, joining=True)
            if outcome is not None:
                return outcome
            continue
        else:
            operations = lambda shard_try, head=head, key=conversation_key, pointed=pointed: [
                *_contended_member_transaction(item, head, key, shard_try),
                *([] if pointed else [_pointer_put(key, head.id, None)])]
            outcome = _run(operations, message, attempt)
            if outcome == Outcome.STORED:
                try:
                    _count_in_head(item, head, now)
                except StorageUnavailable:
                    # the message is stored and counted everywhere else: a 503 would only bring a redelivery
                    # that finds it stored (its conversation's message_count stays one short)
                    observability.warning("conversation count not updated", conversation=head.id,
                                          message_id=message.id)
            if outcome is not None:
                return outcome
            continue
        outcome = _run(operations, message, attempt)
        if outcome is not None:
            return outcome
    raise dynamo.unavailable(RuntimeError("the conversation kept changing; the platform will redeliver"))


def _run(build, message: Message, attempt: int, *, joining: bool = False) -> Outcome | None:
    """STORED, DUPLICATE (the message exists), or None when the head or pointer moved, or when a join met
    another transaction on the head (read again; the next tries take the contended path)."""
    # a redelivery has its own received_at, hence its own token (it then meets the message's condition)
    token = dynamo.request_token("conversation", message.id, iso(message.received_at), str(attempt))
    with dynamo.storage_errors():
        try:
            if joining:
                dynamo.client().transact_write_items(TransactItems=build(0), ClientRequestToken=token)
            else:
                dynamo.transact_rebuilt(build, token)
        except ClientError as exc:
            codes = dynamo.cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return Outcome.DUPLICATE
            if "ConditionalCheckFailed" in codes or (joining and dynamo.is_conflict(exc)):
                if joining:
                    dynamo.conflict_pause(attempt)
                return None
            raise
    return Outcome.STORED


def _member(item: Triaged, head: StoredMessage, conversation_key: str) -> StoredMessage:
    stored = new_message(item)
    return replace(stored, status=IN_CONVERSATION, queue=head.queue, conversation=head.id,
                   conversation_key=conversation_key, message_count=None, last_inbound_at=None,
                   replies_by_time=None, tags=None)  # tags are the conversation's: a rule's go on the head it opens


def _join_transaction(item: Triaged, head: StoredMessage, conversation_key: str, now: datetime,
                      shard_try: int, comments: bool = False) -> list[dict[str, Any]]:
    """`comments`: the message is the comment on the conversation's rating (domain.surveys)."""
    m = item.message
    member = _member(item, head, conversation_key)
    joined = rules.join(_head_rules(head), item.queue, item.priority.score)
    received = iso(m.received_at)
    entry = history_entry("reopened" if joined.reopened else "message_added", now, f"platform:{m.platform}",
                          message_id=m.id, category=item.queue)
    attributes: dict[str, Any] = {"message_count": (head.message_count or 1) + 1, "last_inbound_at": received,
                                  "last_inbound_text": m.text[:LAST_TEXT_CHARS], "priority": joined.priority}
    if joined.takes_message_priority:
        attributes["priority_reasons"] = item.priority.reasons
    if comments:
        attributes["satisfaction"] = surveys.with_comment(head.satisfaction or {}, m.id, received)
    if joined.status == CLAIMED:
        attributes["lease_expires_at"] = head.lease_expires_at
    needs_review = (head.needs_review and not joined.reopened) or item.needs_review
    # the head's index keys follow its new priority and waiting time
    changed = replace(head, priority=joined.priority, last_inbound_at=received)
    extra = message_counters(item, shard_of(m.id, shard_try))
    if joined.reopened and head.status == RESOLVED:
        attributes["reopened_at"] = iso(now)
    operations = transition(changed, joined.status, entry, queue=joined.queue, attributes=attributes,
                            needs_review=needs_review, extra=extra)
    if joined.reopened:  # it leaves the resolved (or snoozed) state: its resolution and wake-up go
        operations[0] = _also_remove(operations[0], REOPEN_REMOVES)
    put = {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(member.to_item()),
                   "ConditionExpression": "attribute_not_exists(pk)"}}
    return [put, *operations]


def _rating_transaction(item: Triaged, head: StoredMessage, conversation_key: str, score: int, now: datetime,
                        shard_try: int) -> list[dict[str, Any]]:
    """A rating (domain.surveys) joins its resolved conversation without reopening it: the member and its counters,
    the head's `satisfaction` with the score, and the rating's counts for its queue and for whoever resolved it."""
    m = item.message
    received = iso(m.received_at)
    satisfaction = {**(head.satisfaction or {}), "score": score, "rated_at": received, "message_id": m.id}
    entry = history_entry("rated", now, f"platform:{m.platform}", message_id=m.id, score=score)
    attributes = {"message_count": (head.message_count or 1) + 1, "last_inbound_at": received,
                  "last_inbound_text": m.text[:LAST_TEXT_CHARS], "satisfaction": satisfaction}
    # the rating's counts on a shard of their own: the message's volume update may be on the same queue-hour
    rating_shard = shard_of(m.id, shard_try + 1)
    counted = counters.per_platform(surveys.rating_counts(score), head.platform)
    extra = [*rating_counters(item, head.queue, shard_of(m.id, shard_try)),
             counters.volume_update(head.queue, hour_of(m.received_at), rating_shard, counted),
             *counters.person_update(head.resolved_by or "", m.received_at, rating_shard, surveys.rating_counts(score))]
    operations = transition(replace(head, last_inbound_at=received), head.status, entry, attributes=attributes,
                            extra=extra)
    rating = replace(_member(item, head, conversation_key), needs_review=False)  # nothing to review in a "5"
    put = {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(rating.to_item()),
                   "ConditionExpression": "attribute_not_exists(pk)"}}
    return [put, *operations]


def _contended_member_transaction(item: Triaged, head: StoredMessage, conversation_key: str,
                                 shard_try: int) -> list[dict[str, Any]]:
    """The member with its counters, without the head (which the others keep changing): exactly once all the same."""
    return [
        {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(_member(item, head, conversation_key).to_item()),
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        *message_counters(item, shard_of(item.message.id, shard_try)),
    ]


def _count_in_head(item: Triaged, head: StoredMessage, now: datetime) -> None:
    """After a contended join: the head's count and waiting time by one atomic update (a single write waits out
    transactions instead of losing to them). A conversation resolved or snoozed meanwhile is reopened by a
    guarded join of the message, as an uncontended one would have been; one removed meanwhile (hidden or deleted on
    the platform) stays out of the queues, the message with it (showing it again brings both back)."""
    with dynamo.storage_errors():
        answer = dynamo.write(dynamo.client().update_item, conflict_attempts=COUNT_CONFLICT_ATTEMPTS,
                              TableName=dynamo.table_name(), Key=head.key,
                              # the revision moves too: a guarded change read before this one must read again
                              UpdateExpression="SET message_count = if_not_exists(message_count, :one) + :one, "
                                               "last_inbound_at = :at, last_inbound_text = :text, rev = rev + :one",
                              ExpressionAttributeValues=dynamo.values(one=1, at=iso(item.message.received_at),
                                                                      text=item.message.text[:LAST_TEXT_CHARS]),
                              ReturnValues="ALL_NEW")
    current = StoredMessage.from_item(dynamo.from_item(answer["Attributes"]))
    for _ in range(JOIN_ATTEMPTS):
        if current.status not in (RESOLVED, SNOOZED):  # open or claimed: counted; removed: not brought back
            return
        joined = rules.join(_head_rules(current), item.queue, item.priority.score)
        entry = history_entry("reopened", now, f"platform:{item.message.platform}", message_id=item.message.id,
                              category=item.queue)
        attributes = {"priority": joined.priority, "priority_reasons": item.priority.reasons}
        changed = replace(current, priority=joined.priority)
        operations = transition(changed, joined.status, entry, queue=joined.queue, attributes=attributes,
                                needs_review=item.needs_review)
        operations[0] = _also_remove(operations[0], REOPEN_REMOVES)
        with dynamo.storage_errors():
            try:
                dynamo.transact(operations)
                return
            except ClientError as exc:
                if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
                    raise
        current = get_message(head.id)
        if current is None:
            return


def _also_remove(update: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    spec = dict(update["Update"])
    expression = spec["UpdateExpression"]
    attribute_names = dict(spec["ExpressionAttributeNames"])
    already = {attribute_names[n] for n in attribute_names if n.startswith("#r")}
    extra = [n for n in names if n not in already]
    if not extra:
        return update
    placeholders = []
    for i, name in enumerate(extra):
        attribute_names[f"#x{i}"] = name
        placeholders.append(f"#x{i}")
    expression += (", " if " REMOVE " in expression else " REMOVE ") + ", ".join(placeholders)
    spec |= {"UpdateExpression": expression, "ExpressionAttributeNames": attribute_names}
    return {"Update": spec}


def save_outbound(message: Message, now: datetime) -> Outcome:
    """The brand's own message (an echo, a Page reply, an outgoing DM): stored in its conversation, not triaged.

    It counts as the conversation's reply (first-reply time) when the brand answered on the platform itself.
    With no conversation to join (the brand wrote first), nothing is stored: UNKNOWN."""
    conversation_key, current, _ = locate(message)
    head = get_message(current) if current else None
    if head is None or head.is_member:
        return Outcome.UNKNOWN
    if head.id == message.id:  # the platform reused the id of the message that opened it: stored already
        return Outcome.DUPLICATE
    member = StoredMessage(
        id=message.id, platform=message.platform, channel=message.channel.value, author=without_none(message.author),
        text=message.text, text_truncated=message.text_truncated or None, language=message.language,
        created_at=iso(message.created_at), received_at=iso(message.received_at),
        received_hour=hour_of(message.received_at), triage={}, queue=head.queue, status=IN_CONVERSATION,
        needs_review=False, priority=0, priority_reasons=[], rev=1, parent_id=message.parent_id,
        thread_id=message.thread_id, conversation_id=message.conversation_id, account=message.account,
        direction=OUTBOUND, conversation=head.id, conversation_key=conversation_key,
        history=[history_entry("received", message.received_at, f"platform:{message.platform}")])
    operations = [{"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(member.to_item()),
                           "ConditionExpression": "attribute_not_exists(pk)"}},
                  *replied_operations(head, message.received_at, message.platform)]
    token = dynamo.request_token("outbound", message.id, iso(message.received_at))
    with dynamo.storage_errors():
        try:
            dynamo.transact(operations, token)
        except ClientError as exc:
            codes = dynamo.cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return Outcome.DUPLICATE
            if "ConditionalCheckFailed" in codes:  # someone else answered first: store it without the first reply
                dynamo.transact(operations[:1] + replied_operations(head, message.received_at, message.platform,
                                                                    first=False), token[:30] + "-again")
                return Outcome.STORED
            raise
    return Outcome.STORED


def replied_operations(head: StoredMessage, at: datetime, platform: str, first: bool | None = None,
                       stored_message: bool = True) -> list[dict[str, Any]]:
    """The conversation answered at `at`: its reply times, and its message count when the answer is stored as a
    message (the brand's own message; a reply sent from here is a reply item); the first answer also adds its
    time to the queue-hour's first-reply histogram (and to the late count past the queue's SLA), exactly once:
    the update is conditional on no first reply yet."""
    first = head.first_reply_at is None if first is None else first
    names = {"#last": "last_reply_at"}
    values = dynamo.values(at=iso(at))
    expression = "SET #last = :at"
    if stored_message:
        names["#count"] = "message_count"
        values |= dynamo.values(one=1)
        expression += ", #count = if_not_exists(#count, :one) + :one"
    update: dict[str, Any] = {"TableName": dynamo.table_name(), "Key": head.key, "ExpressionAttributeNames": names,
                              "ConditionExpression": "attribute_exists(pk)"}
    operations: list[dict[str, Any]] = []
    if first:
        names["#first"] = "first_reply_at"
        expression += ", #first = :at"
        update["ConditionExpression"] = "attribute_not_exists(#first)"
        settings = get_settings()
        received = parse_iso(head.received_at)
        late = business_hours.counted(hours_store.schedule(), received, at) > timedelta(
            seconds=settings.sla_seconds(head.queue))
        increments = counters.first_reply_increments(at - received, late)
        operations.append(counters.volume_update(head.queue, head.received_hour, head.shard,
                                                 counters.per_platform(increments, head.platform)))
    update |= {"UpdateExpression": expression, "ExpressionAttributeValues": values}
    return [{"Update": update}, *operations]


# reading ------------------------------------------------------------------------------------------------

class ConversationItems(NamedTuple):
    head: StoredMessage
    replies: list[dict[str, Any]]  # oldest first: all of them, or the latest `latest_replies` where kept by time
    notes: list[dict[str, Any]]  # oldest first
    reply_count: int  # all its replies


def get_conversation(conversation: str, latest_replies: int | None = None) -> ConversationItems | None:
    """A conversation's head, its latest replies and its internal notes: one Query for the head, its notes (at
    most domain.notes.MAX_NOTES) and its reply count, one for the latest replies when it has any. A conversation
    opened before replies were kept by time (ReplyKeys) gives all of its replies."""
    head, notes, reply_count = None, [], 0
    pk = MessageKeys.pk(conversation)
    with dynamo.storage_errors():
        for item in dynamo.query_pages(KeyConditionExpression="pk = :pk AND sk < :replies", ConsistentRead=True,
                                       ExpressionAttributeValues=dynamo.values(pk=pk, replies=ReplyKeys.BEFORE_REPLIES)):
            if item["sk"] == MessageKeys.SK:
                head = StoredMessage.from_item(item)
            elif item["sk"].startswith(ReplyKeys.COUNT_PREFIX):
                reply_count += int(item.get("replies", 0))
            elif item["sk"].startswith(NoteKeys.PREFIX):
                notes.append(item)
        if head is None or head.is_member:
            return None
        if not head.replies_by_time:
            replies = list(dynamo.query_pages(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)", ConsistentRead=True,
                ExpressionAttributeValues=dynamo.values(pk=pk, prefix=ReplyKeys.PREFIX)))
            reply_count = len(replies)
        elif reply_count:
            replies = latest_timed_replies(conversation, latest_replies)
        else:
            replies = []
    by_time = lambda item: item.get("created_at", "")  # noqa: E731
    return ConversationItems(head, sorted(replies, key=by_time), sorted(notes, key=by_time), reply_count)


def timed_replies(conversation: str, before: str | None = None, page: int | None = None) -> Iterator[dict[str, Any]]:
    """Replies of a conversation that keeps them by time, newest first, read lazily `page` at a time: those whose
    sort key is below `before` (None: all)."""
    condition = "pk = :pk AND begins_with(sk, :first)" if before is None else "pk = :pk AND sk BETWEEN :first AND :before"
    values = dynamo.values(pk=MessageKeys.pk(conversation), first=ReplyKeys.TIMED_PREFIX,
                           **({} if before is None else {"before": before}))
    with dynamo.storage_errors():
        for item in dynamo.query_pages(KeyConditionExpression=condition, ExpressionAttributeValues=values,
                                       ScanIndexForward=False, ConsistentRead=True, **({"Limit": page} if page else {})):
            if item["sk"] != before:  # BETWEEN includes it
                yield item


def latest_timed_replies(conversation: str, limit: int | None = None, before: str | None = None) -> list[dict[str, Any]]:
    """The latest `limit` (None: all) replies below the sort key `before`, newest first (see timed_replies)."""
    return list(islice(timed_replies(conversation, before, limit), limit))


def reply_order(reply: dict[str, Any]) -> str:
    """Where a reply sits among its conversation's, by time (the sort key it has, or would have, kept by time)."""
    return ReplyKeys.timed_sk(reply.get("created_at", ""), reply.get("id", ""))


def replies_before(head: StoredMessage, before: str, limit: int) -> list[dict[str, Any]]:
    """At most `limit` of the conversation's replies that sit before `before` (a reply_order), the latest of them,
    newest first."""
    if head.replies_by_time:
        return latest_timed_replies(head.id, limit, before)
    found = get_conversation(head.id)
    older = [reply for reply in (found.replies if found else []) if reply_order(reply) < before]
    return sorted(older, key=reply_order, reverse=True)[:limit]


# What one read of a conversation holds: its latest later messages, newest first, until either bound (a viral
# thread has thousands; texts are counted as JSON writes them, see entities.ANSWER_BYTES).
PAGE_MESSAGES = 100
PAGE_TEXT_BYTES = ANSWER_BYTES
_CURSOR_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def members_page(conversation: str, before: str | None = None) -> tuple[list[StoredMessage], str | None]:
    """The latest later messages before the cursor `before` (from an earlier page; None: the latest of all),
    oldest first, and the cursor of the messages before them (None when none are left)."""
    from .queue import decode_cursor, encode_cursor  # the listings' opaque cursor, bound to this partition

    partition = MessageKeys.conversation_partition(conversation)
    kwargs: dict[str, Any] = {"TableName": dynamo.table_name(), "IndexName": GSI1, "ScanIndexForward": False,
                              "KeyConditionExpression": "gsi1pk = :p", "Limit": PAGE_MESSAGES + 1,
                              "ExpressionAttributeValues": dynamo.values(p=partition)}
    if before is not None:
        kwargs["ExclusiveStartKey"] = decode_cursor(before, partition)
    page: list[tuple[StoredMessage, dict[str, Any]]] = []
    text_bytes = 0
    with dynamo.storage_errors():
        while True:
            answer = dynamo.client().query(**kwargs)
            for raw in answer.get("Items", []):
                message = StoredMessage.from_item(dynamo.from_item(raw))
                size = json_size(message.text)
                if len(page) == PAGE_MESSAGES or (page and text_bytes + size > PAGE_TEXT_BYTES):
                    oldest = page[-1][1]
                    return [m for m, _ in reversed(page)], encode_cursor({k: oldest[k] for k in _CURSOR_KEYS})
                page.append((message, raw))
                text_bytes += size
            if "LastEvaluatedKey" not in answer:
                return [m for m, _ in reversed(page)], None
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
