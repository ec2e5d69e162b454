"""Claim and first-page latency at queue depth 1,000 against 10,000, and the queue overview at 1,000 against
100,000 open messages, in one run, on one moto table.

    python bench/queues.py [--reps 30]

Method. One moto table (mock_aws, in process) holds 111,000 message items,
store.messages.message_item(...) put straight into moto's table, with their queue-count shards (the items
tests/support.seed_bulk writes; not through transactions): 10,000 open in customer_service, 1,000 open in stance and 100,000 open in
community. So "depth 10,000" (customer_service) and "depth 1,000" (stance) share the same table and only
the queue depth differs. The calls go through chalice.test.Client with an agent API key (so each call also
pays for the key lookup, the same at both depths):
  claim       POST /queues/{q}/claim {"count": 1}; the claimed message is then released (untimed, by
              store.queue.release) so the depth stays the same;
  first page  GET /queues/{q}/messages?limit=25;
  overview    GET /queues with a key scoped to one queue: stance (1,000 open) against community
              (100,000 open).
Each is timed --reps times per depth, the two depths interleaved (alternating which goes first), after
one untimed warm-up round; medians are compared. The garbage collector is run before and held off during
each timed call, so that moto's garbage is not collected on our time.

Caveat: moto is not DynamoDB. Every moto Query walks ALL items of the table (constant here, since the
table is shared) and then SORTS every item of the queried index partition before applying Limit, so
moto's own time grows with the partition, i.e. with queue depth, while DynamoDB reads only the first
`Limit` items of the partition. So the bench also times how long each call spends inside moto (its
request handler: parsing, the backend, serializing the answer) and reports the latency outside moto
(our code, botocore, Chalice's test client), and it counts the DynamoDB work of each call (requests per
operation, items read and written, from botocore hooks on the store's client) at both depths.
depth_ratio is the max of the claim, first-page and overview ratios of the latency outside moto: DynamoDB's
part of each call is the constant work counted below, so leaving it out can only make the ratio larger.
The end-to-end moto ratios are printed too.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from contextlib import redirect_stdout
from datetime import datetime, timedelta, timezone

from harness import ROOT, MotoClock, Work, lean_moto_table, moto_item_size_check_off  # noqa: E402  (puts the repo on sys.path)

import support  # noqa: E402  (fake AWS credentials and the test environment: nothing can reach AWS)

TARGET = 1.3
DEEP, SHALLOW, HUGE = "customer_service", "stance", "community"
DEPTHS = {SHALLOW: 1_000, DEEP: 10_000, HUGE: 100_000}
PAGE = 25
# per call: the queue at the small and at the large depth
COMPARED = {"claim": (SHALLOW, DEEP), "page": (SHALLOW, DEEP), "overview": (SHALLOW, HUGE)}
LABELS = {"claim": "claim: POST /queues/{q}/claim count=1", "page": f"first page: GET /queues/{{q}}/messages?limit={PAGE}",
          "overview": "overview: GET /queues (one queue)"}


# measuring ----------------------------------------------------------------------------------------

def seed(client, now: datetime) -> None:
    """Message items (and their queue-count shards) as support.seed_bulk writes them. The 100,000 are put
    straight into moto's in-process table (untimed seeding: the same items, without a BatchWriteItem round
    trip through botocore and moto's parser for each 25)."""
    from collections import Counter as Tally

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.store import counters, dynamo
    from chalicelib.store.entities import shard_of
    from chalicelib.store.messages import message_item, state_counts

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(os.environ["TABLE_NAME"])
    rng = random.Random(7)
    texts = ["where is my order 5512? it never arrived and I want a refund", "love the new flavour, thanks team!",
             "your ad is misleading and I am cancelling my subscription", "is the store on main street open today?"]
    shards: dict = {}
    for queue, depth in DEPTHS.items():
        for n in range(depth):
            item = support.triaged(
                f"{queue[:2]}{n}", queue, priority=rng.randint(0, 120), platform=rng.choice(["facebook", "x"]),
                received_at=now - timedelta(seconds=rng.randint(60, 6 * 3600)), author=f"u{rng.randint(1, 5000)}",
                text=f"{rng.choice(texts)} (#{n})", needs_review=rng.random() < 0.1)
            table.put_item(dynamo.to_item(message_item(item)))
            shards.setdefault((queue, shard_of(item.message.id)), Tally()).update(
                state_counts("open", item.triage.needs_review, 1))
    for (queue, shard), moved in shards.items():
        client.update_item(**counters.queue_count_update(queue, shard, dict(moved))["Update"])


