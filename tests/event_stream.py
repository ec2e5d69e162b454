"""Test and bench helpers for the events: the table's stream read from moto as Lambda delivers it, an
EventBridge bus with a catch-all rule to an SQS queue (the consumer), and a seeded PutEvents failure injector.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

BUS = "social-triage-test"
SOURCE = "social-triage"
EVENTBRIDGE_REQUEST_LIMIT = 256 * 1024


def eventbridge_request_size(entries: list[dict[str, Any]]) -> int:
    """A PutEvents request's size as EventBridge's documentation counts it (14 bytes for a Time, then the UTF-8
    bytes of Source, DetailType, Detail and each Resource)."""
    size = 0
    for entry in entries:
        size += 14 if entry.get("Time") else 0
        size += sum(len(entry.get(name, "").encode()) for name in ("Source", "DetailType", "Detail"))
        size += sum(len(r.encode()) for r in entry.get("Resources", []))
    return size


def enforce_eventbridge_limits(events_client) -> None:
    """Model what moto does not: EventBridge refuses a PutEvents request over 256 KB whole."""
    def refuse_oversized(params, **_):
        size = eventbridge_request_size(params.get("Entries", []))
        if size > EVENTBRIDGE_REQUEST_LIMIT:
            raise ClientError({"Error": {"Code": "ValidationException",
                                         "Message": "Total size of the entries in the request is over the limit."}},
                              "PutEvents")
    events_client.meta.events.register("provide-client-params.events.PutEvents", refuse_oversized)


def _lambda_json(value: Any) -> Any:
    """A boto3-parsed stream record as the JSON Lambda receives (datetimes as epoch seconds)."""
    return json.loads(json.dumps(value, default=lambda v: v.timestamp() if isinstance(v, datetime) else str(v)))


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda's event filtering, for the forms the template uses: nested objects, a list of exact values or of
    {"prefix": ...} / {"exists": bool} (a missing key matches only {"exists": false})."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            _matches(sub, value[name]) if name in value else sub == [{"exists": False}]
            for name, sub in pattern.items())
    for rule in pattern:
        if isinstance(rule, dict):
            if "prefix" in rule and isinstance(value, str) and value.startswith(rule["prefix"]):
                return True
            if rule.get("exists") is True:
                return True
        elif rule == value:
            return True
    return False


def passes_stream_filters(record: dict[str, Any]) -> bool:
    """Whether the event source mapping's filters (infra.template.stream_filters) let a record through."""
    from infra.template import stream_filters

    return any(_matches(json.loads(f["Pattern"]), record) for f in stream_filters())


def streams_client(region: str = "us-east-1"):
    """A dynamodbstreams client moto answers: botocore would derive an account endpoint from the stream ARN
    (<account>.streams-ddb.<region>.amazonaws.com), which moto does not serve."""
    return boto3.client("dynamodbstreams", region_name=region,
                        endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com")


class StreamReader:
    """Reads the table's stream from where it last stopped, as Lambda's event source mapping receives it.

    `via_api=True` reads through moto's dynamodbstreams API (GetRecords); the default reads moto's stream
    shard directly: the same records, without moto's response serializer, which costs about a millisecond
    per attribute value (minutes for a few thousand message records).
    """

    def __init__(self, db_client, table_name: str, region: str = "us-east-1", via_api: bool = False,
                 filtered: bool = True):
        self.filtered = filtered  # as the deployed mapping: only what infra.template.stream_filters lets through
        self.streams = streams_client(region)
        self.arn = db_client.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self.table_name, self.region, self.via_api = table_name, region, via_api
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard,
                                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.position = 0

    def read(self) -> list[dict[str, Any]]:
        """Every record written since the last read that the mapping's filters pass, in order, as Lambda's event
        records."""
        records = self._read()
        return [r for r in records if passes_stream_filters(r)] if self.filtered else records

    def _read(self) -> list[dict[str, Any]]:
        if not self.via_api:
            from moto.core import DEFAULT_ACCOUNT_ID
            from moto.dynamodb.models import dynamodb_backends

            shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][self.region].get_table(self.table_name).stream_shard
            records = [r.to_json() for r in shard.items[self.position:]]
            self.position = len(shard.items)
            return [{**_lambda_json(r), "eventSourceARN": self.arn} for r in records]
        out = []
        while True:
            page = self.streams.get_records(ShardIterator=self.iterator, Limit=1000)
            self.iterator = page["NextShardIterator"]
            if not page["Records"]:
                return out
            out += [{**_lambda_json(r), "eventSourceARN": self.arn} for r in page["Records"]]


