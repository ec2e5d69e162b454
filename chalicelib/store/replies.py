"""Replies sent from the inbox: stored before the platform call under their idempotency key, then marked sent
(with the platform's id) or failed; the platform's delivery reports and echoes move them on.

    sending ──sent──▶ sent ──▶ delivered ──▶ read        (a report never moves a reply back)
       │                 └──────────────▶ failed          (the platform reports it failed)
       ├──platform refused──▶ failed   (retryable ones may be sent again under the same key)
       └──no answer (timeout)──▶ unknown                   (never sent again: it may have gone out)

A private reply (a DM to a comment's author; Meta allows one per comment) also holds its comment's
`PRIVATE#<comment id>` item, in the same write that reserves it: a second private reply to that comment, however
concurrent, finds it held and is refused. A reply the platform refused for good gives the comment back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Iterator

from botocore.exceptions import ClientError

from ..domain import routing_rules, surveys
from ..domain.errors import ConcurrentChange, IdempotencyKeyReused, PrivateReplyAlreadySent
from ..models import DeliveryStatus, Message
from . import conversations, counters, dynamo
from .entities import (MessageKeys, PrivateReplyKeys, ReplyKeys, SentKeys, StoredMessage, hour_of, iso, key,
                       parse_iso)
from .messages import Outcome, get_message
from .table import GSI2

SENDING, SENT, DELIVERED, READ, FAILED, UNKNOWN = "sending", "sent", "delivered", "read", "failed", "unknown"
RANK = {SENDING: 0, UNKNOWN: 0, FAILED: 0, SENT: 1, DELIVERED: 2, READ: 3}
# a reply still `sending` this long after it was stored was cut off (the API function's time limit is 20 s):
# whether the platform took it is unknown, so its request coming again marks it `unknown`, never sends it again
SENDING_LIMIT = timedelta(seconds=60)
CUT_OFF = "cut_off"
# the platform did not take these (a timeout is `failed` only when the request cannot have reached it): the same
# key may send them again once the cause is gone
RETRYABLE_FAILURES = frozenset({"rate_limited", "unavailable", "timeout", "token_invalid", "token_missing",
                                "permission_denied"})


@dataclass
class StoredReply:
    id: str  # the idempotency key the agent's client chose
    conversation: str
    text: str
    reply_to: str
    by: str
    platform: str
    created_at: str
    status: str
    request_hash: str
    attempts: int = 1
    account: str | None = None
    platform_message_id: str | None = None
    sent_at: str | None = None
    delivered_at: str | None = None
    read_at: str | None = None
    error_kind: str | None = None
    error: str | None = None
    messaging_type: str | None = None
    private: bool | None = None  # True: a DM to the author of the comment `reply_to` (stored only then)
    attempt_at: str | None = None  # when its latest attempt (a retry) started; None: at created_at
    # True: an automatic message (the away message, domain.away; the survey, domain.surveys; a routing rule's reply,
    # domain.routing_rules), not the brand's answer
    automatic: bool | None = None
    # a WhatsApp template (domain.whatsapp_templates): {"name", "language", "parameters"}; `text` is what it reads
    template: dict[str, Any] | None = None
    by_time: bool = False  # where it is kept (ReplyKeys): its conversation's head says; not an attribute

    @property
    def sk(self) -> str:
        return ReplyKeys.timed_sk(self.created_at, self.id) if self.by_time else ReplyKeys.sk(self.id)

    @property
    def key(self) -> dict[str, Any]:
        return key(MessageKeys.pk(self.conversation), self.sk)

    @property
    def sent_platform(self) -> str:
        """The platform its echo and delivery reports come from: a Facebook private reply is a Messenger message."""
        return "messenger" if self.private and self.platform == "facebook" else self.platform

    @property
    def sending_since(self) -> str:
        return self.attempt_at or self.created_at

    def sending_index(self) -> dict[str, str]:
        return {"gsi2pk": ReplyKeys.SENDING_PARTITION,
                "gsi2sk": ReplyKeys.sending_sort(self.sending_since, self.conversation, self.id)}

    def to_item(self) -> dict[str, Any]:
        item = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "by_time" and getattr(self, f.name) is not None}
        indexed = self.sending_index() if self.status == SENDING else {}
        return {"pk": MessageKeys.pk(self.conversation), "sk": self.sk, "type": "reply",
                "status_rank": RANK[self.status], **item, **indexed}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "StoredReply":
        return cls(**{f.name: item[f.name] for f in fields(cls) if f.name in item},
                   by_time=item["sk"].startswith(ReplyKeys.TIMED_PREFIX))


def request_hash(text: str, reply_to: str, private: bool = False) -> str:
    suffix = "\nprivate" if private else ""  # the same text sent privately is another request (public: as before)
    return hashlib.sha256(f"{reply_to}\n{text}{suffix}".encode()).hexdigest()


def _get_item(conversation: str, sk: str) -> dict[str, Any] | None:
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), ConsistentRead=True,
                                            Key=key(MessageKeys.pk(conversation), sk))
    return dynamo.from_item(response["Item"]) if "Item" in response else None


def get(conversation: str, idempotency_key: str) -> StoredReply | None:
    """The reply stored under this idempotency key: found by its key's marker where replies are kept by time."""
    item = _get_item(conversation, ReplyKeys.sk(idempotency_key))
    if item is not None and item.get("type") == ReplyKeys.KEY_TYPE:
        item = _get_item(conversation, item["at"])
    return StoredReply.from_item(item) if item is not None else None


