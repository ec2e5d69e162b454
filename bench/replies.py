"""Opening a conversation the brand answered many times, with its replies kept by idempotency key (conversations
opened before replies were kept by time) and by time, in one run.

    python bench/replies.py [--replies 2000] [--reps 5]

Method. One in-process moto table (bench.harness.lean_moto_table) holds two conversations of one Facebook comment
each, seeded the way ingestion stores them, and `replies` sent replies of 200 to 600 characters for each, written
with BatchWriteItem as replies.reserve and mark_sent leave them: for the older one the reply at REPLY#<key> (its
head without `replies_by_time`); for the newer one the reply at RT#<created_at>#<key>, its key's marker at
REPLY#<key> and the count. The read is chalicelib.replies.view, what GET /conversations/{id} and the console's
15-second follow read. Printed for each: DynamoDB requests, items read, bytes answered, the replies shown and
`earlier_replies` (the same for both: checked), and the time spent outside moto (botocore decoding each page and
our code; moto's own time is DynamoDB's part and is left out), median of `reps`.
Last line: replies_read_ratio=<time outside moto by time / by key>.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import MotoClock, Work, lean_moto_table, moto_item_size_check_off  # noqa: E402

import support  # noqa: E402  (the test environment: nothing can reach AWS)

WORDS = "thanks for your patience we have passed this on to the team and will update you here soon order".split()


def reply_items(conversation: str, count: int, by_time: bool, start: datetime, seed: int = 11) -> list[dict]:
    """The items `count` sent replies leave (plain items), oldest first."""
    from chalicelib.store import replies
    from chalicelib.store.entities import MessageKeys, ReplyKeys, iso

    rng = random.Random(seed)
    items = []
    for i in range(count):
        at = iso(start + timedelta(minutes=i))
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 110)))[:600]
        reply = replies.StoredReply(id=f"reply-{i:06d}-{rng.getrandbits(48):012x}", conversation=conversation,
                                    text=text, reply_to=conversation, by="agent:Aiko (0123456789abcdef)",
                                    platform="facebook", account="1234", created_at=at, status=replies.SENT,
                                    request_hash=replies.request_hash(text, conversation), sent_at=at,
                                    platform_message_id=f"1234_{i}", by_time=by_time)
        items.append(reply.to_item())
        if by_time:
            items.append({"pk": MessageKeys.pk(conversation), "sk": ReplyKeys.sk(reply.id),
                          "type": ReplyKeys.KEY_TYPE, "at": reply.sk})
    if by_time:
        items.append({"pk": MessageKeys.pk(conversation), "sk": ReplyKeys.count_sk("bench"), "replies": count})
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)

    with lean_moto_table() as raw:
        from chalicelib import replies
        from chalicelib.store import dynamo

        now = datetime.now(timezone.utc)
        start = now - timedelta(minutes=args.replies + 60)
        older = support.seed_message("bench-by-key", "customer_service", received_at=start)
        newer = support.seed_message("bench-by-time", "customer_service", received_at=start)
        raw.update_item(TableName=dynamo.table_name(), Key=dynamo.key(f"MSG#{older}", "MSG"),
                        UpdateExpression="REMOVE replies_by_time")
        items = reply_items(older, args.replies, False, start) + reply_items(newer, args.replies, True, start)
        with moto_item_size_check_off():
            for i in range(0, len(items), 25):
                raw.batch_write_item(RequestItems={dynamo.table_name(): [{"PutRequest": {"Item": dynamo.to_item(x)}}
                                                                         for x in items[i:i + 25]]})

        moto, work = MotoClock(), Work(dynamo.client())
        bytes_read = [0]
        for operation in ("Query", "GetItem"):
            dynamo.client().meta.events.register(
                f"after-call.dynamodb.{operation}", lambda http_response, **_: bytes_read.__setitem__(
                    0, bytes_read[0] + len(http_response.content or b"")))

        def measure(conversation: str) -> dict:
            samples = []
            for _ in range(args.reps):
                before_moto, (requests0, read0, _), bytes0 = moto.seconds, work.snapshot(), bytes_read[0]
                gc.collect()
                gc.disable()
                started = time.perf_counter()
                view = replies.view(conversation, now)
                total = time.perf_counter() - started
                gc.enable()
                requests1, read1, _ = work.snapshot()
                samples.append(total - (moto.seconds - before_moto))
                calls, read, answered = sum((requests1 - requests0).values()), sum((read1 - read0).values()), \
                    bytes_read[0] - bytes0
            return {"outside": statistics.median(samples), "calls": calls, "items": read, "bytes": answered,
                    "shown": [r["text"] for r in view.replies], "left_out": view.earlier_replies}

        by_key, by_time = measure(older), measure(newer)
        assert by_key["shown"] == by_time["shown"] and by_key["left_out"] == by_time["left_out"], "answers differ"

    print(f"a conversation with {args.replies:,} sent replies, opened (GET /conversations/{{id}}): "
          f"{len(by_time['shown'])} replies shown and {by_time['left_out']:,} left out, the same both times")
    print("| replies kept | requests | items read | bytes answered | ms outside moto |")
    print("|---|---|---|---|---|")
    for name, m in (("by idempotency key (before)", by_key), ("by time (after)", by_time)):
        print(f"| {name} | {m['calls']} | {m['items']:,} | {m['bytes']:,} | {m['outside'] * 1000:.1f} |")
    print(f"replies_read_ratio={by_time['outside'] / by_key['outside']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
