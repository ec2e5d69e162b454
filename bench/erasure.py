"""Erasing one customer (POST /erasures' work) against storing the same messages (the webhook path's), in one run.

    python bench/erasure.py [--conversations 40] [--replies-in 2] [--reps 3]

Method. One in-process moto table (bench.harness.lean_moto_table). A customer opens `conversations` conversations
(Facebook comments) and writes `replies-in` messages in each (a thread they opened), stored the way ingestion
stores them (store.conversations.save_inbound): that is the baseline, per message. Then
store.erasure.erase_customer erases them all in one call. Printed for each side: DynamoDB requests and items
written per message, and the time spent outside moto per message (botocore and our code; moto's own time is
DynamoDB's part, left out), median of `reps` (a fresh table each). On DynamoDB each request adds its round trip,
so the requests per message say how many messages one request's 10 s (chalicelib.erasure.ERASURE_SECONDS) erases.
Last line: erasure_cost_ratio=<time outside moto per message erased / per message stored>.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import MotoClock, Work, lean_moto_table  # noqa: E402

import support  # noqa: E402  (the test environment: nothing can reach AWS)

CUSTOMER = "5550001"


def messages(conversations: int, replies_in: int, start: datetime):
    """The customer's messages, in the order they arrive: each conversation's first comment, then its replies."""
    items = []
    for c in range(conversations):
        at = start + timedelta(minutes=c)
        items.append(support.triaged(f"c{c}", "customer_service", author=CUSTOMER, received_at=at,
                                     text=f"My order {4400 + c} never arrived, I am Dana from Leeds"))
        for r in range(replies_in):
            item = support.triaged(f"c{c}-r{r}", "customer_service", author=CUSTOMER, channel="reply",
                                   received_at=at + timedelta(seconds=10 + r), text=f"still waiting, call me {r}")
            items.append(replace(item, message=replace(item.message, parent_id=f"facebook:c{c}")))
    return items


def run_once(conversations: int, replies_in: int) -> dict[str, float]:
    from chalicelib.store import conversations as store, dynamo, erasure

    with lean_moto_table():
        clock = MotoClock()
        work = Work(dynamo.client())
        now = datetime.now(timezone.utc)
        items = messages(conversations, replies_in, now - timedelta(days=1))
        inside, started = clock.seconds, time.perf_counter()
        for item in items:
            store.save_inbound(item, item.message.received_at)
        stored_outside = time.perf_counter() - started - (clock.seconds - inside)
        stored_requests, _, stored_written = work.snapshot()

        inside, started = clock.seconds, time.perf_counter()
        progress = erasure.erase_customer("facebook", CUSTOMER, now, "admin:bench", None, deadline=float("inf"))
        erased_outside = time.perf_counter() - started - (clock.seconds - inside)
        requests, _, written = work.snapshot()
        assert progress.done and progress.messages_erased == len(items), progress
        n = len(items)
        return {"messages": n,
                "stored_requests": sum(stored_requests.values()) / n, "stored_written": stored_written / n,
                "stored_ms": stored_outside * 1000 / n,
                "erased_requests": (sum(requests.values()) - sum(stored_requests.values())) / n,
                "erased_written": (written - stored_written) / n, "erased_ms": erased_outside * 1000 / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--replies-in", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    runs = [run_once(args.conversations, args.replies_in) for _ in range(args.reps)]
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"one customer, {int(median['messages'])} messages in {args.conversations} conversations they opened, "
          f"median of {args.reps}:")
    print(f"  stored (webhook path): {median['stored_requests']:.2f} DynamoDB requests, "
          f"{median['stored_written']:.2f} items written, {median['stored_ms']:.2f} ms outside moto per message")
    print(f"  erased (POST /erasures): {median['erased_requests']:.2f} DynamoDB requests, "
          f"{median['erased_written']:.2f} items written, {median['erased_ms']:.2f} ms outside moto per message")
    for round_trip in (5, 10, 20):
        per_message = median["erased_ms"] + median["erased_requests"] * round_trip
        print(f"  at {round_trip} ms a DynamoDB request, one 10 s request erases about {int(10_000 / per_message)} "
              f"messages")
    print(f"erasure_cost_ratio={median['erased_ms'] / median['stored_ms']:.2f}")


if __name__ == "__main__":
    main()
