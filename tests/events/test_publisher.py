"""The publisher: batches, retries with backoff, the dead-letter queue, and what the stream handler answers."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.events import derive, publisher, schema
from chalicelib.models import MAX_TEXT_BYTES
from chalicelib.store import dynamo
from chalicelib.store.messages import message_item
from event_stream import BUS, Consumer, FlakyPutEvents, dead_letter_queue, enforce_eventbridge_limits
from support import triaged

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def aws(table):
    """The table (moto), a bus with a consumer queue, and a dead-letter queue."""
    publisher._client.cache_clear()
    consumer = Consumer()
    yield consumer, dead_letter_queue()
    publisher._client.cache_clear()


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def new_events(count: int, text: str = "") -> list[schema.BaseEvent]:
    items = [message_item(triaged(f"m{i}", "stance", received_at=T0, text=text or None)) for i in range(count)]
    return [derive.derive(None, item, include_text=bool(text))[0] for item in items]


def make(dlq: str | None, **kwargs) -> publisher.Publisher:
    kwargs.setdefault("sleep", Sleeps())
    events_client = boto3.client("events", region_name="us-east-1")
    enforce_eventbridge_limits(events_client)
    return publisher.Publisher(BUS, dlq, events_client=events_client,
                               sqs_client=boto3.client("sqs", region_name="us-east-1"), **kwargs)


def ids_received(consumer: Consumer) -> list[str]:
    return [e["detail"]["event_id"] for e in consumer.receive()]


def dead_letters(url: str) -> list[dict]:
    sqs, out = boto3.client("sqs", region_name="us-east-1"), []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        if not messages:
            return out
        for m in messages:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_events_go_out_in_requests_of_at_most_ten_entries_and_256_kb(aws):
    consumer, dlq = aws
    p = make(dlq)
    calls = []
    p.events.meta.events.register("provide-client-params.events.PutEvents",
                                  lambda params, **_: calls.append(len(params["Entries"])))
    # GIVEN 25 small events, then 9 events each carrying 60 KB of text
    outcome = p.publish(new_events(25))
    assert calls == [10, 10, 5] and len(outcome.published) == 25
    calls.clear()
    big = new_events(9, text="x" * 60_000)
    outcome = p.publish(big)
    # THEN the big ones go at most four to a request (4 x 60 KB < 256 KB < 5 x 60 KB)
    assert calls == [4, 4, 1] and len(outcome.published) == 9
    assert sorted(ids_received(consumer)) == sorted(e.event_id for e in new_events(25) + big)


def test_an_event_whose_text_would_not_fit_eventbridge_goes_out_with_the_text_cut_and_says_so(aws):
    consumer, dlq = aws
    p = make(dlq)
    # GIVEN the longest text the store keeps, all control characters (JSON writes each as six bytes: 384 KB)
    longest = "\x01" * MAX_TEXT_BYTES
    (event,) = new_events(1, text=longest)
    whole = {"Source": schema.SOURCE, "DetailType": event.type, "Detail": event.model_dump_json(exclude_none=True)}
    with pytest.raises(ClientError, match="over the limit"):  # as it is, EventBridge refuses it
        p.events.put_events(Entries=[{**whole, "EventBusName": BUS}])
    # WHEN it is published, beside an event with an ordinary text
    ordinary = derive.derive(None, message_item(triaged("other", "stance", received_at=T0, text="my parcel never came")),
                             include_text=True)[0]
    outcome = p.publish([event, ordinary])
    # THEN both reach the bus, none goes to the dead-letter queue
    assert sorted(outcome.published) == sorted([event.event_id, ordinary.event_id]) and not outcome.dead_lettered
    received = {e["detail"]["event_id"]: e["detail"] for e in consumer.receive()}
    assert not dead_letters(dlq)
    # AND the long one carries as much of the text as fits, and names what was cut
    cut = received[event.event_id]
    assert cut["truncated"] == ["text"] and longest.startswith(cut["text"])
    assert 40_000 < len(cut["text"]) < MAX_TEXT_BYTES
    assert publisher.entry_size(schema.entry(schema.parse(cut), BUS)) <= schema.MAX_ENTRY_BYTES
    # AND the ordinary one is as it was
    assert received[ordinary.event_id]["text"] == "my parcel never came" and "truncated" not in received[ordinary.event_id]


def test_a_bus_failing_one_call_in_five_loses_nothing_and_copies_only_what_event_id_drops(aws):
    consumer, dlq = aws
    p = make(dlq)
    flaky = FlakyPutEvents(p.events, seed=3, rate=0.2)
    events = new_events(300)
    outcome, received = publisher.Outcome(), []
    for start in range(0, len(events), 50):  # as the stream handler gets them, in batches
        result = p.publish(events[start:start + 50])
        outcome.published += result.published
        outcome.dead_lettered += result.dead_lettered
        outcome.lost += result.lost
        received += consumer.receive()
    assert flaky.failed_calls > 0 and flaky.turn >= 3  # every kind of failure happened
    parked = [d["event_id"] for d in dead_letters(dlq)]
    expected = {e.event_id: e for e in events}
    # THEN every event reached the consumer or the dead-letter queue: none is lost
    assert not outcome.lost
    assert {e["detail"]["event_id"] for e in received} | set(parked) == set(expected)
    # AND the copies the consumer got (a lost answer, retried) are the very same events: dropped by event_id
    ids = [e["detail"]["event_id"] for e in received]
    assert len(ids) > len(set(ids))
    for event in received:
        assert schema.parse(event["detail"]) == expected[event["detail"]["event_id"]]
    # AND the backoff stayed bounded
    assert p.sleep and max(p.sleep) < publisher.MAX_DELAY


def test_what_still_fails_after_the_retries_is_dead_lettered_whole_and_the_batch_succeeds(aws):
    consumer, dlq = aws
    p = make(dlq)
    FlakyPutEvents(p.events, rate=1.0, kinds=("call",))  # the bus refuses every call
    events = new_events(12)
    outcome = p.publish(events)
    assert outcome.attempts == publisher.MAX_ATTEMPTS and not outcome.published and not outcome.lost
    assert len(p.sleep) == publisher.MAX_ATTEMPTS - 1
    assert all(0 <= s < min(publisher.MAX_DELAY, publisher.BASE_DELAY * 2 ** (n + 1)) for n, s in enumerate(p.sleep))
    letters = dead_letters(dlq)
    assert sorted(d["event_id"] for d in letters) == sorted(e.event_id for e in events)
    # the whole entry is kept: the redrive needs nothing else
    assert all(schema.parse(d["entry"]["Detail"]).event_id == d["event_id"] for d in letters)
    assert all(d["entry"]["Source"] == schema.SOURCE and d["error"]["code"] for d in letters)
    assert ids_received(consumer) == []


def test_an_error_no_retry_can_fix_goes_straight_to_the_dead_letter_queue(aws):
    consumer, dlq = aws
    p = make(dlq)
    p.events.meta.events.register("after-call.events.PutEvents", lambda parsed, **_: parsed.update(
        FailedEntryCount=len(parsed["Entries"]),
        Entries=[{"ErrorCode": "ValidationException", "ErrorMessage": "too big"} for _ in parsed["Entries"]]))
    outcome = p.publish(new_events(3))
    assert outcome.attempts == 1 and len(outcome.dead_lettered) == 3 and p.sleep == []


def lambda_event(events_per_record: list[list[dict]]) -> dict:
    """Lambda's stream event: one INSERT record per item."""
    records = []
    for n, items in enumerate(events_per_record):
        for item in items:
            records.append({"eventName": "INSERT", "eventSourceARN": "arn:stream",
                            "dynamodb": {"SequenceNumber": str(100 + len(records)), "NewImage": dynamo.to_item(item)}})
    return {"Records": records}