def batches(records: list[dict[str, Any]], size: int = 100) -> list[dict[str, Any]]:
    """Lambda events of at most `size` records each."""
    return [{"Records": records[i:i + size]} for i in range(0, len(records), size)]


class Consumer:
    """A bus with one catch-all rule to an SQS queue: what a downstream consumer would receive."""

    def __init__(self, bus: str = BUS, pattern: dict[str, Any] | None = None, name: str = "consumer",
                 region: str = "us-east-1"):
        self.events = boto3.client("events", region_name=region)
        self.sqs = boto3.client("sqs", region_name=region)
        try:
            self.events.create_event_bus(Name=bus)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
        self.url = self.sqs.create_queue(QueueName=f"{bus}-{name}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.events.put_rule(Name=f"{name}-rule", EventBusName=bus,
                             EventPattern=json.dumps(pattern or {"source": [SOURCE]}))
        self.events.put_targets(Rule=f"{name}-rule", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])

    def receive(self) -> list[dict[str, Any]]:
        """Every EventBridge event delivered so far (and deletes them from the queue). Drain often: moto's SQS
        costs grow with the queue's depth."""
        out = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return out
            out += [json.loads(m["Body"]) for m in messages]
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)])


class QueuePoller:
    """An SQS queue as Lambda's event source mapping polls it: up to 10 messages at a time, handed to the function
    as Lambda's SQS event; the records it reports (`batchItemFailures`), or the whole batch when it raises, stay in
    the queue and come back on a later poll (visibility timeout 0: at once), each receive counted, so the queue's
    redrive policy moves what keeps failing to its dead-letter queue."""

    def __init__(self, url: str, region: str = "us-east-1"):
        self.sqs = boto3.client("sqs", region_name=region)
        self.url, self.region = url, region
        self.arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def record(self, message: dict[str, Any]) -> dict[str, Any]:
        """One received message as a record of Lambda's SQS event."""
        return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
                "attributes": message.get("Attributes", {}), "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": self.arn,
                "awsRegion": self.region}

    def poll(self, handler, batch_size: int = 10) -> dict[str, Any] | None:
        """One batch through `handler`; its answer (None: the queue was empty; {"raised": ...}: it raised)."""
        messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=batch_size, VisibilityTimeout=0,
                                            AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return None
        try:
            answer = handler({"Records": [self.record(m) for m in messages]})
        except Exception as exc:  # Lambda: the invocation failed, every record comes back
            return {"raised": exc}
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)])
        return answer

    def depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return sum(int(v) for v in attributes.values())


def dead_letter_queue(name: str = "social-triage-events-dlq", region: str = "us-east-1") -> str:
    return boto3.client("sqs", region_name=region).create_queue(QueueName=name)["QueueUrl"]


