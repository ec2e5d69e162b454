"""The DynamoDB client (cached per container), item (de)serialization and storage-error mapping."""

from __future__ import annotations

import functools
import hashlib
import json
import random
import time
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Callable, Iterator

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..config import get_settings
from ..errors import StorageRejected, StorageUnavailable

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Every call is tried at most 3 times with backoff (transactions too: a retry of one whose answer was
# lost meets its own condition, which the callers recognise). Timeouts are short so that a hung table
# still gets our 503 well within the Lambda timeout (20 s): 3 x (1 + 3) s plus backoff.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=1,
    read_timeout=3,
    tcp_keepalive=True,
)

RETRYABLE_CODES = frozenset({
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
})


def _items_as_sent(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """A Query's Items straight from the JSON body (botocore's `before-parse` event).

    DynamoDB already sends each item as AttributeValue JSON, the very shape botocore's parser rebuilds
    by walking the service model once per attribute, which is most of a Query's client-side time
    (boto/boto3#2928). The rest of the body (counts, LastEvaluatedKey) is still parsed by botocore.
    Binary attributes would stay base64 text: the table stores none.
    """
    if response_dict.get("status_code") != 200:
        return
    try:
        body = json.loads(response_dict["body"])
    except (TypeError, ValueError):  # not JSON (another protocol): botocore parses it as usual
        return
    if isinstance(body, dict) and "Items" in body:
        customized_response_dict["Items"] = body.pop("Items")
        response_dict["body"] = json.dumps(body).encode()


@functools.lru_cache(maxsize=4)
def _client(endpoint_url: str | None, region: str):
    db = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region, config=_CLIENT_CONFIG)
    db.meta.events.register("before-parse.dynamodb.Query", _items_as_sent)
    return db


def reset_clients() -> None:
    """Forget the cached clients, with their connection pools and credentials (after a SnapStart restore)."""
    _client.cache_clear()


def client():
    settings = get_settings()
    return _client(settings.dynamodb_endpoint_url, settings.aws_region)


def table_name() -> str:
    return get_settings().table_name


def _plain(value: Any) -> Any:
    """Python values to what TypeSerializer accepts (floats as Decimal, tuples as lists)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _native(value: Any) -> Any:
    """Decimals back to int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in _plain(data).items()}


def to_value(value: Any) -> dict[str, Any]:
    return _serializer.serialize(_plain(value))


