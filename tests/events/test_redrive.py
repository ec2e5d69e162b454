"""The dead-letter queue's redrive: each kind of parked message back on the bus, once per event_id."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import boto3
import pytest

from chalicelib.events import derive, publisher, redrive, schema
from chalicelib.store.messages import message_item
from event_stream import BUS, Consumer, FlakyPutEvents, StreamReader, dead_letter_queue, streams_client
from support import seed_message, triaged

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def aws(table):
    from local.dynamodb import lean_transactions

    lean_transactions()
    publisher._client.cache_clear()
    yield Consumer(), dead_letter_queue(), boto3.client("sqs", region_name="us-east-1")
    publisher._client.cache_clear()


def clean_publisher():
    return publisher.Publisher(BUS, None, events_client=boto3.client("events", region_name="us-east-1"),
                               sleep=lambda s: None)


def park(sqs, url, body):
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))


def queue_depth(sqs, url) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                        "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


def an_event(n: int = 0):
    return derive.derive(None, message_item(triaged(f"r{n}", "stance", received_at=T0)))[0]


def test_parked_events_go_back_on_the_bus_once_each_and_leave_the_queue(aws):
    consumer, dlq, sqs = aws
    events = [an_event(n) for n in range(3)]
    letters = [publisher.dead_letter_body(schema.entry(e, BUS), e.event_id, {"code": "InternalFailure"}, 5)
               for e in events]
    for body in letters + letters[:1]:  # the same event parked twice (two failed deliveries of one record)
        park(sqs, dlq, body)
    report = redrive.redrive(sqs, dlq, clean_publisher(), visibility_timeout=0)
    assert report.summary() == {"messages": 4, "events": 4, "published": 3, "duplicates": 1, "kept": 0, "unknown": 0}
    assert sorted(e["detail"]["event_id"] for e in consumer.receive()) == sorted(e.event_id for e in events)
    assert queue_depth(sqs, dlq) == 0
    assert redrive.redrive(sqs, dlq, clean_publisher()).messages == 0  # nothing left: a second run does nothing


def test_a_batch_lambda_gave_up_on_is_read_back_from_the_stream(aws):
    consumer, dlq, sqs = aws
    reader = StreamReader(boto3.client("dynamodb", region_name="us-east-1"), os.environ["TABLE_NAME"])
    for n in range(3):
        seed_message(f"s{n}", "community", received_at=T0)
    records = reader.read()
    messages = [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "MSG"]
    # Lambda's on-failure record for the batch of all these records (its shape for DynamoDB streams)
    park(sqs, dlq, {"requestContext": {"requestId": "r", "condition": "RetryAttemptsExhausted",
                                       "approximateInvokeCount": 6},
                    "version": "1.0", "timestamp": "2026-11-20T09:00:00Z",
                    "DDBStreamBatchInfo": {"shardId": reader.streams.describe_stream(StreamArn=reader.arn)[
                        "StreamDescription"]["Shards"][0]["ShardId"],
                        "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                        "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                        "batchSize": len(records), "streamArn": reader.arn}})
    report = redrive.redrive(sqs, dlq, clean_publisher(), streams_client())
    assert report.published == 3 and report.kept == 0
    got = sorted(e["detail"]["message_id"] for e in consumer.receive())
    assert got == sorted(r["dynamodb"]["NewImage"]["id"]["S"] for r in messages)


def test_an_unreadable_record_is_derived_again_and_an_unreachable_targets_event_is_put_back(aws):
    consumer, dlq, sqs = aws
    item = message_item(triaged("p1", "stance", received_at=T0))
    from chalicelib.store import dynamo

    record = {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "7", "NewImage": dynamo.to_item(item)}}
    park(sqs, dlq, publisher.record_body(record, ValueError("a bug since fixed")))
    event = an_event(9)
    park(sqs, dlq, {"version": "0", "id": "x", "detail-type": event.type, "source": schema.SOURCE,
                    "account": "123456789012", "time": event.occurred_at, "region": "us-east-1", "resources": [],
                    "detail": json.loads(schema.entry(event, BUS)["Detail"])})
    park(sqs, dlq, {"something": "else"})
    report = redrive.redrive(sqs, dlq, clean_publisher(), visibility_timeout=0)
    assert (report.published, report.kept, len(report.unknown)) == (2, 1, 1)
    assert sorted(e["detail"]["message_id"] for e in consumer.receive()) == ["facebook:p1", "facebook:r9"]


def test_when_the_bus_still_fails_the_messages_stay_for_the_next_run(aws):
    consumer, dlq, sqs = aws
    event = an_event()
    park(sqs, dlq, publisher.dead_letter_body(schema.entry(event, BUS), event.event_id, {"code": "x"}, 5))
    failing = clean_publisher()
    FlakyPutEvents(failing.events, rate=1.0, kinds=("call",))
    assert redrive.redrive(sqs, dlq, failing, visibility_timeout=0).kept == 1
    assert queue_depth(sqs, dlq) == 1
    assert redrive.redrive(sqs, dlq, clean_publisher(), visibility_timeout=0).published == 1
    assert queue_depth(sqs, dlq) == 0


def test_the_cli_redrives_the_configured_queue_onto_the_configured_bus(aws, monkeypatch, capsys):
    consumer, dlq, sqs = aws
    from chalicelib import cli
    from support import reset_caches

    event = an_event()
    park(sqs, dlq, publisher.dead_letter_body(schema.entry(event, BUS), event.event_id, {"code": "x"}, 5))
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("EVENTS_DEAD_LETTER_QUEUE_URL", dlq)
    reset_caches()
    assert cli.main(["events", "redrive"]) == 0
    assert json.loads(capsys.readouterr().out)["published"] == 1
    assert [e["detail"]["event_id"] for e in consumer.receive()] == [event.event_id]
