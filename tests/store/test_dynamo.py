"""The store's DynamoDB client: Query items taken straight from the JSON body, and item decoding."""

from __future__ import annotations

import os
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from chalicelib.store import dynamo

ITEM = {
    "pk": "COUNTERS", "sk": "x", "text": "ünïcode 📦 and \"quotes\"", "empty": "",
    "count": 42, "negative": -7, "zero": 0, "ratio": 0.125, "big": 12345678901234567890123,
    "flag": True, "off": False,
    "nested": {"a": [1, "two", {"three": 3.5}], "b": {"c": []}},
    "history": [{"event": "claimed", "at": "2026-11-20T09:00:00.000000Z"}],
    "tags": {"x", "y"}, "sizes": {1, 2},
}


def _seed(client, count: int) -> None:
    for i in range(count):
        client.put_item(TableName=os.environ["TABLE_NAME"], Item=dynamo.to_item({**ITEM, "sk": f"{i:04d}"}))


def test_query_items_equal_what_botocores_parser_builds(table, monkeypatch):
    # GIVEN items with every kind of attribute the table may hold, over several pages
    _seed(table, 7)
    taken = []  # per store page: did the hook hand botocore the Items from the JSON body?
    original = dynamo._items_as_sent

    def spying(**kwargs):
        original(**kwargs)
        taken.append("Items" in kwargs["customized_response_dict"])

    monkeypatch.setattr(dynamo, "_items_as_sent", spying)
    dynamo._client.cache_clear()
    plain = boto3.client("dynamodb", region_name="us-east-1")  # no before-parse handler
    kwargs = {"TableName": os.environ["TABLE_NAME"], "KeyConditionExpression": "pk = :pk",
              "ExpressionAttributeValues": {":pk": {"S": "COUNTERS"}}, "Limit": 3}
    # WHEN the store's client and a plain client page through the same query
    pages = {"store": [], "plain": []}
    for name, client in (("store", dynamo.client()), ("plain", plain)):
        args = dict(kwargs)
        while True:
            page = client.query(**args)
            pages[name].append({k: v for k, v in page.items() if k != "ResponseMetadata"})
            if "LastEvaluatedKey" not in page:
                break
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    # THEN every page is the same: items, counts and the paging key
    assert len(pages["store"]) == 3 and taken == [True] * 3  # the store's pages came from the raw JSON
    assert pages["store"] == pages["plain"]


def test_a_failed_query_still_raises_the_modeled_error(table):
    # GIVEN a query on a table that does not exist
    client = dynamo.client()
    # WHEN it fails THEN the error is botocore's, parsed as usual
    with pytest.raises(client.exceptions.ResourceNotFoundException) as failed:
        client.query(TableName="no-such-table", KeyConditionExpression="pk = :pk",
                     ExpressionAttributeValues={":pk": {"S": "x"}})
    assert dynamo.error_code(failed.value) == "ResourceNotFoundException"


def test_from_item_decodes_like_boto3s_deserializer_without_decimals():
    # GIVEN an item as DynamoDB sends it
    wire = dynamo.to_item(ITEM | {"exponent": Decimal("1E+2"), "fraction": Decimal("-0.5")})
    wire["nothing"] = {"NULL": True}  # to_item leaves None out; DynamoDB may still send NULL
    # WHEN it is decoded
    decoded = dynamo.from_item(wire)
    # THEN it equals boto3's deserializer followed by Decimal -> int/float, and numbers are plain
    expected = {k: dynamo._native(TypeDeserializer().deserialize(v)) for k, v in wire.items()}
    assert decoded == expected
    assert decoded["count"] == 42 and type(decoded["count"]) is int
    assert decoded["big"] == 12345678901234567890123 and type(decoded["big"]) is int
    assert decoded["exponent"] == 100 and type(decoded["exponent"]) is int
    assert decoded["ratio"] == 0.125 and decoded["fraction"] == -0.5
    assert decoded["nested"] == {"a": [1, "two", {"three": 3.5}], "b": {"c": []}}
    assert decoded["nothing"] is None and decoded["flag"] is True
    assert decoded["tags"] == {"x", "y"}