def values(**named: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: values(now=...) -> {":now": {...}}."""
    return {f":{k}": to_value(v) for k, v in named.items()}


def _number(text: str) -> int | float:
    if text.isdigit() or (text[:1] == "-" and text[1:].isdigit()):
        return int(text)
    return _native(Decimal(text))


def _from_value(value: dict[str, Any]) -> Any:
    """One AttributeValue to plain Python: what TypeDeserializer + _native give, without the Decimals."""
    (tag, raw), = value.items()
    if tag == "S":
        return raw
    if tag == "N":
        return _number(raw)
    if tag == "M":
        return {k: _from_value(v) for k, v in raw.items()}
    if tag == "L":
        return [_from_value(v) for v in raw]
    if tag == "BOOL":
        return raw
    if tag == "NULL":
        return None
    return _native(_deserializer.deserialize(value))  # sets and binary: rare here


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_value(v) for k, v in item.items()}


def numbers(item: dict[str, Any]) -> dict[str, int | float]:
    """Only the Number attributes of an item (a counter's counts), decoded."""
    return {k: _number(v["N"]) for k, v in item.items() if "N" in v}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def cancellation_codes(exc: ClientError) -> list[str]:
    """Per-item reasons of a cancelled transaction ('None' where the item was fine)."""
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


def unavailable(exc: Exception) -> StorageUnavailable | StorageRejected:
    """The domain error for a failed call: retryable unless DynamoDB refused the request itself."""
    if isinstance(exc, ClientError) and (error_code(exc) == "ValidationException"
                                         or "ValidationError" in cancellation_codes(exc)):
        return StorageRejected("storage refused this request as invalid (for example an item over its size "
                               "limit); sending it again will not help")
    return StorageUnavailable()


@contextmanager
def storage_errors() -> Iterator[None]:
    """Any storage failure inside the block becomes StorageUnavailable (503 with Retry-After)."""
    try:
        yield
    except STORAGE_ERRORS as exc:
        raise unavailable(exc) from exc


def is_conflict(exc: ClientError) -> bool:
    """DynamoDB refused the write because a transaction held one of its items at that moment.

    A cancelled transaction whose only reasons are TransactionConflict, or a single write that met a
    transaction (TransactionConflictException). botocore's retry policy retries neither.
    """
    code = error_code(exc)
    if code == "TransactionConflictException":
        return True
    reasons = [c for c in cancellation_codes(exc) if c != "None"]
    return code == "TransactionCanceledException" and bool(reasons) and set(reasons) == {"TransactionConflict"}


# Conflicts are retried by the store (not by botocore) with full jitter: at most CONFLICT_ATTEMPTS tries and
# at most about two seconds of sleep per write (one on average), so a webhook stays far inside the Lambda timeout.
CONFLICT_ATTEMPTS = 10
CONFLICT_BASE_SECONDS, CONFLICT_CAP_SECONDS = 0.01, 0.4


def conflict_pause(attempt: int) -> None:
    time.sleep(random.uniform(0, min(CONFLICT_CAP_SECONDS, CONFLICT_BASE_SECONDS * 2 ** attempt)))


def write(call: Callable[..., Any], /, *, conflict_attempts: int | None = None, **kwargs: Any) -> Any:
    """One write (`client().update_item`, `transact_write_items`, ...), retried while it meets a transaction
    (CONFLICT_ATTEMPTS tries unless told otherwise)."""
    tries = conflict_attempts or CONFLICT_ATTEMPTS
    for attempt in range(tries):
        try:
            return call(**kwargs)
        except ClientError as exc:
            if not is_conflict(exc) or attempt == tries - 1:
                raise
        conflict_pause(attempt)
    raise AssertionError("unreachable")


def update_if(**update: Any) -> bool:
    """One conditional UpdateItem (`update`: its arguments, TableName included); False when its condition does not
    hold (the item is gone, or someone moved it first), storage errors raised as StorageUnavailable."""
    with storage_errors():
        try:
            write(client().update_item, **update)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
    return True


def transact(operations: list[dict[str, Any]], token: str | None = None) -> None:
    """TransactWriteItems (conflicts retried); the ClientRequestToken makes botocore's own retries idempotent."""
    extra = {"ClientRequestToken": token} if token else {}
    write(client().transact_write_items, TransactItems=operations, **extra)


def transact_rebuilt(build: Callable[[int], list[dict[str, Any]]], token: str) -> None:
    """TransactWriteItems whose operations are rebuilt for each try after a conflict (`build(attempt)`), so a
    retry can move to other counter shards than the ones another transaction holds. Each try has its own
    ClientRequestToken (DynamoDB refuses a token reused with other items); botocore's retries of one try reuse it."""
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            client().transact_write_items(TransactItems=build(attempt), ClientRequestToken=f"{token[:32]}-{attempt:03d}")
            return
        except ClientError as exc:
            if not is_conflict(exc) or attempt == CONFLICT_ATTEMPTS - 1:
                raise
        conflict_pause(attempt)


def request_token(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:36]


def query_pages(decode: Callable[[dict[str, Any]], Any] = from_item, **kwargs: Any) -> Iterator[Any]:
    """Every item of a query, page by page, decoded by `decode`."""
    db = client()
    while True:
        page = db.query(TableName=table_name(), **kwargs)
        yield from map(decode, page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


STORAGE_ERRORS = (ClientError, BotoCoreError)