def test_when_neither_the_bus_nor_the_dead_letter_queue_takes_them_lambda_retries_from_the_first_record(aws):
    consumer, dlq = aws
    items = [message_item(triaged(f"m{i}", "community", received_at=T0)) for i in range(5)]
    p = make(None)  # no dead-letter queue to fall back on
    flaky = FlakyPutEvents(p.events, rate=1.0, kinds=("call",))
    answer = publisher.handle_stream(lambda_event([items]), p, include_text=False)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    # once the bus answers, the retried batch goes through and the handler reports no failure
    flaky.rate = 0.0
    assert publisher.handle_stream(lambda_event([items]), p, include_text=False) == {"batchItemFailures": []}
    assert len(set(ids_received(consumer))) == 5


def test_a_record_that_cannot_be_read_is_parked_and_does_not_block_the_ones_after_it(aws):
    consumer, dlq = aws
    good = message_item(triaged("ok", "stance", received_at=T0))
    broken = {**message_item(triaged("bad", "stance", received_at=T0)), "queue": "no-such-queue"}
    p = make(dlq)
    answer = publisher.handle_stream(lambda_event([[broken, good]]), p, include_text=False)
    assert answer == {"batchItemFailures": []}
    assert [e["detail"]["message_id"] for e in consumer.receive()] == ["facebook:ok"]
    (letter,) = dead_letters(dlq)
    assert letter["kind"] == "record" and letter["record"]["dynamodb"]["SequenceNumber"] == "100"
    assert letter["error"]["code"] == "ValidationError"
