"""The publisher: the table's stream records -> events -> the stage's EventBridge bus, never losing one.

- PutEvents in requests of at most 10 entries and 256 KB;
- entries that fail (or whole calls that fail) are retried, with exponential backoff and full jitter, at most
  MAX_ATTEMPTS times (a few seconds in all: well within the function's timeout);
- what still fails goes to the SQS dead-letter queue with the whole entry (`python -m chalicelib.cli events
  redrive` puts it back on the bus);
- if even the dead-letter queue cannot take it, the handler reports the first record whose events are not
  safe as a batch item failure: Lambda retries the batch from there (bisecting on errors), and after its
  maximum retry attempts the event source mapping's on-failure destination (the same queue) receives the
  batch's stream position, which the redrive reads back from the stream.

Delivery is at-least-once: a retry may put an event the bus already has (a lost answer, a batch retried from
an earlier record). The event keeps its `event_id`, so consumers drop the copy. Nothing here runs on the
webhook path: the webhook's write is the record.
"""

from __future__ import annotations

import functools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .. import observability
from ..config import get_settings
from . import derive, schema

MAX_ENTRIES = 10  # PutEvents and SendMessageBatch both take at most 10 entries
MAX_REQUEST_BYTES = 256 * 1024
MAX_ATTEMPTS = 5
BASE_DELAY, MAX_DELAY = 0.1, 2.0  # seconds: at most 0.2 + 0.4 + 0.8 + 1.6 of sleeping in all
# entry errors a retry cannot fix: straight to the dead-letter queue
PERMANENT_ERRORS = frozenset({"ValidationException", "MalformedDetail", "InvalidArgument", "AccessDeniedException",
                              "NotAuthorizedForSourceException", "ResourceNotFoundException"})

# botocore makes one attempt per call: the retries (entry and call failures alike) are ours, below
_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2, read_timeout=5,
                        tcp_keepalive=True)


@functools.lru_cache(maxsize=8)
def _client(service: str, region: str):
    return boto3.client(service, region_name=region, config=_CLIENT_CONFIG)


def client(service: str):
    return _client(service, get_settings().aws_region)


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size as EventBridge counts it against the 256 KB of a request."""
    size = 14  # Time
    for name in ("Source", "DetailType", "Detail"):
        size += len(entry.get(name, "").encode())
    return size + sum(len(r.encode()) for r in entry.get("Resources", []))


def chunks(indices: Iterable[int], sizes: list[int], limit: int = MAX_REQUEST_BYTES) -> Iterator[list[int]]:
    """Indices grouped into requests of at most MAX_ENTRIES entries and `limit` bytes."""
    chunk: list[int] = []
    total = 0
    for i in indices:
        if chunk and (len(chunk) == MAX_ENTRIES or total + sizes[i] > limit):
            yield chunk
            chunk, total = [], 0
        chunk.append(i)
        total += sizes[i]
    if chunk:
        yield chunk


@dataclass
class Outcome:
    published: list[str] = field(default_factory=list)  # event ids the bus accepted
    dead_lettered: list[str] = field(default_factory=list)  # event ids sent to the dead-letter queue instead
    lost: list[str] = field(default_factory=list)  # neither: the caller must not consider them delivered
    attempts: int = 0


class Publisher:
    def __init__(self, bus_name: str, dead_letter_queue_url: str | None, events_client=None, sqs_client=None,
                 sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random,
                 max_attempts: int = MAX_ATTEMPTS, metrics: bool = True):
        self.bus_name = bus_name
        self.metrics = metrics  # EMF lines on stdout: the Lambda function's, not the operator CLI's
        self.dead_letter_queue_url = dead_letter_queue_url
        self.events = events_client or client("events")
        self.sqs = sqs_client if sqs_client is not None else (client("sqs") if dead_letter_queue_url else None)
        self.sleep, self.jitter, self.max_attempts = sleep, jitter, max_attempts

    @classmethod
    def from_settings(cls, **kwargs: Any) -> "Publisher":
        settings = get_settings()
        return cls(settings.event_bus_name, settings.events_dead_letter_queue_url, **kwargs)

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(MAX_DELAY, BASE_DELAY * 2^attempt))."""
        return self.jitter() * min(MAX_DELAY, BASE_DELAY * 2 ** attempt)

    def publish(self, events: list[schema.BaseEvent]) -> Outcome:
        entries = [schema.entry(e, self.bus_name) for e in events]
        sizes = [entry_size(e) for e in entries]
        outcome = Outcome()
        errors: dict[int, dict[str, str]] = {}
        pending = list(range(len(entries)))
        permanent: list[int] = []
        while pending and outcome.attempts < self.max_attempts:
            if outcome.attempts:
                self.sleep(self.delay(outcome.attempts))
            outcome.attempts += 1
            failed: list[int] = []
            for chunk in chunks(pending, sizes):
                failed += self._put(chunk, entries, errors)
            permanent += [i for i in failed if errors[i]["code"] in PERMANENT_ERRORS]
            pending = [i for i in failed if errors[i]["code"] not in PERMANENT_ERRORS]
        undelivered = sorted(permanent + pending)
        done = set(undelivered)
        outcome.published = [events[i].event_id for i in range(len(events)) if i not in done]
        if undelivered:
            kept = self.dead_letter([dead_letter_body(entries[i], events[i].event_id, errors[i], outcome.attempts)
                                     for i in undelivered])
            for i, ok in zip(undelivered, kept):
                (outcome.dead_lettered if ok else outcome.lost).append(events[i].event_id)
            observability.warning("events not published", dead_lettered=len(outcome.dead_lettered),
                                  lost=len(outcome.lost), error=next(iter(errors.values()))["code"])
        for name, ids in (("EventsPublished", outcome.published), ("EventsDeadLettered", outcome.dead_lettered),
                          ("EventsUndelivered", outcome.lost)):
            if ids and self.metrics:
                observability.count(name, len(ids))
        return outcome

    def _put(self, chunk: list[int], entries: list[dict[str, Any]], errors: dict[int, dict[str, str]]) -> list[int]:
        """Put one request's entries; the indices that failed."""
        try:
            response = self.events.put_events(Entries=[entries[i] for i in chunk])
        except ClientError as exc:
            error = {"code": exc.response.get("Error", {}).get("Code", "ClientError"),
                     "message": str(exc.response.get("Error", {}).get("Message", ""))[:500]}
            for i in chunk:
                errors[i] = error
            return chunk
        except BotoCoreError as exc:
            for i in chunk:
                errors[i] = {"code": type(exc).__name__, "message": str(exc)[:500]}
            return chunk
        failed = []
        for i, result in zip(chunk, response.get("Entries", [])):
            if result.get("ErrorCode"):
                errors[i] = {"code": result["ErrorCode"], "message": str(result.get("ErrorMessage", ""))[:500]}
                failed.append(i)
        return failed

    def dead_letter(self, bodies: list[dict[str, Any]]) -> list[bool]:
        """Send bodies to the dead-letter queue; for each, whether the queue has it."""
        if not self.dead_letter_queue_url or self.sqs is None:
            return [False] * len(bodies)
        texts = [json.dumps(b, separators=(",", ":"), ensure_ascii=False) for b in bodies]
        sizes = [len(t.encode()) for t in texts]
        kept = [False] * len(bodies)
        pending = list(range(len(bodies)))
        for attempt in range(3):
            if attempt:
                self.sleep(self.delay(attempt))
            failed: list[int] = []
            for chunk in chunks(pending, sizes):
                try:
                    response = self.sqs.send_message_batch(
                        QueueUrl=self.dead_letter_queue_url,
                        Entries=[{"Id": str(n), "MessageBody": texts[i]} for n, i in enumerate(chunk)])
                except (ClientError, BotoCoreError):
                    failed += chunk
                    continue
                for result in response.get("Successful", []):
                    kept[chunk[int(result["Id"])]] = True
                failed += [chunk[int(result["Id"])] for result in response.get("Failed", [])]
            pending = failed
            if not pending:
                break
        return kept


