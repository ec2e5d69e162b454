"""A customer's conversations in DynamoDB (rules: domain.customers): the pointers written with each conversation's
head (store.messages.customer_pointer), read newest first, and the heads they point to read fresh (a re-route
moves a conversation to another queue; the pointer never changes).

A page reads at most READS Queries of POINTERS_PER_READ pointers and their heads (BatchGetItem): when most of
a customer's conversations are in queues the caller does not work, the page may be short and still have a
cursor. The cursor is the last pointer looked at, so the next page never reads those again. A cursor is plain
(base64 JSON) and a pointer's key names its conversation and when it opened, so when that last pointer is not
one the page lists (a conversation the caller may not read), its key is kept in the customer's partition for a
day and the cursor names only where it is kept (a random id).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

from ..domain import customers as rules
from ..domain.errors import InvalidRequest
from ..errors import StorageUnavailable
from . import dynamo
from .entities import ANSWER_BYTES, CustomerConversationKeys, MessageKeys, StoredMessage, key
from .queue import decode_cursor, encode_cursor
from .table import GSI3, TTL_ATTRIBUTE

PAGE = 25  # conversations a page lists at most
POINTERS_PER_READ = PAGE
READS = 4
FIRST_WORDS_CHARS = 280  # as much of the first message as a queue row shows of the latest (LAST_TEXT_CHARS)
BATCH_GET_TRIES = 5  # BatchGetItem hands back what it could not read (throttled): asked again, then 503
# what a summary reads of a head (its history and triage can weigh hundreds of KB)
_HEAD_ATTRIBUTES = ("id", "channel", "queue", "status", "received_at", "last_inbound_at", "text", "tags",
                    "message_count", "erased")


@dataclass(frozen=True)
class CustomerConversation:
    """One of the customer's conversations as the list beside a conversation shows it."""

    id: str
    channel: str
    queue: str
    status: str
    received_at: str
    text: str  # the start of its first message
    text_cut: bool
    last_inbound_at: str | None = None
    tags: list[str] | None = None
    message_count: int | None = None
    erased: dict[str, Any] | None = None  # its content erased (domain.privacy)

    @classmethod
    def of(cls, head: dict[str, Any]) -> "CustomerConversation":
        text = head.get("text") or ""
        return cls(id=head["id"], channel=head["channel"], queue=head["queue"], status=head["status"],
                   received_at=head["received_at"], text=text[:FIRST_WORDS_CHARS], text_cut=len(text) > FIRST_WORDS_CHARS,
                   last_inbound_at=head.get("last_inbound_at"), tags=head.get("tags"),
                   message_count=head.get("message_count"), erased=head.get("erased"))

    @property
    def answer_bytes(self) -> int:
        return len(json.dumps(asdict(self)))


def other_conversations(head: StoredMessage, can_work: Callable[[str], bool],
                        cursor: str | None = None) -> tuple[list[CustomerConversation], str | None]:
    """The other conversations `head`'s customer opened that the caller may read, newest first, one page (after
    `cursor`, a cursor this listing gave), and the next page's cursor (None: no more)."""
    author_id = (head.author or {}).get("id")
    if not rules.has_history(author_id):
        return [], None
    partition = CustomerConversationKeys.pk(head.platform, author_id)
    visible = rules.shown(head.id, can_work)
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table_name(), "ScanIndexForward": False, "Limit": POINTERS_PER_READ,
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :c)",
        "ExpressionAttributeValues": dynamo.values(p=partition, c=CustomerConversationKeys.PREFIX),
    }
    if cursor is not None:
        kwargs["ExclusiveStartKey"] = _start(partition, cursor)
    found: list[CustomerConversation] = []
    answer_bytes, last, listed = 0, None, False
    with dynamo.storage_errors():
        for _ in range(READS):
            page = dynamo.client().query(**kwargs)
            pointers = [dynamo.from_item(item) for item in page.get("Items", [])]
            heads = _heads([pointer["conversation"] for pointer in pointers])
            for pointer in pointers:
                if len(found) == PAGE or (found and answer_bytes >= ANSWER_BYTES):
                    return found, _cursor(last, listed)
                last, listed = pointer, False
                current = heads.get(pointer["conversation"])
                if current is not None and visible(current["id"], current["queue"], current["status"]):
                    found.append(CustomerConversation.of(current))
                    answer_bytes += found[-1].answer_bytes
                    listed = True
            if "LastEvaluatedKey" not in page:
                return found, None
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found, _cursor(last, listed)


