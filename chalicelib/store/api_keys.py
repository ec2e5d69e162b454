"""API keys in DynamoDB: only a hash of the secret is stored, looked up by key id."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from . import dynamo
from .entities import ApiKeyKeys, key


def put_key(record: dict[str, Any]) -> None:
    item = {"pk": ApiKeyKeys.PK, "sk": record["key_id"], "type": "api_key", **record}
    with dynamo.storage_errors():
        dynamo.client().put_item(TableName=dynamo.table_name(), Item=dynamo.to_item(item),
                                 ConditionExpression="attribute_not_exists(pk)")


def get_key(key_id: str) -> dict[str, Any] | None:
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), Key=key(ApiKeyKeys.PK, key_id))
    return dynamo.from_item(response["Item"]) if "Item" in response else None


def list_keys() -> list[dict[str, Any]]:
    with dynamo.storage_errors():
        return list(dynamo.query_pages(KeyConditionExpression="pk = :pk",
                                       ExpressionAttributeValues=dynamo.values(pk=ApiKeyKeys.PK)))


def revoke_key(key_id: str, revoked_at: str) -> bool:
    """Mark a key revoked; False when there is no such key."""
    with dynamo.storage_errors():
        try:
            dynamo.client().update_item(
                TableName=dynamo.table_name(), Key=key(ApiKeyKeys.PK, key_id),
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :at)",
                ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues=dynamo.values(at=revoked_at),
            )
        except ClientError as exc:
            if dynamo.error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
    return True
