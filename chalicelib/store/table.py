"""The one definition of the DynamoDB table: used by the local run, the tests and the deploy template.

Single-table design (see README "Data model"):
- pk/sk: entity keys (messages and their history, counters, API keys).
- GSI1 (gsi1pk/gsi1sk): a queue's messages by status, highest priority first, then oldest.
- GSI2 (gsi2pk/gsi2sk): sparse; open messages by age (`OPEN#queue`), claimed ones by lease expiry (`LEASE#queue`),
  snoozed ones by wake-up (`SNOOZE#queue`), replies while they are sending (`REPLIES#SENDING`).
- GSI3 (gsi3pk/gsi3sk, keys only): a customer's own messages (`BYAUTHOR#platform#author`) by time, so that
  erasing a person finds every message they wrote, in any conversation.
- TTL on `expires_at`: short-lived author-activity windows.
- A stream of every item change (NEW_AND_OLD_IMAGES): the publisher derives the outbound events from it
  (chalicelib/events), so a change and the record of it are one write.
"""

from __future__ import annotations

from typing import Any

GSI1 = "GSI1"
GSI2 = "GSI2"
GSI3 = "GSI3"
TTL_ATTRIBUTE = "expires_at"
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

KEY_ATTRIBUTES = ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk")
# what each index carries: GSI3 is read only to find keys, so it copies nothing else
PROJECTIONS = {GSI1: "ALL", GSI2: "ALL", GSI3: "KEYS_ONLY"}


def table_definition(name: str) -> dict[str, Any]:
    """CreateTable arguments (boto3 shape)."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in KEY_ATTRIBUTES],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": f"{index.lower()}pk", "KeyType": "HASH"},
                    {"AttributeName": f"{index.lower()}sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": projection},
            }
            for index, projection in PROJECTIONS.items()
        ],
        "StreamSpecification": dict(STREAM),
    }


def create_table(client, name: str) -> bool:
    """Create the table (and its TTL) if missing; True when it was created."""
    try:
        client.create_table(**table_definition(name))
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
    return True


def cloudformation_resource(name_ref: Any = None) -> dict[str, Any]:
    """The same table as an AWS::DynamoDB::Table resource, for the deploy template."""
    definition = table_definition("unused")
    properties: dict[str, Any] = {
        "BillingMode": definition["BillingMode"],
        "AttributeDefinitions": definition["AttributeDefinitions"],
        "KeySchema": definition["KeySchema"],
        "GlobalSecondaryIndexes": definition["GlobalSecondaryIndexes"],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
        "StreamSpecification": {"StreamViewType": definition["StreamSpecification"]["StreamViewType"]},
    }
    if name_ref is not None:
        properties["TableName"] = name_ref
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}
