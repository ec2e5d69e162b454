"""Events never lost: 1,000 messages ingested and handled while PutEvents fails one call in five.

    python bench/events.py [--messages 1000] [--pairs 150] [--seed 5]

Method. One moto account in process (mock_aws): the table with its stream, an EventBridge bus with a
catch-all rule to an SQS queue (the consumer), and the events dead-letter queue.
1. Webhook latency, stream vs none: a signed single-message Messenger DM through chalice.test.Client into the
   table with its stream, and the same into a table created without one (the baseline), alternating, --pairs
   times after 5 warm-up pairs; medians, and their ratio. Caveat: moto builds each stream record inside the
   write; DynamoDB writes the stream asynchronously, after the write has answered, so this is an upper bound.
2. --messages messages arrive by the generic webhook (50 a request); a manager claims every queue empty (50 a
   claim), re-routing a quarter of the messages, releasing a quarter and resolving half; what comes back
   (released, re-routed, and the latency phase's messages) is claimed again and resolved. The bench counts
   what it expects from its own successful calls: (message, type) for each webhook message and each action.
3. The stream is drained as Lambda would (batches of 100 records through the publisher's handler) while a
   seeded injector fails one PutEvents call in five (some entries fail; the call fails; the call reaches the
   bus but its answer is lost, so the retry makes a copy). The publisher retries with its real backoff; what
   still fails goes to the dead-letter queue, which `python -m chalicelib.cli events redrive`'s code then
   puts back on the (healed) bus.
4. The consumer's queue is read: published = distinct event_ids, duplicates = copies of an event_id already
   received, missing = expected (message, type) pairs never received. moto's lean transactions
   (local/dynamodb.py) are on, as in the local run, so moto does not copy the whole table and stream per write.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from contextlib import redirect_stdout

from harness import ROOT  # noqa: F401  (puts the repo and tests/ on sys.path)

import payloads  # noqa: E402
import support  # noqa: E402  (fake AWS credentials and the test environment: nothing can reach AWS)

# chalice.test.Client sets TABLE_NAME from .chalice/config.json on every request: the baseline table has the
# same name in another region
TABLE = "social-triage"
WITH_STREAM, WITHOUT_STREAM = "us-east-1", "us-west-2"
TEXTS = [
    "where is my order? it never arrived and I want a refund",
    "love the new flavour, thanks team!",
    "your statement on the strike is shameful, boycotting you",
    "is the store on main street open today?",
    "the app keeps crashing when I try to pay",
    "great meetup yesterday, see you next year",
]
PER_REQUEST = 50


def use_table(region: str) -> None:
    """Point the app at a region's table (untimed: the settings are rebuilt here, not inside the timed request)."""
    from chalicelib.config import get_settings

    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = region
    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    get_settings()


def create_tables() -> None:
    import boto3

    from chalicelib.store.table import create_table, table_definition

    create_table(boto3.client("dynamodb", region_name=WITH_STREAM), TABLE)
    plain = table_definition(TABLE)
    plain.pop("StreamSpecification")
    boto3.client("dynamodb", region_name=WITHOUT_STREAM).create_table(**plain)