def _reserve_operations(draft: StoredReply, attempt: int = 0) -> list[dict[str, Any]]:
    """The writes that reserve a reply, in one transaction. Kept by time: its key's marker (the condition: a key
    is used once), the reply and a count shard (another after a conflict: the count is their sum); kept by key:
    the reply on that condition. A private reply also holds its comment."""
    table, pk = dynamo.table_name(), MessageKeys.pk(draft.conversation)
    once = "attribute_not_exists(pk)"
    if draft.by_time:
        marker = {"pk": pk, "sk": ReplyKeys.sk(draft.id), "type": ReplyKeys.KEY_TYPE, "at": draft.sk}
        operations = [
            {"Put": {"TableName": table, "Item": dynamo.to_item(marker), "ConditionExpression": once}},
            {"Put": {"TableName": table, "Item": dynamo.to_item(draft.to_item())}},
            {"Update": {"TableName": table, "Key": key(pk, ReplyKeys.count_sk(draft.id, attempt)),
                        "UpdateExpression": "ADD replies :one", "ExpressionAttributeValues": dynamo.values(one=1)}}]
    else:
        operations = [{"Put": {"TableName": table, "Item": dynamo.to_item(draft.to_item()), "ConditionExpression": once}}]
    return operations + ([_private_hold(draft)] if draft.private else [])


def _private_hold(draft: StoredReply) -> dict[str, Any]:
    """Hold the comment's one private reply for this one (refused while another holds it)."""
    item = {"pk": PrivateReplyKeys.pk(draft.reply_to), "sk": PrivateReplyKeys.SK, "type": PrivateReplyKeys.TYPE,
            "conversation": draft.conversation, "held_by": draft.id, "held_at": draft.created_at}
    return {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item(item),
                    "ConditionExpression": "attribute_not_exists(#held)", "ExpressionAttributeNames": {"#held": "held_by"}}}


def reserve(draft: StoredReply) -> tuple[StoredReply, bool]:
    """Store the reply as `sending` before anything is sent. Returns it and whether this call must send it:
    False when the key was used before (the stored reply is the answer). The same key with another text is
    refused; a reply the platform refused for a passing reason (rate limit, token) is sent again. A private
    reply to a comment another reply holds is refused (PrivateReplyAlreadySent), and nothing is stored."""
    held_elsewhere = False
    with dynamo.storage_errors():
        try:
            if draft.by_time or draft.private:
                dynamo.transact_rebuilt(lambda attempt: _reserve_operations(draft, attempt), dynamo.request_token(
                    "reply", draft.conversation, draft.id, draft.created_at, draft.request_hash))
            else:
                dynamo.write(dynamo.client().put_item, TableName=dynamo.table_name(),
                             Item=dynamo.to_item(draft.to_item()), ConditionExpression="attribute_not_exists(pk)")
            return draft, True
        except ClientError as exc:
            codes = dynamo.cancellation_codes(exc)
            taken = (codes[:1] == ["ConditionalCheckFailed"] if draft.by_time or draft.private
                     else dynamo.error_code(exc) == "ConditionalCheckFailedException")
            held_elsewhere = not taken and draft.private and codes[-1:] == ["ConditionalCheckFailed"]
            if not (taken or held_elsewhere):
                raise
    if held_elsewhere:  # the key is new: another reply holds the comment's one private reply
        raise PrivateReplyAlreadySent("this comment already has its private reply (Meta allows one per comment); "
                                      "answer it publicly, or in the direct messages once the person writes back")
    stored = get(draft.conversation, draft.id)
    if stored is None:
        raise ConcurrentChange("the reply changed meanwhile; try again")
    if stored.request_hash != draft.request_hash:
        raise IdempotencyKeyReused("this idempotency key was used for another reply; use a new key for a new reply")
    if stored.status == FAILED and stored.error_kind in RETRYABLE_FAILURES:
        return _retry(stored, draft.by, draft.created_at)
    if stored.status == SENDING and parse_iso(draft.created_at) - parse_iso(stored.sending_since) > SENDING_LIMIT:
        return _cut_off(stored), False
    return stored, False


