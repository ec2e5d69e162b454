"""The away message in DynamoDB: one item, replaced only at the revision its editor read."""

from __future__ import annotations

from dataclasses import asdict

from botocore.exceptions import ClientError

from ..domain.away import AwayMessage
from ..domain.errors import ConcurrentChange
from . import dynamo
from .entities import AwayMessageKeys, key

_KEY = key(AwayMessageKeys.PK, AwayMessageKeys.SK)


def get(consistent: bool = True) -> AwayMessage:
    """As saved; never saved: off, at rev 0."""
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), Key=_KEY, ConsistentRead=consistent)
    if "Item" not in response:
        return AwayMessage()
    item = dynamo.from_item(response["Item"])
    return AwayMessage(enabled=bool(item.get("enabled")), text=item.get("text", ""),
                       translations=dict(item.get("translations") or {}), updated_by=item.get("updated_by"),
                       updated_at=item.get("updated_at"), rev=int(item.get("rev", 0)))


def save(changed: AwayMessage, read_rev: int) -> AwayMessage:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    item = {"pk": AwayMessageKeys.PK, "sk": AwayMessageKeys.SK, "type": AwayMessageKeys.TYPE,
            **{k: v for k, v in asdict(changed).items() if v is not None}}
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
                raise ConcurrentChange("the away message changed meanwhile: read it again") from exc
            raise
    return changed
