"""The business hours managers saved, in DynamoDB: one item, replaced only at the revision its editor read.

Until a manager saves them, the operator's settings (SLA_BUSINESS_HOURS, SLA_TIMEZONE, SLA_HOLIDAYS) are the
schedule. Readers on busy paths (a first reply's lateness, the away message) use `schedule()`: one GetItem per
container every CACHE_SECONDS."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ..config import get_settings
from ..domain.business_hours import Schedule, parse
from ..domain.errors import ConcurrentChange
from . import dynamo
from .entities import BusinessHoursKeys, key

CACHE_SECONDS = 30.0
_KEY = key(BusinessHoursKeys.PK, BusinessHoursKeys.SK)
_cache: dict[str, Any] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class SavedHours:
    hours: str | None = None  # None: no business hours (every hour counts)
    timezone: str = "UTC"
    holidays: tuple[str, ...] = field(default_factory=tuple)
    updated_by: str | None = None
    updated_at: str | None = None
    rev: int = 0  # 0: never saved here (the operator's settings apply)

    def schedule(self) -> Schedule | None:
        return parse(self.hours, self.timezone, ",".join(self.holidays)) if self.hours else None


def get(consistent: bool = True) -> SavedHours:
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), Key=_KEY, ConsistentRead=consistent)
    if "Item" not in response:
        return SavedHours()
    item = dynamo.from_item(response["Item"])
    return SavedHours(hours=item.get("hours"), timezone=item.get("timezone", "UTC"),
                      holidays=tuple(item.get("holidays") or ()), updated_by=item.get("updated_by"),
                      updated_at=item.get("updated_at"), rev=int(item.get("rev", 0)))


def save(changed: SavedHours, read_rev: int) -> SavedHours:
    item = {"pk": BusinessHoursKeys.PK, "sk": BusinessHoursKeys.SK, "type": BusinessHoursKeys.TYPE,
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(changed).items() if v is not None}}
    condition = ({"ConditionExpression": "attribute_not_exists(pk)"} if read_rev == 0 else
                 {"ConditionExpression": "rev = :rev", "ExpressionAttributeValues": dynamo.values(rev=read_rev)})
    with dynamo.storage_errors():
        try:
            dynamo.write(dynamo.client().put_item, TableName=dynamo.table_name(), Item=dynamo.to_item(item),
                         **condition)
        except ClientError as exc:
            if dynamo.error_code(exc) == "ConditionalCheckFailedException":
                if get() == changed:  # botocore's repeat of this very write, whose answer was lost
                    return changed
                raise ConcurrentChange("the business hours changed meanwhile: read them again") from exc
            raise
    forget()
    return changed


def forget() -> None:
    with _lock:
        _cache.clear()


def schedule() -> Schedule | None:
    """The schedule in force: the one saved here, else the operator's (None: every hour counts). This container's
    copy, read again once older than CACHE_SECONDS (or on another table)."""
    where = (dynamo.table_name(), id(dynamo.client()), id(get_settings()))
    now = time.monotonic()
    with _lock:
        if _cache.get("where") == where and 0 <= now - _cache["at"] < CACHE_SECONDS:
            return _cache["schedule"]
    saved = get(consistent=False)
    current = saved.schedule() if saved.rev else get_settings().sla_schedule()
    with _lock:
        _cache.update(where=where, at=now, schedule=current)
    return current