def _start(partition: str, cursor: str) -> dict[str, Any]:
    """Where the page after `cursor` starts: the pointer it names, or the one kept where it names."""
    start = decode_cursor(cursor, partition, "pk", frozenset({"pk", "sk"}),
                          ("sk", (CustomerConversationKeys.PREFIX, CustomerConversationKeys.POSITION)))
    if not start["sk"]["S"].startswith(CustomerConversationKeys.POSITION):
        return start
    with dynamo.storage_errors():
        kept = dynamo.client().get_item(TableName=dynamo.table_name(), Key=start, ConsistentRead=True).get("Item")
    if kept is None or "position" not in kept:  # made up, or past its day
        raise InvalidRequest("cursor is not one this listing returned (or it is more than a day old)",
                             code="invalid_cursor")
    return key(partition, kept["position"]["S"])


def _cursor(pointer: dict[str, Any] | None, listed: bool) -> str | None:
    """The cursor after `pointer`: its key when the page lists its conversation, else where that key is kept."""
    if pointer is None:
        return None
    if listed:
        return encode_cursor(key(pointer["pk"], pointer["sk"]))
    kept = f"{CustomerConversationKeys.POSITION}{secrets.token_urlsafe(16)}"
    expires = int(time.time() + CustomerConversationKeys.POSITION_LIFETIME.total_seconds())
    dynamo.client().put_item(TableName=dynamo.table_name(), Item=dynamo.to_item({
        "pk": pointer["pk"], "sk": kept, "type": CustomerConversationKeys.POSITION_TYPE, "position": pointer["sk"],
        TTL_ATTRIBUTE: expires}))
    return encode_cursor(key(pointer["pk"], kept))


def _heads(conversations: list[str]) -> dict[str, dict[str, Any]]:
    """The heads of these conversations as stored now (consistent reads), by id: the summary's attributes only."""
    names = {f"#a{i}": name for i, name in enumerate(_HEAD_ATTRIBUTES)}
    return {head["id"]: head for head in _read_messages(
        conversations, {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names})}


def _read_messages(ids: list[str], projection: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """These message items as stored now (consistent BatchGetItem; keys it hands back unprocessed asked again)."""
    if not ids:
        return []
    request = {dynamo.table_name(): {"Keys": [key(MessageKeys.pk(i), MessageKeys.SK) for i in dict.fromkeys(ids)],
                                     "ConsistentRead": True, **(projection or {})}}
    found: list[dict[str, Any]] = []
    for attempt in range(BATCH_GET_TRIES):
        answer = dynamo.client().batch_get_item(RequestItems=request)
        found += [dynamo.from_item(item) for item in answer.get("Responses", {}).get(dynamo.table_name(), [])]
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return found
        dynamo.conflict_pause(attempt)
    raise StorageUnavailable()


# what the brand holds of one customer (the right of access): their messages through GSI3 ---------------------

DATA_PAGE = 25  # messages a page reads: one GSI3 Query and one BatchGetItem


def customer_messages(platform: str, author_id: str,
                      cursor: str | None = None) -> tuple[list[StoredMessage], str | None]:
    """A page of the messages one customer wrote and that are not erased, oldest first, and the cursor of the next
    page (None at the end). The page ends early once its messages reach ANSWER_BYTES as JSON."""
    partition = MessageKeys.author_partition(platform, author_id)
    kwargs: dict[str, Any] = {"TableName": dynamo.table_name(), "IndexName": GSI3, "Limit": DATA_PAGE,
                              "KeyConditionExpression": "gsi3pk = :p",
                              "ExpressionAttributeValues": dynamo.values(p=partition)}
    if cursor is not None:
        kwargs["ExclusiveStartKey"] = decode_cursor(cursor, partition, "gsi3pk", _DATA_CURSOR_KEYS)
    with dynamo.storage_errors():
        page = dynamo.client().query(**kwargs)
        keys = [dynamo.from_item(k) for k in page.get("Items", [])]
        stored = {m.id: m for m in map(StoredMessage.from_item,
                                       _read_messages([k["pk"].removeprefix("MSG#") for k in keys]))}
    listed: list[StoredMessage] = []
    size = 0
    for position, index_key in enumerate(keys):
        message = stored.get(index_key["pk"].removeprefix("MSG#"))
        if message is None:
            continue
        size += message.answer_bytes
        if listed and size > ANSWER_BYTES:  # the rest from here on the next page: it starts after the last listed
            return listed, encode_cursor({k: {"S": v} for k, v in keys[position - 1].items()})
        listed.append(message)
    last = page.get("LastEvaluatedKey")
    return listed, encode_cursor(last) if last else None


_DATA_CURSOR_KEYS = frozenset({"pk", "sk", "gsi3pk", "gsi3sk"})
