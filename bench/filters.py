"""A filtered page of a deep queue against the plain first page, in one run: what a search or a filter costs
when few conversations match.

    python bench/filters.py [--depth 5000] [--reps 15]

Method. One moto table (mock_aws, in process) holds --depth open conversations in customer_service (the items
tests/support.seed_bulk writes, put straight into moto's table): 1% came by WhatsApp, the rest by Facebook or X;
1% say "chargeback", spread evenly through the queue's order. Through chalice.test.Client with an agent key,
these calls are timed --reps times each, interleaved, after one untimed warm-up round; medians are compared:
  plain       GET /queues/customer_service/conversations?limit=25
  platform    the same with &platform=whatsapp
  words       the same with &q=Chargeback (found as typed and in lower case)
  nothing     the same with &platform=telegram (no match: the page reads its whole budget and gives a cursor)
For each it prints the DynamoDB requests and items read per page (counted from botocore hooks), the matches
on the page, and the latency against the plain page (the latency outside moto too: moto sorts the whole index
partition on every Query, which DynamoDB does not). The last line is filtered_page_ratio=<the worst median
latency ratio outside moto of a filtered page against the plain page>.
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
from contextlib import redirect_stdout
from datetime import datetime, timedelta, timezone

from harness import ROOT, MotoClock, Work, lean_moto_table, moto_item_size_check_off  # noqa: E402  (puts the repo on sys.path)

import support  # noqa: E402  (fake AWS credentials and the test environment: nothing can reach AWS)

QUEUE = "customer_service"
PAGE = 25
CALLS = {"plain": "", "platform": "&platform=whatsapp", "words": "&q=Chargeback", "nothing": "&platform=telegram"}


def seed(client, depth: int, now: datetime) -> None:
    from collections import Counter as Tally

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.store import counters, dynamo
    from chalicelib.store.entities import shard_of
    from chalicelib.store.messages import message_item, state_counts

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(os.environ["TABLE_NAME"])
    rng = random.Random(11)
    shards: dict = {}
    for n in range(depth):
        platform = "whatsapp" if n % 100 == 37 else rng.choice(["facebook", "x"])
        words = "I will file a chargeback if this is not fixed" if n % 100 == 71 else "where is my order? it never came"
        item = support.triaged(f"f{n}", QUEUE, priority=rng.randint(0, 120), platform=platform,
                               received_at=now - timedelta(seconds=rng.randint(60, 6 * 3600)),
                               author=f"u{rng.randint(1, 5000)}", text=f"{words} (#{n})")
        table.put_item(dynamo.to_item(message_item(item)))
        shards.setdefault(shard_of(item.message.id), Tally()).update(state_counts("open", False, 1))
    for shard, moved in shards.items():
        client.update_item(**counters.queue_count_update(QUEUE, shard, dict(moved))["Update"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=5_000, help="open conversations in the queue (default 5,000)")
    parser.add_argument("--reps", type=int, default=15, help="timed repetitions per call (default 15)")
    args = parser.parse_args(argv)

    from chalice.test import Client

    with lean_moto_table() as raw:
        from app import app
        from chalicelib import auth
        from chalicelib.store import dynamo, queue

        with moto_item_size_check_off():
            seed(raw, args.depth, datetime.now(timezone.utc))
        gc.collect()
        gc.freeze()
        headers = {"Authorization": f"Bearer {auth.create_key('agent', 'bench', [QUEUE]).key}"}
        moto, work = MotoClock(), Work(dynamo.client())
        samples = {name: {"total": [], "outside": []} for name in CALLS}
        seen: dict[str, tuple[int, int, int, bool]] = {}

        def measure(name: str, record: bool) -> None:
            before_moto, before = moto.seconds, work.snapshot()
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            response = api.http.get(f"/queues/{QUEUE}/conversations?limit={PAGE}{CALLS[name]}", headers=headers)
            elapsed = time.perf_counter() - start
            gc.enable()
            requests, read, _ = work.snapshot()
            body = json.loads(response.body)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {response.status_code} {response.body[:300]!r}")
            seen[name] = (sum((requests - before[0]).values()), sum((read - before[1]).values()),
                          len(body["conversations"]), bool(body.get("next_cursor")))
            if record:
                samples[name]["total"].append(elapsed * 1000)
                samples[name]["outside"].append((elapsed - (moto.seconds - before_moto)) * 1000)

        sink = open(os.devnull, "w")
        with Client(app, project_dir=str(ROOT)) as api, redirect_stdout(sink):
            for rep in range(args.reps + 1):
                order = list(CALLS) if rep % 2 else list(reversed(CALLS))
                for name in order:
                    measure(name, record=rep >= 1)

    med = {name: {k: statistics.median(v) for k, v in s.items()} for name, s in samples.items()}
    budget = queue.FILTERED_READS * queue.FILTERED_PAGE
    print(f"queue: {args.depth:,} open conversations in {QUEUE}; 1% WhatsApp, 1% say 'chargeback'; "
          f"a filtered page reads at most {queue.FILTERED_READS} x {queue.FILTERED_PAGE} = {budget:,} items")
    print(f"median of {args.reps} interleaved calls each, through chalice.test.Client with an agent key, in process")
    print()
    print("| page | DynamoDB requests | items read | matches on the page | next cursor | ms | ms outside moto "
          "| ratio to plain (outside moto) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in CALLS:
        requests, read, matches, cursor = seen[name]
        ratio = med[name]["outside"] / med["plain"]["outside"]
        print(f"| {name} | {requests} | {read:,} | {matches} | {'yes' if cursor else 'no'} | "
              f"{med[name]['total']:.1f} | {med[name]['outside']:.1f} | {ratio:.2f} |")
    worst = max(med[name]["outside"] / med["plain"]["outside"] for name in CALLS if name != "plain")
    print()
    print(f"filtered_page_ratio={worst:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