def _cut_off(stored: StoredReply) -> StoredReply:
    """A reply whose sending was cut off: `unknown` (as a platform timeout), unless something moved it meanwhile."""
    message = "the request sending it stopped before the platform answered; it may have gone out"
    if not _update_if(stored.key, "SET #status = :unknown, error_kind = :kind, #error = :error REMOVE gsi2pk, gsi2sk",
                      "#status = :sending AND attempts = :attempts", {"#status": "status", "#error": "error"},
                      dict(unknown=UNKNOWN, kind=CUT_OFF, error=message, sending=SENDING, attempts=stored.attempts)):
        return get(stored.conversation, stored.id) or stored
    stored.status, stored.error_kind, stored.error = UNKNOWN, CUT_OFF, message
    return stored


def _update_if(item_key: dict[str, Any], update: str, condition: str, names: dict[str, str],
               values: dict[str, Any]) -> bool:
    """One conditional update; False when its condition no longer holds (someone moved the item first)."""
    return dynamo.update_if(TableName=dynamo.table_name(), Key=item_key, UpdateExpression=update,
                            ConditionExpression=condition, ExpressionAttributeNames=names,
                            ExpressionAttributeValues=dynamo.values(**values))


def sweep_cut_off(now: datetime, limit: int = 100) -> int:
    """Mark `unknown` (cut_off) the replies still `sending` SENDING_LIMIT after their attempt started: the request
    sending them stopped (the function's time limit) and nobody sent it again. At most `limit` a run."""
    before = iso(now - SENDING_LIMIT)
    with dynamo.storage_errors():
        page = dynamo.client().query(
            TableName=dynamo.table_name(), IndexName=GSI2, Limit=limit,
            KeyConditionExpression="gsi2pk = :p AND gsi2sk < :before",
            ExpressionAttributeValues=dynamo.values(p=ReplyKeys.SENDING_PARTITION, before=before))
    stuck = [StoredReply.from_item(dynamo.from_item(item)) for item in page.get("Items", [])]
    return sum(_cut_off(reply).error_kind == CUT_OFF for reply in stuck if reply.status == SENDING)


def _retry(stored: StoredReply, by: str, at: str) -> tuple[StoredReply, bool]:
    """Take a retryably failed reply back to `sending` (one caller wins; the others get it as it is), its attempt
    starting `at`."""
    stored.attempt_at = at
    index = stored.sending_index()
    if not _update_if(stored.key, "SET #status = :sending, attempts = attempts + :one, #by = :by, attempt_at = :at, "
                                  "gsi2pk = :gpk, gsi2sk = :gsk REMOVE error_kind, #error",
                      "#status = :failed AND attempts = :attempts", {"#status": "status", "#by": "by", "#error": "error"},
                      dict(sending=SENDING, failed=FAILED, one=1, by=by, at=at, gpk=index["gsi2pk"],
                           gsk=index["gsi2sk"], attempts=stored.attempts)):
        return (get(stored.conversation, stored.id) or stored), False
    stored.status, stored.attempts, stored.by, stored.error_kind, stored.error = SENDING, stored.attempts + 1, by, None, None
    return stored, True