def dead_letter_body(entry: dict[str, Any], event_id: str, error: dict[str, str], attempts: int) -> dict[str, Any]:
    return {"kind": "event", "event_id": event_id, "entry": {k: v for k, v in entry.items() if k != "EventBusName"},
            "error": error, "attempts": attempts}


# the stream handler ------------------------------------------------------------------------------------

def handle_stream(lambda_event: dict[str, Any], publisher: Publisher | None = None,
                  include_text: bool | None = None) -> dict[str, Any]:
    """A batch of DynamoDB stream records (Lambda's event): publish their events.

    Answers Lambda's partial batch response: empty when every event is on the bus or in the dead-letter
    queue; else the first record whose events are neither, from which Lambda retries.
    """
    publisher = publisher or Publisher.from_settings()
    if include_text is None:
        include_text = get_settings().events_include_text
    by_record: list[tuple[str, list[str]]] = []
    events: list[schema.BaseEvent] = []
    unsafe: set[str] = set()  # sequence numbers of records neither derived nor dead-lettered
    for record in lambda_event.get("Records", []):
        sequence = record.get("dynamodb", {}).get("SequenceNumber", "")
        try:
            derived = derive.from_record(record, include_text)
        except Exception as exc:  # a record this code cannot read: park it, do not block the shard behind it
            if not publisher.dead_letter([record_body(record, exc)])[0]:
                unsafe.add(sequence)
            continue
        by_record.append((sequence, [e.event_id for e in derived]))
        events += derived
    outcome = publisher.publish(events)
    lost = set(outcome.lost)
    unsafe |= {sequence for sequence, ids in by_record if lost.intersection(ids)}
    sequences = [r.get("dynamodb", {}).get("SequenceNumber", "") for r in lambda_event.get("Records", [])]
    first = next((s for s in sequences if s in unsafe), None)
    return {"batchItemFailures": [{"itemIdentifier": first}] if first is not None else []}


MAX_RECORD_BODY = 200 * 1024


def record_body(record: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """A stream record that could not be turned into events, for the dead-letter queue (its images when they
    fit; else its position, which the redrive reads back from the stream while the stream keeps it)."""
    body = {"kind": "record", "error": {"code": type(exc).__name__, "message": str(exc)[:500]},
            "eventSourceARN": record.get("eventSourceARN"),
            "sequenceNumber": record.get("dynamodb", {}).get("SequenceNumber")}
    if len(json.dumps(record, default=str)) <= MAX_RECORD_BODY:
        body["record"] = record
    return body
