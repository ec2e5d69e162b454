"""A range of stats read before and after the sweep folds closed hours' counter shards, in one run.

    python bench/fold.py [--days 14] [--rate 105] [--reps 3]

Method. One in-process moto table (bench.harness.lean_moto_table) holds `days` of volume counter shards for the
three queues, written with BatchWriteItem as ingestion and the agents' work leave them: each message adds its
volume increments (and, for nine in ten, its resolve's response-time bins, per platform too) to the shard of its
id (entities.shard_of) in the hour it came in, with `writes` counted as every shard write does. `rate` messages
an hour on average, on a daily cycle, split 57/14/29 % over customer_service/stance/community.

The read is stats.volumes over the whole range by day (what GET /stats?granularity=day reads), before and after
counters.fold_hour has folded every closed hour. Printed for each: DynamoDB Query calls, items read and bytes
answered, the answer (the same both times: checked), and the time spent outside moto (botocore decoding each
page, and our code summing it; moto's own time is DynamoDB's part and is left out), median of `reps`. The items
a year would read follow from the items per day. Last line: fold_read_ratio=<time outside moto after / before>.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import MotoClock, Work, lean_moto_table, moto_item_size_check_off  # noqa: E402

SHARE = {"customer_service": 0.57, "stance": 0.14, "community": 0.29}
PLATFORMS = ("facebook", "instagram", "x", "whatsapp", "telegram", "messenger")


def shard_items(days: int, rate: float, end: datetime, seed: int = 7) -> list[dict]:
    """The volume counter shards `days` of traffic leave (typed items for BatchWriteItem)."""
    from chalicelib.store import counters
    from chalicelib.store.entities import VolumeCounterKeys, hour_of, shard_of

    rng = random.Random(seed)
    shards: dict[tuple[str, str, int], Counter] = {}
    for h in range(days * 24):
        start = end - timedelta(hours=days * 24 - h)
        cycle = 0.4 + 0.6 * math.sin(math.pi * start.hour / 24) ** 2
        for n in range(max(1, int(rng.gauss(rate * cycle, 3)))):
            queue = rng.choices(list(SHARE), weights=list(SHARE.values()))[0]
            platform = rng.choice(PLATFORMS)
            message_id = f"{platform}:b{h}-{n}"
            add = Counter(counters.volume_increments(platform, 1, rng.random() < 0.15))
            if rng.random() < 0.9:
                received = start + timedelta(minutes=rng.random() * 60)
                claimed = received + timedelta(seconds=rng.expovariate(1 / 1800))
                resolved = claimed + timedelta(seconds=rng.expovariate(1 / 3600))
                add.update(counters.per_platform(counters.response_time_increments(received, claimed, resolved),
                                                 platform))
            add[VolumeCounterKeys.WRITES] += 2 if len(add) > 4 else 1
            key = (queue, hour_of(start), shard_of(message_id))
            shards.setdefault(key, Counter()).update(add)
    return [{"pk": {"S": VolumeCounterKeys.pk(q)}, "sk": {"S": VolumeCounterKeys.sk(hour, shard)},
             **{name: {"N": str(value)} for name, value in counts.items()}}
            for (q, hour, shard), counts in shards.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--rate", type=float, default=105.0, help="messages an hour on average (default 105)")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)

    with lean_moto_table() as raw:
        from chalicelib import stats
        from chalicelib.schemas import StatsQuery
        from chalicelib.store import counters, dynamo
        from chalicelib.store.entities import hour_of

        now = datetime.now(timezone.utc).replace(minute=30, second=0, microsecond=0)
        end = now.replace(minute=0) - timedelta(hours=1)  # every seeded hour has closed
        items = shard_items(args.days, args.rate, end)
        with moto_item_size_check_off():
            for i in range(0, len(items), 25):
                raw.batch_write_item(RequestItems={dynamo.table_name(): [{"PutRequest": {"Item": item}}
                                                                         for item in items[i:i + 25]]})
        start = end - timedelta(days=args.days)
        query = stats.window(StatsQuery.model_validate({
            "from": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "to": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "granularity": "day"}), now)
        moto, work = MotoClock(), Work(dynamo.client())
        bytes_read = [0]
        dynamo.client().meta.events.register(
            "after-call.dynamodb.Query", lambda http_response, **_: bytes_read.__setitem__(
                0, bytes_read[0] + len(http_response.content or b"")))

        def measure() -> dict:
            samples, answer = [], None
            for _ in range(args.reps):
                before_moto, (requests0, read0, _), bytes0 = moto.seconds, work.snapshot(), bytes_read[0]
                gc.collect()
                gc.disable()
                started = time.perf_counter()
                answer = stats.volumes(query)
                total = time.perf_counter() - started
                gc.enable()
                requests1, read1, _ = work.snapshot()
                samples.append(total - (moto.seconds - before_moto))
                calls, read, answered = (requests1 - requests0)["Query"], sum((read1 - read0).values()), \
                    bytes_read[0] - bytes0
            return {"outside": statistics.median(samples), "calls": calls, "items": read, "bytes": answered,
                    "answer": answer}

        before = measure()
        folded, hour = 0, end - timedelta(hours=1)
        while hour >= start - timedelta(hours=1):
            for q in SHARE:
                folded += counters.fold_hour(q, hour_of(hour))
            hour -= timedelta(hours=1)
        after = measure()
        assert after["answer"] == before["answer"], "folding changed what the stats read"

    print(f"{args.days} days, {args.rate:g} messages an hour on average: {len(items):,} shard items seeded, "
          f"{folded:,} folded; /stats by day over the whole range, the same answer both times "
          f"({sum(b['total'] for b in before['answer']):,} messages)")
    print("| read | Query calls | items read | bytes answered | ms outside moto | items a year would read |")
    print("|---|---|---|---|---|---|")
    for name, m in (("shards (before)", before), ("folded (after)", after)):
        year = m["items"] / args.days * 366
        print(f"| {name} | {m['calls']} | {m['items']:,} | {m['bytes']:,} | {m['outside'] * 1000:.0f} | {year:,.0f} |")
    per_item = before["outside"] / max(1, before["items"])
    print(f"  outside moto, {per_item * 1e6:.0f} us an item read: a year of shards would take "
          f"{per_item * before['items'] / args.days * 366:.0f} s in the function (a request has 20 s), folded "
          f"{after['outside'] / max(1, after['items']) * after['items'] / args.days * 366:.1f} s")
    print(f"fold_read_ratio={after['outside'] / before['outside']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
