"""The harness's models of DynamoDB behaviour that moto lacks: transaction conflicts and the 400 KB item limit.
They must answer exactly as DynamoDB does, so that the store's handling of those answers is what is tested."""

from __future__ import annotations

import os
import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodb_model import MAX_ITEM_BYTES, ConflictModel, item_size

TABLE = lambda: os.environ["TABLE_NAME"]  # noqa: E731


def counter_add(pk: str) -> dict:
    return {"Update": {"TableName": TABLE(), "Key": {"pk": {"S": pk}, "sk": {"S": "c"}},
                       "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}


def test_a_transaction_meeting_another_in_flight_on_one_of_its_items_is_cancelled_as_dynamodb_does(local_dynamodb,
                                                                                                   dynamodb_server):
    # GIVEN a client with the conflict model, whose transactions stay in flight for 0.5 s
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=dynamodb_server.endpoint_url)
    model = ConflictModel(client, hold=0.5)
    started = threading.Event()
    original = model._before_send

    def signalling(*args, **kwargs):
        answer = original(*args, **kwargs)
        started.set()
        return answer

    client.meta.events.unregister("before-send.dynamodb.TransactWriteItems", unique_id=model._id + "TransactWriteItems")
    client.meta.events.register("before-send.dynamodb.TransactWriteItems", signalling)
    first = threading.Thread(target=client.transact_write_items, kwargs={"TransactItems": [counter_add("HOT")]})
    first.start()
    started.wait(5)
    # WHEN another transaction touches the same item (and one other) while the first is in flight
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(TransactItems=[counter_add("COLD"), counter_add("HOT")])
    first.join()
    # THEN it is cancelled with DynamoDB's error: TransactionConflict for that item only, and nothing of it is written
    error = cancelled.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["None", "TransactionConflict"]
    assert "COLD" not in {i["pk"]["S"] for i in local_dynamodb.scan(TableName=TABLE())["Items"]}
    # AND a single write to an item a transaction holds gets TransactionConflictException
    first = threading.Thread(target=client.transact_write_items, kwargs={"TransactItems": [counter_add("HOT")]})
    started.clear()
    first.start()
    started.wait(5)
    with pytest.raises(ClientError) as refused:
        client.update_item(**counter_add("HOT")["Update"])
    first.join()
    assert refused.value.response["Error"]["Code"] == "TransactionConflictException"
    # AND once nothing is in flight, writes go through
    client.transact_write_items(TransactItems=[counter_add("COLD"), counter_add("HOT")])
    assert model.conflicts == {"TransactWriteItems": 1, "UpdateItem": 1}
    model.close()


def big(size: int) -> dict:
    return {"S": "x" * size}


def test_an_item_over_400_kb_is_refused_as_dynamodb_refuses_it(table):
    # GIVEN an item just under the limit
    item = {"pk": {"S": "BIG"}, "sk": {"S": "x"}, "text": big(MAX_ITEM_BYTES - 2_000)}
    table.put_item(TableName=TABLE(), Item=item)
    assert item_size(item) <= MAX_ITEM_BYTES
    # WHEN a put, an update or a transaction would take it past 400 KB THEN each is refused in DynamoDB's shape
    with pytest.raises(ClientError) as put:
        table.put_item(TableName=TABLE(), Item={**item, "more": big(3_000)})
    assert put.value.response["Error"]["Code"] == "ValidationException"
    assert "Item size has exceeded" in put.value.response["Error"]["Message"]
    grow = {"TableName": TABLE(), "Key": {"pk": {"S": "BIG"}, "sk": {"S": "x"}}, "UpdateExpression": "SET more = :m",
            "ExpressionAttributeValues": {":m": big(3_000)}}
    with pytest.raises(ClientError) as update:
        table.update_item(**grow)
    assert update.value.response["Error"]["Code"] == "ValidationException"
    assert "Item size to update has exceeded" in update.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as transaction:
        table.transact_write_items(TransactItems=[counter_add("OTHER"), {"Update": grow}])
    assert transaction.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in transaction.value.response["CancellationReasons"]] == ["None", "ValidationError"]
    # AND nothing changed: the item is as it was and the transaction wrote nothing
    stored = {i["pk"]["S"]: i for i in table.scan(TableName=TABLE())["Items"]}
    assert set(stored) == {"BIG"} and stored["BIG"] == item
    # AND a smaller growth is fine
    table.update_item(**{**grow, "ExpressionAttributeValues": {":m": big(500)}})


# moto_speed.lean_attribute_values: the same response bytes as moto's own walk ---------------------------------

_TEXT = st.text(max_size=8)
_LEAVES = st.one_of(
    st.builds(lambda s: {"S": s}, _TEXT),
    st.builds(lambda n: {"N": str(n)}, st.integers() | st.decimals(allow_nan=False)),
    st.builds(lambda b: {"B": b}, st.binary(max_size=8)), st.builds(lambda v: {"SS": v}, st.lists(_TEXT, max_size=3)),
    st.builds(lambda v: {"NS": [str(n) for n in v]}, st.lists(st.integers(), max_size=3)),
    st.builds(lambda v: {"BS": v}, st.lists(st.binary(max_size=4), max_size=3)),
    st.just({"NULL": True}), st.builds(lambda b: {"BOOL": b}, st.booleans()),
    # not what moto hands over, but the walk's answer must still be kept: no member, two members, lower case, None
    st.sampled_from([{}, {"S": "a", "N": "1"}, {"s": "lower"}, {"S": None}, {"M": None}, {"L": [None]}]),
)
_VALUES = st.recursive(_LEAVES, lambda inner: st.builds(lambda m: {"M": m}, st.dictionaries(_TEXT, inner, max_size=3))
                       | st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3)), max_leaves=12)
_ITEMS = st.dictionaries(st.text(min_size=1, max_size=6), _VALUES, max_size=5)


@settings(max_examples=100, deadline=None)
@given(items=st.lists(_ITEMS, max_size=3), key=_ITEMS)
def test_lean_attribute_values_serialize_exactly_as_the_walk(items, key):
    from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
    from moto.core.utils import get_service_model

    service = get_service_model("dynamodb")
    lean = BaseJSONSerializer._serialize_type_structure
    assert lean.lean  # conftest installed it

    def body(operation: str, result: dict) -> str:
        serializer = get_serializer_class("dynamodb", "json")(
            service.operation_model(operation), value_picker=XFormedAttributePicker(response_transformers={}))
        return serializer.serialize(result)["body"]

    results = {"Query": {"Items": items, "Count": len(items), "LastEvaluatedKey": key},
               "GetItem": {"Item": key}, "UpdateItem": {"Attributes": key}}
    answers = {operation: body(operation, result) for operation, result in results.items()}
    BaseJSONSerializer._serialize_type_structure = lean.walk
    try:
        assert {operation: body(operation, result) for operation, result in results.items()} == answers
    finally:
        BaseJSONSerializer._serialize_type_structure = lean