def webhook_latency(api, pairs: int) -> tuple[float, float]:
    """Median ms of one DM webhook into the table with a stream and into one without (alternating)."""
    timings: dict[str, list[float]] = {WITH_STREAM: [], WITHOUT_STREAM: []}
    for n in range(pairs + 5):
        order = (WITH_STREAM, WITHOUT_STREAM) if n % 2 else (WITHOUT_STREAM, WITH_STREAM)
        for table in order:
            use_table(table)
            body = support.dumps(payloads.messenger_dm(f"m_lat_{table}_{n}", TEXTS[n % len(TEXTS)],
                                                        sender=f"62{n:010d}"))
            headers = support.SIGNERS["meta"](body)
            start = time.perf_counter()
            response = api.http.post("/webhooks/meta", body=body, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, response.body
            if n >= 5:
                timings[table].append(elapsed)
    use_table(WITH_STREAM)
    return statistics.median(timings[WITH_STREAM]), statistics.median(timings[WITHOUT_STREAM])


def ingest_and_handle(api, count: int, expected: Counter) -> None:
    from chalicelib import auth
    from chalicelib.models import QUEUES

    manager = {"Authorization": f"Bearer {auth.create_key('manager', 'bench').key}"}
    now = int(time.time())
    for start in range(0, count, PER_REQUEST):
        messages = [{"source": "linkedin", "id": f"bench-{n}", "channel": "comment",
                     "author": {"id": f"li-{n}"}, "text": f"{TEXTS[n % len(TEXTS)]} ({n})",
                     "created_at": "2026-11-20T10:00:00+00:00"} for n in range(start, min(start + PER_REQUEST, count))]
        body = support.dumps({"messages": messages})
        response = support.post_webhook(api, "generic", body, support.generic_headers(body, timestamp=now))
        assert response.status_code == 200, response.body
        for m in messages:
            expected[(f"linkedin:{m['id']}", "message.triaged")] += 1
    handled: set[str] = set()
    while True:  # a re-route may open a message in a queue already emptied: go round until none is left
        before = sum(expected.values())
        for queue in QUEUES:
            while True:
                status, page = support.call(api, "POST", f"/queues/{queue}/claim", manager, {"count": 50})
                assert status == 200, page
                if not page["claimed"]:
                    break
                for message in page["claimed"]:
                    message_id = message["id"]
                    expected[(message_id, "message.claimed")] += 1
                    turn = len(handled)
                    if message_id in handled or not message_id.startswith("linkedin:bench-"):
                        turn = 2  # back again (released, re-routed) or a latency-phase message: resolved
                    handled.add(message_id)
                    if turn % 4 == 0:
                        to = QUEUES[(QUEUES.index(queue) + 1) % len(QUEUES)]
                        status, _ = support.call(api, "POST", f"/messages/{message_id}/reroute", manager,
                                                 {"queue": to, "reason": "bench"})
                        kind = "message.rerouted"
                    elif turn % 4 == 1:
                        status, _ = support.call(api, "POST", f"/messages/{message_id}/release", manager)
                        kind = "message.released"
                    else:
                        status, _ = support.call(api, "POST", f"/messages/{message_id}/resolve", manager, {})
                        kind = "message.resolved"
                    assert status == 200
                    expected[(message_id, kind)] += 1
        if sum(expected.values()) == before:
            break
    ours = {m for m in handled if m.startswith("linkedin:bench-")}
    assert len(ours) == count, f"handled {len(ours)} of {count}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if args.messages < 1 or args.pairs < 1:
        parser.error("--messages and --pairs must be at least 1")

    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from event_stream import BUS, Consumer, FlakyPutEvents, StreamReader, batches, dead_letter_queue, streams_client
    from local.dynamodb import lean_transactions

    with mock_aws(), open(os.devnull, "w") as quiet:
        lean_transactions()
        support.reset_caches()
        db = boto3.client("dynamodb", region_name=WITH_STREAM)
        create_tables()
        use_table(WITH_STREAM)
        from app import app
        from chalicelib.events import publisher, redrive

        consumer, dlq = Consumer(), dead_letter_queue()
        reader = StreamReader(db, TABLE)
        with Client(app) as api, redirect_stdout(quiet):  # the app's JSON logs
            with_stream_ms, without_stream_ms = webhook_latency(api, args.pairs)
            reader.read()  # the latency messages are not part of the count
            expected: Counter = Counter()
            started = time.perf_counter()
            ingest_and_handle(api, args.messages, expected)
            api_seconds = time.perf_counter() - started

        events_client = boto3.client("events", region_name="us-east-1")
        flaky = FlakyPutEvents(events_client, seed=args.seed, rate=0.2)
        bus = publisher.Publisher(BUS, dlq, events_client=events_client,
                                  sqs_client=boto3.client("sqs", region_name="us-east-1"))
        received, partial = [], 0
        started = time.perf_counter()
        with redirect_stdout(quiet):
            records = reader.read()
            for batch in batches(records, 100):
                answer = publisher.handle_stream(batch, bus, include_text=False)
                partial += len(answer["batchItemFailures"])
                received += consumer.receive()
            publish_seconds = time.perf_counter() - started
            healed = publisher.Publisher(BUS, None, events_client=boto3.client("events", region_name="us-east-1"))
            report = redrive.redrive(boto3.client("sqs", region_name="us-east-1"), dlq, healed, streams_client())
            received += consumer.receive()

    ids = [e["detail"]["event_id"] for e in received]
    distinct = {e["detail"]["event_id"]: e["detail"] for e in received}
    got = Counter((d["message_id"], d["type"]) for d in distinct.values())
    missing = sum((expected - got).values())
    unexpected = sum((got - expected).values())
    changed_copies = sum(1 for e in received if e["detail"] != distinct[e["detail"]["event_id"]])
    print(f"bench/events: {args.messages} messages ingested and handled, {sum(expected.values())} state changes, "
          f"{len(records)} stream records")
    print(f"  webhook median with the stream {with_stream_ms:.2f} ms, without {without_stream_ms:.2f} ms "
          f"(added {with_stream_ms - without_stream_ms:+.2f} ms): ratio {with_stream_ms / without_stream_ms:.3f} "
          f"over {args.pairs} pairs; moto builds the stream record inside the write, DynamoDB after it answers")
    print(f"  API time for ingest and handling {api_seconds:.1f} s; publishing {publish_seconds:.1f} s")
    print(f"  PutEvents: {flaky.calls} calls, {flaky.failed_calls} failed (seed {args.seed}; {flaky.failed_entries} "
          f"entries refused, the rest whole calls or lost answers); partial batch failures {partial}")
    print(f"  dead-lettered then redriven: {report.published} (kept {report.kept})")
    print(f"  events expected={sum(expected.values())} published={len(distinct)} received={len(ids)} "
          f"duplicates={len(ids) - len(distinct)} (same event_id, identical detail: {changed_copies == 0}) "
          f"unexpected={unexpected}")
    print(f"events_missing={missing}")
    return 0 if missing == 0 and unexpected == 0 and changed_copies == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
