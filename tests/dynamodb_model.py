"""What DynamoDB does and moto does not, modelled for tests and benches (never loaded by the runtime).

- `ConflictModel`: DynamoDB cancels a TransactWriteItems when another transaction or write is in flight on
  one of its items (TransactionCanceledException, reason TransactionConflict for that item), and refuses
  a single write to an item a transaction holds (TransactionConflictException). moto's server runs one
  request at a time and never reports either. The model is a botocore `before-send` hook on one client: each
  attempt (inside botocore's retry loop, so its policy applies as it would to DynamoDB's answer) claims the
  item keys it writes until its response arrives (`response-received`); an attempt that meets a key another
  in-flight attempt holds gets DynamoDB's error response instead of being sent. `hold` keeps every window
  open a little longer (the server serializes requests, so real windows are short), making overlap likely.
- `ItemSizeLimit`: DynamoDB refuses a write whose resulting item exceeds 400 KB (409,600 bytes of attribute
  names and values), as ValidationException (PutItem, UpdateItem) or as a transaction cancelled with a
  ValidationError reason. moto checks a different size, at a different limit, and fails a transaction as a
  plain ValidationException. The model wraps moto's backend (in process: the `table` fixture and the
  moto server alike) with DynamoDB's size and answers.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections import Counter

from botocore.awsrequest import AWSResponse

WRITES = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem")
MAX_ITEM_BYTES = 400 * 1024


class _Body:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_):
        yield self._data


def _error(request, error_type: str, message: str, **extra) -> AWSResponse:
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{error_type}", "message": message, **extra}
    return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0",
                                          "x-amzn-RequestId": uuid.uuid4().hex}, _Body(json.dumps(body).encode()))


def _item_key(table: str, op: dict) -> tuple:
    item = op.get("Key") or op["Item"]
    return table, json.dumps(item["pk"], sort_keys=True), json.dumps(item.get("sk"), sort_keys=True)


def written_keys(operation: str, body: dict) -> list[tuple]:
    """The items a write touches, in request order (a transaction's ConditionCheck items too)."""
    if operation == "TransactWriteItems":
        return [_item_key(op["TableName"], op) for entry in body["TransactItems"] for op in entry.values()]
    return [_item_key(body["TableName"], body)]


class ConflictModel:
    """DynamoDB's transaction conflicts, on one botocore DynamoDB client (see the module docstring)."""

    def __init__(self, client, hold: float = 0.0):
        self.client = client
        self.hold = hold
        self.attempts: Counter = Counter()  # every write attempt, per operation
        self.conflicts: Counter = Counter()  # attempts answered with a conflict, per operation
        self._in_flight: dict[tuple, Counter] = {}  # item key -> {is transaction: attempts holding it}
        self._lock = threading.Lock()
        self._mine = threading.local()
        self._id = f"conflict-model-{id(self)}"
        for operation in WRITES:
            client.meta.events.register(f"before-send.dynamodb.{operation}", self._before_send, unique_id=self._id + operation)
            client.meta.events.register(f"response-received.dynamodb.{operation}", self._received,
                                        unique_id=self._id + operation + "-done")

    def close(self) -> None:
        for operation in WRITES:
            self.client.meta.events.unregister(f"before-send.dynamodb.{operation}", unique_id=self._id + operation)
            self.client.meta.events.unregister(f"response-received.dynamodb.{operation}",
                                               unique_id=self._id + operation + "-done")

    def _before_send(self, request, event_name: str, **_):
        operation = event_name.rsplit(".", 1)[-1]
        keys = written_keys(operation, json.loads(request.body))
        transaction = operation == "TransactWriteItems"
        with self._lock:
            self.attempts[operation] += 1
            # a transaction conflicts with any write in flight on its items; a single write only with a transaction
            held = [bool(self._in_flight.get(k, {}).get(True) or (transaction and self._in_flight.get(k, {}).get(False)))
                    for k in keys]
            if not any(held):
                for k in keys:
                    self._in_flight.setdefault(k, Counter())[transaction] += 1
                self._mine.held = (keys, transaction)
            else:
                self.conflicts[operation] += 1
        if any(held):
            self._mine.held = None
            if transaction:
                reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"} if h
                           else {"Code": "None"} for h in held]
                return _error(request, "TransactionCanceledException",
                              "Transaction cancelled, please refer cancellation reasons for specific reasons "
                              f"[{', '.join(r['Code'] for r in reasons)}]", CancellationReasons=reasons)
            return _error(request, "TransactionConflictException",
                          "Transaction is ongoing for the item")
        if self.hold:
            time.sleep(self.hold)
        return None

    def _received(self, **_):
        held = getattr(self._mine, "held", None)
        self._mine.held = None
        if not held:
            return
        keys, transaction = held
        with self._lock:
            for k in keys:
                holders = self._in_flight[k]
                holders[transaction] -= 1
                if not +holders:
                    del self._in_flight[k]