def count_items(client) -> int:
    kwargs, total = {"TableName": os.environ["TABLE_NAME"], "Select": "COUNT"}, 0
    while True:
        page = client.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30, help="timed repetitions per call and depth (default 30)")
    args = parser.parse_args(argv)

    from chalice.test import Client

    with lean_moto_table() as raw:
        from app import app
        from chalicelib import auth
        from chalicelib.domain.workflow import Actor
        from chalicelib.store import dynamo, messages, queue

        now = datetime.now(timezone.utc)
        started = time.perf_counter()
        with moto_item_size_check_off():
            seed(raw, now)
        total_items = count_items(raw)
        seeded_s = time.perf_counter() - started
        gc.collect()
        gc.freeze()  # the seeded table is permanent: keep the collections before each timed call cheap
        issued = auth.create_key("agent", "bench", [DEEP, SHALLOW])
        headers = {"Authorization": f"Bearer {issued.key}", "Content-Type": "application/json"}
        actor = Actor(f"agent:bench ({issued.record['key_id']})")
        scoped = {q: {"Authorization": f"Bearer {auth.create_key('agent', f'one {q}', [q]).key}"} for q in (SHALLOW, HUGE)}

        moto, work = MotoClock(), Work(dynamo.client())
        releases: Counter = Counter()
        samples = {(call, q): {"total": [], "outside": [], "work": []} for call, qs in COMPARED.items() for q in qs}

        def measure(call: str, q: str, record: bool) -> None:
            before_moto, before_work = moto.seconds, work.snapshot()
            gc.collect()
            gc.disable()  # moto's garbage would otherwise be collected on our time, at random
            start = time.perf_counter()
            if call == "claim":
                response = api.http.post(f"/queues/{q}/claim", body=json.dumps({"count": 1}).encode(),
                                         headers=headers)
            elif call == "page":
                response = api.http.get(f"/queues/{q}/messages?limit={PAGE}", headers=headers)
            else:
                response = api.http.get("/queues", headers=scoped[q])
            elapsed = time.perf_counter() - start
            gc.enable()
            inside = moto.seconds - before_moto
            requests, read, written = work.snapshot()
            read = sum((read - before_work[1]).values())
            body = json.loads(response.body)
            if call == "overview":
                ok = response.status_code == 200 and [o["open"] for o in body["queues"]] == [DEPTHS[q]]
            else:
                got = body.get("claimed") if call == "claim" else body.get("messages")
                ok = response.status_code == 200 and len(got or []) == (1 if call == "claim" else PAGE)
            if not ok:
                raise SystemExit(f"{call} on {q} failed: {response.status_code} {response.body[:300]!r}")
            if call == "claim":  # untimed: put it back so the depth stays the same
                released = queue.release(messages.get_message(got[0]["id"]), actor, datetime.now(timezone.utc))
                assert released.status == "open" and released.queue == q, released.status
                releases[q] += 1
            if record:
                s = samples[(call, q)]
                s["total"].append(elapsed * 1000)
                s["outside"].append((elapsed - inside) * 1000)
                s["work"].append((tuple(sorted((requests - before_work[0]).items())), read,
                                  written - before_work[2]))

        # the app's JSON request logs go to stdout: still written (that work is part of each call), to a sink kept
        # open for the process (the logger keeps the stream it was built with)
        sink = open(os.devnull, "w")
        with Client(app, project_dir=str(ROOT)) as api, redirect_stdout(sink):
            for rep in range(args.reps + 1):
                for call, (small, large) in COMPARED.items():
                    for q in ([small, large] if rep % 2 else [large, small]):
                        measure(call, q, record=rep >= 1)

    med = {key: {k: statistics.median(v) for k, v in s.items() if k != "work"} for key, s in samples.items()}
    print(f"table: {total_items:,} items (seeded in {seeded_s:.1f} s): open messages "
          + ", ".join(f"{DEPTHS[q]:,} in {q}" for q in DEPTHS) + "; the same table for every depth")
    print(f"every claimed message was released back to open: {releases[SHALLOW]} + {releases[DEEP]} releases")
    print(f"median of {args.reps} interleaved calls per depth, through chalice.test.Client with an agent key, "
          f"moto {__import__('moto').__version__} in process")
    print()
    print("| call | latency | small depth ms | large depth ms | ratio |")
    print("|---|---|---|---|---|")
    ratios = {}
    for call, (small_q, large_q) in COMPARED.items():
        label = f"{LABELS[call]} ({DEPTHS[small_q]:,} vs {DEPTHS[large_q]:,})"
        for kind, what in (("total", "end to end on moto"), ("outside", "outside moto (our code, botocore, Chalice)")):
            small, large = med[(call, small_q)][kind], med[(call, large_q)][kind]
            ratios[(call, kind)] = large / small
            print(f"| {label} | {what} | {small:.1f} | {large:.1f} | {large / small:.2f} |")
        inside_small = med[(call, small_q)]["total"] - med[(call, small_q)]["outside"]
        inside_large = med[(call, large_q)]["total"] - med[(call, large_q)]["outside"]
        print(f"| {label} | inside moto (difference of the medians) | {inside_small:.1f} | {inside_large:.1f} "
              f"| {inside_large / inside_small:.2f} |")
    print()
    print("DynamoDB work per call (requests per operation; items read = Query ScannedCount + GetItem hits):")
    constant = True
    for call, qs in COMPARED.items():
        for q in qs:
            seen = Counter(samples[(call, q)]["work"])
            (requests, read, written), n = seen.most_common(1)[0]
            others = "" if len(seen) == 1 else f" (+{len(seen) - 1} other shapes in {args.reps - n} calls)"
            print(f"  {call:8} {DEPTHS[q]:>7,} open: {', '.join(f'{k} x{v}' for k, v in requests)}; "
                  f"items read {read}, items written {written}{others}")
        small_q, large_q = qs
        constant &= set(samples[(call, small_q)]["work"]) == set(samples[(call, large_q)]["work"])
    print(f"  the same at both depths: {'yes' if constant else 'NO'}")
    print()
    e2e = max(ratios[(call, "total")] for call in COMPARED)
    ratio = max(ratios[(call, "outside")] for call in COMPARED)
    overview = ratios[("overview", "outside")]
    print(f"end to end on moto: max ratio {e2e:.2f}; moto walks the whole table and sorts the whole index partition "
          f"on every Query, so its time grows with depth (DynamoDB reads only the work above)")
    print(f"overview at 100,000 vs 1,000 open, outside moto: {overview:.2f} (target <= {TARGET})")
    print(f"depth_ratio = max(claim, first page, overview) of the latency outside moto: {ratio:.2f} "
          f"(target <= {TARGET}): {'ok' if ratio <= TARGET and constant else 'MISSED'}")
    print(f"depth_ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