def mark_sent(reply: StoredReply, head: StoredMessage, platform_message_id: str, now: datetime) -> StoredReply:
    """The platform took the reply: record its id (for echoes and delivery reports) and the conversation's
    answer (first-reply time, exactly once), in one transaction. An automatic reply records its id only."""
    reply_update = {"Update": {
        "TableName": dynamo.table_name(), "Key": reply.key,
        "UpdateExpression": "SET #status = :sent, status_rank = :rank, platform_message_id = :pmid, sent_at = :now "
                            "REMOVE gsi2pk, gsi2sk",
        "ConditionExpression": "#status = :sending", "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": dynamo.values(sent=SENT, rank=RANK[SENT], pmid=platform_message_id, now=iso(now),
                                                   sending=SENDING)}}
    lookup = {"Put": {"TableName": dynamo.table_name(), "Item": dynamo.to_item({
        "pk": SentKeys.pk(reply.sent_platform, platform_message_id), "sk": SentKeys.SK, "type": "sent",
        "conversation": reply.conversation, "reply": reply.id, "reply_sk": reply.sk})}}
    token = dynamo.request_token("sent", reply.conversation, reply.id, platform_message_id)
    if reply.automatic:  # it answers nobody: no first reply, no person's count; the stats count it
        operations = [reply_update, lookup, *automatic_sent_operations(reply, head, now)]
        with dynamo.storage_errors():
            try:
                dynamo.transact(operations, token)
            except ClientError as exc:
                if dynamo.cancellation_codes(exc)[:1] != ["ConditionalCheckFailed"]:  # else: marked by a repeat
                    raise
        reply.status, reply.platform_message_id, reply.sent_at = SENT, platform_message_id, iso(now)
        return reply
    person = counters.person_update(reply.by, now, head.shard, {"replies": 1})
    with dynamo.storage_errors():
        try:
            dynamo.transact([reply_update, lookup, *conversations.replied_operations(
                head, now, reply.platform, stored_message=False), *person], token)
        except ClientError as exc:
            codes = dynamo.cancellation_codes(exc)
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed" and codes[0] != "ConditionalCheckFailed":
                # another answer was the conversation's first: this one is not
                dynamo.transact([reply_update, lookup, *conversations.replied_operations(
                    head, now, reply.platform, first=False, stored_message=False), *person], token[:30] + "-2")
            elif not (codes and codes[0] == "ConditionalCheckFailed"):  # else: already marked by a lost-answer retry
                raise
    reply.status, reply.platform_message_id, reply.sent_at = SENT, platform_message_id, iso(now)
    return reply


def automatic_sent_operations(reply: StoredReply, head: StoredMessage, now: datetime) -> list[dict[str, Any]]:
    """What an automatic message's sending adds: its count in the stats (by the hour sent), and for the survey the
    conversation's `satisfaction` (kept if a repeat finds it set), which waits for the customer's rating; for the
    follow-up question, when it went, so that the customer's next message is read as the rating's comment."""
    if reply.by == surveys.FOLLOW_UP_ACTOR:
        return [{"Update": {
            "TableName": dynamo.table_name(), "Key": head.key,
            "ConditionExpression": "attribute_exists(satisfaction.score)",
            "UpdateExpression": "SET satisfaction.follow_up_sent_at = if_not_exists(satisfaction.follow_up_sent_at, :at)",
            "ExpressionAttributeValues": dynamo.values(at=iso(now))}}]
    if reply.by != surveys.ACTOR:
        counted = "rule_replies_sent" if reply.by == routing_rules.REPLY_ACTOR else "away_sent"
        return [counters.volume_update(head.queue, hour_of(now), head.shard,
                                       counters.per_platform({counted: 1}, reply.platform))]
    asked = {"Update": {
        "TableName": dynamo.table_name(), "Key": head.key, "ConditionExpression": "attribute_exists(pk)",
        "UpdateExpression": "SET satisfaction = if_not_exists(satisfaction, :asked)",
        "ExpressionAttributeValues": dynamo.values(asked={"survey_sent_at": iso(now)})}}
    return [asked, counters.volume_update(head.queue, hour_of(now), head.shard,
                                          counters.per_platform({"surveys_sent": 1}, reply.platform))]


def release_private(reply: StoredReply) -> None:
    """A private reply the platform refused for good (nothing went out) gives its comment back, so a corrected one
    may be sent. Only while this reply holds it."""
    _update_if(key(PrivateReplyKeys.pk(reply.reply_to), PrivateReplyKeys.SK), "REMOVE #held, held_at",
               "#held = :id", {"#held": "held_by"}, dict(id=reply.id))


def mark_failed(reply: StoredReply, kind: str, message: str, maybe_sent: bool) -> StoredReply:
    """The platform refused the reply (failed), or gave no answer after it may have sent it (unknown)."""
    status = UNKNOWN if maybe_sent else FAILED
    with dynamo.storage_errors():
        dynamo.write(dynamo.client().update_item, TableName=dynamo.table_name(), Key=reply.key,
                     UpdateExpression="SET #status = :status, error_kind = :kind, #error = :error "
                                      "REMOVE gsi2pk, gsi2sk",
                     ConditionExpression="#status = :sending",
                     ExpressionAttributeNames={"#status": "status", "#error": "error"},
                     ExpressionAttributeValues=dynamo.values(status=status, kind=kind, error=message[:500],
                                                             sending=SENDING))
    reply.status, reply.error_kind, reply.error = status, kind, message[:500]
    return reply


