"""A stance surge: 16 threads post 4,000 distinct messages into one queue and one hour, with DynamoDB's
transaction conflicts modelled, and count the 5xx answers (the platforms would redeliver each one).

    python bench/spike.py [--messages 4000] [--threads 16] [--shards 16] [--conflict-attempts 10]

Method. The API runs in chalice's local server on 127.0.0.1 (as `make run` serves it) over moto's server
(one request at a time, as `make run` uses), with tests/dynamodb_model.ConflictModel on the function's
DynamoDB client: a write that meets another in-flight transaction on one of its items is cancelled with
TransactionConflict, as DynamoDB does. The function keeps the retries it really has: botocore's standard
mode (3 attempts; it does not retry a cancelled transaction) and the store's own conflict retries with
jitter (`--conflict-attempts`, 1 = none). Every message is one signed generic webhook with its own id and one
of 500 authors; the texts are stance texts (all land in `stance`); the webhook's clock is held inside one
UTC hour, so every message counts on the same queue-hour counters. `--shards 1` is the store before v2:
one counter item per queue and hour.

After the surge, every message answered 5xx is delivered again (as a platform would) until it is stored,
and the table is checked: exactly N messages, each once, and every counter total exact (volume, accuracy,
queue counts, author windows, and the stats buckets and queue overview those routes answer). DynamoDB requests per message counts every attempt the
function sent (reads, writes, and writes cancelled by a conflict). The last line is spike_errors=<5xx answers>.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import redirect_stdout
from datetime import datetime, timedelta, timezone

from harness import ROOT  # noqa: F401  (puts the repo and tests/ on sys.path)

import payloads  # noqa: E402
import support  # noqa: E402  (fake AWS credentials and the test environment: nothing can reach AWS)
from dynamodb_model import ConflictModel, ItemSizeLimit  # noqa: E402

QUEUE = "stance"
TEXTS = [
    "Boycott! You caved on diversity and equality, shame on your company ({n})",
    "Proud you kept your DEI commitments. Buying more. #{n}",
    "Your statement on the strike is cowardly, I am done with this brand {n}",
    "Thank you for standing with refugees, #{n}",
]
AUTHORS = 500
LAMBDA_TIMEOUT = 20.0


ONE_CONVERSATION = "viral-thread"


def body_of(n: int, one_conversation: bool = False) -> bytes:
    payload = payloads.generic_message(f"spike-{n}", TEXTS[n % len(TEXTS)].format(n=n),
                                       author_id=f"urn:li:person:{n % AUTHORS}")
    if one_conversation:  # every message in one thread: the hottest item is the conversation itself
        payload["messages"][0]["conversation_id"] = ONE_CONVERSATION
    return support.dumps(payload)


REASONS: Counter = Counter()  # what the 5xx answers said


ARGS = argparse.Namespace(one_conversation=False)


def post(base: str, n: int) -> tuple[int, float]:
    body = body_of(n, ARGS.one_conversation)
    request = urllib.request.Request(f"{base}/webhooks/generic", data=body, method="POST",
                                     headers=support.generic_headers(body))
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        REASONS[exc.read().decode(errors="replace")[:160]] += 1
    except OSError as exc:  # no answer at all (reset, timeout): the platform sees a failure and redelivers
        status = 599
        REASONS[type(exc).__name__] += 1
    return status, time.perf_counter() - started


class Requests:
    """Every HTTP attempt the function's DynamoDB client sends, per operation."""

    def __init__(self, client):
        self.sent: Counter = Counter()
        self._lock = threading.Lock()
        client.meta.events.register("before-send.dynamodb", self._count)

    def _count(self, event_name: str, **_):
        with self._lock:
            self.sent[event_name.rsplit(".", 1)[-1]] += 1


