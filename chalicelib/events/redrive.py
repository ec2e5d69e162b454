"""The dead-letter queue's redrive: put what it holds back on the bus (`python -m chalicelib.cli events redrive`).

The queue holds four kinds of message, each turned back into events:
- `{"kind": "event", "entry": ...}`: an event the publisher could not put after its retries;
- `{"kind": "record", ...}`: a stream record it could not read (its images, or its stream position);
- Lambda's on-failure record (`DDBStreamBatchInfo`): a batch Lambda gave up on, read back from the stream
  (a stream keeps records for 24 hours: redrive within that);
- an EventBridge event (`detail-type`, `detail`): a rule target that could not be reached (the example rules
  send their failures here); it goes back on the bus, so every rule matching it sees it again.
Idempotent by `event_id`: an event is put once per run however many messages carry it, and consumers drop
what they already had. A message is deleted only once its events are on the bus; the rest stay for the
next run (the report counts them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import derive, schema
from .publisher import Publisher

STREAM_PAGE = 1000


@dataclass
class RedriveReport:
    messages: int = 0
    events: int = 0
    published: int = 0
    duplicates: int = 0  # the same event_id in several messages: put once
    kept: int = 0  # messages left in the queue (their events could not be put, or unknown content)
    unknown: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"messages": self.messages, "events": self.events, "published": self.published,
                "duplicates": self.duplicates, "kept": self.kept, "unknown": len(self.unknown)}


def events_of(body: dict[str, Any], streams_client=None, include_text: bool = False) -> list[schema.BaseEvent]:
    """The events a dead-letter message stands for; ValueError when it is none of the known kinds."""
    if body.get("kind") == "event":
        return [schema.parse(body["entry"]["Detail"])]
    if body.get("kind") == "record":
        if "record" in body:
            return derive.from_record(body["record"], include_text)
        return _from_stream(streams_client, body["eventSourceARN"], None, body["sequenceNumber"],
                            body["sequenceNumber"], include_text)
    if "DDBStreamBatchInfo" in body:
        info = body["DDBStreamBatchInfo"]
        return _from_stream(streams_client, info["streamArn"], info["shardId"], info["startSequenceNumber"],
                            info["endSequenceNumber"], include_text)
    if body.get("source") == schema.SOURCE and "detail" in body:
        return [schema.parse(body["detail"])]
    raise ValueError("not a message this redrive knows")


def _from_stream(streams, stream_arn: str, shard_id: str | None, first: str, last: str,
                 include_text: bool) -> list[schema.BaseEvent]:
    """The events of the stream records from sequence number `first` to `last` (inclusive)."""
    if streams is None:
        raise ValueError("reading the stream needs a dynamodbstreams client")
    shards = [shard_id] if shard_id else [s["ShardId"] for s in
                                          streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]]
    out: list[schema.BaseEvent] = []
    for shard in shards:
        try:
            iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard,
                                                  ShardIteratorType="AT_SEQUENCE_NUMBER",
                                                  SequenceNumber=first)["ShardIterator"]
        except Exception:  # noqa: BLE001 - the sequence number is not in this shard
            if shard_id:
                raise
            continue
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=STREAM_PAGE)
            records = page.get("Records", [])
            for record in records:
                if int(record["dynamodb"]["SequenceNumber"]) > int(last):
                    return out
                out += derive.from_record(record, include_text)
            if not records:
                break
            iterator = page.get("NextShardIterator")
    return out


def redrive(sqs, queue_url: str, publisher: Publisher, streams_client=None, include_text: bool = False,
            max_messages: int | None = None, visibility_timeout: int = 120) -> RedriveReport:
    """Drain the dead-letter queue onto the bus (see the module's docstring)."""
    report = RedriveReport()
    seen_messages: set[str] = set()
    put: set[str] = set()
    while max_messages is None or report.messages < max_messages:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                       VisibilityTimeout=visibility_timeout).get("Messages", [])
        fresh = [m for m in received if m["MessageId"] not in seen_messages]
        if not fresh:
            break
        for message in fresh:
            seen_messages.add(message["MessageId"])
            report.messages += 1
            try:
                events = events_of(json.loads(message["Body"]), streams_client, include_text)
            except (ValueError, KeyError, TypeError) as exc:
                report.unknown.append(f"{message['MessageId']}: {exc}")
                report.kept += 1
                continue
            report.events += len(events)
            todo = []
            for event in events:
                if event.event_id in put or event.event_id in {e.event_id for e in todo}:
                    report.duplicates += 1
                else:
                    todo.append(event)
            outcome = publisher.publish(todo) if todo else None
            if outcome is not None:
                put.update(outcome.published)
                report.published += len(outcome.published)
            if outcome is None or not (outcome.lost or outcome.dead_lettered):
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                report.kept += 1
    return report
