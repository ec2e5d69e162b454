"""One-off migrations an operator runs with their own credentials (`python -m chalicelib.cli backfill ...`), never
a function: they Scan the table, which no function's role may do (tests/deploy checks both).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from ..domain import customers as rules
from ..domain import privacy
from ..domain.errors import InvalidRequest
from . import dynamo
from .entities import CustomerConversationKeys, MessageKeys, StoredMessage
from .queue import encode_cursor


BACKFILL_PAGE = 500  # items a Scan page reads (a page of a busy table is 1 MB at most anyway)


@dataclass(frozen=True)
class Backfill:
    scanned: int  # items read
    written: int  # pointers put (a pointer already there is put again, unchanged), messages put in GSI3 and closed
    # conversations put in the retention index
    next_key: str | None  # where to go on from (`--start-key`), None once the table is done


def backfill_pointers(start_key: str | None = None, max_items: int | None = None) -> Backfill:
    """Write the customer pointer of every conversation opened before they were written, and the author index
    (GSI3) keys of every customer message stored before it existed, and the retention index keys (GSI2
    `CLOSED#<queue>`) of every conversation resolved or removed before they were written (an operator's one-off:
    `python -m chalicelib.cli backfill customers`). It scans the table for messages, and writes what ingestion and
    the workflow write today; writing any of them again changes nothing, so a run stopped anywhere is started again
    from its `next_key`, or from the start."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table_name(), "Limit": min(BACKFILL_PAGE, max_items or BACKFILL_PAGE),
        "FilterExpression": "sk = :msg AND #type = :message",
        "ExpressionAttributeNames": {"#type": "type"},
        "ExpressionAttributeValues": dynamo.values(msg=MessageKeys.SK, message="message")}
    if start_key:
        kwargs["ExclusiveStartKey"] = _scan_position(start_key)
    scanned = written = 0
    with dynamo.storage_errors():
        while True:
            page = dynamo.client().scan(**kwargs)
            scanned += page.get("ScannedCount", 0)
            for item in page.get("Items", []):
                message = StoredMessage.from_item(dynamo.from_item(item))
                written += _index_closed(message, "gsi2pk" in item)
                author = (message.author or {}).get("id")
                if message.direction != "inbound" or not rules.has_history(author) or message.erased:
                    continue
                if "gsi3pk" not in item:
                    _index_by_author(message, author)
                    written += 1
                if message.is_member:
                    continue
                pointer = CustomerConversationKeys.item(message.platform, author, message.received_at, message.id)
                dynamo.write(dynamo.client().put_item, TableName=dynamo.table_name(), Item=dynamo.to_item(pointer))
                written += 1
            last = page.get("LastEvaluatedKey")
            if last is None:
                return Backfill(scanned, written, None)
            if max_items is not None and scanned >= max_items:
                return Backfill(scanned, written, encode_cursor({"pk": last["pk"], "sk": last["sk"]}))
            kwargs["ExclusiveStartKey"] = last


def _index_by_author(message: StoredMessage, author: str) -> None:
    """A message stored before GSI3 existed, put in its author's index (not once erased: an erasure took it out)."""
    keys = MessageKeys.author_index(message.platform, author, message.received_at, message.id)
    dynamo.update_if(TableName=dynamo.table_name(), Key=message.key,
                     UpdateExpression="SET gsi3pk = :pk, gsi3sk = :sk",
                     ConditionExpression="attribute_exists(pk) AND attribute_not_exists(erased)",
                     ExpressionAttributeValues=dynamo.values(pk=keys["gsi3pk"], sk=keys["gsi3sk"]))


def _index_closed(message: StoredMessage, indexed: bool) -> bool:
    """A conversation closed before the retention index existed, put in it by when it closed (so that RETENTION_DAYS
    ages it out); not one that has GSI2 keys, nor one retention already erased (the sweep took it out). Guarded by
    its revision: a conversation that changed meanwhile got its keys from that change."""
    if indexed or message.is_member or (message.erased or {}).get("reason") == privacy.RETENTION:
        return False
    keys = message.indexes()
    if not keys.get("gsi2pk", "").startswith(MessageKeys.closed_partition("")):
        return False
    return dynamo.update_if(TableName=dynamo.table_name(), Key=message.key,
                            UpdateExpression="SET gsi2pk = :pk, gsi2sk = :sk",
                            ConditionExpression="attribute_not_exists(gsi2pk) AND #rev = :rev",
                            ExpressionAttributeNames={"#rev": "rev"},
                            ExpressionAttributeValues=dynamo.values(pk=keys["gsi2pk"], sk=keys["gsi2sk"],
                                                                    rev=message.rev))


def _scan_position(start_key: str) -> dict[str, Any]:
    """A `next_key` this backfill printed, as the Scan's start key (a table key: pk and sk)."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(start_key + "=" * (-len(start_key) % 4)))
    except (ValueError, binascii.Error, UnicodeError):
        plain = None
    if not (isinstance(plain, dict) and set(plain) == {"pk", "sk"} and all(isinstance(v, str) and v for v in plain.values())):
        raise InvalidRequest("--start-key must be a next_key this command printed", code="invalid_cursor")
    return {k: {"S": v} for k, v in plain.items()}