def read_conversation(items: list[dict]) -> str:
    """The viral thread as an agent opens it (what GET /conversations/{id} answers), beside the whole thread."""
    from chalicelib import replies
    from chalicelib.schemas import ConversationOut, MessageOut
    from chalicelib.store.entities import StoredMessage

    head_id = next(i["id"] for i in items if i["sk"] == "MSG" and i.get("status") != "in_conversation")
    answer = ConversationOut.of_conversation(*replies.view(head_id, datetime.now(timezone.utc)))
    size = len(answer.model_dump_json(by_alias=True))
    # the whole thread from the table's scan (moto answers an index query by walking the table: too slow here)
    thread = [StoredMessage.from_item(i) for i in items
              if i["sk"] == "MSG" and head_id in (i["id"], i.get("conversation"))]
    whole = sum(len(MessageOut.of(m, with_history=True).model_dump_json(by_alias=True)) for m in thread)
    return (f"the conversation opened: {len(answer.messages)} of its {len(thread)} messages, {size / 1e6:.2f} MB "
            f"(all of them: {whole / 1e6:.2f} MB; earlier_cursor {'set' if answer.earlier_cursor else 'null'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--one-conversation", action="store_true",
                        help="every message in one conversation (a viral thread) instead of one each")
    parser.add_argument("--shards", type=int, default=None, help="counter shards (default: the store's)")
    parser.add_argument("--conflict-attempts", type=int, default=None,
                        help="the store's tries per conflicting write (default: the store's; 1 = no retry)")
    args = parser.parse_args(argv)
    ARGS.one_conversation = args.one_conversation

    from chalice.config import Config
    from chalice.local import create_local_server

    from local.dynamodb import LocalDynamoDB

    ItemSizeLimit.install()
    server = LocalDynamoDB().start()
    os.environ["DYNAMODB_ENDPOINT_URL"] = server.endpoint_url
    support.reset_caches()
    import boto3

    from app import app
    from chalicelib import ingest, stats
    from chalicelib.store import dynamo, entities, queue
    from chalicelib.store.table import create_table

    if args.shards:
        entities.COUNTER_SHARDS = args.shards
    if args.conflict_attempts:
        dynamo.CONFLICT_ATTEMPTS = args.conflict_attempts
    raw = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=server.endpoint_url)
    create_table(raw, os.environ["TABLE_NAME"])

    # the webhook's clock stays inside one UTC hour (a surge of 4,000 may straddle the top of the hour)
    hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    started_at = time.monotonic()

    class OneHour(datetime):
        @classmethod
        def now(cls, tz=None):
            return hour + timedelta(seconds=min(time.monotonic() - started_at, 3599))

    ingest.datetime = OneHour
    conflicts = ConflictModel(dynamo.client(), hold=0.002)
    requests = Requests(dynamo.client())

    local = create_local_server(app, Config.create(chalice_stage="dev", app_name="social-triage"), "127.0.0.1", 0)
    thread = threading.Thread(target=local.server.serve_forever, daemon=True)
    sink = open(os.devnull, "w")
    statuses: Counter = Counter()
    latencies: list[float] = []
    failed: list[int] = []
    lock, cursor = threading.Lock(), iter(range(args.messages))
    base = f"http://127.0.0.1:{local.server.server_address[1]}"

    def worker() -> None:
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                return
            status, seconds = post(base, n)
            with lock:
                statuses[status] += 1
                latencies.append(seconds)
                if status >= 500:
                    failed.append(n)

    with redirect_stdout(sink):  # the app's JSON logs
        thread.start()
        surge_started = time.perf_counter()
        workers = [threading.Thread(target=worker) for _ in range(args.threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        surge_s = time.perf_counter() - surge_started
        surge_requests = sum(requests.sent.values())
        surge_conflicts = sum(conflicts.conflicts.values())
        redelivered = 0
        pending = list(failed)
        while pending:  # as a platform would: deliver again until it is taken
            redelivered += len(pending)
            pending = [n for n in pending if post(base, n)[0] >= 500]
        # what /stats and /queues answer, read in process: moto walks the whole table for an index query, so
        # /stats' SLA count (an index query over this hour's 4,000 arrivals) can outlast the 3 s read timeout here
        from chalicelib.schemas import StatsQuery

        day = StatsQuery.model_validate({"granularity": "day"})
        buckets = stats.volumes(stats.window(day, hour + timedelta(hours=1)))
        overview = {QUEUE: queue.queue_overview(QUEUE, datetime.now(timezone.utc))}
        local.shutdown()
        thread.join(timeout=10)
        local.server.server_close()

    items = support.scan_items(raw)
    opened = read_conversation(items) if args.one_conversation else None
    server.stop()
    n = args.messages
    stored = [i for i in items if i["sk"] == "MSG"]
    ids = Counter(i["id"] for i in stored)
    expected_ids = {f"linkedin:spike-{k}" for k in range(n)}
    total = lambda prefix, name: sum(i.get(name, 0) for i in items if i["pk"].startswith(prefix))  # noqa: E731
    checks = {
        "messages stored, each once": len(stored) == n and set(ids) == expected_ids and max(ids.values()) == 1,
        "all in one queue": {i["queue"] for i in stored} == {QUEUE},
        "volume counter": total(f"STATS#{QUEUE}", "messages") == n,
        "accuracy counter": total(f"ACCURACY#{QUEUE}", "classified") == n,
        "queue counts (open)": total(f"QCOUNT#{QUEUE}", "open") == (1 if args.one_conversation else n),
        "author windows": total("AUTHOR#", "messages") == n,
        "/stats total": sum(b["total"] for b in buckets) == n,
        "/queues open": overview[QUEUE]["open"] == (1 if args.one_conversation else n),
    }
    if args.one_conversation:
        heads = [i for i in stored if i.get("status") != "in_conversation"]
        checks["one conversation counting every message"] = (
            len(heads) == 1 and heads[0].get("message_count") == n)
    errors = sum(c for s, c in statuses.items() if s >= 500)
    shards = entities.COUNTER_SHARDS
    hot = sum(1 for i in items if i["pk"] == f"STATS#{QUEUE}")
    print(f"{n:,} distinct messages into {QUEUE}, one UTC hour, {args.threads} threads, over HTTP "
          f"(chalice local server, moto {__import__('moto').__version__} server, conflict model on)")
    print(f"counter shards: {shards} (volume items written for the hour: {hot}); the store's conflict tries: "
          f"{dynamo.CONFLICT_ATTEMPTS}")
    print(f"surge: {surge_s:.1f} s, answers {dict(sorted(statuses.items()))}; request latency p50 "
          f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies):.2f} s (Lambda timeout {LAMBDA_TIMEOUT:.0f} s)")
    print(f"transaction conflicts met by the function during the surge: {surge_conflicts} "
          f"({dict(conflicts.conflicts)})")
    print(f"5xx answers: {errors}; redelivered until taken: {redelivered} deliveries")
    for reason, count in REASONS.most_common(5):
        print(f"  {count} x {reason}")
    print(f"DynamoDB requests per message during the surge: {surge_requests / n:.2f} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(requests.sent.items()))} in all)")
    for name, ok in checks.items():
        print(f"  {name}: {'exact' if ok else 'WRONG'}")
    print(f"every counter total exact: {'yes' if all(checks.values()) else 'NO'}")
    if opened:
        print(opened)
    print(f"spike_errors={errors}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