# item size ---------------------------------------------------------------------------------------------

def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return (len(digits.rstrip("0") or "0") + 1) // 2 + 1


def value_size(value: dict) -> int:
    """Bytes DynamoDB counts for one AttributeValue (strings UTF-8, numbers by digits, 3 + 1 per element for
    lists and maps)."""
    (tag, raw), = value.items()
    if tag == "S":
        return len(raw.encode("utf-8"))
    if tag == "N":
        return _number_size(raw)
    if tag == "B":
        return len(raw) if isinstance(raw, (bytes, bytearray)) else len(raw) * 3 // 4
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "L":
        return 3 + sum(1 + value_size(v) for v in raw)
    if tag == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in raw.items())
    if tag == "SS":
        return sum(len(v.encode("utf-8")) for v in raw)
    if tag == "NS":
        return sum(_number_size(v) for v in raw)
    return sum(len(v) for v in raw)  # BS


def item_size(item: dict) -> int:
    """An item's size as DynamoDB counts it against the 400 KB limit."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


class ItemSizeLimit:
    """DynamoDB's 400 KB item limit on moto's backend, process-wide (install once; idempotent)."""

    _installed = False

    @classmethod
    def install(cls) -> None:
        if cls._installed:
            return
        from moto.dynamodb import models
        from moto.dynamodb.exceptions import ItemSizeTooLarge, ItemSizeToUpdateTooLarge, TransactionCanceledException
        from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

        LimitedSizeDict.__setitem__ = dict.__setitem__  # moto's own, different, check is off: ours decides
        backend = models.DynamoDBBackend

        def key_of(table, attrs: dict) -> tuple:
            return (DynamoType(attrs[table.hash_key_attr]),
                    DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None)

        def restore(table, key: tuple, previous) -> None:
            hash_value, range_value = key
            if previous is None:
                table.delete_item(hash_value, range_value)
            elif table.range_key_attr:
                table.items[hash_value][range_value] = previous
            else:
                table.items[hash_value] = previous

        def guarded(method, error):
            def write(self, table_name, *args, **kwargs):
                table = self.get_table(table_name)
                attrs = kwargs.get("item_attrs" if method.__name__ == "put_item" else "key", args[0] if args else None)
                key = key_of(table, attrs)
                previous = copy.deepcopy(table.get_item(*key))
                result = method(self, table_name, *args, **kwargs)
                current = table.get_item(*key)
                if current is not None and item_size(current.to_json()["Attributes"]) > MAX_ITEM_BYTES:
                    restore(table, key, previous)
                    refused = error()
                    refused.item_key = (table_name, {a: attrs[a] for a in (table.hash_key_attr, table.range_key_attr) if a})
                    raise refused
                return result
            return write

        backend.put_item = guarded(backend.put_item, ItemSizeTooLarge)
        backend.update_item = guarded(backend.update_item, ItemSizeToUpdateTooLarge)
        transact = backend.transact_write_items

        def transact_write_items(self, transact_items):
            try:
                return transact(self, transact_items)
            except (ItemSizeTooLarge, ItemSizeToUpdateTooLarge) as too_large:
                # moto rolled the transaction back; DynamoDB answers a cancellation naming the item
                table_name, key = getattr(too_large, "item_key", (None, None))
                reasons = []
                for entry in transact_items:
                    op = next(iter(entry.values()))
                    attrs = op.get("Key") or op.get("Item") or {}
                    hit = op.get("TableName") == table_name and all(attrs.get(a) == v for a, v in (key or {}).items())
                    reasons.append(("ValidationError", too_large.message, None) if hit else (None, None, None))
                raise TransactionCanceledException(reasons) from None

        transact_write_items.lean = getattr(transact, "lean", False)
        backend.transact_write_items = transact_write_items
        cls._installed = True