class FlakyPutEvents:
    """One PutEvents call in `1/every` fails, chosen by a seeded RNG, in one of three ways, taken in turn:

    - `entries`: some entries fail (FailedEntryCount), the others reach the bus;
    - `call`: the call fails before reaching the bus (a 500 / throttle);
    - `lost_answer`: the call reaches the bus, then the client sees an error (the caller retries: a duplicate).
    """

    KINDS = ("entries", "call", "lost_answer")

    def __init__(self, client, seed: int = 7, rate: float = 0.2, kinds: tuple[str, ...] = KINDS):
        self.kinds = kinds
        self.rng = random.Random(seed)
        self.rate = rate
        self.calls = self.failed_calls = self.failed_entries = 0
        self.turn = 0
        self._dropped: list[int] | None = None
        self._lose_answer = self._fail_call = self._all_dropped = False
        client.meta.events.register("provide-client-params.events.PutEvents", self._before_params)
        client.meta.events.register("before-call.events.PutEvents", self._before_call)
        client.meta.events.register("after-call.events.PutEvents", self._after_call)

    def _before_params(self, params, **_):
        self.calls += 1
        self._dropped, self._lose_answer, self._fail_call, self._all_dropped = None, False, False, False
        if self.rng.random() >= self.rate:
            return
        self.failed_calls += 1
        kind = self.kinds[self.turn % len(self.kinds)]
        self.turn += 1
        entries = params["Entries"]
        if kind == "entries":
            dropped = sorted(self.rng.sample(range(len(entries)), k=self.rng.randint(1, len(entries))))
            self._dropped = dropped
            self.failed_entries += len(dropped)
            kept = [e for i, e in enumerate(entries) if i not in dropped]
            if kept:  # else the call is answered without reaching the bus (an empty request is invalid)
                params["Entries"] = kept
            self._all_dropped = not kept
        elif kind == "call":
            self._fail_call = True
        else:
            self._lose_answer = True

    def _before_call(self, **_):
        if self._all_dropped:
            return self._http(200), {"FailedEntryCount": len(self._dropped),
                                     "Entries": [self._entry_error() for _ in self._dropped]}
        if self._fail_call:
            return self._http(500), {"Error": {"Code": "InternalException", "Message": "injected failure"},
                                     "ResponseMetadata": {"HTTPStatusCode": 500}}
        return None

    def _after_call(self, parsed, **_):
        if self._lose_answer:
            raise ClientError({"Error": {"Code": "InternalException", "Message": "injected: answer lost"}},
                              "PutEvents")
        if self._dropped is not None and not self._all_dropped:
            results = iter(parsed["Entries"])
            merged = [self._entry_error() if i in self._dropped else next(results)
                      for i in range(len(parsed["Entries"]) + len(self._dropped))]
            parsed["Entries"] = merged
            parsed["FailedEntryCount"] = len(self._dropped)

    @staticmethod
    def _entry_error() -> dict[str, str]:
        return {"ErrorCode": "InternalFailure", "ErrorMessage": "injected entry failure"}

    @staticmethod
    def _http(status: int):
        class Response:
            status_code = status
            headers: dict = {}
            content = b""
            text = ""
        return Response()


def automatic_replies(pattern: dict[str, Any], name: str, table_name: str, region: str = "us-east-1"):
    """The deployed path to the automatic replies' function, configured from infra/template.py: the table's stream ->
    the publisher -> the bus -> a rule with `pattern` and its queue -> the function, as Lambda polls it. Returns
    `deliver()` (publish what the stream holds, then let the function take its queue; the batches' answers, up to the
    first that failed) and the queue's poller."""
    from app import send_automatic_replies
    from chalicelib.events import publisher

    rule = Consumer(pattern=pattern, name=name, region=region)
    reader = StreamReader(boto3.client("dynamodb", region_name=region), table_name)
    bus = publisher.Publisher(BUS, dead_letter_queue(region=region),
                              events_client=boto3.client("events", region_name=region),
                              sqs_client=boto3.client("sqs", region_name=region), sleep=lambda s: None)
    queue = QueuePoller(rule.url)

    def deliver() -> list[dict[str, Any]]:
        for batch in batches(reader.read()):
            assert publisher.handle_stream(batch, bus) == {"batchItemFailures": []}
        answers = []
        while (answer := queue.poll(lambda event: send_automatic_replies(event, None))) is not None:
            answers.append(answer)
            if answer.get("batchItemFailures") or "raised" in answer:
                break
        return answers

    return deliver, queue
