"""Settings items (pk SETTINGS: the away message, the routing rules, the business hours): each is one item a
manager replaces whole, at the revision they read, and that busy paths read through a per-container copy."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Generic, TypeVar

from botocore.exceptions import ClientError

from ..domain.errors import ConcurrentChange
from . import dynamo
from .entities import SETTINGS_PK as PK
from .entities import key

T = TypeVar("T")


def read(sk: str, consistent: bool = True) -> dict[str, Any] | None:
    """The item, decoded; None when never saved."""
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), Key=key(PK, sk), ConsistentRead=consistent)
    return dynamo.from_item(response["Item"]) if "Item" in response else None


def replace_at(sk: str, item_type: str, attributes: dict[str, Any], read_rev: int, written: Callable[[], bool],
               what: str) -> None:
    """Put the item (its `rev` among `attributes`) if it is still at `read_rev` (0: never saved); else
    ConcurrentChange, unless `written()` says it already holds these attributes (botocore's repeat of this very
    write, whose answer was lost)."""
    item = {"pk": PK, "sk": sk, "type": item_type, **{k: v for k, v in attributes.items() if v is not None}}
    condition = ({"ConditionExpression": "attribute_not_exists(pk)"} if read_rev == 0 else
                 {"ConditionExpression": "rev = :rev", "ExpressionAttributeValues": dynamo.values(rev=read_rev)})
    with dynamo.storage_errors():
        try:
            dynamo.write(dynamo.client().put_item, TableName=dynamo.table_name(), Item=dynamo.to_item(item),
                         **condition)
        except ClientError as exc:
            if dynamo.error_code(exc) == "ConditionalCheckFailedException":
                if written():
                    return
                raise ConcurrentChange(f"the {what} changed meanwhile: read again") from exc
            raise


class ContainerCopy(Generic[T]):
    """What `load()` read, kept for `seconds` per container (and per table, client and settings: a test's or a
    restored environment's new ones read again). `forget()` after a save makes this container read it at once."""

    def __init__(self, load: Callable[[], T], seconds: float = 30.0):
        self.load, self.seconds = load, seconds
        self._kept: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self) -> T:
        from ..config import get_settings

        where = (dynamo.table_name(), id(dynamo.client()), id(get_settings()))
        now = time.monotonic()
        with self._lock:
            if self._kept.get("where") == where and 0 <= now - self._kept["at"] < self.seconds:
                return self._kept["value"]
        value = self.load()
        with self._lock:
            self._kept.update(where=where, at=now, value=value)
        return value

    def forget(self) -> None:
        with self._lock:
            self._kept.clear()
