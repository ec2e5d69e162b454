"""Erasing personal data (rules: domain.privacy): one message, or everything one customer wrote.

A message is erased by one guarded update of its item (text, author's name, the model's quoted terms, its
conversation's preview, its author-index keys) with the re-route records that copied its text, in one
transaction. A customer is erased message by message through GSI3 (their messages, any conversation) and then
through their conversation pointers (conversations opened before GSI3 existed; each pointer is then marked erased,
and kept: the platform's ids are in keys everywhere, domain.privacy); in each conversation they opened,
the brand's replies and messages to them and the team's notes lose their text too. Every step is idempotent and
skips what is already erased, so a request cut short by its time budget is simply sent again.

Retention (the sweep, with RETENTION_DAYS): a whole conversation closed before the cutoff, found in GSI2
`CLOSED#<queue>`, its head erased as for its customer and every member whoever wrote it (erase_conversation).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from ..domain import privacy, workflow
from ..domain.errors import ConcurrentChange
from ..domain.workflow import RESOLVED
from ..models import OUTBOUND
from . import dynamo
from .conversations import LAST_TEXT_CHARS
from .entities import (AuthorActivityKeys, AuthorBlockKeys, Correction, CustomerConversationKeys, MessageKeys,
                       StoredMessage, iso, key)
from .messages import (CHANGE_ROUNDS, Outcome, apply_guarded, get_message, history_entry, message_update, run_guarded,
                       transition)
from .table import GSI1, GSI2, GSI3

PAGE = 25  # keys read at a time; each is a read and a write or two


@dataclass
class ErasureProgress:
    messages_erased: int = 0
    conversations_erased: int = 0
    done: bool = False


def erase_message(message_id: str, now: datetime, actor: str, reason: str, *, whole_conversation: bool = False,
                  note: str | None = None, stored: StoredMessage | None = None) -> Outcome:
    """Erase one stored message (UPDATED), or nothing: already erased (UNCHANGED), never stored (UNKNOWN).

    `whole_conversation`: the message opened a conversation whose customer is being erased, so the brand's replies
    and messages in it and the team's notes lose their text too, with the head's resolution note. `note`: the
    request it answers, kept in its history. `stored`: the message as the caller just read it (then not read again
    unless it changed meanwhile)."""
    for round_ in range(CHANGE_ROUNDS):
        if round_ or stored is None:
            stored = get_message(message_id)
        if stored is None:
            return Outcome.UNKNOWN
        try:
            if whole_conversation:
                _, erased_now = _erase_whole(stored, now, actor, reason, note)
                return Outcome.UPDATED if erased_now else Outcome.UNCHANGED
            if stored.erased:
                return Outcome.UNCHANGED
            _erase_item(stored, now, actor, reason, False, note)
        except ConcurrentChange:  # a claim, a join, a re-route meanwhile: erase the message as it now is
            continue
        if stored.is_member:
            _drop_preview(stored)
        return Outcome.UPDATED
    raise ConcurrentChange(f"{message_id} kept changing while it was erased")


def _erase_whole(head: StoredMessage, now: datetime, actor: str, reason: str,
                 note: str | None) -> tuple[StoredMessage, bool]:
    """One try at a conversation's head with what the brand and the team wrote in it; the head as it now is, and
    whether it was erased now (False: erased before, alone when its author deleted it, or by a try that stopped
    early: what is left of the team's words goes). ConcurrentChange when the head changed since it was read."""
    if head.erased:
        head, erased_now = _erase_team_words(head, now, actor, reason, note), False
    else:
        head, erased_now = _erase_item(head, now, actor, reason, True, note), True
    _erase_around(head, now, actor, reason)
    return head, erased_now


def _erase_item(stored: StoredMessage, now: datetime, actor: str, reason: str, whole_conversation: bool,
                note: str | None) -> StoredMessage:
    entry = history_entry("erased", now, actor, reason=reason, **({"note": note} if note else {}))
    attributes = {"text": privacy.ERASED_TEXT, "author": privacy.erased_author(stored.author),
                  "triage": privacy.erased_triage(stored.triage),
                  "erased": privacy.erasure_record(iso(now), actor, reason)}
    remove = ("text_truncated", "gsi3pk", "gsi3sk", "last_inbound_text")
    if whole_conversation:  # and what the team wrote about them
        return apply_guarded(stored, _without_team_words(stored, entry, attributes, remove), entry)
    # a re-route kept the text for retraining: it goes with the message
    corrections = [_erase_text(Correction.PK, f"{c['at']}#{stored.id}") for c in stored.corrections if c.get("at")]
    return apply_guarded(stored, [message_update(stored, attributes, entry, remove), *corrections], entry)


def _erase_team_words(stored: StoredMessage, now: datetime, actor: str, reason: str, note: str | None) -> StoredMessage:
    """What the team wrote about the customer on a head erased earlier without it (its author deleted it). Nothing
    to do: the head as it is."""
    if not privacy.has_team_words(stored.history, stored.corrections, stored.resolution_note):
        return stored
    entry = history_entry("erased", now, actor, reason=reason, **({"note": note} if note else {}))
    return apply_guarded(stored, _without_team_words(stored, entry), entry)


def _without_team_words(stored: StoredMessage, entry: dict[str, Any], attributes: dict[str, Any] | None = None,
                        remove: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The head's update (with `attributes` and `remove`) that also drops the resolution note and the reasons people
    gave in its history and re-routes, and its re-route records' updates (their text and reason)."""
    attributes = {**(attributes or {}), "history": privacy.without_team_words(stored.history),
                  "corrections": privacy.without_reasons(stored.corrections)}
    update = message_update(stored, attributes, entry, (*remove, "resolution_note"))
    corrections = [_erase_text(Correction.PK, f"{c['at']}#{stored.id}", drop=("reason",))
                   for c in stored.corrections if c.get("at")]
    return [update, *corrections]


def _erase_text(pk: str, sk: str, erased: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """An update that empties an item's text (and marks it erased, and removes `drop`), if the item is there."""
    names = {"#text": "text", **{f"#d{i}": name for i, name in enumerate(drop)}}
    values = dynamo.values(empty=privacy.ERASED_TEXT)
    expression = "SET #text = :empty"
    if erased is not None:
        names["#erased"] = "erased"
        values |= dynamo.values(erased=erased)
        expression += ", #erased = :erased"
    if drop:
        expression += " REMOVE " + ", ".join(f"#d{i}" for i in range(len(drop)))
    return {"Update": {"TableName": dynamo.table_name(), "Key": key(pk, sk), "UpdateExpression": expression,
                       "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeNames": names,
                       "ExpressionAttributeValues": values}}


def _mark_erased(pk: str, sk: str) -> dict[str, Any]:
    """A customer's pointer to a conversation erased with them (so a request sent again passes it over)."""
    return {"Update": {"TableName": dynamo.table_name(), "Key": key(pk, sk), "UpdateExpression": "SET erased = :yes",
                       "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": dynamo.values(yes=True)}}


def _write_each(operations: list[dict[str, Any]]) -> None:
    """Each update on its own (items that are not there, a correction never written, are passed over)."""
    for operation in operations:
        dynamo.update_if(**operation["Update"])


def _drop_preview(member: StoredMessage) -> None:
    """The conversation's head shows the latest customer words: not when they were this message's."""
    head = key(MessageKeys.pk(member.conversation or member.id), MessageKeys.SK)
    _write_each([{"Update": {"TableName": dynamo.table_name(), "Key": head, "UpdateExpression": "REMOVE #preview",
                             "ConditionExpression": "#preview = :text",
                             "ExpressionAttributeNames": {"#preview": "last_inbound_text"},
                             "ExpressionAttributeValues": dynamo.values(text=member.text[:LAST_TEXT_CHARS])}}])


def _erase_around(head: StoredMessage, now: datetime, actor: str, reason: str) -> None:
    """What the brand and the team wrote in a conversation the erased customer opened: its replies and notes (in
    the head's partition), and the brand's own messages in its thread."""
    record = privacy.erasure_record(iso(now), actor, reason)
    # every item of its partition with a text but the head itself: the replies (RT#, or REPLY# in an older
    # conversation) and the notes
    _write_each([_erase_text(item["pk"], item["sk"], record, drop=REPLY_WORDS)
                 for item in _partition(MessageKeys.pk(head.id))
                 if item["sk"] != MessageKeys.SK and "text" in item and not item.get("erased")])
    for member_id in _brand_messages(head.id):
        erase_message(member_id, now, actor, reason)


# what a reply holds of its words besides its text: a WhatsApp template's parameters (a name, an order number)
REPLY_WORDS = ("template",)


def _erase_replies_to(member: StoredMessage, record: dict[str, Any]) -> None:
    """The brand's replies to the customer's message in a conversation someone else opened (they greet them by
    name): the rest of that conversation is the other people's."""
    partition = MessageKeys.pk(member.conversation_id_or_own)
    with dynamo.storage_errors():
        replies = list(dynamo.query_pages(
            KeyConditionExpression="pk = :p", FilterExpression="#to = :m AND attribute_not_exists(erased)",
            ProjectionExpression="pk, sk, #text", ExpressionAttributeNames={"#text": "text", "#to": "reply_to"},
            ExpressionAttributeValues=dynamo.values(p=partition, m=member.id)))
    _write_each([_erase_text(r["pk"], r["sk"], record, drop=REPLY_WORDS) for r in replies if "text" in r])


def _partition(pk: str) -> Iterator[dict[str, Any]]:
    with dynamo.storage_errors():
        yield from dynamo.query_pages(KeyConditionExpression="pk = :p",
                                      ProjectionExpression="pk, sk, #text, erased, conversation",
                                      ExpressionAttributeNames={"#text": "text"},
                                      ExpressionAttributeValues=dynamo.values(p=pk))


def _brand_messages(conversation: str) -> list[str]:
    """The brand's own messages in a conversation (its members sent by the brand, not yet erased)."""
    with dynamo.storage_errors():
        return [item["id"] for item in dynamo.query_pages(
            IndexName=GSI1, KeyConditionExpression="gsi1pk = :p",
            FilterExpression="#direction = :out AND attribute_not_exists(erased)", ProjectionExpression="#id",
            ExpressionAttributeNames={"#direction": "direction", "#id": "id"},
            ExpressionAttributeValues=dynamo.values(p=MessageKeys.conversation_partition(conversation), out=OUTBOUND))]


def erase_customer(platform: str, author_id: str, now: datetime, actor: str, note: str | None,
                   deadline: float) -> ErasureProgress:
    """Erase what one customer wrote, until `deadline` (time.monotonic()); `done` once nothing of theirs is left:
    their messages (GSI3), then the conversations they opened (their pointers, each then marked erased)."""
    progress = ErasureProgress()
    for message_id in _authored(platform, author_id):
        if time.monotonic() >= deadline:
            return progress
        _erase_one(message_id, now, actor, note, progress)
    pointers = CustomerConversationKeys.pk(platform, author_id)
    for item in _partition(pointers):
        if not item["sk"].startswith(CustomerConversationKeys.PREFIX) or item.get("erased") or not item.get("conversation"):
            continue
        if time.monotonic() >= deadline:
            return progress
        _erase_one(item["conversation"], now, actor, note, progress)  # opened before GSI3: its head has no author keys
        _write_each([_mark_erased(pointers, item["sk"])])
    _forget_blocked_name(platform, author_id)
    progress.done = True
    return progress


def _forget_blocked_name(platform: str, author_id: str) -> None:
    """A block of the customer keeps holding (a harasser who asks to be forgotten stays blocked), by their id only."""
    dynamo.update_if(TableName=dynamo.table_name(), Key=key(AuthorActivityKeys.pk(platform, author_id), AuthorBlockKeys.SK),
                     UpdateExpression="REMOVE #n, #h", ConditionExpression="attribute_exists(#n) OR attribute_exists(#h)",
                     ExpressionAttributeNames={"#n": "name", "#h": "handle"})


def _erase_one(message_id: str, now: datetime, actor: str, note: str | None, progress: ErasureProgress) -> None:
    stored = get_message(message_id)
    if stored is None:
        return
    opened = not stored.is_member
    if not opened:  # first: once the message is erased, it leaves the index a request sent again reads
        _erase_replies_to(stored, privacy.erasure_record(iso(now), actor, privacy.CUSTOMER_REQUEST))
    outcome = erase_message(message_id, now, actor, privacy.CUSTOMER_REQUEST, whole_conversation=opened, note=note,
                            stored=stored)
    if opened:
        _close(message_id, now, actor)
    if outcome == Outcome.UPDATED:
        progress.messages_erased += 1
        progress.conversations_erased += int(opened)


def _close(conversation: str, now: datetime, actor: str) -> None:
    """An erased customer's conversation still in a queue (open, claimed, snoozed) leaves it: resolved, reason
    `erased`, counted in no response time (nobody answered it), announced as any resolve (message.resolved) so that
    a helpdesk closes its ticket too. Guarded by the revision: a change meanwhile is read again."""
    for _ in range(CHANGE_ROUNDS):
        head = get_message(conversation)
        if head is None or head.is_member or head.status not in workflow.ACTIVE:
            return
        entry = history_entry("resolved", now, actor, reason=workflow.ERASED_REASON)
        attributes = {"resolved_at": iso(now), "resolved_by": actor, "resolution_reason": workflow.ERASED_REASON}
        if run_guarded(transition(head, RESOLVED, entry, attributes=attributes)):
            return
    raise ConcurrentChange(f"{conversation} kept changing while it was closed after its erasure")


def _authored(platform: str, author_id: str) -> Iterator[str]:
    """The ids of the customer's messages not yet erased, oldest first (an erased one leaves the index)."""
    with dynamo.storage_errors():
        for item in dynamo.query_pages(IndexName=GSI3, Limit=PAGE,
                                       KeyConditionExpression="gsi3pk = :p",
                                       ExpressionAttributeValues=dynamo.values(
                                           p=MessageKeys.author_partition(platform, author_id))):
            yield item["pk"].removeprefix("MSG#")


# retention (domain.privacy): whole conversations closed longer ago than RETENTION_DAYS --------------------------

RETENTION_BATCH = 25  # conversations a page of the retention sweep reads: each is a few reads and writes per message
RETENTION_ROUNDS = 20  # pages per queue per sweep at most (the run's time bounds it first on a busy table)


def closed_before(queue: str, cutoff: str, limit: int = RETENTION_BATCH) -> list[str]:
    """Up to `limit` conversations of a queue closed (resolved or removed) before `cutoff`, the longest closed
    first: the head's sparse GSI2 keys `CLOSED#<queue>` / `<closed at>#<id>` (MessageKeys.indexes)."""
    with dynamo.storage_errors():
        page = dynamo.client().query(
            TableName=dynamo.table_name(), IndexName=GSI2, Limit=limit, ProjectionExpression="#id",
            KeyConditionExpression="gsi2pk = :p AND gsi2sk < :before", ExpressionAttributeNames={"#id": "id"},
            ExpressionAttributeValues=dynamo.values(p=MessageKeys.closed_partition(queue), before=cutoff))
    return [dynamo.from_item(item)["id"] for item in page.get("Items", [])]


def erase_conversation(conversation_id: str, now: datetime, actor: str, reason: str, *,
                       closed_before: str | None = None, deadline: float = float("inf")) -> Outcome:
    """Erase a whole conversation: its head with what the brand and the team wrote in it (as erase_message's
    `whole_conversation`), and every member message, whoever wrote it (a public thread ages out as a whole); then
    take the head out of `CLOSED#`, so the sweep does not read it again. UPDATED when anything was erased,
    UNCHANGED when nothing was left to, UNKNOWN when there is no such conversation.

    `closed_before`: only if it is still closed (resolved or removed) and closed before then (the sweep's cutoff),
    checked on the head as read and kept by the revision guard of its erasure: one reopened meanwhile is left as it
    is. `deadline` (time.monotonic()): a long thread stops there, still in `CLOSED#`, and the next call goes on
    (everything already erased is passed over)."""
    for _ in range(CHANGE_ROUNDS):
        head = get_message(conversation_id)
        if head is None or head.is_member:
            return Outcome.UNKNOWN
        if closed_before is not None and not _closed_before(head, closed_before):
            return Outcome.UNCHANGED  # reopened, or closed again later: its index keys say when it is due
        try:
            head, erased = _erase_whole(head, now, actor, reason, None)
        except ConcurrentChange:  # a tag, a join, a reopen meanwhile: look at it again
            continue
        for member_id in _unerased_members(head.id):
            if time.monotonic() >= deadline:
                return Outcome.UPDATED if erased else Outcome.UNCHANGED
            erased |= erase_message(member_id, now, actor, reason) == Outcome.UPDATED
        _leave_closed(head)
        return Outcome.UPDATED if erased else Outcome.UNCHANGED
    raise ConcurrentChange(f"{conversation_id} kept changing while it was erased")


def _closed_before(head: StoredMessage, cutoff: str) -> bool:
    closed_at = head.closed_at(head.status)
    return closed_at is not None and closed_at < cutoff


def _unerased_members(conversation: str) -> Iterator[str]:
    """The ids of a conversation's members (GSI1 `CONV#<id>`, both directions) not yet erased."""
    with dynamo.storage_errors():
        for item in dynamo.query_pages(
                IndexName=GSI1, KeyConditionExpression="gsi1pk = :p", Limit=PAGE,
                FilterExpression="attribute_not_exists(erased)", ProjectionExpression="#id",
                ExpressionAttributeNames={"#id": "id"},
                ExpressionAttributeValues=dynamo.values(p=MessageKeys.conversation_partition(conversation))):
            yield item["id"]


def _leave_closed(head: StoredMessage) -> None:
    """Take an aged-out head out of `CLOSED#` (its other keys stay: it is still resolved or removed in its queue).
    Guarded by its revision: a head changed meanwhile keeps its keys, and the next sweep looks at it again."""
    dynamo.update_if(TableName=dynamo.table_name(), Key=head.key, UpdateExpression="REMOVE gsi2pk, gsi2sk",
                     ConditionExpression="#rev = :rev AND begins_with(gsi2pk, :closed)",
                     ExpressionAttributeNames={"#rev": "rev"},
                     ExpressionAttributeValues=dynamo.values(rev=head.rev, closed=MessageKeys.closed_partition("")))


def erase_closed(queue: str, cutoff: str, now: datetime, actor: str, deadline: float,
                 limit: int | None = None) -> tuple[int, bool]:
    """A page of the retention sweep of one queue: erase up to `limit` conversations closed before `cutoff`, the
    longest closed first, until `deadline` (time.monotonic()). Returns how many it erased, and whether more may be
    due (a full page of which at least one was erased: one that stays, busy or cut short, is not read again and
    again in one run)."""
    erased = 0
    due = closed_before(queue, cutoff, limit or RETENTION_BATCH)
    for conversation_id in due:
        if time.monotonic() >= deadline:
            return erased, False
        try:
            outcome = erase_conversation(conversation_id, now, actor, privacy.RETENTION, closed_before=cutoff,
                                         deadline=deadline)
        except ConcurrentChange:  # busy: it stays in CLOSED#, the next sweep tries again
            continue
        erased += outcome == Outcome.UPDATED
    return erased, len(due) == (limit or RETENTION_BATCH) and erased > 0