# what the platforms report --------------------------------------------------------------------------------

def _sent_reply(platform: str, platform_message_id: str) -> StoredReply | None:
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), ConsistentRead=True,
                                            Key=key(SentKeys.pk(platform, platform_message_id), SentKeys.SK))
    if "Item" not in response:
        return None
    found = dynamo.from_item(response["Item"])
    if "reply_sk" in found:
        item = _get_item(found["conversation"], found["reply_sk"])
        return StoredReply.from_item(item) if item is not None else None
    return get(found["conversation"], found["reply"])


def _advance(reply: StoredReply, state: str, at: datetime, error: str | None = None) -> bool:
    """Move a sent reply on to `state` unless it is already there or further (reports arrive out of order)."""
    names = {"#status": "status"}
    if state == FAILED:
        expression = "SET #status = :state, #error = :error, error_kind = :kind"
        names["#error"] = "error"
        values = dynamo.values(state=state, read=RANK[READ], error=(error or "failed")[:500], kind="delivery_failed")
        condition = "status_rank < :read AND #status <> :state"
    else:
        expression = f"SET #status = :state, status_rank = :rank, {state}_at = :at"
        values = dynamo.values(state=state, rank=RANK[state], at=iso(at))
        condition = "status_rank < :rank"
    with dynamo.storage_errors():
        try:
            dynamo.write(dynamo.client().update_item, TableName=dynamo.table_name(), Key=reply.key,
                         UpdateExpression=expression, ConditionExpression=condition,
                         ExpressionAttributeNames=names, ExpressionAttributeValues=values)
        except ClientError as exc:
            if dynamo.error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
    return True


def record_delivery(report: DeliveryStatus, now: datetime) -> Outcome:
    """A platform's report on a message the brand sent: UPDATED when it moved a reply on, UNCHANGED when the
    reply was already there, UNKNOWN when it concerns nothing sent from the inbox."""
    if report.platform_message_id:
        reply = _sent_reply(report.platform, report.platform_message_id)
        if reply is None:
            return Outcome.UNKNOWN
        return Outcome.UPDATED if _advance(reply, report.state, report.at, report.error) else Outcome.UNCHANGED
    if report.watermark is None or not report.recipient_id:
        return Outcome.UNKNOWN
    # a watermark: every reply sent to this customer at or before it reached the state
    conversation = conversations.pointer(f"dm#{report.platform}:{report.account or ''}:{report.recipient_id}")
    head = get_message(conversation) if conversation else None
    if head is None or head.is_member:
        return Outcome.UNKNOWN
    moved = False
    for reply in _replies_up_to(head, report.watermark, report.state):
        if reply.sent_at and parse_iso(reply.sent_at) <= report.watermark and RANK.get(reply.status, 0) >= RANK[SENT]:
            moved = _advance(reply, report.state, report.at) or moved
    return Outcome.UPDATED if moved else Outcome.UNCHANGED


WATERMARK_PAGE = 50


def _replies_up_to(head: StoredMessage, watermark: datetime, state: str) -> Iterator[StoredReply]:
    """The replies a watermark may move: created at or before it, newest first, page by page until a page holds
    one already at `state` or beyond (a platform's watermarks are cumulative: the ones before it were moved
    then). An older conversation's replies are read all at once, as they are kept."""
    if not head.replies_by_time:
        found = conversations.get_conversation(head.id)
        yield from (StoredReply.from_item(item) for item in (found.replies if found else []))
        return
    below = f"{ReplyKeys.TIMED_PREFIX}{iso(watermark)}$"  # $ sorts after #: every reply created at the watermark
    there = False
    for read, item in enumerate(conversations.timed_replies(head.id, below, WATERMARK_PAGE), start=1):
        reply = StoredReply.from_item(item)
        there = there or RANK.get(reply.status, 0) >= RANK.get(state, 0)
        yield reply
        if there and read % WATERMARK_PAGE == 0:  # a page ends holding one already there: not the next page
            return


def record_outbound(message: Message, now: datetime) -> Outcome:
    """The brand's own message seen on the platform: the echo of a reply sent from here confirms it (and is not
    stored twice); anything else the brand wrote is stored in its conversation."""
    native = message.id.partition(":")[2]
    reply = _sent_reply(message.platform, native)
    if reply is not None:
        return Outcome.UNCHANGED
    return conversations.save_outbound(message, now)
