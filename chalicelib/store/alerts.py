"""Spike markers: one item per category and hour found anomalous, written at most once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from . import dynamo
from .entities import SpikeKeys, hour_of, iso


def record_spike(spike: dict[str, Any], hour_start: datetime, baseline_hours: int, method: str,
                 now: datetime) -> bool:
    """Store the marker of a spike (`queue`, `observed`, `expected`, `p_value`) in the UTC hour starting at
    `hour_start`; False when that category's hour already has one."""
    hour = hour_of(hour_start)
    item = {"pk": SpikeKeys.pk(spike["queue"]), "sk": SpikeKeys.sk(hour), "type": SpikeKeys.TYPE,
            "queue": spike["queue"], "hour": f"{hour}:00:00Z", "observed": spike["observed"], "expected": spike["expected"],
            "p_value": spike["p_value"], "baseline_hours": baseline_hours, "method": method,
            "detected_at": iso(now), "rev": 1}
    try:
        dynamo.client().put_item(TableName=dynamo.table_name(), Item=dynamo.to_item(item),
                                 ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if dynamo.error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise dynamo.unavailable(exc) from exc
    except dynamo.STORAGE_ERRORS as exc:
        raise dynamo.unavailable(exc) from exc
    return True
